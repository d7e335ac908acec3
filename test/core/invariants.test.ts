/**
 * Invariants of a stored job (invariants.ts): jobInvariantProblems finds every kind of broken stored state (each check
 * is shown to fire on a state broken in that one way) and nothing in states the operations reach; then phase by phase:
 * every phase that must have a plan is checked for one, every phase that must not is checked for none, a chunk's
 * digest must be exactly 64 hex digits (an empty file is a valid size), and every terminal phase closes its recovery.
 */
import { describe, expect, it } from 'vitest';
import { jobInvariantProblems } from '../../src/core/invariants.js';
import * as operations from '../../src/core/operations.js';
import type { Job } from '../../src/core/types.js';
import { applied, chunkingJob, ownerFence, queuedJob, recovered, transcribingJob } from './support.js';

const transcribing = transcribingJob(3, [0]);
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
    [
      'more hand-overs than recoveries',
      { ...transcribing, recovery: { ...transcribing.recovery, open: true, attempts: 1, handovers: 2 } },
      '2 hand-overs is not a count within the 1 recoveries',
    ],
    [
      'a negative count of hand-overs',
      { ...transcribing, recovery: { ...transcribing.recovery, handovers: -1 } },
      '-1 hand-overs is not a count within the 0 recoveries',
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

  describe('phases that need a plan', () => {
    it.each<[string, Job]>([
      ['finalizing', finalizing],
      ['completed', completed],
    ])('%s: no chunks and no duration are each a problem', (phase, job) => {
      const problems = jobInvariantProblems({
        ...job,
        chunks: [],
        durationMs: null,
        transcript: job.phase === 'completed' ? '' : null,
      });
      expect(problems).toContain(`phase ${phase} without chunks`);
      expect(problems).toContain(`phase ${phase} without a duration`);
    });

    it('completed: a pending chunk is a problem', () => {
      const pending = {
        ...completed,
        chunks: completed.chunks.map((chunk, index) => (index === 1 ? { ...chunk, transcript: null } : chunk)),
      };
      expect(jobInvariantProblems(pending)).toContain('phase completed with 1 pending chunks');
    });
  });

  describe('phases that must not have a plan', () => {
    it('queued: planned chunks are a problem', () => {
      expect(jobInvariantProblems({ ...queuedJob(), chunks: transcribing.chunks })).toContain(
        'phase queued with planned chunks',
      );
    });
  });

  describe('chunk digests and sizes', () => {
    const withChunk = (change: Partial<Job['chunks'][number]>): Job => ({
      ...transcribing,
      chunks: transcribing.chunks.map((chunk, index) => (index === 2 ? { ...chunk, ...change } : chunk)),
    });

    it('accept an empty chunk file', () => {
      expect(jobInvariantProblems(withChunk({ bytes: 0 }))).toEqual([]);
    });

    it('refuse anything before or after the 64 hex digits', () => {
      const digest = transcribing.chunks[2]?.sha256 ?? '';
      expect(jobInvariantProblems(withChunk({ sha256: `0${digest}` }))).toEqual(['chunk 2 has no valid sha256']);
      expect(jobInvariantProblems(withChunk({ sha256: `${digest}0` }))).toEqual(['chunk 2 has no valid sha256']);
    });
  });

  describe('terminal phases', () => {
    it('failed: an open recovery is a problem', () => {
      expect(jobInvariantProblems({ ...failed, recovery: { ...failed.recovery, open: true, attempts: 1 } })).toEqual([
        'a terminal job with an open recovery',
      ]);
    });
  });
});
