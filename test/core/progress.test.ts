/**
 * Progress is committed chunks over total, monotone in the committed count and 100 only when the job completed; the
 * transcript is the in-order join: property tests over random counts.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import { assembleTranscript, committedCount, progressPercent } from '../../src/core/progress.js';
import type { Chunk } from '../../src/core/types.js';
import { sha } from './support.js';

const totalArbitrary = fc.integer({ min: 1, max: 10_000 });

describe('progressPercent', () => {
  test.prop([
    totalArbitrary.chain((total) =>
      fc.tuple(fc.constant(total), fc.integer({ min: 0, max: total }), fc.integer({ min: 0, max: total })),
    ),
  ])('is monotone in completed and stays below 100 until the job completed', ([total, a, b]) => {
    const [low, high] = a <= b ? [a, b] : [b, a];
    expect(progressPercent(low, total, false)).toBeLessThanOrEqual(progressPercent(high, total, false));
    expect(progressPercent(high, total, false)).toBeLessThanOrEqual(progressPercent(high, total, true));
    expect(progressPercent(high, total, false)).toBeLessThan(100);
    expect(progressPercent(high, total, false)).toBeGreaterThanOrEqual(0);
    expect(progressPercent(low, total, true)).toBe(100);
    expect(Number.isInteger(progressPercent(low, total, false))).toBe(true);
  });

  test.prop([totalArbitrary, fc.boolean()])('reaches 100 if and only if the job completed', (total, jobCompleted) => {
    expect(progressPercent(total, total, jobCompleted) === 100).toBe(jobCompleted);
  });

  it('floors, caps at 99 while unfinished, and reads 0 for an empty plan', () => {
    expect(progressPercent(1, 3, false)).toBe(33);
    expect(progressPercent(2, 3, false)).toBe(66);
    expect(progressPercent(199, 200, false)).toBe(99);
    expect(progressPercent(5, 5, false)).toBe(99);
    expect(progressPercent(0, 0, false)).toBe(0);
    expect(progressPercent(0, 0, true)).toBe(100);
  });
});

function chunk(index: number, transcript: string | null): Chunk {
  return { index, startMs: index * 1_000, durationMs: 1_000, bytes: 10, sha256: sha(index), transcript };
}

describe('committedCount and assembleTranscript', () => {
  test.prop([fc.array(fc.option(fc.string({ maxLength: 8 }), { nil: null }), { maxLength: 20 })])(
    'count committed chunks and join their texts in index order with one space',
    (texts) => {
      const chunks = texts.map((text, index) => chunk(index, text));
      expect(committedCount(chunks)).toBe(texts.filter((text) => text !== null).length);
      expect(assembleTranscript(chunks)).toBe(texts.map((text) => text ?? '').join(' '));
    },
  );
});
