/**
 * jobInvariantProblems finds every kind of broken stored state (each check is shown to fire on a state broken in that
 * one way) and nothing in states the operations reach; assert and unreachable throw AssertionError.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError, assert, unreachable } from '../../src/core/assert.js';
import { jobInvariantProblems } from '../../src/core/invariants.js';
import * as operations from '../../src/core/operations.js';
import type { Job } from '../../src/core/types.js';
import { applied, chunkingJob, freshRequestId, ownerFence, queuedJob, recovered, transcribingJob } from './support.js';

const finalizing = transcribingJob(2, [0, 1]);
const completed = applied(operations.complete(finalizing, ownerFence(finalizing), 10)).job;
const failed = applied(
  operations.fail(
    transcribingJob(2, [0]),
    { ...ownerFence(transcribingJob(2, [0])), reason: 'transcription_failed', message: 'x' },
    10,
  ),
).job;

describe('jobInvariantProblems', () => {
  it('finds nothing in states the operations reach', () => {
    for (const job of [
      queuedJob(),
      chunkingJob(),
      transcribingJob(3, [1]),
      recovered(transcribingJob(3, [0])),
      finalizing,
      completed,
      failed,
    ]) {
      expect(jobInvariantProblems(job)).toEqual([]);
    }
  });

  const transcribing = transcribingJob(3, [0]);
  it.each<[string, Job, string]>([
    ['an unknown phase', { ...transcribing, phase: 'paused' as Job['phase'] }, 'unknown phase "paused"'],
    ['a negative epoch', { ...transcribing, epoch: -1 }, 'epoch -1 is not a non-negative integer'],
    ['a fractional epoch', { ...transcribing, epoch: 1.5 }, 'epoch 1.5 is not a non-negative integer'],
    ['a zero nextSeq', { ...transcribing, nextSeq: 0 }, 'nextSeq 0 is not a positive integer'],
    ['a queued job with an epoch', { ...queuedJob(), epoch: 1 }, 'a queued job has been leased'],
    ['a queued job with an owner', { ...queuedJob(), owner: 'w1' }, 'a queued job has an owner'],
    ['a started job without an owner', { ...transcribing, owner: null }, 'phase transcribing without a lease grant'],
    ['a started job at epoch 0', { ...chunkingJob(), epoch: 0 }, 'phase chunking without a lease grant'],
    [
      'a chunking job with chunks',
      { ...chunkingJob(), chunks: transcribing.chunks },
      'phase chunking with planned chunks',
    ],
    ['a transcribing job without chunks', { ...transcribing, chunks: [] }, 'phase transcribing without chunks'],
    [
      'a transcribing job without a duration',
      { ...transcribing, durationMs: null },
      'phase transcribing without a duration',
    ],
    [
      'a chunk out of place',
      {
        ...transcribing,
        chunks: [transcribing.chunks[1], transcribing.chunks[0], transcribing.chunks[2]] as Job['chunks'],
      },
      'chunk at position 0 has index 1',
    ],
    [
      'a chunk without a sha256',
      { ...transcribing, chunks: transcribing.chunks.map((chunk) => ({ ...chunk, sha256: 'x' })) },
      'chunk 0 has no valid sha256',
    ],
    [
      'a chunk with a negative size',
      { ...transcribing, chunks: transcribing.chunks.map((chunk) => ({ ...chunk, bytes: -1 })) },
      'chunk 0 has no valid size',
    ],
    [
      'a chunk transcript that is not text',
      {
        ...transcribing,
        chunks: transcribing.chunks.map((chunk) => ({ ...chunk, transcript: 5 as unknown as string })),
      },
      'chunk 0 transcript is not text',
    ],
    [
      'a transcribing job with every chunk committed',
      { ...transcribing, chunks: finalizing.chunks },
      'transcribing with every chunk committed',
    ],
    [
      'a finalizing job with a pending chunk',
      { ...finalizing, chunks: transcribing.chunks },
      'phase finalizing with 2 pending chunks',
    ],
    [
      'a completed transcript that differs',
      { ...completed, transcript: 'other' },
      'completed transcript differs from its chunks',
    ],
    [
      'a final transcript before completion',
      { ...finalizing, transcript: 'early' },
      'phase finalizing with a final transcript',
    ],
    ['a failed job without a reason', { ...failed, failure: null }, 'failed without a known reason'],
    [
      'a failed job with an unknown reason',
      { ...failed, failure: { reason: 'bogus' as never, message: '' } },
      'failed without a known reason',
    ],
    [
      'a failure outside the failed phase',
      { ...transcribing, failure: { reason: 'media_invalid', message: '' } },
      'phase transcribing with a failure',
    ],
    [
      'an open recovery with no attempt',
      { ...transcribing, recovery: { ...transcribing.recovery, open: true, attempts: 0 } },
      'an open recovery with no attempt counted',
    ],
    [
      'a terminal job with an open recovery',
      { ...completed, recovery: { ...completed.recovery, open: true, attempts: 1 } },
      'a terminal job with an open recovery',
    ],
  ])('reports %s', (_label, job, problem) => {
    expect(jobInvariantProblems(job)).toContain(problem);
  });

  it('reports every problem of a state broken in several ways', () => {
    const broken: Job = { ...queuedJob(), epoch: 2, owner: 'w9', transcript: 'x', nextSeq: -1 };
    expect(jobInvariantProblems(broken)).toEqual([
      'nextSeq -1 is not a positive integer',
      'a queued job has been leased',
      'a queued job has an owner',
      'phase queued with a final transcript',
    ]);
  });
});

describe('assert and unreachable', () => {
  it('assert passes on a truthy condition and throws an AssertionError with the message otherwise', () => {
    expect(() => assert(1, 'never')).not.toThrow();
    expect(() => assert(0, 'zero is falsy')).toThrow(AssertionError);
    expect(() => assert(null, 'null is falsy')).toThrow('null is falsy');
    expect(new AssertionError('x').name).toBe('AssertionError');
  });

  it('unreachable throws an AssertionError naming what and the value', () => {
    expect(() => unreachable('surprise' as never, 'phase')).toThrow(
      new AssertionError('unreachable phase: "surprise"'),
    );
  });

  it('the request ids of the fixtures are unique', () => {
    expect(freshRequestId()).not.toBe(freshRequestId());
  });
});
