/**
 * `decorateStore(store, around)`: a JobStore whose every operation goes through `around`, which
 * gets the operation's name, its arguments and a `proceed` that calls the inner store. Tracing,
 * fault injection, latency and scheduling wrap a store this way, one function instead of fourteen
 * methods; the operations are the rows of src/core/store-operations.ts, so a new one is wrapped
 * without an edit here.
 */
import {
  storeOperationNames,
  storeOperations,
  type StoreOperation,
  type StoreOperationName,
} from '../core/store-operations.js';
import type { JobStore } from '../ports.js';

/** The arguments of the store operation `K`. */
export type StoreArgs<K extends StoreOperationName> = Parameters<JobStore[K]>;
/** What each store operation resolves to. */
type StoreResults = { readonly [K in StoreOperationName]: Awaited<ReturnType<JobStore[K]>> };
/** What the store operation `K` resolves to. */
export type StoreResult<K extends StoreOperationName> = StoreResults[K];

/** Runs around one store call: may look at it, delay it, replace or refuse it, and must settle with its result. */
export type StoreAround = <K extends StoreOperationName>(
  name: K,
  args: StoreArgs<K>,
  proceed: () => Promise<StoreResult<K>>,
) => Promise<StoreResult<K>>;

/** `store` with every operation wrapped by `around`. */
export function decorateStore(store: JobStore, around: StoreAround): JobStore {
  const decorated: Partial<Record<StoreOperationName, (...args: never[]) => Promise<unknown>>> = {};
  for (const name of storeOperationNames) {
    const call = store[name] as (...args: unknown[]) => Promise<unknown>;
    decorated[name] = (...args: never[]) =>
      around(name, args as unknown as StoreArgs<typeof name>, () => call.apply(store, args) as Promise<never>);
  }
  return decorated as JobStore;
}

/** Compile-time: every JobStore method has a row in the store-operations table (and `decorateStore` wraps it). */
export const jobStoreOperations: { readonly [K in keyof JobStore]: StoreOperation } = storeOperations;
