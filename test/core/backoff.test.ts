/**
 * Capped exponential backoff with equal jitter: every delay lies in [step/2, step] for step = min(cap, base *
 * 2^(attempt-1)), and bad input throws a RangeError naming it; property tests over random attempts, limits and random
 * numbers.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/core/backoff.js';

const limitsArbitrary = fc
  .tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }))
  .map(([a, b]) => ({ retryDelayBaseMs: Math.min(a, b), retryDelayMaxMs: Math.max(a, b) }));
const randomArbitrary = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoffDelayMs', () => {
  test.prop([fc.integer({ min: 1, max: 1_000_000 }), limitsArbitrary, randomArbitrary])(
    'stays within [step/2, step] and never exceeds the cap',
    (attempt, limits, random01) => {
      const step = Math.min(limits.retryDelayMaxMs, limits.retryDelayBaseMs * 2 ** Math.min(attempt - 1, 30));
      const delay = backoffDelayMs(attempt, limits, random01);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
      expect(delay).toBeLessThanOrEqual(limits.retryDelayMaxMs);
    },
  );

  test.prop([fc.integer({ min: 1, max: 60 }), limitsArbitrary, randomArbitrary])(
    'does not shrink as attempts grow, for the same random number',
    (attempt, limits, random01) => {
      expect(backoffDelayMs(attempt + 1, limits, random01)).toBeGreaterThanOrEqual(
        backoffDelayMs(attempt, limits, random01),
      );
    },
  );

  it('doubles from the base and stops at the cap', () => {
    const limits = { retryDelayBaseMs: 100, retryDelayMaxMs: 1_000 };
    expect([1, 2, 3, 4, 5, 50].map((attempt) => backoffDelayMs(attempt, limits, 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, limits, 0.999_999))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'throws a RangeError naming attempt for %s',
    (attempt) => {
      expect(() => backoffDelayMs(attempt, { retryDelayBaseMs: 100, retryDelayMaxMs: 1_000 }, 0.5)).toThrow(RangeError);
      expect(() => backoffDelayMs(attempt, { retryDelayBaseMs: 100, retryDelayMaxMs: 1_000 }, 0.5)).toThrow(/attempt/);
    },
  );

  it.each([-0.1, 1, 2, Number.NaN])('throws a RangeError naming random01 for %s', (random01) => {
    expect(() => backoffDelayMs(1, { retryDelayBaseMs: 100, retryDelayMaxMs: 1_000 }, random01)).toThrow(RangeError);
    expect(() => backoffDelayMs(1, { retryDelayBaseMs: 100, retryDelayMaxMs: 1_000 }, random01)).toThrow(/random01/);
  });
});
