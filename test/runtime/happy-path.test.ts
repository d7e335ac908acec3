/**
 * One worker runs one job crash-free on the memory stores in virtual time: it completes with the in-order transcript,
 * the expected events and no files left.
 */
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../src/core/events.js';
import { Harness, chunkBytes, sourceOf, transcriptOf } from '../support/fakes.js';

describe('worker happy path', () => {
  it('completes a job of 5 chunks with the in-order transcript, the expected events and no chunk files left', async () => {
    const harness = new Harness();
    await harness.createJob('job-a', 9_500, 2_000);
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-a', 'completed'));

    const chunkSpecs = [0, 1, 2, 3, 4].map((index) => ({
      index,
      startMs: index * 2_000,
      durationMs: index === 4 ? 1_500 : 2_000,
    }));
    const texts = chunkSpecs.map((spec) => transcriptOf('job-a', spec.index, chunkBytes(sourceOf('job-a'), spec)));
    const job = harness.job('job-a');
    expect(job?.transcript).toBe(texts.join(' '));
    expect(job?.chunks.map((chunk) => chunk.transcript)).toEqual(texts);
    expect(job?.recovery.attempts).toBe(0);

    const events = harness.events('job-a');
    expect(events.map((event) => event.event)).toEqual([
      'chunks_created',
      'transcription_started',
      'chunk_transcribed',
      'progress_update',
      'chunk_transcribed',
      'progress_update',
      'chunk_transcribed',
      'progress_update',
      'chunk_transcribed',
      'progress_update',
      'chunk_transcribed',
      'progress_update',
      'progress_update',
      'transcription_completed',
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
    for (const event of events) {
      expect(parseEvent(event)).toEqual(event);
      expect(event).toMatchObject({ job_id: 'job-a', worker_id: 'w1', epoch: 1, recovery: false });
    }
    expect(events.flatMap((event) => (event.event === 'chunk_transcribed' ? [event.chunk_index] : []))).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(events.flatMap((event) => (event.event === 'progress_update' ? [event.progress] : []))).toEqual([
      20, 40, 60, 80, 99, 100,
    ]);
    expect(events.at(0)).toMatchObject({
      event: 'chunks_created',
      total_chunks: 5,
      chunk_length_ms: 2_000,
      duration_ms: 9_500,
    });

    expect([...harness.transcriber.callsPerChunk('job-a')]).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(harness.transcriber.calls.map((call) => call.prompt)).toEqual([null, ...texts.slice(0, 4)]);
    expect(harness.media.extracted()).toEqual([0, 1, 2, 3, 4]);
    expect(harness.chunkStore.fileNames('job-a')).toEqual([]);
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([]);
    expect(w1.log.filter((entry) => entry.jobId === 'job-a')).toEqual([
      { workerId: 'w1', what: 'claimed', jobId: 'job-a', detail: 'new' },
      { workerId: 'w1', what: 'stopped', jobId: 'job-a', detail: 'completed' },
    ]);

    w1.worker.stop();
    await harness.runUntil(() => w1.finished);
    expect(w1.error).toBeUndefined();
  });
});
