/**
 * Fencing and hand-over on the memory stores in virtual time: a worker paused past its lease comes back to stale writes
 * and a lost lease and stops touching the job, and a stopped worker releases its lease so that another one recovers the
 * job at once.
 */
import { describe, expect, it } from 'vitest';
import type { CommitRequest } from '../../src/core/operations.js';
import { Harness, crashFreeTranscript, type StoreCall } from '../support/fakes.js';

const jobId = 'job-f';
const durationMs = 5_000;
const writes = new Set([
  'recordChunkPlan',
  'recordChunkRecreated',
  'markResumed',
  'commitChunk',
  'completeJob',
  'failJob',
  'releaseJob',
  'quarantineJob',
]);

function jobIdOf(call: StoreCall): string | undefined {
  const request = call.request as { jobId?: unknown } | string;
  if (typeof request === 'string') return request;
  return typeof request === 'object' && typeof request.jobId === 'string' ? request.jobId : undefined;
}

describe('worker fencing', () => {
  it('fences a worker paused past its lease while its commit was in flight: the commit comes back stale and it stops touching the job', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, durationMs);
    let resumeAtMs = 0;
    harness.storeFaults.beforeCall = (operation, actor, request) => {
      if (actor !== 'w1' || operation !== 'commitChunk' || (request as CommitRequest).index !== 1 || resumeAtMs > 0)
        return;
      resumeAtMs = (harness.job(jobId)?.leaseExpiresAtMs ?? 0) + 1_200;
      harness.scheduler.pause('w1', resumeAtMs);
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.job(jobId)?.owner === 'w1');
    const w2 = harness.startWorker('w2');
    const staleReply = (): StoreCall | undefined =>
      harness.storeCalls.find(
        (call) => call.actor === 'w1' && call.operation === 'commitChunk' && call.outcome === 'stale_epoch',
      );
    await harness.runUntil(() => harness.isIn(jobId, 'completed') && staleReply() !== undefined);
    await harness.runFor(5_000);

    const stale = staleReply();
    expect(stale?.atMs).toBeGreaterThanOrEqual(resumeAtMs);
    expect(harness.job(jobId)?.chunks[1]?.transcript).not.toBeNull();
    // After the stale reply w1 neither writes to the job nor calls media or the transcriber for it.
    const after = (atMs: number): boolean => atMs > (stale?.atMs ?? Number.POSITIVE_INFINITY);
    expect(
      harness.storeCalls.filter(
        (call) => call.actor === 'w1' && after(call.atMs) && writes.has(call.operation) && jobIdOf(call) === jobId,
      ),
    ).toEqual([]);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w1' && after(call.atMs))).toEqual([]);
    expect(harness.media.calls.filter((call) => call.actor === 'w1' && after(call.atMs))).toEqual([]);
    expect(
      harness.workers.get('w1')?.log.some((entry) => entry.what === 'stopped' && entry.detail === 'lost (stale_epoch)'),
    ).toBe(true);

    expect(harness.transcriber.calls.some((call) => call.alreadyCommitted)).toBe(false);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w1').map((call) => call.index)).toEqual([0, 1]);
    const commits = harness.events(jobId).filter((event) => event.event === 'chunk_transcribed');
    expect(commits.map((event) => [event.chunk_index, event.worker_id])).toEqual([
      [0, 'w1'],
      [1, 'w2'],
      [2, 'w2'],
      [3, 'w2'],
      [4, 'w2'],
    ]);
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
    expect(w2.log.filter((entry) => entry.what === 'error')).toEqual([]);
  });

  it('checks the lease before transcribing: a worker paused during a backoff wait resumes, finds its lease lost and calls the transcriber no more', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, durationMs);
    let resumeAtMs = 0;
    harness.transcriber.script = (request, attempt) =>
      request.index === 2 && attempt === 1
        ? { kind: 'error', retryable: true, status: 500, message: 'server error' }
        : undefined;
    harness.transcriber.afterCall = (call) => {
      if (call.actor !== 'w1' || call.index !== 2 || resumeAtMs > 0) return;
      resumeAtMs = (harness.job(jobId)?.leaseExpiresAtMs ?? 0) + 1_200;
      harness.scheduler.pause('w1', resumeAtMs);
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.job(jobId)?.owner === 'w1');
    harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));
    await harness.runFor(5_000);

    expect(resumeAtMs).toBeGreaterThan(0);
    expect(
      harness.transcriber.calls.filter((call) => call.actor === 'w1').map((call) => [call.index, call.outcome]),
    ).toEqual([
      [0, 'ok'],
      [1, 'ok'],
      [2, 'retryable'],
    ]);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w2').map((call) => call.index)).toEqual([
      2, 3, 4,
    ]);
    expect(harness.transcriber.calls.some((call) => call.alreadyCommitted)).toBe(false);
    const w1Renewals = harness.storeCalls.filter(
      (call) => call.actor === 'w1' && call.operation === 'renewLease' && call.atMs >= resumeAtMs,
    );
    expect(w1Renewals.map((call) => call.outcome)).toContain('stale_epoch');
    expect(
      harness.storeCalls.filter((call) => call.actor === 'w1' && call.atMs >= resumeAtMs && writes.has(call.operation)),
    ).toEqual([]);
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
  });

  // Regression: the first lease deadline counts from when the claim was sent, so a claim whose reply
  // arrives late never leaves the worker trusting a lease that already ran out.
  it('never performs an effect outside the store after its lease ran out, even when the claim reply arrived late', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, durationMs);
    harness.storeFaults.delayReply = (operation, actor) => (operation === 'claimJob' && actor === 'w1' ? 12_000 : 0);
    harness.storeFaults.afterCall = (operation, actor, _request, result) => {
      if (operation === 'claimJob' && actor === 'w1' && (result as { kind: string }).kind === 'ok')
        harness.startWorker('w2');
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));
    await harness.runFor(5_000);

    const claim = harness.events(jobId).find((event) => event.event === 'recovery_started');
    expect(claim).toMatchObject({ worker_id: 'w2', previous_owner: 'w1' });
    const w1LeaseEndMs =
      harness.storeCalls.find((call) => call.actor === 'w1' && call.operation === 'claimJob')?.atMs ?? 0;
    expect(
      harness.media.calls.filter(
        (call) => call.actor === 'w1' && call.atMs > w1LeaseEndMs + harness.limits.leaseDurationMs,
      ),
    ).toEqual([]);
  });
});

