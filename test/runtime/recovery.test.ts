/**
 * A worker killed mid-job is recovered by a second worker on the memory stores in virtual time: committed chunks are
 * never transcribed again, damaged chunk files are re-extracted alone, a missing source fails the job, and the result
 * equals a crash-free run.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import type { CommitRequest } from '../../src/core/operations.js';
import { Harness, crashFreeTranscript, sourceOf } from '../support/fakes.js';

const jobId = 'job-r';
const durationMs = 5_000;

/** Starts w1 on a 5-chunk job and kills it right after the store applied its commit of chunk 1 (2 of 5 committed). */
async function abandonAfterTwoCommits(harness: Harness): Promise<void> {
  await harness.createJob(jobId, durationMs);
  harness.storeFaults.afterCall = (operation, actor, request) => {
    if (actor === 'w1' && operation === 'commitChunk' && (request as CommitRequest).index === 1)
      harness.scheduler.kill('w1');
  };
  harness.startWorker('w1');
  await harness.runUntil(() => harness.scheduler.isDead('w1'));
  expect(harness.job(jobId)?.chunks.map((chunk) => chunk.transcript !== null)).toEqual([
    true,
    true,
    false,
    false,
    false,
  ]);
  expect(harness.job(jobId)?.owner).toBe('w1');
}

function names(events: readonly JobEvent[]): string[] {
  return events.map((event) => event.event);
}

function expectWellFormed(events: readonly JobEvent[]): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
  for (const event of events) expect(parseEvent(event)).toEqual(event);
}

describe('worker recovery', () => {
  it('recovers an abandoned job without transcribing a committed chunk again, with recovery events, and the crash-free transcript', async () => {
    const harness = new Harness();
    await abandonAfterTwoCommits(harness);
    const killedAtMs = harness.scheduler.now();
    const w2 = harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));

    const perChunk = harness.transcriber.callsPerChunk(jobId);
    expect([...perChunk]).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w2').map((call) => call.index)).toEqual([
      2, 3, 4,
    ]);
    expect(harness.transcriber.calls.some((call) => call.alreadyCommitted)).toBe(false);
    expect(harness.media.extracted('w2')).toEqual([]);

    const events = harness.events(jobId);
    expectWellFormed(events);
    const started = events.find((event) => event.event === 'recovery_started');
    expect(started).toMatchObject({
      worker_id: 'w2',
      recovery_type: 'lease_expired',
      previous_owner: 'w1',
      attempt: 1,
      phase: 'transcribing',
      epoch: 2,
    });
    expect(started?.timestamp).toBeGreaterThan(killedAtMs);
    expect(events.find((event) => event.event === 'processing_resumed')).toMatchObject({
      completed_chunks: 2,
      remaining_chunks: 3,
      recovery: true,
    });
    expect(events.at(-1)).toMatchObject({
      event: 'recovery_completed',
      recovery_result: 'job_completed',
      attempt: 1,
      recreated_chunks: 0,
    });
    const recoveryNames = names(events).filter((name) => name.startsWith('recovery_') || name === 'processing_resumed');
    expect(recoveryNames).toEqual(['recovery_started', 'processing_resumed', 'recovery_completed']);
    expect(names(events).indexOf('processing_resumed')).toBeLessThan(
      events.findIndex((event) => event.event === 'chunk_transcribed' && event.worker_id === 'w2'),
    );
    expect(events.filter((event) => event.event === 'chunk_transcribed').map((event) => event.chunk_index)).toEqual([
      0, 1, 2, 3, 4,
    ]);
    const progress = events.flatMap((event) => (event.event === 'progress_update' ? [event.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);

    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
    expect(harness.chunkStore.fileNames(jobId)).toEqual([]);
    expect(w2.log.filter((entry) => entry.what === 'error')).toEqual([]);
  });

  it('re-extracts a corrupt pending chunk file alone, and leaves a damaged committed chunk alone', async () => {
    const harness = new Harness();
    await abandonAfterTwoCommits(harness);
    const chunk3 = harness.chunkStore.peek(jobId, 3);
    expect(chunk3).toBeDefined();
    harness.chunkStore.overwrite(jobId, 3, new Uint8Array(chunk3?.byteLength ?? 1).fill(7));
    harness.chunkStore.deleteFile(jobId, 0);
    harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));

    expect(harness.media.extracted('w2')).toEqual([3]);
    const events = harness.events(jobId);
    expectWellFormed(events);
    const recreated = events.filter((event) => event.event === 'chunk_recreated');
    expect(recreated).toHaveLength(1);
    expect(recreated[0]).toMatchObject({ chunk_index: 3, reason: 'corrupt', worker_id: 'w2', recovery: true });
    expect(names(events).indexOf('chunk_recreated')).toBeLessThan(names(events).indexOf('processing_resumed'));
    expect(events.at(-1)).toMatchObject({ event: 'recovery_completed', recreated_chunks: 1 });
    expect([...harness.transcriber.callsPerChunk(jobId)]).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
    expect(harness.chunkStore.fileNames(jobId)).toEqual([]);
  });

  it('re-extracts a missing pending chunk file with reason missing', async () => {
    const harness = new Harness();
    await abandonAfterTwoCommits(harness);
    harness.chunkStore.deleteFile(jobId, 4);
    harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));
    expect(harness.media.extracted('w2')).toEqual([4]);
    expect(harness.events(jobId).filter((event) => event.event === 'chunk_recreated')).toMatchObject([
      { chunk_index: 4, reason: 'missing' },
    ]);
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
  });

  it('fails the job with source_missing when a re-extraction finds no source, and the worker loop goes on to complete another job', async () => {
    const harness = new Harness();
    await abandonAfterTwoCommits(harness);
    harness.chunkStore.deleteFile(jobId, 3);
    harness.media.missing.add(sourceOf(jobId));
    const w2 = harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'failed'));

    const failed = harness.job(jobId);
    expect(failed?.failure?.reason).toBe('source_missing');
    const events = harness.events(jobId);
    expectWellFormed(events);
    expect(names(events).slice(-2)).toEqual(['job_failed', 'recovery_failed']);
    expect(events.at(-2)).toMatchObject({ event: 'job_failed', reason: 'source_missing', worker_id: 'w2' });
    expect(events.at(-1)).toMatchObject({
      event: 'recovery_failed',
      recovery_result: 'job_failed',
      reason: 'source_missing',
    });
    expect(names(events)).not.toContain('chunk_recreated');
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w2')).toEqual([]);
    await harness.runUntil(() => harness.chunkStore.fileNames(jobId).length === 0);

    await harness.createJob('job-next', 3_000);
    await harness.runUntil(() => harness.isIn('job-next', 'completed'));
    expect(harness.job('job-next')?.owner).toBe('w2');
    expect(harness.job('job-next')?.transcript).toBe(await crashFreeTranscript('job-next', 3_000));
    expect(w2.finished).toBe(false);
    expect(w2.log.filter((entry) => entry.what === 'error')).toEqual([]);
  });
});
