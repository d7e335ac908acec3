/**
 * jobInvariantProblems phase by phase: every phase that must have a plan is checked for one, every phase that must not
 * is checked for none, a chunk's digest must be exactly 64 hex digits (an empty file is a valid size), and every
 * terminal phase closes its recovery.
 */
import { describe, expect, it } from 'vitest';
import { jobInvariantProblems } from '../../src/core/invariants.js';
import * as operations from '../../src/core/operations.js';
import type { Job } from '../../src/core/types.js';
import { applied, ownerFence, queuedJob, transcribingJob } from './support.js';

const transcribing = transcribingJob(3, [0]);
const finalizing = transcribingJob(2, [0, 1]);
const completed = applied(operations.complete(finalizing, ownerFence(finalizing), 10)).job;
const failed = applied(
  operations.fail(transcribing, { ...ownerFence(transcribing), reason: 'media_invalid', message: 'x' }, 10),
).job;

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
