/**
 * One table of the job store's operations. {@link storeOperations} says, for every JobStore method,
 * whether it reads or writes, whether it is fenced, what its call is about, and what an acknowledged
 * call means for ownership. {@link storeWrites} maps each store effect of the machine to the store
 * method that performs it, the request it sends and the pure operation the store runs for it, which
 * the machine replays on its own snapshot. The machine, the worker, `decorateStore`, the simulator's
 * history, coverage and report, and the `--trace-store` lines all derive from these two tables, so
 * a new operation is one row here plus its implementations (docs/DESIGN.md, "Add a store operation").
 */
import { assert } from './assert.js';
import * as operations from './operations.js';
import type { Job } from './types.js';
import type { Effect, StoreEffect } from './transition.js';

/** The JobStore methods, one per store operation. */
export type StoreOperationName =
  | 'createJob'
  | 'claimJob'
  | 'renewLease'
  | 'recordChunkPlan'
  | 'recordChunkRecreated'
  | 'markResumed'
  | 'commitChunk'
  | 'completeJob'
  | 'failJob'
  | 'releaseJob'
  | 'quarantineJob'
  | 'listRecoverableJobs'
  | 'getJob'
  | 'readEvents';

/**
 * What an acknowledged call means for the ownership of its job: a lease `grant` (a claim), a
 * `renew`al, its `end` by its holder (release, completion, failure), its `revoke`ation by anyone (a
 * quarantine takes a new epoch), a chunk `commit` under the lease, or nothing (`null`).
 */
export type Ownership = 'grant' | 'renew' | 'end' | 'revoke' | 'commit' | null;

/** One row of {@link storeOperations}. */
export interface StoreOperation {
  readonly access: 'read' | 'write';
  /** True when the request carries the holder's epoch and the store refuses a stale one. */
  readonly fenced: boolean;
  /** What a call is about: its job, one chunk of its job (`job/index`), or every job (`*`). */
  readonly subject: 'job' | 'chunk' | 'all';
  readonly ownership: Ownership;
  /** True when an acknowledged call may make a job claimable at once (a creation, a release): idle workers wake. */
  readonly wakes: boolean;
}

/** Every store operation, in the order the JobStore interface lists them. */
export const storeOperations = {
  createJob: { access: 'write', fenced: false, subject: 'job', ownership: null, wakes: true },
  claimJob: { access: 'write', fenced: false, subject: 'job', ownership: 'grant', wakes: false },
  renewLease: { access: 'write', fenced: true, subject: 'job', ownership: 'renew', wakes: false },
  recordChunkPlan: { access: 'write', fenced: true, subject: 'job', ownership: null, wakes: false },
  recordChunkRecreated: { access: 'write', fenced: true, subject: 'chunk', ownership: null, wakes: false },
  markResumed: { access: 'write', fenced: true, subject: 'job', ownership: null, wakes: false },
  commitChunk: { access: 'write', fenced: true, subject: 'chunk', ownership: 'commit', wakes: false },
  completeJob: { access: 'write', fenced: true, subject: 'job', ownership: 'end', wakes: false },
  failJob: { access: 'write', fenced: true, subject: 'job', ownership: 'end', wakes: false },
  releaseJob: { access: 'write', fenced: true, subject: 'job', ownership: 'end', wakes: true },
  quarantineJob: { access: 'write', fenced: false, subject: 'job', ownership: 'revoke', wakes: false },
  listRecoverableJobs: { access: 'read', fenced: false, subject: 'all', ownership: null, wakes: false },
  getJob: { access: 'read', fenced: false, subject: 'job', ownership: null, wakes: false },
  readEvents: { access: 'read', fenced: false, subject: 'job', ownership: null, wakes: false },
} as const satisfies Readonly<Record<StoreOperationName, StoreOperation>>;

/** The store operations' names, in table order. */
export const storeOperationNames = Object.keys(storeOperations) as StoreOperationName[];

/** True when `name` is a store operation's. */
export function isStoreOperationName(name: string): name is StoreOperationName {
  return Object.hasOwn(storeOperations, name);
}

/** The names of the operations whose row passes `test`, in table order. */
export function storeOperationsWhere(test: (operation: StoreOperation) => boolean): StoreOperationName[] {
  return storeOperationNames.filter((name) => test(storeOperations[name]));
}

/**
 * What a call of `name` with `args` is about: its job id, `job/index` for a chunk's write, `*` for
 * a listing.
 */
