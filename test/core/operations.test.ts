/**
 * The store operations of operations.ts, one describe per operation: its happy path, the order of its checks
 * (existence → duplicate → fencing → terminal → preconditions), what every refusal returns with its detail, its
 * boundaries, and the state and events every applied write produces. The properties over random sequences of every
 * operation are in operations.property.test.ts; the validation of requests (requests.ts) in requests.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import { messageCharsMax } from '../../src/core/limits.js';
import * as operations from '../../src/core/operations.js';
import type { Job } from '../../src/core/types.js';
import {
  applied,
  attemptsMax,
  chunkingJob,
  extractedPlan,
  freshRequestId,
  jobId,
  leaseMs,
  ownerFence,
  queuedJob,
  recovered,
  sha,
  transcribingJob,
} from './support.js';

function names(events: readonly { event: string }[]): string[] {
  return events.map((event) => event.event);
}

function claimRequest(
  workerId: string,
  requestId = freshRequestId(),
  recoveryAttemptsMax = attemptsMax,
): operations.ClaimRequest {
  return { jobId, workerId, leaseMs, recoveryAttemptsMax, requestId };
}

/** `job` with the chunks of `order` committed in that order, chunk i with the transcript `t<i>`. */
function committedInOrder(job: Job, order: readonly number[]): Job {
  let next = job;
  for (const index of order)
    next = applied(operations.commit(next, { ...ownerFence(next), index, transcript: `t${index}` }, 10 + index)).job;
  return next;
}

describe('create', () => {
  it('creates a queued job, accepts the same job again as a duplicate, and refuses a different one under the same id', () => {
    const request = { jobId, source: '/a.wav', chunkLengthMs: 2_000 };
    const created = applied(operations.create(null, request, 7)).job;
    expect(created).toMatchObject({
      id: jobId,
      phase: 'queued',
      epoch: 0,
      owner: null,
      nextSeq: 1,
      chunkLengthMs: 2_000,
      createdAtMs: 7,
      updatedAtMs: 7,
    });
    expect(operations.create(created, request, 9)).toEqual({ kind: 'ok', job: created, events: [], duplicate: true });
    expect(operations.create(created, { ...request, source: '/b.wav' }, 9)).toEqual({ kind: 'already_exists' });
    expect(operations.create(created, { ...request, chunkLengthMs: 3_000 }, 9)).toEqual({ kind: 'already_exists' });
  });

  it('newJob starts a job queued, unleased, with no recovery, failure or transcript', () => {
    expect(operations.newJob({ jobId, source: '/a.wav', chunkLengthMs: 2_000 }, 42)).toEqual({
      id: jobId,
      source: '/a.wav',
      chunkLengthMs: 2_000,
      durationMs: null,
      phase: 'queued',
      epoch: 0,
      owner: null,
      leaseExpiresAtMs: 0,
      chunks: [],
      recovery: { attempts: 0, handovers: 0, open: false, startedAtMs: 0, resumed: false, recreatedChunks: 0 },
      failure: null,
      transcript: null,
      nextSeq: 1,
      lastRequestId: null,
      createdAtMs: 42,
      updatedAtMs: 42,
    });
  });
});

