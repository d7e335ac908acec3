/**
 * The planner (planner.ts): planChunks cuts media into contiguous chunks that cover it exactly (a tail of exactly
 * chunkTailMsMin is a chunk of its own, a shorter one is merged) and refuses bad input naming the field; planRecovery
 * follows the snapshot's phase before it looks at the chunks, never schedules a committed chunk and re-extracts
 * exactly the missing or corrupt pending ones. Property tests over random durations, lengths and file checks, and
 * cases at the boundaries.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import {
  chunkLengthMsMax,
  chunkLengthMsMin,
  chunkTailMsMin,
  chunksPerJobMax,
  mediaDurationMsMax,
} from '../../src/core/limits.js';
import { chunkCount, planChunks, plannedChunk, planRecovery, type ChunkFileStatus } from '../../src/core/planner.js';
import * as operations from '../../src/core/operations.js';
import { applied, chunkingJob, freshRequestId, queuedJob, recovered, transcribingJob } from './support.js';

const lengthArbitrary = fc.oneof(
  fc.integer({ min: chunkLengthMsMin, max: 10_000 }),
  fc.integer({ min: chunkLengthMsMin, max: chunkLengthMsMax }),
);
const durationArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 100_000 }),
  fc.double({ min: 0.001, max: 100_000, noNaN: true }),
  fc.integer({ min: 1, max: mediaDurationMsMax }),
);

describe('planChunks', () => {
  test.prop([durationArbitrary, lengthArbitrary])(
    'covers the rounded duration exactly with contiguous chunks, each at most one length (the last may absorb a short tail)',
    (durationMs, chunkLengthMs) => {
      const totalMs = Math.max(1, Math.round(durationMs));
      fc.pre(Math.ceil(totalMs / chunkLengthMs) <= chunksPerJobMax);
      const chunks = planChunks(durationMs, chunkLengthMs);
      expect(chunks.length).toBeGreaterThanOrEqual(1);
      let expectedStartMs = 0;
      chunks.forEach((chunk, position) => {
        expect(chunk.index).toBe(position);
        expect(chunk.startMs).toBe(expectedStartMs);
        expect(chunk.durationMs).toBeGreaterThan(0);
        expect(Number.isInteger(chunk.durationMs)).toBe(true);
        const last = position === chunks.length - 1;
        if (!last) expect(chunk.durationMs).toBe(chunkLengthMs);
        if (last) expect(chunk.durationMs).toBeLessThan(chunkLengthMs + chunkTailMsMin);
        if (last && chunks.length > 1) expect(chunk.durationMs).toBeGreaterThanOrEqual(chunkTailMsMin);
        expectedStartMs += chunk.durationMs;
      });
      expect(expectedStartMs).toBe(totalMs);
      expect(Math.abs(expectedStartMs - durationMs)).toBeLessThanOrEqual(1);
    },
  );

  test.prop([durationArbitrary, lengthArbitrary, fc.integer({ min: -2, max: 60 })])(
    'chunkCount and plannedChunk agree with the whole plan, chunk by chunk, and refuse what it refuses',
    (durationMs, chunkLengthMs, index) => {
      let plan: ReturnType<typeof planChunks>;
      try {
        plan = planChunks(durationMs, chunkLengthMs);
      } catch (error) {
        expect(() => chunkCount(durationMs, chunkLengthMs)).toThrow((error as Error).message);
        expect(() => plannedChunk(durationMs, chunkLengthMs, index)).toThrow((error as Error).message);
        return;
      }
      expect(chunkCount(durationMs, chunkLengthMs)).toBe(plan.length);
      expect(plannedChunk(durationMs, chunkLengthMs, index)).toEqual(plan[index]);
      expect(plannedChunk(durationMs, chunkLengthMs, plan.length - 1)).toEqual(plan.at(-1));
    },
  );

  it('cuts exact multiples into whole chunks, keeps a long tail apart and merges a short one', () => {
    expect(planChunks(3_000, 1_000).map((chunk) => chunk.durationMs)).toEqual([1_000, 1_000, 1_000]);
    expect(planChunks(9_500, 2_000).map((chunk) => chunk.durationMs)).toEqual([2_000, 2_000, 2_000, 2_000, 1_500]);
    expect(planChunks(4_500, 2_000).map((chunk) => chunk.durationMs)).toEqual([2_000, 2_500]);
    expect(planChunks(4_500, 1_000).map((chunk) => chunk.durationMs)).toEqual([1_000, 1_000, 1_000, 1_500]);
    expect(planChunks(500, 1_000)).toEqual([{ index: 0, startMs: 0, durationMs: 500 }]);
    expect(planChunks(0.2, 1_000)).toEqual([{ index: 0, startMs: 0, durationMs: 1 }]);
  });

  it.each<[string, number, number, RegExp, ErrorConstructor]>([
    ['a zero duration', 0, 1_000, /durationMs/, RangeError],
    ['a negative duration', -5, 1_000, /durationMs/, RangeError],
    ['a NaN duration', Number.NaN, 1_000, /durationMs/, RangeError],
    ['an infinite duration', Number.POSITIVE_INFINITY, 1_000, /durationMs/, RangeError],
    ['a duration beyond 48 h', mediaDurationMsMax + 1, 1_000, /durationMs/, RangeError],
    ['a zero chunk length', 5_000, 0, /chunkLengthMs/, RangeError],
    ['a negative chunk length', 5_000, -1_000, /chunkLengthMs/, RangeError],
    ['a NaN chunk length', 5_000, Number.NaN, /chunkLengthMs/, RangeError],
    ['an infinite chunk length', 5_000, Number.POSITIVE_INFINITY, /chunkLengthMs/, RangeError],
    ['a fractional chunk length', 5_000, 1_500.5, /chunkLengthMs/, RangeError],
    ['a chunk length below the minimum', 5_000, chunkLengthMsMin - 1, /chunkLengthMs/, RangeError],
    ['a chunk length above the maximum', 5_000, chunkLengthMsMax + 1, /chunkLengthMs/, RangeError],
    ['too many chunks', (chunksPerJobMax + 1) * 1_000, 1_000, /durationMs .* needs 10001 chunks/, RangeError],
  ])('throws for %s, naming the field', (_label, durationMs, chunkLengthMs, message, type) => {
    expect(() => planChunks(durationMs, chunkLengthMs)).toThrow(type);
    expect(() => planChunks(durationMs, chunkLengthMs)).toThrow(message);
  });

  it('accepts exactly chunksPerJobMax chunks', () => {
    expect(planChunks(chunksPerJobMax * 1_000, 1_000)).toHaveLength(chunksPerJobMax);
  });

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

const statusArbitrary = fc.constantFrom<ChunkFileStatus>('ok', 'missing', 'corrupt');

describe('planRecovery', () => {
  test.prop([
    fc
      .integer({ min: 1, max: 8 })
      .chain((chunks) =>
        fc.tuple(
          fc.constant(chunks),
          fc.subarray([...Array(chunks).keys()]),
          fc.array(statusArbitrary, { minLength: chunks, maxLength: chunks }),
        ),
      ),
  ])(
    'never schedules a committed chunk, re-extracts exactly the missing or corrupt pending chunks, and finalizes when none is pending',
    ([chunks, committed, statuses]) => {
      const job = transcribingJob(chunks, committed);
      // Checks may also report committed chunks (a recovery only checks pending ones, but a plan must ignore the
      // others).
      const checks = new Map(statuses.map((status, index) => [index, status]));
      const plan = planRecovery(job, checks);
      const pending = [...Array(chunks).keys()].filter((index) => !committed.includes(index));
      if (pending.length === 0) {
        expect(job.phase).toBe('finalizing');
        expect(plan).toEqual({ kind: 'finalize' });
        return;
      }
      expect(plan.kind).toBe('resume');
      if (plan.kind !== 'resume') return;
      expect(plan.transcribe).toEqual(pending);
      expect(plan.reextract).toEqual(
        pending.filter((index) => statuses[index] !== 'ok').map((index) => ({ index, reason: statuses[index] })),
      );
      for (const index of committed) {
        expect(plan.transcribe).not.toContain(index);
        expect(plan.reextract.map((entry) => entry.index)).not.toContain(index);
      }
    },
  );

  it('fails with state_corrupt when a pending chunk was not checked', () => {
    const job = transcribingJob(3, [0]);
    expect(planRecovery(job, new Map([[1, 'ok']]))).toEqual({
      kind: 'fail',
      reason: 'state_corrupt',
      message: 'chunk 2 was not checked',
    });
  });

  it('re-chunks a queued or chunking job, finalizes a finalizing one, and does nothing for a terminal one', () => {
    const none = new Map<number, ChunkFileStatus>();
    expect(planRecovery(queuedJob(), none)).toEqual({ kind: 'rechunk' });
    expect(planRecovery(recovered(chunkingJob()), none)).toEqual({ kind: 'rechunk' });
    const finalizing = transcribingJob(2, [0, 1]);
    expect(planRecovery(finalizing, none)).toEqual({ kind: 'finalize' });
    const completed = applied(
      operations.complete(
        finalizing,
        { jobId: finalizing.id, workerId: 'w1', epoch: 1, requestId: freshRequestId() },
        5,
      ),
    ).job;
    expect(planRecovery(completed, none)).toEqual({ kind: 'nothing', why: 'terminal' });
    const failed = applied(
      operations.fail(
        finalizing,
        {
          jobId: finalizing.id,
          workerId: 'w1',
          epoch: 1,
          requestId: freshRequestId(),
          reason: 'state_corrupt',
          message: 'x',
        },
        5,
      ),
    ).job;
    expect(planRecovery(failed, none)).toEqual({ kind: 'nothing', why: 'terminal' });
  });

  it('finalizes a transcribing snapshot that has no pending chunk left', () => {
    const job = transcribingJob(2, [0]);
    const allCommitted = { ...job, chunks: job.chunks.map((chunk) => ({ ...chunk, transcript: 'x' })) };
    expect(planRecovery(allCommitted, new Map())).toEqual({ kind: 'finalize' });
  });

  it('finalizes a finalizing snapshot even if a chunk reads as pending (it decides by phase first, never scheduling work for it)', () => {
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