export function storeCallSubject(name: StoreOperationName, args: readonly unknown[]): string {
  const { subject } = storeOperations[name];
  if (subject === 'all') return '*';
  const [first] = args;
  if (typeof first === 'string') return first;
  const request = first as { readonly jobId: string; readonly index?: number };
  return subject === 'chunk' ? `${request.jobId}/${String(request.index)}` : request.jobId;
}

/** For each store effect of the machine: the operation that performs it and the request it sends. */
interface StoreWriteTypes {
  record_plan: { readonly op: 'recordChunkPlan'; readonly request: operations.PlanRequest };
  record_recreated: { readonly op: 'recordChunkRecreated'; readonly request: operations.RecreatedRequest };
  mark_resumed: { readonly op: 'markResumed'; readonly request: operations.Fenced };
  commit: { readonly op: 'commitChunk'; readonly request: operations.CommitRequest };
  complete: { readonly op: 'completeJob'; readonly request: operations.Fenced };
  fail: { readonly op: 'failJob'; readonly request: operations.FailRequest };
}

/** The machine's store effects' types. */
export type StoreWriteType = keyof StoreWriteTypes;

/** One row of {@link storeWrites}. */
export interface StoreWrite<T extends StoreWriteType> {
  readonly op: StoreWriteTypes[T]['op'];
  /** The request the effect sends, given the fencing fields of the holder's lease. */
  readonly request: (
    effect: Extract<StoreEffect, { readonly type: T }>,
    fencing: operations.Fenced,
  ) => StoreWriteTypes[T]['request'];
  /** The pure operation the store runs for the request (src/core/operations.ts). */
  readonly apply: (job: Job | null, request: StoreWriteTypes[T]['request'], nowMs: number) => operations.Outcome;
}

/** The operation name and request of each store effect, and the pure operation behind it. */
export const storeWrites: { readonly [T in StoreWriteType]: StoreWrite<T> } = {
  record_plan: {
    op: 'recordChunkPlan',
    request: (effect, fencing) => ({ ...fencing, durationMs: effect.durationMs, chunks: effect.chunks }),
    apply: operations.recordPlan,
  },
  record_recreated: {
    op: 'recordChunkRecreated',
    request: (effect, fencing) => ({
      ...fencing,
      index: effect.index,
      reason: effect.reason,
      bytes: effect.bytes,
      sha256: effect.sha256,
    }),
    apply: operations.recordRecreated,
  },
  mark_resumed: { op: 'markResumed', request: (_effect, fencing) => fencing, apply: operations.markResumed },
  commit: {
    op: 'commitChunk',
    // Spelled out rather than spread: a commit's request is built twice per chunk, and a spread costs more.
    request: ({ index, transcript }, { jobId, workerId, epoch, requestId }) => ({
      jobId,
      workerId,
      epoch,
      requestId,
      index,
      transcript,
    }),
    apply: operations.commit,
  },
  complete: { op: 'completeJob', request: (_effect, fencing) => fencing, apply: operations.complete },
  fail: {
    op: 'failJob',
    request: (effect, fencing) => ({
      ...fencing,
      reason: effect.reason,
      message: effect.message,
      chunkIndex: effect.chunkIndex,
      retryable: effect.retryable,
    }),
    apply: operations.fail,
  },
};

/** True for the types of the machine's effects that write to the store. */
export function isStoreWriteType(type: string): type is StoreWriteType {
  return Object.hasOwn(storeWrites, type);
}

/** True for the machine's effects that write to the store. */
export function isStoreEffect(effect: Effect): effect is StoreEffect {
  return isStoreWriteType(effect.type);
}

/** The row of `effect`'s type: the table pairs each effect type with its own row, and this reads the pairing. */
function storeWriteOf(effect: StoreEffect): StoreWrite<StoreWriteType> {
  assert(isStoreWriteType(effect.type), `${String(effect.type)} is not a store effect`);
  return storeWrites[effect.type] as unknown as StoreWrite<StoreWriteType>;
}

/** The store operation that performs `effect`, and the request it sends under `fencing`. */
export function storeWriteRequest(
  effect: StoreEffect,
  fencing: operations.Fenced,
): { readonly op: StoreWriteTypes[StoreWriteType]['op']; readonly request: operations.Fenced } {
  const row = storeWriteOf(effect);
  return { op: row.op, request: row.request(effect as never, fencing) };
}

/** Applies `effect` to `job` with the pure operation the store runs for it. */
export function replayStoreWrite(
  job: Job,
  effect: StoreEffect,
  fencing: operations.Fenced,
  nowMs: number,
): operations.Outcome {
  const row = storeWriteOf(effect);
  return row.apply(job, row.request(effect as never, fencing) as never, nowMs);
}
