/**
 * The JobAdmin contract (src/admin.ts): every implementation of the operator's port, on the store it administers,
 * lists and counts jobs, assembles a completed job's transcript in chunk order, retries a failed job as a new attempt
 * that the next claim recovers, cancels an unfinished job so that the worker holding its lease has its next fenced
 * write refused, and removes a job's keys (refusing a valid lease unless forced). Every write appends valid events
 * with gapless seqs, and a write retried under its request id is applied once.
 */
import { describe, expect, it } from 'vitest';
import type { JobAdmin } from '../../src/admin.js';
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import type { JobStore } from '../../src/ports.js';
import { chunkPlan, type ManualClock } from './job-store.contract.js';

/** What one test of the contract runs on. */
export interface AdminSubject {
  readonly store: JobStore;
  readonly admin: JobAdmin;
  readonly clock: ManualClock;
  cleanup(): Promise<void>;
}

const leaseMs = 10_000;
const attemptsMax = 3;
const actor = 'operator@test';

/** Runs the JobAdmin contract against subjects made by `make`. */
export function jobAdminContract(name: string, make: () => Promise<AdminSubject>): void {
  describe(`JobAdmin contract: ${name}`, () => {
    const withSubject = (body: (subject: AdminSubject) => Promise<void>) => async () => {
      const subject = await make();
      try {
        await body(subject);
      } finally {
        await subject.cleanup();
      }
    };

    const create = async ({ store, clock }: AdminSubject, jobId: string) => {
      await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
      clock.advance(1);
    };

    /** Claims `jobId` as `workerId` and plans `chunks` chunks; the epoch of the lease. */
    const start = async ({ store }: AdminSubject, jobId: string, workerId: string, chunks: number) => {
      const claimed = await store.claimJob({
        jobId,
        workerId,
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: `${workerId}-claim-${jobId}`,
      });
      if (claimed.kind !== 'ok') throw new Error(`claim of ${jobId}: ${claimed.kind}`);
      const epoch = claimed.job.epoch;
      const fenced = { jobId, workerId, epoch };
      if (chunks > 0) {
        const planned = await store.recordChunkPlan({
          ...fenced,
          requestId: `${workerId}-plan-${epoch}`,
          durationMs: chunks * 1_000,
          chunks: chunkPlan(chunks),
        });
        expect(planned.kind).toBe('ok');
      }
      return fenced;
    };

    const expectGapless = (events: readonly JobEvent[]) => {
      events.forEach((event, position) => {
        expect(parseEvent(event)).toEqual(event);
        expect(event.seq).toBe(position + 1);
      });
    };

    it(
      'lists newest first, filters by state, cuts at the limit, and counts per phase',
      withSubject(async (subject) => {
        const { admin, store } = subject;
        for (const jobId of ['job-a', 'job-b', 'job-c']) await create(subject, jobId);
        const fenced = await start(subject, 'job-b', 'w1', 0);
        expect((await admin.list()).map((job) => job.jobId)).toEqual(['job-c', 'job-b', 'job-a']);
        expect((await admin.list({ state: 'queued' })).map((job) => job.jobId)).toEqual(['job-c', 'job-a']);
        expect((await admin.list({ limit: 1 })).map((job) => job.jobId)).toEqual(['job-c']);
        const leased = (await admin.list({ state: 'chunking' }))[0];
        expect(leased).toMatchObject({ jobId: 'job-b', phase: 'chunking', owner: 'w1', epoch: 1, recoveries: 0 });
        expect(leased !== undefined && 'leaseExpiresAtMs' in leased && leased.leaseExpiresAtMs).toBe(
          (await admin.now()) + leaseMs,
        );
        await store.failJob({ ...fenced, requestId: 'w1-fail', reason: 'media_invalid', message: 'not audio' });
        expect(await admin.counts()).toEqual({
          queued: 2,
          chunking: 0,
          transcribing: 0,
          finalizing: 0,
          completed: 0,
          failed: 1,
          corrupt: 0,
        });
        expect((await admin.list({ state: 'failed' }))[0]).toMatchObject({
          failure: { reason: 'media_invalid', message: 'not audio' },
        });
        await expect(admin.list({ limit: 0 })).rejects.toThrow(RangeError);
      }),
    );

    it(
      'result: the transcript of a completed job in chunk order; not_found and not_completed otherwise',
      withSubject(async (subject) => {
        const { admin, store } = subject;
        expect(await admin.result('job-none')).toEqual({ kind: 'not_found' });
        await create(subject, 'job-r');
        expect(await admin.result('job-r')).toEqual({ kind: 'not_completed', phase: 'queued' });
        const fenced = await start(subject, 'job-r', 'w1', 3);
        for (const index of [2, 0, 1])
          await store.commitChunk({ ...fenced, requestId: `commit-${index}`, index, transcript: `text ${index}` });
        expect(await admin.result('job-r')).toEqual({ kind: 'not_completed', phase: 'finalizing' });
        expect(await store.completeJob({ ...fenced, requestId: 'complete' })).toMatchObject({ kind: 'ok' });
        const result = await admin.result('job-r');
        expect(result).toMatchObject({ kind: 'ok', jobId: 'job-r', transcript: 'text 0 text 1 text 2' });
        expect(result.kind === 'ok' && result.chunks.map((chunk) => [chunk.index, chunk.text])).toEqual([
          [0, 'text 0'],
          [1, 'text 1'],
          [2, 'text 2'],
        ]);
      }),
    );

    it(
      'retry: a failed job resumes where its chunks say, released under a new epoch, and the next claim recovers it',
      withSubject(async (subject) => {
        const { admin, store } = subject;
        await create(subject, 'job-t');
        expect(await admin.retry({ jobId: 'job-t', actor, requestId: 'retry-0' })).toMatchObject({
          kind: 'invalid_state',
          phase: 'queued',
        });
        expect(await admin.retry({ jobId: 'job-none', actor, requestId: 'retry-0' })).toEqual({ kind: 'not_found' });
        const fenced = await start(subject, 'job-t', 'w1', 2);
        await store.commitChunk({ ...fenced, requestId: 'commit-0', index: 0, transcript: 'kept' });
        await store.failJob({
          ...fenced,
          requestId: 'fail',
          reason: 'transcription_failed',
          message: 'API down',
          chunkIndex: 1,
          retryable: true,
        });
        const eventsBefore = (await store.readEvents('job-t')).length;
        const retried = await admin.retry({ jobId: 'job-t', actor, requestId: 'retry-1', message: 'API is back' });
        expect(retried).toMatchObject({ kind: 'ok', duplicate: false, previousOwner: 'w1' });
        const job = await store.getJob('job-t');
        expect(job).toMatchObject({
          phase: 'transcribing',
          epoch: 2,
          owner: actor,
          leaseExpiresAtMs: 0,
          failure: null,
          recovery: { attempts: 0, open: false },
        });
        expect(job?.chunks.map((chunk) => chunk.transcript)).toEqual(['kept', null]);
        const events = await store.readEvents('job-t');
        expectGapless(events);
        expect(events.slice(eventsBefore)).toMatchObject([
          {
            event: 'job_retried',
            worker_id: actor,
            epoch: 2,
            recovery: false,
            previous_reason: 'transcription_failed',
            phase: 'transcribing',
            message: 'API is back',
          },
        ]);
        // The same request again is applied once.
        expect(await admin.retry({ jobId: 'job-t', actor, requestId: 'retry-1' })).toMatchObject({
          kind: 'ok',
          duplicate: true,
        });
        expect(await store.readEvents('job-t')).toHaveLength(events.length);
        expect(await store.listRecoverableJobs(10)).toContain('job-t');
        expect((await admin.list({ state: 'transcribing' })).map((summary) => summary.jobId)).toEqual(['job-t']);
        const claimed = await store.claimJob({
          jobId: 'job-t',
          workerId: 'w2',
          leaseMs,
          recoveryAttemptsMax: attemptsMax,
          requestId: 'w2-claim',
        });
        expect(claimed).toMatchObject({ kind: 'ok', recovery: true, job: { epoch: 3, owner: 'w2' } });
        expect((await store.readEvents('job-t')).at(-1)).toMatchObject({
          event: 'recovery_started',
          recovery_type: 'released',
          previous_owner: actor,
          attempt: 1,
        });
        // The old owner is fenced out.
        expect(await store.commitChunk({ ...fenced, requestId: 'late', index: 1, transcript: 'late' })).toMatchObject({
          kind: 'stale_epoch',
        });
        expect(await admin.retry({ jobId: 'job-t', actor, requestId: 'retry-2' })).toMatchObject({
          kind: 'invalid_state',
          phase: 'transcribing',
        });
      }),
    );

    it(
      'retry of a job that failed before its plan goes back to chunking; of one out of recoveries, with none counted',
      withSubject(async (subject) => {
        const { admin, store, clock } = subject;
        await create(subject, 'job-x');
        await start(subject, 'job-x', 'w0', 0);
        for (let owner = 1; owner <= attemptsMax + 1; owner += 1) {
          clock.advance(leaseMs + 1);
          await store.claimJob({
            jobId: 'job-x',
            workerId: `w${owner}`,
            leaseMs,
            recoveryAttemptsMax: attemptsMax,
            requestId: `claim-${owner}`,
          });
        }
        expect(await store.getJob('job-x')).toMatchObject({
          phase: 'failed',
          failure: { reason: 'recovery_attempts_exhausted' },
        });
        expect(await admin.retry({ jobId: 'job-x', actor, requestId: 'retry' })).toMatchObject({
          kind: 'ok',
          job: { phase: 'chunking', recovery: { attempts: 0 } },
        });
        expect(
          await store.claimJob({
            jobId: 'job-x',
            workerId: 'w9',
            leaseMs,
            recoveryAttemptsMax: attemptsMax,
            requestId: 'claim-9',
          }),
        ).toMatchObject({ kind: 'ok', recovery: true, job: { phase: 'chunking', recovery: { attempts: 1 } } });
        expectGapless(await store.readEvents('job-x'));
      }),
    );

    it(
      'cancel: a leased job fails under a new epoch; its holder is refused at its next write and renewal',
      withSubject(async (subject) => {
        const { admin, store } = subject;
        await create(subject, 'job-c');
        const fenced = await start(subject, 'job-c', 'w1', 2);
        const cancelled = await admin.cancel({ jobId: 'job-c', actor, requestId: 'cancel-1', message: 'wrong file' });
        expect(cancelled).toMatchObject({ kind: 'ok', duplicate: false, previousOwner: 'w1' });
        expect(cancelled.kind === 'ok' && cancelled.previousLeaseExpiresAtMs).toBeGreaterThan(await admin.now());
        expect(await store.getJob('job-c')).toMatchObject({
          phase: 'failed',
          epoch: 2,
          owner: actor,
          leaseExpiresAtMs: 0,
          failure: { reason: 'cancelled', message: `cancelled by ${actor}: wrong file` },
        });
        const events = await store.readEvents('job-c');
        expectGapless(events);
        expect(events.slice(-2)).toMatchObject([
          { event: 'job_cancelled', phase: 'transcribing', previous_owner: 'w1', epoch: 2, worker_id: actor },
          { event: 'job_failed', message: `cancelled by ${actor}: wrong file`, epoch: 2 },
        ]);
        expect(await store.commitChunk({ ...fenced, requestId: 'late', index: 0, transcript: 'x' })).toEqual({
          kind: 'stale_epoch',
          epoch: 2,
        });
        expect(await store.renewLease({ ...fenced, leaseMs })).toMatchObject({ kind: 'stale_epoch' });
        expect(await store.listRecoverableJobs(10)).not.toContain('job-c');
        expect(await admin.cancel({ jobId: 'job-c', actor, requestId: 'cancel-1' })).toMatchObject({
          kind: 'ok',
          duplicate: true,
        });
        expect(await admin.cancel({ jobId: 'job-c', actor, requestId: 'cancel-2' })).toMatchObject({
          kind: 'invalid_state',
          phase: 'failed',
        });
        expect(await admin.cancel({ jobId: 'job-none', actor, requestId: 'c' })).toEqual({ kind: 'not_found' });
        // A cancelled job can be retried.
        expect(await admin.retry({ jobId: 'job-c', actor, requestId: 'retry' })).toMatchObject({
          kind: 'ok',
          job: { phase: 'transcribing', epoch: 3 },
        });
      }),
    );

    it(
      'cancel of a queued job, and of one in a recovery (which it closes)',
      withSubject(async (subject) => {
        const { admin, store, clock } = subject;
        await create(subject, 'job-q');
        expect(await admin.cancel({ jobId: 'job-q', actor, requestId: 'c1' })).toMatchObject({
          kind: 'ok',
          previousOwner: null,
          job: { phase: 'failed', epoch: 1, owner: actor },
        });
        expect(await store.readEvents('job-q')).toMatchObject([{ event: 'job_cancelled' }, { event: 'job_failed' }]);
        expect(await store.listRecoverableJobs(10)).not.toContain('job-q');
        await create(subject, 'job-r');
        await start(subject, 'job-r', 'w1', 1);
        clock.advance(leaseMs + 1);
        await store.claimJob({ jobId: 'job-r', workerId: 'w2', leaseMs, recoveryAttemptsMax: 3, requestId: 'w2c' });
        await admin.cancel({ jobId: 'job-r', actor, requestId: 'c2' });
        const events = await store.readEvents('job-r');
        expectGapless(events);
        expect(events.slice(-3)).toMatchObject([
          { event: 'job_cancelled', recovery: true, epoch: 3 },
          { event: 'job_failed', recovery: true },
          { event: 'recovery_failed', recovery_result: 'job_failed', attempt: 1, reason: 'cancelled' },
        ]);
        expect(await store.getJob('job-r')).toMatchObject({ recovery: { open: false } });
      }),
    );

    it(
      'remove: refuses a valid lease unless forced, deletes state and events, and the job is gone from every list',
      withSubject(async (subject) => {
        const { admin, store, clock } = subject;
        expect(await admin.remove({ jobId: 'job-none' })).toEqual({ kind: 'not_found' });
        await create(subject, 'job-l');
        const fenced = await start(subject, 'job-l', 'w1', 1);
        expect(await admin.remove({ jobId: 'job-l' })).toEqual({
          kind: 'leased',
          owner: 'w1',
          leaseExpiresAtMs: (await admin.now()) + leaseMs,
        });
        expect(await admin.remove({ jobId: 'job-l', force: true })).toEqual({ kind: 'ok' });
        expect(await store.getJob('job-l')).toBeNull();
        expect(await store.readEvents('job-l')).toEqual([]);
        expect(await admin.list()).toEqual([]);
        expect(await store.commitChunk({ ...fenced, requestId: 'late', index: 0, transcript: 'x' })).toEqual({
          kind: 'not_found',
        });
        await create(subject, 'job-s');
        await start(subject, 'job-s', 'w1', 0);
        clock.advance(leaseMs + 1);
        expect(await admin.remove({ jobId: 'job-s' })).toEqual({ kind: 'ok' });
        expect(await store.listRecoverableJobs(10)).not.toContain('job-s');
        expect(await admin.remove({ jobId: 'job-s' })).toEqual({ kind: 'not_found' });
      }),
    );
  });
}
