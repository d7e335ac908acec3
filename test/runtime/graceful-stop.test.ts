/**
 * A graceful stop (SIGTERM, a rolling deploy) hands the job over without throwing work away: a worker told to stop
 * while its transcription is in flight still commits that chunk, then releases; the next owner never asks for that
 * chunk again and completes the job. With a grace period, a stopping worker waits that long for its transcriptions in
 * flight, then aborts them and hands the job over without them.
 */
import { describe, expect, it } from 'vitest';
import type { TranscribeResult } from '../../src/ports.js';
import { Harness, storeWith, testLimits } from '../support/fakes.js';

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

  it('commits what returns within its grace, then aborts the calls still in flight and hands the job over', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 3_000);
    const aborted: number[] = [];
    const graceMs = 1_000;
    const first = harness.startWorker('first', {
      limits: { ...testLimits, chunkConcurrency: 2 },
      stopGraceMs: graceMs,
      transcriber: (inner) => ({
        // Chunk 0 answers; chunk 1's call hangs until the worker gives it up.
        transcribe: (request) =>
          request.index === 0
            ? inner.transcribe(request)
            : new Promise<TranscribeResult>((resolve) =>
                request.signal?.addEventListener('abort', () => {
                  aborted.push(request.index);
                  resolve({ kind: 'error', retryable: true, status: null, message: 'aborted' });
                }),
              ),
      }),
    });
    let stoppedAtMs = 0;
    harness.transcriber.afterCall = (call) => {
      if (call.actor !== 'first' || call.index !== 0) return;
      stoppedAtMs = harness.scheduler.now();
      first.worker.stop();
    };
    await harness.runUntil(() => first.finished);
    expect(first.error).toBeUndefined();
    expect(aborted).toEqual([1]);
    expect(harness.scheduler.now() - stoppedAtMs).toBeGreaterThanOrEqual(graceMs);
    const released = first.log.find((entry) => entry.what === 'released');
    expect(released?.detail).toMatch(/^ok \(the stop's grace ran out with 1 transcription\(s\) in flight, given up\)$/);
    expect(harness.job('job-1')?.chunks.map((chunk) => chunk.transcript !== null)).toEqual([true, false, false]);
    expect(harness.job('job-1')?.leaseExpiresAtMs).toBe(0);
    harness.transcriber.afterCall = () => {};
    harness.startWorker('second');
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
    expect(harness.job('job-1')?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
  });

  it('told to stop as it commits the last chunk, still cleans the job up and completes it', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 2_000);
    const stop = { worker: (): void => {} };
    const first = harness.startWorker('first', {
      store: (scheduled) =>
        storeWith(scheduled, {
          commitChunk: (request) => {
            if (request.index === 1) stop.worker();
            return scheduled.commitChunk(request);
          },
        }),
    });
    stop.worker = () => first.worker.stop();
    await harness.runUntil(() => first.finished);
    expect(harness.job('job-1')?.phase).toBe('completed');
    expect(await harness.chunkStore.listJobIds()).toEqual([]);
    expect(first.log.map((entry) => entry.what)).toEqual(['claimed', 'stopped']);
  });

  for (const graceMs of [0, 1_000]) {
    it(`told to stop while it awaits a call that hangs, gives the call up after its grace of ${graceMs} ms`, async () => {
      const harness = new Harness();
      await harness.createJob('job-1', 2_000);
      const first = harness.startWorker('first', {
        stopGraceMs: graceMs,
        transcriber: () => ({
          transcribe: (request) =>
            new Promise<TranscribeResult>((resolve) =>
              request.signal?.addEventListener('abort', () =>
                resolve({ kind: 'error', retryable: true, status: null, message: 'aborted' }),
              ),
            ),
        }),
      });
      await harness.runUntil(() => harness.job('job-1')?.phase === 'transcribing');
      await harness.runFor(5_000);
      const stoppedAtMs = harness.scheduler.now();
      first.worker.stop();
      await harness.runUntil(() => first.finished);
      const tookMs = harness.scheduler.now() - stoppedAtMs;
      expect(tookMs).toBeGreaterThanOrEqual(graceMs);
      expect(tookMs).toBeLessThan(graceMs + 500);
      expect(first.log.at(-1)).toMatchObject({ what: 'released', detail: expect.stringContaining('grace ran out') });
      expect(harness.job('job-1')).toMatchObject({ phase: 'transcribing', leaseExpiresAtMs: 0 });
    });
  }

  it('refuses a grace that is not a non-negative integer of ms', () => {
    const harness = new Harness();
    expect(() => harness.startWorker('w', { stopGraceMs: -1 })).toThrow(
      new RangeError('stopGraceMs must be a non-negative integer of ms, got -1'),
    );
  });
});