describe('worker graceful stop', () => {
  it('releases the lease on stop(), so that another worker recovers the job at once with recovery_type released', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, durationMs);
    let leaseEndMs = 0;
    harness.storeFaults.afterCall = (operation, actor, request) => {
      if (actor !== 'w1' || operation !== 'commitChunk' || (request as CommitRequest).index !== 1) return;
      leaseEndMs = harness.job(jobId)?.leaseExpiresAtMs ?? 0;
      harness.workers.get('w1')?.worker.stop();
    };
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => w1.finished);

    expect(w1.error).toBeUndefined();
    expect(w1.worker.stopped).toBe(true);
    expect(w1.log.some((entry) => entry.what === 'released' && entry.detail === 'ok')).toBe(true);
    expect(harness.job(jobId)).toMatchObject({ owner: 'w1', leaseExpiresAtMs: 0, phase: 'transcribing' });
    expect(leaseEndMs).toBeGreaterThan(harness.scheduler.now());

    harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));
    const started = harness.events(jobId).find((event) => event.event === 'recovery_started');
    expect(started).toMatchObject({ worker_id: 'w2', recovery_type: 'released', previous_owner: 'w1', attempt: 1 });
    expect(started?.timestamp).toBeLessThan(leaseEndMs);
    expect([...harness.transcriber.callsPerChunk(jobId)]).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(harness.events(jobId).at(-1)).toMatchObject({
      event: 'recovery_completed',
      recovery_result: 'job_completed',
    });
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
  });
});
