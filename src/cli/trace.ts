/**
 * `chunkwise worker --trace-store`: the job store, reporting each lease grant, renewal and chunk
 * commit it acknowledged and each release about to be sent, as lines the live chaos run reads to
 * judge lease ownership from the store's own replies.
 */
import type { Clock, JobStore } from '../ports.js';
import { systemClock } from '../runtime/clock.js';

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
  return {
    createJob: (request) => store.createJob(request),
    claimJob: async (request) => {
      const result = await store.claimJob(request);
      if (result.kind === 'ok' || result.kind === 'exhausted') {
        report({
          op: 'claimJob',
          jobId: request.jobId,
          result: result.kind,
          epoch: result.job.epoch,
          leaseExpiresAtMs: result.job.leaseExpiresAtMs,
          recovery: result.kind === 'ok' && result.recovery,
          duplicate: result.kind === 'ok' && result.duplicate,
        });
      }
      return result;
    },
    renewLease: async (request) => {
      const result = await store.renewLease(request);
      if (result.kind === 'ok')
        report({
          op: 'renewLease',
          jobId: request.jobId,
          epoch: request.epoch,
          leaseExpiresAtMs: result.leaseExpiresAtMs,
        });
      return result;
    },
    commitChunk: async (request) => {
      const result = await store.commitChunk(request);
      if (result.kind === 'ok')
        report({
          op: 'commitChunk',
          jobId: request.jobId,
          index: request.index,
          epoch: request.epoch,
          duplicate: result.duplicate,
        });
      return result;
    },
    recordChunkPlan: (request) => store.recordChunkPlan(request),
    recordChunkRecreated: (request) => store.recordChunkRecreated(request),
    markResumed: (request) => store.markResumed(request),
    completeJob: (request) => store.completeJob(request),
    failJob: (request) => store.failJob(request),
    releaseJob: (request) => {
      report({ op: 'releaseJob', jobId: request.jobId, epoch: request.epoch, sentAtMs: clock.now() });
      return store.releaseJob(request);
    },
    quarantineJob: (request) => store.quarantineJob(request),
    listRecoverableJobs: (limit) => store.listRecoverableJobs(limit),
    getJob: (jobId) => store.getJob(jobId),
    readEvents: (jobId, fromSeq) => store.readEvents(jobId, fromSeq),
  };
}
