/**
 * The store operations in the details a client reads: the exact state of a new job, who may claim again and how, the
 * messages of recovery events, the detail of each refusal, and the edges of a valid chunk plan.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
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

function claimBy(workerId: string, recoveryAttemptsMax = attemptsMax): operations.ClaimRequest {
  return { jobId, workerId, leaseMs, recoveryAttemptsMax, requestId: freshRequestId() };
}

describe('newJob', () => {
  it('starts queued, unleased, with no recovery, failure or transcript', () => {
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
      recovery: { attempts: 0, open: false, startedAtMs: 0, resumed: false, recreatedChunks: 0 },
      failure: null,
      transcript: null,
      nextSeq: 1,
      lastRequestId: null,
      createdAtMs: 42,
      updatedAtMs: 42,
    });
  });
});

describe('claim by the current owner with a new request', () => {
  it('is refused while its own lease is valid (only a retry of the same request is a duplicate)', () => {
    const job = chunkingJob('w1', 0);
    expect(operations.claim(job, claimBy('w1'), leaseMs - 1)).toEqual({ kind: 'not_claimable', reason: 'leased' });
  });

  it('is a recovery with a new epoch once its own lease ran out', () => {
    const job = transcribingJob(2);
    const outcome = applied(operations.claim(job, claimBy('w1'), job.leaseExpiresAtMs + 1));
    expect(outcome.job).toMatchObject({ epoch: 2, owner: 'w1', recovery: { attempts: 1, open: true } });
    expect(outcome.events).toMatchObject([{ event: 'recovery_started', previous_owner: 'w1', epoch: 2 }]);
  });
});

describe('messages of the recovery events', () => {
  it('say whose lease expired, or who released the job', () => {
    const expired = transcribingJob(2);
    const { events } = applied(operations.claim(expired, claimBy('w2'), expired.leaseExpiresAtMs + 1));
    expect(events[0]).toMatchObject({ message: 'recovering job job-1 from phase transcribing: lease expired for w1' });
    const released = applied(operations.release(expired, ownerFence(expired), 5)).job;
    const claimed = applied(operations.claim(released, claimBy('w2'), 6));
    expect(claimed.events[0]).toMatchObject({
      message: 'recovering job job-1 from phase transcribing: released by w1',
    });
  });

  it('say which owner stopped during which attempt, and why a job was abandoned', () => {
    const first = recovered(transcribingJob(2), 'w2', 1);
    const { events } = applied(operations.claim(first, claimBy('w3', 1), first.leaseExpiresAtMs + 1));
    expect(events).toMatchObject([
      { event: 'recovery_failed', message: 'owner w2 stopped before finishing recovery attempt 1' },
      { event: 'job_failed', message: 'job abandoned by its owner after 1 recoveries (max 1)' },
    ]);
  });

  it('asserts that a started job being recovered has a previous owner', () => {
    const ownerless: Job = { ...transcribingJob(1), owner: null, leaseExpiresAtMs: 0 };
    expect(() => operations.claim(ownerless, claimBy('w2'), 1)).toThrow(
      new AssertionError('job job-1 in phase transcribing has no previous owner'),
    );
  });
});

describe('refusal details', () => {
  it('name the phase a write needs', () => {
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
    const chunking = chunkingJob();
    const recreate = { ...ownerFence(chunking), index: 0, reason: 'missing' as const, bytes: 1, sha256: sha(1) };
    expect(operations.recordRecreated(chunking, recreate, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'chunks can be re-extracted only while transcribing',
    });
    expect(operations.markResumed(chunking, ownerFence(chunking), 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'processing resumes only while transcribing',
    });
    expect(operations.commit(chunking, { ...ownerFence(chunking), index: 0, transcript: 'a' }, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'chunking',
      detail: 'chunks can be committed only while transcribing',
    });
  });

  it('refuse a re-extraction in finalizing for its phase, not for its chunk', () => {
    const finalizing = transcribingJob(2, [0, 1]);
    const recreate = { ...ownerFence(finalizing), index: 0, reason: 'corrupt' as const, bytes: 1, sha256: sha(1) };
    expect(operations.recordRecreated(finalizing, recreate, 1)).toEqual({
      kind: 'invalid_state',
      phase: 'finalizing',
      detail: 'chunks can be re-extracted only while transcribing',
    });
  });
});

describe('planProblem at its edges', () => {
  const plan = extractedPlan(3_000, 1_000);
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

describe('isLeased', () => {
  it('holds only for an owned lease that ends after now', () => {
    const job = chunkingJob('w1', 0);
    expect(operations.isLeased(job, leaseMs - 1)).toBe(true);
    expect(operations.isLeased(job, leaseMs)).toBe(false);
    // A lease end without an owner (only a hand-edited record has one) is no lease.
    expect(operations.isLeased({ ...queuedJob(), leaseExpiresAtMs: 5_000 }, 0)).toBe(false);
  });
});
