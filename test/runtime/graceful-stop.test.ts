/**
 * A graceful stop (SIGTERM, a rolling deploy) hands the job over without throwing work away: a worker told to stop
 * while its transcription is in flight still commits that chunk, then releases; the next owner never asks for that
 * chunk again and completes the job.
 */
import { describe, expect, it } from 'vitest';
import { Harness } from '../support/fakes.js';

describe('a graceful stop', () => {
  it('commits the transcription in flight before it releases, and the next owner does not request it again', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 3_000);
    const first = harness.startWorker('first');
    harness.transcriber.afterCall = (call) => {
      if (call.actor === 'first' && call.index === 1) first.worker.stop();
    };
    await harness.runUntil(() => first.finished);
    expect(first.error).toBeUndefined();
    expect(first.log.map((entry) => entry.what)).toContain('released');
    const job = harness.job('job-1');
    expect(job?.chunks.map((chunk) => chunk.transcript !== null)).toEqual([true, true, false]);
    expect(job?.leaseExpiresAtMs).toBe(0);
    harness.transcriber.afterCall = () => {};
    harness.startWorker('second');
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
    const requested = harness.transcriber.calls.map((call) => `${call.actor}:${call.index}`);
    expect(requested).toEqual(['first:0', 'first:1', 'second:2']);
  });
});
