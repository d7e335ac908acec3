/**
 * Limits (limits.ts): validateLimits accepts the defaults and limits at their maxima, and refuses a limit that is not a
 * positive integer, a renew interval not below the lease, a base delay above the cap, a lease or a number of recoveries
 * no claim may ask for, and more transcriptions in flight than chunkConcurrencyMax, with a RangeError naming the limit.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import {
  chunkConcurrencyMax,
  defaultLimits,
  leaseDurationMsMax,
  recoveryAttemptsMaxLimit,
  validateLimits,
  type Limits,
} from '../../src/core/limits.js';
import { expectNamed } from './support.js';

describe('validateLimits', () => {
  it('accepts the defaults and returns them', () => {
    expect(validateLimits(defaultLimits)).toBe(defaultLimits);
  });

  it('accepts a lease of exactly leaseDurationMsMax and exactly recoveryAttemptsMaxLimit recoveries', () => {
    const limits = {
      ...defaultLimits,
      leaseDurationMs: leaseDurationMsMax,
      recoveryAttemptsMax: recoveryAttemptsMaxLimit,
      chunkConcurrency: chunkConcurrencyMax,
    };
    expect(validateLimits(limits)).toBe(limits);
  });

  it('names a limit that is not a number at all', () => {
    expect(() => validateLimits({ ...defaultLimits, idlePollIntervalMs: '1000' as unknown as number })).toThrow(
      new RangeError('limits.idlePollIntervalMs must be a positive integer, got 1000'),
    );
  });

  test.prop([
    fc.constantFrom(...(Object.keys(defaultLimits) as (keyof Limits)[])),
    fc.constantFrom(0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number),
  ])('rejects a non-positive-integer value of any field with a RangeError naming it', (field, value) => {
    expectNamed(() => validateLimits({ ...defaultLimits, [field]: value }), RangeError, `limits.${field}`);
  });

  it('rejects a renew interval that is not below the lease', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: 5_000, leaseRenewIntervalMs: 5_000 }),
      RangeError,
      'limits.leaseRenewIntervalMs',
    );
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: 5_000, leaseRenewIntervalMs: 6_000 }),
      RangeError,
      'limits.leaseDurationMs',
    );
  });

  it('rejects a base delay above the cap and accepts equal ones', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, retryDelayBaseMs: 2_000, retryDelayMaxMs: 1_000 }),
      RangeError,
      'limits.retryDelayBaseMs',
    );
    expect(() => validateLimits({ ...defaultLimits, retryDelayBaseMs: 1_000, retryDelayMaxMs: 1_000 })).not.toThrow();
  });

  // Regression: limits that every claim would be refused for are refused by validateLimits itself.
  it('rejects a lease longer than any claim may ask for', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: leaseDurationMsMax + 1 }),
      RangeError,
      'limits.leaseDurationMs',
    );
  });

  it('rejects more transcriptions in flight than chunkConcurrencyMax', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, chunkConcurrency: chunkConcurrencyMax + 1 }),
      RangeError,
      'limits.chunkConcurrency',
    );
  });

  it('rejects more recovery attempts than any claim may pass', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, recoveryAttemptsMax: recoveryAttemptsMaxLimit + 1 }),
      RangeError,
      'limits.recoveryAttemptsMax',
    );
  });
});
