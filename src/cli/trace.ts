/**
 * `chunkwise worker --trace-store`: the job store, reporting each lease grant, renewal and chunk
 * commit it acknowledged and each release about to be sent, as lines the live chaos run reads to
 * judge lease ownership from the store's own replies.
 */
import type { StoreOperationName } from '../core/store-operations.js';
import type { Clock, JobStore } from '../ports.js';
import { systemClock } from '../runtime/clock.js';
import { decorateStore, type StoreArgs, type StoreResult } from '../runtime/decorate-store.js';

/**
 * One `--trace-store` line: a lease grant, renewal or chunk commit the store acknowledged (its
 * lease expiries are the store's clock, in ms), or a release about to be sent (`sentAtMs`, the
 * worker's clock: the release, if applied, happened after it).
 */
export type StoreTraceLine =
  | {
      readonly op: 'claimJob';
      readonly jobId: string;
      readonly result: 'ok' | 'exhausted';
      readonly epoch: number;
      readonly leaseExpiresAtMs: number;
      readonly recovery: boolean;
      readonly duplicate: boolean;
    }
  | { readonly op: 'renewLease'; readonly jobId: string; readonly epoch: number; readonly leaseExpiresAtMs: number }
  | {
      readonly op: 'commitChunk';
      readonly jobId: string;
      readonly index: number;
      readonly epoch: number;
      readonly duplicate: boolean;
    }
  | { readonly op: 'releaseJob'; readonly jobId: string; readonly epoch: number; readonly sentAtMs: number };

/**
 * The store, reporting each lease grant, renewal and chunk commit it acknowledged, after the reply
 * arrived and before the worker sees it (refusals and failed calls are not reported), and each
 * release before it is sent.
 */
export function tracingStore(
  store: JobStore,
  report: (line: StoreTraceLine) => void,
  clock: Pick<Clock, 'now'> = systemClock,
): JobStore {
  return decorateStore(store, (name, args, proceed) => {
    const call = { name, args } as StoreCall;
    if (call.name === 'releaseJob') {
      const [{ jobId, epoch }] = call.args;
      report({ op: 'releaseJob', jobId, epoch, sentAtMs: clock.now() });
    }
    return proceed().then((result) => {
      const line = traceLine(call, result);
      if (line !== undefined) report(line);
      return result;
    });
  });
}

/** One store call, its name and arguments typed together. */
type StoreCall = { [K in StoreOperationName]: { readonly name: K; readonly args: StoreArgs<K> } }[StoreOperationName];

/** The line an acknowledged grant, renewal or commit reports, if `call` was one. */
function traceLine(call: StoreCall, result: unknown): StoreTraceLine | undefined {
  switch (call.name) {
    case 'claimJob': {
      const claimed = result as StoreResult<'claimJob'>;
      if (claimed.kind !== 'ok' && claimed.kind !== 'exhausted') return undefined;
      return {
        op: 'claimJob',
        jobId: call.args[0].jobId,
        result: claimed.kind,
        epoch: claimed.job.epoch,
        leaseExpiresAtMs: claimed.job.leaseExpiresAtMs,
        recovery: claimed.kind === 'ok' && claimed.recovery,
        duplicate: claimed.kind === 'ok' && claimed.duplicate,
      };
    }
    case 'renewLease': {
      const renewed = result as StoreResult<'renewLease'>;
      if (renewed.kind !== 'ok') return undefined;
      const [{ jobId, epoch }] = call.args;
      return { op: 'renewLease', jobId, epoch, leaseExpiresAtMs: renewed.leaseExpiresAtMs };
    }
    case 'commitChunk': {
      const committed = result as StoreResult<'commitChunk'>;
      if (committed.kind !== 'ok') return undefined;
      const [{ jobId, index, epoch }] = call.args;
      return { op: 'commitChunk', jobId, index, epoch, duplicate: committed.duplicate };
    }
    default:
      return undefined;
  }
}
