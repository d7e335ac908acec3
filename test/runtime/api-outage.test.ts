/**
 * Short API outages never fail a job: on the memory stores in virtual time, a chunk whose
 * transcription fails retryably for longer than transcriptionAttemptsMax backoffs is waited out for
 * transcriptionOutageMs and then completes; a wait the API asks for (Retry-After) is honoured up to
 * retryAfterMsMax; an outage longer than the window fails the job with transcription_failed after
 * both the window and the attempts. Against a local server through the openai SDK, a reset
 * mid-reply is retryable and Retry-After reaches the result.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAITranscriber } from '../../src/adapters/openai/index.js';
import { retryAfterMsOf } from '../../src/adapters/openai/errors.js';
import type { Limits } from '../../src/core/limits.js';
import { testBytes } from '../contracts/chunk-store.contract.js';
import { Harness, testLimits } from '../support/fakes.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';

const patient: Limits = { ...testLimits, transcriptionOutageMs: 60_000, retryAfterMsMax: 30_000 };

describe('the worker waits out an API outage', () => {
  it('completes a job whose API is down for 40 s, far past the attempts the backoff alone would make', async () => {
    const harness = new Harness(patient);
    await harness.createJob('job-outage', 3_000);
    const outageEndMs = 40_000;
    harness.transcriber.script = () => (harness.scheduler.now() < outageEndMs ? { kind: 'error', retryable: true, status: 503, message: 'unavailable' } : undefined);
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
    expect(harness.job('job-down')?.failure?.message).toMatch(/^chunk 0 failed \d+ times over \d+ ms, last: unavailable$/);
  });

  it('waits at least the Retry-After the API asked for, capped by retryAfterMsMax', async () => {
    const harness = new Harness(patient);
    await harness.createJob('job-429', 2_000);
    harness.transcriber.script = (request, attempt) =>
      request.index === 0 && attempt === 1 ? { kind: 'error', retryable: true, status: 429, message: 'slow down', retryAfterMs: 20_000 } : request.index === 0 && attempt === 2 ? { kind: 'error', retryable: true, status: 429, message: 'slow down', retryAfterMs: 3_600_000 } : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-429', 'completed'), 300_000, 200_000);
    const [first, second, third] = harness.transcriber.calls.filter((call) => call.index === 0).map((call) => call.atMs);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(20_000);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(patient.retryAfterMsMax);
    expect((third ?? 0) - (second ?? 0)).toBeLessThan(patient.retryAfterMsMax + 5_000);
  });
});

describe('the OpenAI adapter on resets and Retry-After', () => {
  const apiKey = 'sk-test-0123456789abcdefSECRET';
  let server: FakeOpenAIServer;
  beforeEach(async () => {
    server = await startOpenAIServer({ apiKey });
  });
  afterEach(async () => {
    await server.close();
  });
  const transcribe = () =>
    new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 2_000, logLevel: 'off' }).transcribe({ jobId: 'job-1', index: 0, audio: testBytes(3, 500), prompt: null });

  it('makes a connection cut mid-reply a retryable error', async () => {
    server.inject({ kind: 'reset' });
    const result = await transcribe();
    expect(result).toMatchObject({ kind: 'error', retryable: true, status: null });
    expect(result.kind === 'error' ? result.message : '').toMatch(/cut off: terminated/);
    expect(server.requests).toHaveLength(1);
  });

  it('passes Retry-After (seconds) on as retryAfterMs', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '30' });
    expect(await transcribe()).toMatchObject({ kind: 'error', retryable: true, status: 429, retryAfterMs: 30_000 });
  });

  it('reads retry-after-ms, seconds and HTTP dates, and ignores what it cannot read', () => {
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(retryAfterMsOf(headers({ 'retry-after-ms': '1500' }))).toBe(1_500);
    expect(retryAfterMsOf(headers({ 'retry-after': '2.5' }))).toBe(2_500);
    expect(retryAfterMsOf(headers({ 'retry-after': 'Mon, 30 Nov 2026 12:00:30 GMT' }), Date.parse('Mon, 30 Nov 2026 12:00:00 GMT'))).toBe(30_000);
    expect(retryAfterMsOf(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMsOf(headers({}))).toBeUndefined();
    expect(retryAfterMsOf(undefined)).toBeUndefined();
  });
});
