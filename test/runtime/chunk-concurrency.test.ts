/**
 * Several transcriptions of one job in flight under one lease (limits.chunkConcurrency): never more than the limit at
 * once, each chunk asked for once, the transcript the same as one at a time, in a quarter of the virtual time for four
 * side by side; a graceful stop lets every call in flight return and commits it before the hand-over; an unfit
 * transcriber met by one of several calls hands the job over after the others returned.
 */
import { describe, expect, it } from 'vitest';
import { CredentialsRejectedError } from '../../src/adapters/openai/errors.js';
import type { Transcriber } from '../../src/ports.js';
import { Harness, crashFreeTranscript, latencies, testLimits } from '../support/fakes.js';

/** Wraps a transcriber to count the calls in flight at once. */
function counting(inner: Transcriber, seen: { now: number; max: number }): Transcriber {
  return {
    transcribe: async (request) => {
      seen.now += 1;
      seen.max = Math.max(seen.max, seen.now);
      try {
        return await inner.transcribe(request);
      } finally {
        seen.now -= 1;
      }
    },
  };
}

/** Runs one 12-chunk job with `chunkConcurrency`; returns the virtual time it took, the calls and the most at once. */
async function runTwelve(chunkConcurrency: number) {
  const harness = new Harness();
  await harness.createJob('job-12', 12_000);
  const seen = { now: 0, max: 0 };
  harness.startWorker('w', {
    limits: { ...testLimits, chunkConcurrency },
    transcriber: (inner) => counting(inner, seen),
  });
  await harness.runUntil(() => harness.isIn('job-12', 'completed'));
  return { harness, elapsedMs: harness.scheduler.now(), max: seen.max };
}

describe('chunks transcribed side by side', () => {
  it('keeps at most chunkConcurrency calls in flight, asks once per chunk, and gives the one-at-a-time transcript', async () => {
    const one = await runTwelve(1);
    const four = await runTwelve(4);
    expect(one.max).toBe(1);
    expect(four.max).toBe(4);
    const expected = await crashFreeTranscript('job-12', 12_000);
    for (const { harness } of [one, four]) {
      expect(harness.job('job-12')?.transcript).toBe(expected);
      expect([...harness.transcriber.callsPerChunk('job-12').values()]).toEqual(Array(12).fill(1));
      expect(harness.transcriber.calls.some((call) => call.alreadyCommitted)).toBe(false);
    }
    // Virtual time, deterministic: twelve calls one after another, against three rounds of four.
    expect(one.elapsedMs - four.elapsedMs).toBeGreaterThanOrEqual(8 * latencies.transcribeMs);
    // Events: one chunk_transcribed per chunk, progress that never goes down.
    const events = four.harness.events('job-12');
    expect(events.filter((event) => event.event === 'chunk_transcribed')).toHaveLength(12);
    const progress = events.flatMap((event) => (event.event === 'progress_update' ? [event.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('on a graceful stop, commits every transcription in flight before it hands the job over', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 6_000);
    const first = harness.startWorker('first', { limits: { ...testLimits, chunkConcurrency: 3 } });
    let stopped = false;
    harness.transcriber.afterCall = (call) => {
      if (call.actor === 'first' && !stopped) {
        stopped = true;
        first.worker.stop();
      }
    };
    await harness.runUntil(() => first.finished);
    expect(first.error).toBeUndefined();
    expect(first.log.map((entry) => entry.what)).toEqual(['claimed', 'released']);
    const job = harness.job('job-1');
    expect(job?.chunks.map((chunk) => chunk.transcript !== null)).toEqual([true, true, true, false, false, false]);
    harness.transcriber.afterCall = () => {};
    harness.startWorker('second');
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
    expect(harness.transcriber.calls.map((call) => `${call.actor}:${call.index}`)).toEqual([
      'first:0',
      'first:1',
      'first:2',
      'second:3',
      'second:4',
      'second:5',
    ]);
    expect(harness.job('job-1')?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
  });

  it('hands the job over uncharged when calls meet rejected credentials, after the others return', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 4_000);
    const unfit = harness.startWorker('unfit', {
      limits: { ...testLimits, chunkConcurrency: 3 },
      transcriber: (inner) => ({
        transcribe: async (request) => {
          if (request.index > 0) throw new CredentialsRejectedError('the API rejected the credentials', 401);
          return inner.transcribe(request);
        },
      }),
    });
    await harness.runUntil(() => unfit.finished);
    expect(unfit.error).toBeInstanceOf(CredentialsRejectedError);
    // The call for chunk 0 ran to its end before run() returned, and the second rejection, never taken, is logged.
    expect(harness.transcriber.calls.map((call) => call.index)).toEqual([0]);
    expect(unfit.log.filter((entry) => entry.what === 'error').map((entry) => entry.detail)).toEqual([
      'transcription after stop: CredentialsRejectedError: the API rejected the credentials',
    ]);
    expect(harness.job('job-1')).toMatchObject({ phase: 'transcribing', leaseExpiresAtMs: 0, failure: null });
    harness.startWorker('fit');
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
    expect(harness.job('job-1')?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
  });
});
