/**
 * Transcriber and media errors reach the right end on the memory stores in virtual time: a rejected chunk fails the job
 * with transcription_rejected, retryable errors are retried with capped backoff until they pass or run out of attempts.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/core/events.js';
import { Harness, crashFreeTranscript, latencies, testLimits } from '../support/fakes.js';

describe('worker and transcription errors', () => {
  it('fails the job with transcription_rejected and chunk_failed on a non-retryable error, cleans up, and takes the next job', async () => {
    const harness = new Harness();
    await harness.createJob('job-bad', 5_000);
    harness.transcriber.script = (request) =>
      request.jobId === 'job-bad' && request.index === 2
        ? { kind: 'error', retryable: false, status: 400, message: 'audio file is invalid' }
        : undefined;
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-bad', 'failed'));

    expect(harness.job('job-bad')?.failure).toEqual({
      reason: 'transcription_rejected',
      message: 'audio file is invalid',
    });
    const events = harness.events('job-bad');
    for (const event of events) expect(parseEvent(event)).toEqual(event);
    expect(events.slice(-2)).toMatchObject([
      { event: 'chunk_failed', chunk_index: 2, retryable: false, error: 'audio file is invalid' },
      { event: 'job_failed', reason: 'transcription_rejected' },
    ]);
    expect(harness.transcriber.callsPerChunk('job-bad').get(2)).toBe(1);
    expect(harness.transcriber.calls.map((call) => call.index)).toEqual([0, 1, 2]);
    await harness.runUntil(() => harness.chunkStore.fileNames('job-bad').length === 0);

    await harness.createJob('job-good', 2_000);
    await harness.runUntil(() => harness.isIn('job-good', 'completed'));
    expect(w1.finished).toBe(false);
  });

  it('retries a retryable error after a capped backoff and completes with the crash-free transcript', async () => {
    const harness = new Harness();
    await harness.createJob('job-429', 5_000);
    harness.transcriber.script = (request, attempt) =>
      request.index === 1 && attempt <= 2
        ? { kind: 'error', retryable: true, status: 429, message: 'rate limited' }
        : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-429', 'completed'));

    const chunk1 = harness.transcriber.calls.filter((call) => call.index === 1);
    expect(chunk1.map((call) => call.outcome)).toEqual(['retryable', 'retryable', 'ok']);
    const [first, second, third] = chunk1.map((call) => call.atMs);
    // Between two calls: the backoff of attempt n (within [step/2, step], step = base * 2^(n-1)) plus the call's
    // latency.
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(
      latencies.transcribeMs + testLimits.retryDelayBaseMs / 2,
    );
    expect((second ?? 0) - (first ?? 0)).toBeLessThanOrEqual(latencies.transcribeMs + testLimits.retryDelayBaseMs);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(latencies.transcribeMs + testLimits.retryDelayBaseMs);
    expect((third ?? 0) - (second ?? 0)).toBeLessThanOrEqual(latencies.transcribeMs + 2 * testLimits.retryDelayBaseMs);
    const events = harness.events('job-429');
    expect(events.map((event) => event.event)).not.toContain('chunk_failed');
    expect(events.filter((event) => event.event === 'chunk_transcribed')).toHaveLength(5);
    expect(harness.job('job-429')?.transcript).toBe(await crashFreeTranscript('job-429', 5_000));
  });

  it('fails the job with transcription_failed after transcriptionAttemptsMax retryable errors of one chunk', async () => {
    const harness = new Harness();
    await harness.createJob('job-503', 3_000);
    harness.transcriber.script = (request) =>
      request.index === 0 ? { kind: 'error', retryable: true, status: 503, message: 'unavailable' } : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-503', 'failed'));

    expect(harness.transcriber.calls.map((call) => call.index)).toEqual(
      Array.from({ length: testLimits.transcriptionAttemptsMax }, () => 0),
    );
    expect(harness.job('job-503')?.failure?.reason).toBe('transcription_failed');
    expect(harness.events('job-503').slice(-2)).toMatchObject([
      { event: 'chunk_failed', chunk_index: 0, retryable: true },
      { event: 'job_failed', reason: 'transcription_failed' },
    ]);
  });

  it('retries a retryable probe failure and completes', async () => {
    const harness = new Harness();
    await harness.createJob('job-probe', 3_000);
    let probes = 0;
    harness.media.script = (operation) =>
      operation === 'probe' && ++probes === 1
        ? { kind: 'error', retryable: true, message: 'ffprobe timed out' }
        : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-probe', 'completed'));
    expect(harness.media.calls.filter((call) => call.operation === 'probe').map((call) => call.outcome)).toEqual([
      'error',
      'ok',
    ]);
    expect(harness.job('job-probe')?.transcript).toBe(await crashFreeTranscript('job-probe', 3_000));
  });

  it('fails the job with media_invalid after mediaAttemptsMax retryable failures of one extraction', async () => {
    const harness = new Harness();
    await harness.createJob('job-disk', 3_000);
    harness.media.script = (operation, _source, index) =>
      operation === 'extract' && index === 1 ? { kind: 'error', retryable: true, message: 'disk full' } : undefined;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-disk', 'failed'));
    expect(harness.media.extracted()).toEqual([0, ...Array.from({ length: testLimits.mediaAttemptsMax }, () => 1)]);
    expect(harness.job('job-disk')?.failure?.reason).toBe('media_invalid');
    await harness.runUntil(() => harness.chunkStore.fileNames('job-disk').length === 0);
  });

  // Regression: with mediaAttemptsMax 3, two probe timeouts followed by one extraction timeout do not
  // fail the job: a successful probe resets the count.
  it('counts retryable media failures per operation: probe failures do not use up the attempts of an extraction', async () => {
    const harness = new Harness();
    await harness.createJob('job-media', 3_000);
    let probes = 0;
    let extractions = 0;
    harness.media.script = (operation) => {
      if (operation === 'probe')
        return ++probes <= testLimits.mediaAttemptsMax - 1
          ? { kind: 'error', retryable: true, message: 'probe timed out' }
          : undefined;
      return ++extractions === 1 ? { kind: 'error', retryable: true, message: 'extract timed out' } : undefined;
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-media', 'completed') || harness.isIn('job-media', 'failed'));
    expect(harness.job('job-media')?.failure ?? null).toBeNull();
    expect(harness.job('job-media')?.phase).toBe('completed');
  });
});
