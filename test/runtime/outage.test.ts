/**
 * A store outage never fails a job by itself: on the memory stores in virtual time, a worker whose store throws
 * StoreUnavailableError for a while (or loses a reply after applying a write) backs off, retries with the same request
 * id, and completes the job once.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimRequest, CommitRequest } from '../../src/core/operations.js';
import { Harness, crashFreeTranscript, testLimits } from '../support/fakes.js';

describe('worker and store outages', () => {
  it('backs off while the store is down (longer than a lease) and completes the job without a recovery', async () => {
    const harness = new Harness();
    await harness.createJob('job-o', 5_000);
    const outage = { fromMs: 600, untilMs: 600 + 15_000 };
    harness.storeFaults.unavailable = (_operation, _actor, nowMs) => nowMs >= outage.fromMs && nowMs < outage.untilMs;
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-o', 'completed'));

    const refused = harness.storeCalls.filter((call) => call.outcome === 'unavailable');
    expect(refused.length).toBeGreaterThan(0);
    // Capped backoff, not a hot loop: never more attempts than the outage allows at the shortest delay.
    expect(refused.length).toBeLessThan((outage.untilMs - outage.fromMs) / (testLimits.retryDelayBaseMs / 2));
    expect(harness.scheduler.now()).toBeGreaterThan(outage.untilMs);
    expect(w1.log.some((entry) => entry.what === 'retry')).toBe(true);
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([]);
    const job = harness.job('job-o');
    expect(job).toMatchObject({ epoch: 1, owner: 'w1', failure: null });
    expect(job?.recovery.attempts).toBe(0);
    expect(harness.events('job-o').filter((event) => event.event === 'chunk_transcribed')).toHaveLength(5);
    expect(job?.transcript).toBe(await crashFreeTranscript('job-o', 5_000));
  });

  it('retries a write whose reply was lost with the same request id, so the chunk is committed once', async () => {
    const harness = new Harness();
    await harness.createJob('job-l', 5_000);
    const lost = new Set<string>();
    harness.storeFaults.loseReply = (operation, _actor, request) => {
      const key = operation === 'commitChunk' ? `commit ${(request as CommitRequest).index}` : operation;
      if (key !== 'claimJob' && key !== 'commit 2') return false;
      if (lost.has(key)) return false;
      lost.add(key);
      return true;
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-l', 'completed'));

    const claims = harness.storeCalls.filter((call) => call.operation === 'claimJob');
    expect(claims.map((call) => call.outcome)).toEqual(['reply_lost', 'ok']);
    expect(new Set(claims.map((call) => (call.request as ClaimRequest).requestId)).size).toBe(1);
    const commits = harness.storeCalls.filter(
      (call) => call.operation === 'commitChunk' && (call.request as CommitRequest).index === 2,
    );
    expect(commits.map((call) => call.outcome)).toEqual(['reply_lost', 'ok']);
    expect(new Set(commits.map((call) => (call.request as CommitRequest).requestId)).size).toBe(1);
    const events = harness.events('job-l');
    expect(events.filter((event) => event.event === 'chunk_transcribed').map((event) => event.chunk_index)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(harness.transcriber.callsPerChunk('job-l').get(2)).toBe(1);
    expect(harness.job('job-l')?.epoch).toBe(1);
    expect(harness.job('job-l')?.transcript).toBe(await crashFreeTranscript('job-l', 5_000));
  });
});
