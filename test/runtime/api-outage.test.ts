/**
 * Short API outages never fail a job: on the memory stores in virtual time, a chunk whose
 * transcription fails retryably for longer than transcriptionAttemptsMax backoffs is waited out for
 * transcriptionOutageMs and then completes; a wait the API asks for (Retry-After) is honoured up to
 * retryAfterMsMax; an outage longer than the window fails the job with transcription_failed after
 * both the window and the attempts. (The adapter's side, a reset mid-reply and Retry-After through
 * the openai SDK, is in test/adapters/openai/transcriber.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../src/core/limits.js';
import { Harness, testLimits } from '../support/fakes.js';

const patient: Limits = { ...testLimits, transcriptionOutageMs: 60_000, retryAfterMsMax: 30_000 };

describe('the worker waits out an API outage', () => {
  it('completes a job whose API is down for 40 s, far past the attempts the backoff alone would make', async () => {
    const harness = new Harness(patient);
    await harness.createJob('job-outage', 3_000);
    const outageEndMs = 40_000;
    harness.transcriber.script = () =>
      harness.scheduler.now() < outageEndMs
        ? { kind: 'error', retryable: true, status: 503, message: 'unavailable' }
        : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-outage', 'completed'), 300_000, 200_000);
    const failures = harness.transcriber.calls.filter((call) => call.outcome === 'retryable');
    expect(failures.length).toBeGreaterThan(patient.transcriptionAttemptsMax);
    expect(harness.events('job-outage').map((event) => event.event)).not.toContain('chunk_failed');
  });

  it('fails with transcription_failed once the outage outlasts the window and the attempts', async () => {
    const harness = new Harness(patient);
    await harness.createJob('job-down', 3_000);
    harness.transcriber.script = () => ({ kind: 'error', retryable: true, status: 503, message: 'unavailable' });
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-down', 'failed'), 600_000, 200_000);
    const calls = harness.transcriber.calls;
    expect((calls.at(-1)?.atMs ?? 0) - (calls[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(patient.transcriptionOutageMs);
    expect(harness.job('job-down')?.failure?.reason).toBe('transcription_failed');
    expect(harness.job('job-down')?.failure?.message).toMatch(
      /^chunk 0 failed \d+ times over \d+ ms, last: unavailable$/,
    );
  });

  it('waits at least the Retry-After the API asked for, capped by retryAfterMsMax', async () => {
    const harness = new Harness(patient);
    await harness.createJob('job-429', 2_000);
    harness.transcriber.script = (request, attempt) =>
      request.index === 0 && attempt === 1
        ? { kind: 'error', retryable: true, status: 429, message: 'slow down', retryAfterMs: 20_000 }
        : request.index === 0 && attempt === 2
          ? { kind: 'error', retryable: true, status: 429, message: 'slow down', retryAfterMs: 3_600_000 }
          : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-429', 'completed'), 300_000, 200_000);
    const [first, second, third] = harness.transcriber.calls
      .filter((call) => call.index === 0)
      .map((call) => call.atMs);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(20_000);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(patient.retryAfterMsMax);
    expect((third ?? 0) - (second ?? 0)).toBeLessThan(patient.retryAfterMsMax + 5_000);
  });
});