describe('claim', () => {
  it('refuses a missing job, a terminal job and a leased job', () => {
    expect(operations.claim(null, claimRequest('w1'), 0)).toEqual({ kind: 'not_found' });
    const claimed = chunkingJob('w1', 0);
    expect(operations.claim(claimed, claimRequest('w2'), leaseMs - 1)).toEqual({
      kind: 'not_claimable',
      reason: 'leased',
    });
    const finalizing = transcribingJob(1, [0]);
    const completed = applied(operations.complete(finalizing, ownerFence(finalizing), 1)).job;
    expect(operations.claim(completed, claimRequest('w2'), 10 * leaseMs)).toEqual({
      kind: 'not_claimable',
      reason: 'terminal',
    });
  });

  it('refuses the current owner with a new request while its own lease is valid (only a retry of the same request is a duplicate)', () => {
    const job = chunkingJob('w1', 0);
    expect(operations.claim(job, claimRequest('w1'), leaseMs - 1)).toEqual({ kind: 'not_claimable', reason: 'leased' });
  });

  it('grants a queued job without events and a new epoch; a retried claim is a duplicate even once the lease ran out', () => {
    const requestId = freshRequestId();
    const outcome = operations.claim(queuedJob(), claimRequest('w1', requestId), 100);
    expect(outcome).toMatchObject({
      kind: 'ok',
      duplicate: false,
      events: [],
      job: { phase: 'chunking', epoch: 1, owner: 'w1', leaseExpiresAtMs: 100 + leaseMs },
    });
    const job = applied(outcome).job;
    expect(operations.claim(job, claimRequest('w1', requestId), 100 + 5 * leaseMs)).toEqual({
      kind: 'ok',
      job,
      events: [],
      duplicate: true,
    });
    expect(operations.claim(job, claimRequest('w2', requestId), 100 + 5 * leaseMs)).toMatchObject({
      kind: 'ok',
      duplicate: false,
      job: { owner: 'w2' },
    });
  });

  it('grants a job whose lease expired as a recovery (lease_expired), and closes an open recovery left by its owner first', () => {
    const first = recovered(transcribingJob(3, [0]), 'w2');
    expect(first.recovery).toMatchObject({ attempts: 1, open: true, resumed: false, recreatedChunks: 0 });
    const second = operations.claim(first, claimRequest('w3'), first.leaseExpiresAtMs);
    const { job, events } = applied(second);
    expect(names(events)).toEqual(['recovery_failed', 'recovery_started']);
    expect(events[0]).toMatchObject({
      recovery_result: 'owner_lost',
      attempt: 1,
      reason: 'owner_lost',
      worker_id: 'w3',
      epoch: 3,
      recovery: true,
    });
    expect(events[1]).toMatchObject({
      recovery_type: 'lease_expired',
      attempt: 2,
      previous_owner: 'w2',
      phase: 'transcribing',
      worker_id: 'w3',
      epoch: 3,
    });
    expect(job).toMatchObject({
      epoch: 3,
      owner: 'w3',
      recovery: { attempts: 2, open: true, startedAtMs: first.leaseExpiresAtMs },
    });
  });

  it('grants the current owner with a new request a recovery with a new epoch once its own lease ran out', () => {
    const job = transcribingJob(2);
    const outcome = applied(operations.claim(job, claimRequest('w1'), job.leaseExpiresAtMs + 1));
    expect(outcome.job).toMatchObject({ epoch: 2, owner: 'w1', recovery: { attempts: 1, open: true } });
    expect(outcome.events).toMatchObject([{ event: 'recovery_started', previous_owner: 'w1', epoch: 2 }]);
  });

  it('grants a released job at once as a recovery of type released', () => {
    const job = transcribingJob(2);
    const released = applied(operations.release(job, ownerFence(job), 50)).job;
    expect(released.leaseExpiresAtMs).toBe(0);
    const { events } = applied(operations.claim(released, claimRequest('w2'), 51));
    expect(events).toMatchObject([
      {
        event: 'recovery_started',
        recovery_type: 'released',
        previous_owner: 'w1',
        message: expect.stringContaining('released by w1'),
      },
    ]);
  });

  it('says in recovery_started whose lease expired, or who released the job', () => {
    const expired = transcribingJob(2);
    const { events } = applied(operations.claim(expired, claimRequest('w2'), expired.leaseExpiresAtMs + 1));
    expect(events[0]).toMatchObject({ message: 'recovering job job-1 from phase transcribing: lease expired for w1' });
    const released = applied(operations.release(expired, ownerFence(expired), 5)).job;
    const claimed = applied(operations.claim(released, claimRequest('w2'), 6));
    expect(claimed.events[0]).toMatchObject({
      message: 'recovering job job-1 from phase transcribing: released by w1',
    });
  });

  it('fails the job with recovery_attempts_exhausted once the recoveries reached the maximum, closing an open recovery', () => {
    const once = recovered(transcribingJob(2), 'w2', 1);
    const outcome = operations.claim(once, claimRequest('w3', freshRequestId(), 1), once.leaseExpiresAtMs + 1);
    expect(outcome.kind).toBe('exhausted');
    const { job, events } = applied(outcome);
    expect(names(events)).toEqual(['recovery_failed', 'job_failed']);
    expect(events[1]).toMatchObject({
      reason: 'recovery_attempts_exhausted',
      worker_id: 'w3',
      epoch: 3,
      recovery: true,
    });
    expect(job).toMatchObject({
      phase: 'failed',
      owner: 'w3',
      epoch: 3,
      leaseExpiresAtMs: 0,
      failure: { reason: 'recovery_attempts_exhausted' },
      recovery: { open: false },
    });
  });

  it('fails with recovery_attempts_exhausted without a recovery_failed when no recovery is open (a state only a tampered record has)', () => {
    const once = recovered(transcribingJob(2), 'w2', 1);
    const resumed = applied(operations.markResumed(once, ownerFence(once), once.updatedAtMs)).job;
    const closed = applied(operations.commit(resumed, { ...ownerFence(resumed), index: 0, transcript: 'a' }, 1)).job;
    const reopened = { ...closed, recovery: { ...closed.recovery, open: false } };
    const { events } = applied(
      operations.claim(reopened, claimRequest('w3', freshRequestId(), 1), closed.leaseExpiresAtMs + 1),
    );
    expect(names(events)).toEqual(['job_failed']);
  });

  it('says in recovery_failed and job_failed which owner stopped during which attempt, and why the job was abandoned', () => {
    const first = recovered(transcribingJob(2), 'w2', 1);
    const { events } = applied(
      operations.claim(first, claimRequest('w3', freshRequestId(), 1), first.leaseExpiresAtMs + 1),
    );
    expect(events).toMatchObject([
      { event: 'recovery_failed', message: 'owner w2 stopped before finishing recovery attempt 1' },
      {
        event: 'job_failed',
        message: 'job abandoned by its owner after 1 crash recoveries and 0 hand-overs (max 1 crash recoveries)',
      },
    ]);
  });

  it('counts a claim after a release as an attempt and a hand-over, with a new epoch, but not toward the maximum', () => {
    // recoveryAttemptsMax 1: a crash recovery, then hand-overs well past the maximum, then one crash too many.
    let job = recovered(transcribingJob(2), 'w2', 1);
    expect(job.recovery).toMatchObject({ attempts: 1, handovers: 0 });
    for (let handover = 1; handover <= 3; handover += 1) {
      const released = applied(operations.release(job, ownerFence(job), job.updatedAtMs + 1)).job;
      const outcome = operations.claim(
        released,
        claimRequest(`h${handover}`, freshRequestId(), 1),
        released.updatedAtMs,
      );
      expect(outcome.kind).toBe('ok');
      const { events } = applied(outcome);
      expect(events).toMatchObject([
        { event: 'recovery_failed', recovery_result: 'owner_lost', attempt: handover },
        { event: 'recovery_started', recovery_type: 'released', attempt: handover + 1, epoch: job.epoch + 1 },
      ]);
      job = applied(outcome).job;
      expect(job).toMatchObject({
        owner: `h${handover}`,
        epoch: handover + 2,
        recovery: { attempts: handover + 1, handovers: handover, open: true },
      });
    }
    const outcome = operations.claim(job, claimRequest('w9', freshRequestId(), 1), job.leaseExpiresAtMs + 1);
    expect(outcome.kind).toBe('exhausted');
    expect(applied(outcome).events).toMatchObject([
      { event: 'recovery_failed', recovery_result: 'owner_lost', attempt: 4 },
      {
        event: 'job_failed',
        reason: 'recovery_attempts_exhausted',
        message: 'job abandoned by its owner after 1 crash recoveries and 3 hand-overs (max 1 crash recoveries)',
      },
    ]);
    expect(applied(outcome).job.recovery).toMatchObject({ attempts: 4, handovers: 3, open: false });
  });

  it('hands a released job over even once the crash recoveries reached the maximum; the next crash exhausts it', () => {
    const atMax = recovered(recovered(transcribingJob(2), 'w2', 2), 'w3', 2);
    expect(atMax.recovery).toMatchObject({ attempts: 2, handovers: 0 });
    const released = applied(operations.release(atMax, ownerFence(atMax), atMax.updatedAtMs + 1)).job;
    const handedOver = applied(
      operations.claim(released, claimRequest('w4', freshRequestId(), 2), released.updatedAtMs),
    );
    expect(handedOver.job.recovery).toMatchObject({ attempts: 3, handovers: 1 });
    const crashed = operations.claim(
      handedOver.job,
      claimRequest('w5', freshRequestId(), 2),
      handedOver.job.leaseExpiresAtMs,
    );
    expect(crashed).toMatchObject({ kind: 'exhausted', job: { failure: { reason: 'recovery_attempts_exhausted' } } });
  });

  it('asserts that a started job being recovered has a previous owner', () => {
    const ownerless: Job = { ...transcribingJob(1), owner: null, leaseExpiresAtMs: 0 };
    expect(() => operations.claim(ownerless, claimRequest('w2'), 1)).toThrow(
      new AssertionError('job job-1 in phase transcribing has no previous owner'),
    );
  });
});

