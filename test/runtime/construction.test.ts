/**
 * A worker refuses bad construction input at the boundary: a TypeError or RangeError naming the field, before it
 * touches any port.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChunkStore, MemoryJobStore } from '../../src/adapters/memory/index.js';
import { defaultLimits, leaseDurationMsMax, recoveryAttemptsMaxLimit, type Limits } from '../../src/core/limits.js';
import { Worker, type WorkerOptions } from '../../src/runtime/worker.js';

function options(overrides: Partial<WorkerOptions> & { limits?: Partial<Limits> }): WorkerOptions {
  const store = new MemoryJobStore({ now: () => 0 });
  return {
    workerId: 'w1',
    store,
    chunkStore: new MemoryChunkStore(),
    media: {
      probe: async () => ({ kind: 'ok', durationMs: 1_000 }),
      extractChunk: async () => ({ kind: 'invalid', message: 'unused' }),
    },
    transcriber: { transcribe: async () => ({ kind: 'ok', text: '' }) },
    clock: { now: () => 0, sleep: async () => {} },
    random: () => 0.5,
    ...overrides,
  };
}

describe('worker construction', () => {
  it.each([
    ['an empty id', ''],
    ['an id with a space', 'worker 1'],
    ['an id with a slash', 'w/1'],
    ['an id of 129 characters', 'w'.repeat(129)],
    ['a number', 42],
    ['undefined', undefined],
  ])('throws a TypeError naming workerId for %s', (_label, workerId) => {
    expect(() => new Worker(options({ workerId: workerId as string }))).toThrow(TypeError);
    expect(() => new Worker(options({ workerId: workerId as string }))).toThrow(/workerId/);
  });

  it('accepts the longest valid id and fills missing limits with the defaults', () => {
    const worker = new Worker(options({ workerId: `${'w'.repeat(120)}:host#1`, limits: { leaseDurationMs: 20_000 } }));
    expect(worker.workerId).toHaveLength(127);
    expect(worker.limits).toEqual({ ...defaultLimits, leaseDurationMs: 20_000 });
    expect(worker.stopped).toBe(false);
  });

  it.each<[string, Partial<Limits>, RegExp]>([
    [
      'a renew interval not below the lease',
      { leaseDurationMs: 10_000, leaseRenewIntervalMs: 10_000 },
      /leaseRenewIntervalMs/,
    ],
    ['a base delay above the cap', { retryDelayBaseMs: 5_000, retryDelayMaxMs: 1_000 }, /retryDelayBaseMs/],
    ['a zero lease', { leaseDurationMs: 0 }, /limits\.leaseDurationMs/],
    ['a negative attempt count', { transcriptionAttemptsMax: -1 }, /limits\.transcriptionAttemptsMax/],
    ['a fractional poll interval', { idlePollIntervalMs: 1.5 }, /limits\.idlePollIntervalMs/],
    ['a NaN sweep interval', { sweepIntervalMs: Number.NaN }, /limits\.sweepIntervalMs/],
    ['an infinite page size', { recoverableJobsPageMax: Number.POSITIVE_INFINITY }, /limits\.recoverableJobsPageMax/],
    ['an explicitly undefined limit', { mediaAttemptsMax: undefined as unknown as number }, /limits\.mediaAttemptsMax/],
  ])('throws a RangeError naming the field for inconsistent limits: %s', (_label, limits, field) => {
    expect(() => new Worker(options({ limits }))).toThrow(RangeError);
    expect(() => new Worker(options({ limits }))).toThrow(field);
  });

  // Limits every claim would be refused for (a lease above leaseDurationMsMax, more recovery attempts
  // than recoveryAttemptsMaxLimit) are refused when the worker is built, not claim after claim.
  it('refuses limits that every claim would be refused for (leaseDurationMs above leaseDurationMsMax)', () => {
    expect(() => new Worker(options({ limits: { leaseDurationMs: leaseDurationMsMax + 1 } }))).toThrow(
      /leaseDurationMs/,
    );
  });

  it('refuses limits that every claim would be refused for (recoveryAttemptsMax above recoveryAttemptsMaxLimit)', () => {
    expect(() => new Worker(options({ limits: { recoveryAttemptsMax: recoveryAttemptsMaxLimit + 1 } }))).toThrow(
      /recoveryAttemptsMax/,
    );
  });
});
