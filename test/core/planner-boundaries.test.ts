/**
 * The planner at its boundaries, case by case: a tail of exactly chunkTailMsMin is a chunk of its own, a shorter one is
 * merged, and a recovery plan follows the snapshot's phase before it looks at the chunks.
 */
import { describe, expect, it } from 'vitest';
import { chunkTailMsMin } from '../../src/core/limits.js';
import { planChunks, planRecovery, type ChunkFileStatus } from '../../src/core/planner.js';
import { transcribingJob } from './support.js';

describe('planChunks at the tail boundary', () => {
  it('keeps a tail of exactly chunkTailMsMin as its own chunk', () => {
    expect(planChunks(10_000 + chunkTailMsMin, 10_000)).toEqual([
      { index: 0, startMs: 0, durationMs: 10_000 },
      { index: 1, startMs: 10_000, durationMs: chunkTailMsMin },
    ]);
  });

  it('merges a tail one ms shorter into the chunk before it', () => {
    expect(planChunks(10_000 + chunkTailMsMin - 1, 10_000)).toEqual([
      { index: 0, startMs: 0, durationMs: 10_000 + chunkTailMsMin - 1 },
    ]);
  });
});

describe('planRecovery decides by phase first', () => {
  it('finalizes a finalizing snapshot even if a chunk reads as pending (it never schedules work for it)', () => {
    const job = transcribingJob(2, [0, 1]);
    expect(job.phase).toBe('finalizing');
    const pendingAgain = {
      ...job,
      chunks: job.chunks.map((chunk, index) => (index === 1 ? { ...chunk, transcript: null } : chunk)),
    };
    expect(planRecovery(pendingAgain, new Map<number, ChunkFileStatus>([[1, 'missing']]))).toEqual({
      kind: 'finalize',
    });
  });
});