describe('renew', () => {
  it('extends the lease of its holder, never shortening it', () => {
    const job = chunkingJob('w1', 0);
    const request = { jobId, workerId: 'w1', epoch: 1, leaseMs: 10 };
    expect(operations.renew(job, request, 5)).toMatchObject({ kind: 'ok', job: { leaseExpiresAtMs: leaseMs } });
    expect(operations.renew(job, { ...request, leaseMs: 5_000 }, 500)).toMatchObject({
      kind: 'ok',
      events: [],
      job: { leaseExpiresAtMs: 5_500 },
    });
  });

  it('refuses a missing job, another epoch or owner, a released lease and a terminal job', () => {
    const job = chunkingJob('w1', 0);
    const request = { jobId, workerId: 'w1', epoch: 1, leaseMs };
    expect(operations.renew(null, request, 0)).toEqual({ kind: 'not_found' });
    expect(operations.renew(job, { ...request, epoch: 2 }, 0)).toEqual({ kind: 'stale_epoch', epoch: 1 });
    expect(operations.renew(job, { ...request, workerId: 'w2' }, 0)).toEqual({ kind: 'stale_epoch', epoch: 1 });
    const released = applied(operations.release(job, ownerFence(job), 1)).job;
    expect(operations.renew(released, request, 2)).toEqual({ kind: 'stale_epoch', epoch: 1 });
    const failed = applied(operations.fail(job, { ...ownerFence(job), reason: 'media_invalid', message: 'x' }, 1)).job;
    const leasedFailed: Job = { ...failed, leaseExpiresAtMs: 99 };
    expect(operations.renew(leasedFailed, request, 2)).toEqual({ kind: 'terminal', phase: 'failed' });
  });
});

describe('recordPlan', () => {
  it('moves chunking to transcribing with chunks_created and transcription_started', () => {
    const job = chunkingJob();
    const { job: planned, events } = applied(
      operations.recordPlan(job, { ...ownerFence(job), durationMs: 2_500, chunks: extractedPlan(2_500, 1_000) }, 3),
    );
    expect(names(events)).toEqual(['chunks_created', 'transcription_started']);
    expect(events[0]).toMatchObject({ total_chunks: 2, chunk_length_ms: 1_000, duration_ms: 2_500, seq: 1 });
    expect(planned).toMatchObject({ phase: 'transcribing', durationMs: 2_500, nextSeq: 3 });
    expect(planned.chunks.every((chunk) => chunk.transcript === null)).toBe(true);
  });

  it('refuses outside chunking and refuses a plan that is not contiguous and whole', () => {
    const transcribing = transcribingJob(2);
    expect(
      operations.recordPlan(
        transcribing,
        { ...ownerFence(transcribing), durationMs: 2_000, chunks: extractedPlan(2_000, 1_000) },
        1,
      ),
    ).toMatchObject({
      kind: 'invalid_state',
      phase: 'transcribing',
    });
    const job = chunkingJob();
    expect(operations.recordPlan(job, { ...ownerFence(job), durationMs: 2_000, chunks: [] }, 1)).toMatchObject({
      kind: 'invalid_state',
      detail: 'a chunk plan needs at least one chunk',
    });
  });

  it('names chunking as the phase a plan needs in its refusal', () => {
    const transcribing = transcribingJob(2);
    expect(
      operations.recordPlan(
        transcribing,
        { ...ownerFence(transcribing), durationMs: 2_000, chunks: extractedPlan(2_000, 1_000) },
        1,
      ),
    ).toEqual({
      kind: 'invalid_state',
      phase: 'transcribing',
      detail: 'chunks can be planned only while chunking',
    });
  });
});

describe('planProblem', () => {
  const plan = extractedPlan(3_000, 1_000);
  it.each<[string, typeof plan, number, string | undefined]>([
    ['a whole plan', plan, 3_000, undefined],
    ['a plan within 1 ms of the duration', plan, 3_000.9, undefined],
    ['no chunk', [], 3_000, 'a chunk plan needs at least one chunk'],
    [
      'an index out of place',
      plan.map((chunk) => (chunk.index === 1 ? { ...chunk, index: 2 } : chunk)),
      3_000,
      'chunk at position 1 has index 2',
    ],
    [
      'a gap',
      plan.map((chunk) => (chunk.index === 2 ? { ...chunk, startMs: 2_001 } : chunk)),
      3_000,
      'chunk 2 starts at 2001 ms, expected 2000',
    ],
    [
      'a zero duration',
      plan.map((chunk) => (chunk.index === 0 ? { ...chunk, durationMs: 0 } : chunk)),
      3_000,
      'chunk 0 has a non-positive duration',
    ],
    [
      'a NaN duration',
      plan.map((chunk) => (chunk.index === 0 ? { ...chunk, durationMs: Number.NaN } : chunk)),
      3_000,
      'chunk 0 has a non-positive duration',
    ],
    [
      'a negative size',
      plan.map((chunk) => (chunk.index === 1 ? { ...chunk, bytes: -1 } : chunk)),
      3_000,
      'chunk 1 has an invalid size',
    ],
    [
      'a fractional size',
      plan.map((chunk) => (chunk.index === 1 ? { ...chunk, bytes: 1.5 } : chunk)),
      3_000,
      'chunk 1 has an invalid size',
    ],
    [
      'a bad sha256',
      plan.map((chunk) => (chunk.index === 2 ? { ...chunk, sha256: 'F'.repeat(64) } : chunk)),
      3_000,
      'chunk 2 has an invalid sha256',
    ],
    ['a short cover', plan.slice(0, 2), 3_000, 'chunks cover 2000 ms of 3000 ms'],
    ['a long cover', plan, 2_000, 'chunks cover 3000 ms of 2000 ms'],
  ])('%s', (_label, chunks, durationMs, problem) => {
    expect(operations.planProblem(chunks, durationMs)).toBe(problem);
  });

  it('accepts an empty chunk file, a plan exactly 1 ms off the duration, and refuses 1.5 ms off', () => {
    expect(
      operations.planProblem(
        plan.map((chunk) => ({ ...chunk, bytes: 0 })),
        3_000,
      ),
    ).toBeUndefined();
    expect(operations.planProblem(plan, 3_001)).toBeUndefined();
    expect(operations.planProblem(plan, 2_999)).toBeUndefined();
    expect(operations.planProblem(plan, 3_001.5)).toBe('chunks cover 3000 ms of 3001.5 ms');
  });

  it('refuses a sha256 with anything before or after its 64 hex digits', () => {
    const withDigest = (sha256: string) =>
      plan.map((chunk, position) => (position === 1 ? { ...chunk, sha256 } : chunk));
    expect(operations.planProblem(withDigest(`x${sha(1)}`), 3_000)).toBe('chunk 1 has an invalid sha256');
    expect(operations.planProblem(withDigest(`${sha(1)}x`), 3_000)).toBe('chunk 1 has an invalid sha256');
  });
});

describe('recordRecreated', () => {
  it('records a new digest for a pending chunk with chunk_recreated, counting it only in an open recovery', () => {
    const job = transcribingJob(3, [0]);
    const request = { ...ownerFence(job), index: 2, reason: 'missing' as const, bytes: 77, sha256: sha('new') };
    const { job: after, events } = applied(operations.recordRecreated(job, request, 5));
    expect(events).toMatchObject([{ event: 'chunk_recreated', chunk_index: 2, reason: 'missing', recovery: false }]);
    expect(after.chunks[2]).toMatchObject({ bytes: 77, sha256: sha('new'), transcript: null });
    expect(after.recovery.recreatedChunks).toBe(0);
    const recovering = recovered(job);
    const { job: counted, events: recoveryEvents } = applied(
      operations.recordRecreated(recovering, { ...request, ...ownerFence(recovering) }, recovering.updatedAtMs),
    );
    expect(counted.recovery.recreatedChunks).toBe(1);
    expect(recoveryEvents[0]).toMatchObject({ recovery: true, worker_id: 'w2' });
  });

  it('refuses outside transcribing, for a chunk that does not exist, and for a committed chunk', () => {
    const job = transcribingJob(3, [0]);
    const request = { ...ownerFence(job), index: 0, reason: 'corrupt' as const, bytes: 1, sha256: sha(1) };
    expect(operations.recordRecreated(job, request, 1)).toEqual({ kind: 'already_committed', index: 0 });
    expect(operations.recordRecreated(job, { ...request, index: 3 }, 1)).toMatchObject({
      kind: 'invalid_state',
      detail: 'chunk 3 does not exist',
    });
    const chunking = chunkingJob();
    expect(operations.recordRecreated(chunking, { ...request, ...ownerFence(chunking) }, 1)).toMatchObject({
      kind: 'invalid_state',
      phase: 'chunking',
    });
  });

  it('names transcribing as the phase a re-extraction needs in its refusal', () => {
    const chunking = chunkingJob();
    const recreate = { ...ownerFence(chunking), index: 0, reason: 'missing' as const, bytes: 1, sha256: sha(1) };
    expect(operations.recordRecreated(chunking, recreate, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'chunks can be re-extracted only while transcribing',
    });
  });

  it('refuses a re-extraction in finalizing for its phase, not for its chunk', () => {
    const finalizing = transcribingJob(2, [0, 1]);
    const recreate = { ...ownerFence(finalizing), index: 0, reason: 'corrupt' as const, bytes: 1, sha256: sha(1) };
    expect(operations.recordRecreated(finalizing, recreate, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'finalizing',
      detail: 'chunks can be re-extracted only while transcribing',
    });
  });
});

describe('markResumed', () => {
  it('emits processing_resumed once per recovery attempt with the committed and remaining counts', () => {
    const job = recovered(transcribingJob(5, [0, 2]));
    const { job: resumed, events } = applied(operations.markResumed(job, ownerFence(job), job.updatedAtMs));
    expect(events).toMatchObject([
      { event: 'processing_resumed', completed_chunks: 2, remaining_chunks: 3, recovery: true },
    ]);
    expect(resumed.recovery.resumed).toBe(true);
    expect(operations.markResumed(resumed, ownerFence(resumed), resumed.updatedAtMs)).toEqual({
      kind: 'ok',
      job: resumed,
      events: [],
      duplicate: true,
    });
  });

  it('refuses outside transcribing and without an open recovery', () => {
    const job = transcribingJob(2);
    expect(operations.markResumed(job, ownerFence(job), 1)).toMatchObject({
      kind: 'invalid_state',
      detail: 'no recovery attempt is open',
    });
    const chunking = recovered(chunkingJob());
    expect(operations.markResumed(chunking, ownerFence(chunking), chunking.updatedAtMs)).toMatchObject({
      kind: 'invalid_state',
      phase: 'chunking',
    });
  });

  it('names transcribing as the phase a resume needs in its refusal', () => {
    const chunking = chunkingJob();
    expect(operations.markResumed(chunking, ownerFence(chunking), 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'processing resumes only while transcribing',
    });
  });
});

describe('commit', () => {
  it('checks existence, then duplicate, then fencing, then terminal phase (the order of every fenced write)', () => {
    const job = transcribingJob(2);
    const fence = ownerFence(job);
    const commit = { ...fence, index: 0, transcript: 'a' };
    expect(operations.commit(null, commit, 1)).toEqual({ kind: 'not_found' });
    const committed = applied(operations.commit(job, commit, 1)).job;
    // The same request again is a duplicate, even though the chunk is committed now.
    expect(operations.commit(committed, commit, 2)).toEqual({
      kind: 'ok',
      job: committed,
      events: [],
      duplicate: true,
    });
    expect(operations.commit(committed, { ...commit, requestId: freshRequestId(), epoch: 2 }, 2)).toEqual({
      kind: 'stale_epoch',
      epoch: 1,
    });
    expect(operations.commit(committed, { ...commit, requestId: freshRequestId(), workerId: 'w9' }, 2)).toEqual({
      kind: 'stale_epoch',
      epoch: 1,
    });
    expect(operations.commit(committed, { ...commit, requestId: freshRequestId() }, 2)).toEqual({
      kind: 'already_committed',
      index: 0,
    });
    const failed = applied(
      operations.fail(committed, { ...ownerFence(committed), reason: 'transcription_failed', message: 'x' }, 3),
    ).job;
    expect(operations.commit(failed, { ...commit, requestId: freshRequestId(), index: 1 }, 4)).toEqual({
      kind: 'terminal',
      phase: 'failed',
    });
  });

  it('commits chunks with chunk_transcribed and progress_update, moves to finalizing on the last, then refuses commits', () => {
    let job = transcribingJob(3);
    const progress: number[] = [];
    for (const index of [2, 0, 1]) {
      const { job: next, events } = applied(
        operations.commit(job, { ...ownerFence(job), index, transcript: `t${index}` }, 10 + index),
      );
      expect(names(events)).toEqual(['chunk_transcribed', 'progress_update']);
      expect(events[0]).toMatchObject({ chunk_index: index, text_length: 2 });
      progress.push((events[1] as { progress: number }).progress);
      job = next;
    }
    expect(progress).toEqual([33, 66, 99]);
    expect(job.phase).toBe('finalizing');
    expect(operations.commit(job, { ...ownerFence(job), index: 0, transcript: 'again' }, 20)).toMatchObject({
      kind: 'invalid_state',
      phase: 'finalizing',
    });
  });

  it('refuses to commit a chunk that does not exist', () => {
    const job = transcribingJob(2);
    expect(operations.commit(job, { ...ownerFence(job), index: 2, transcript: 'x' }, 1)).toMatchObject({
      kind: 'invalid_state',
      detail: 'chunk 2 does not exist',
    });
  });

  it('names transcribing as the phase a commit needs in its refusal', () => {
    const chunking = chunkingJob();
    expect(operations.commit(chunking, { ...ownerFence(chunking), index: 0, transcript: 'a' }, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'chunks can be committed only while transcribing',
    });
  });
});

describe('complete', () => {
  it('completes a finalizing job with progress 100 and the chunk transcripts joined in order', () => {
    const job = committedInOrder(transcribingJob(3), [2, 0, 1]);
    const { job: completed, events } = applied(operations.complete(job, ownerFence(job), 30));
    expect(names(events)).toEqual(['progress_update', 'transcription_completed']);
    expect(events[0]).toMatchObject({ progress: 100, completed_chunks: 3, total_chunks: 3 });
    expect(events[1]).toMatchObject({ total_chunks: 3, transcript_length: 't0 t1 t2'.length });
    expect(completed).toMatchObject({ phase: 'completed', transcript: 't0 t1 t2', leaseExpiresAtMs: 0 });
  });

  it('refuses to complete outside finalizing', () => {
    const job = transcribingJob(2);
    expect(operations.complete(job, ownerFence(job), 1)).toMatchObject({
      kind: 'invalid_state',
      phase: 'transcribing',
      detail: 'a job completes only from finalizing',
    });
  });

  it('closes an open recovery with recovery_completed, its recreated chunks and its duration', () => {
    const job = recovered(transcribingJob(2, [0]));
    const startedAtMs = job.recovery.startedAtMs;
    const recreated = applied(
      operations.recordRecreated(
        job,
        { ...ownerFence(job), index: 1, reason: 'corrupt', bytes: 3, sha256: sha(3) },
        startedAtMs + 1,
      ),
    ).job;
    const resumed = applied(operations.markResumed(recreated, ownerFence(recreated), startedAtMs + 2)).job;
    const finalizing = applied(
      operations.commit(resumed, { ...ownerFence(resumed), index: 1, transcript: 'b' }, startedAtMs + 3),
    ).job;
    const { job: completed, events } = applied(
      operations.complete(finalizing, ownerFence(finalizing), startedAtMs + 250),
    );
    expect(names(events)).toEqual(['progress_update', 'transcription_completed', 'recovery_completed']);
    expect(events[2]).toMatchObject({
      recovery_result: 'job_completed',
      attempt: 1,
      recreated_chunks: 1,
      duration_ms: 250,
      recovery: true,
    });
    expect(completed.recovery.open).toBe(false);
  });
});

describe('fail', () => {
  it('fails with chunk_failed (retryable defaulting to false) and job_failed, clipping the message', () => {
    const job = transcribingJob(2);
    const message = 'm'.repeat(messageCharsMax + 50);
    const { job: failed, events } = applied(
      operations.fail(job, { ...ownerFence(job), reason: 'transcription_rejected', message, chunkIndex: 1 }, 5),
    );
    expect(names(events)).toEqual(['chunk_failed', 'job_failed']);
    expect(events[0]).toMatchObject({ chunk_index: 1, retryable: false });
    expect((events[1] as { message: string }).message).toHaveLength(messageCharsMax);
    expect(failed).toMatchObject({
      phase: 'failed',
      leaseExpiresAtMs: 0,
      epoch: 1,
      owner: 'w1',
      failure: { reason: 'transcription_rejected' },
    });
  });

  it('fails an open recovery with recovery_failed carrying the reason', () => {
    const job = recovered(chunkingJob());
    const { events } = applied(
      operations.fail(
        job,
        { ...ownerFence(job), reason: 'source_missing', message: 'gone', retryable: true },
        job.updatedAtMs,
      ),
    );
    expect(names(events)).toEqual(['job_failed', 'recovery_failed']);
    expect(events[1]).toMatchObject({
      recovery_result: 'job_failed',
      reason: 'source_missing',
      attempt: 1,
      recovery: true,
    });
  });
});

describe('release', () => {
  it('gives the lease back without an event and records the request id', () => {
    const job = chunkingJob('w1', 0);
    const fence = ownerFence(job);
    const { job: released, events } = applied(operations.release(job, fence, 10));
    expect(events).toEqual([]);
    expect(released).toMatchObject({
      leaseExpiresAtMs: 0,
      owner: 'w1',
      lastRequestId: fence.requestId,
      updatedAtMs: 10,
      nextSeq: job.nextSeq,
    });
    expect(operations.isLeased(released, 11)).toBe(false);
  });
});

describe('isLeased', () => {
  it('holds only for an owned lease that ends after now', () => {
    const job = chunkingJob('w1', 0);
    expect(operations.isLeased(job, leaseMs - 1)).toBe(true);
    expect(operations.isLeased(job, leaseMs)).toBe(false);
    expect(operations.isLeased(queuedJob(), 0)).toBe(false);
    // A lease end without an owner (only a hand-edited record has one) is no lease.
    expect(operations.isLeased({ ...queuedJob(), leaseExpiresAtMs: 5_000 }, 0)).toBe(false);
  });
});

describe('quarantine', () => {
  it('quarantines whoever holds the job with a new epoch, and leaves terminal jobs alone', () => {
    const job = recovered(transcribingJob(2));
    const request = { jobId, workerId: 'w7', message: 'corrupt state', requestId: freshRequestId() };
    expect(operations.quarantine(null, request, 1)).toEqual({ kind: 'not_found' });
    const { job: failed, events } = applied(operations.quarantine(job, request, 5));
    expect(failed).toMatchObject({
      phase: 'failed',
      epoch: job.epoch + 1,
      owner: 'w7',
      failure: { reason: 'state_corrupt', message: 'corrupt state' },
    });
    expect(names(events)).toEqual(['job_failed', 'recovery_failed']);
    expect(events[0]).toMatchObject({ worker_id: 'w7', epoch: job.epoch + 1 });
    expect(operations.quarantine(failed, request, 6)).toEqual({ kind: 'ok', job: failed, events: [], duplicate: true });
    expect(operations.quarantine(failed, { ...request, requestId: freshRequestId() }, 6)).toEqual({
      kind: 'terminal',
      phase: 'failed',
    });
    const queued = applied(operations.quarantine(queuedJob(), { ...request, requestId: freshRequestId() }, 1)).job;
    expect(queued).toMatchObject({ phase: 'failed', epoch: 1, owner: 'w7' });
  });
});

describe('the fixtures of support.ts', () => {
  // The operations tell a retry from a new request by its request id: the fixtures must never repeat one.
  it('the request ids of the fixtures are unique', () => {
    expect(freshRequestId()).not.toBe(freshRequestId());
  });
});
