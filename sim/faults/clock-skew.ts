/**
 * clock_skew: the clock of a worker's machine (every incarnation of its slot) is `offsetMs` ahead of the store's
 * and runs `driftPpm` parts per million fast (or slow, below 0), for the whole run. The store keeps its own time;
 * the engine must not mix the two.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, faultFields } from './kind.js';

/**
 * Largest clock offset of a worker against the store, and largest drift. Offsets are ahead of the store only:
 * virtual time starts at 0 and no real clock reads below it; a clock behind the store comes from a negative drift
 * (and two skewed workers are ahead of each other either way). The drift stays well inside the lease margin the
 * runtime keeps (a tenth of the lease): a clock slower than that can make any lease-based scheme act after its
 * lease ended, and is a machine to take out of service.
 */
export const clockOffsetMsMax = 10 * 60_000;
export const clockDriftPpmMax = 20_000;

export interface ClockSkewFault {
  readonly kind: 'clock_skew';
  readonly worker: number;
  readonly offsetMs: number;
  readonly driftPpm: number;
}

export const clockSkew = defineFaultKind<ClockSkewFault>({
  kind: 'clock_skew',
  summary: "a worker machine's clock is ahead of the store's by up to 10 min and drifts by up to ±2 %",
  jobless: true,
  glyph: '◷',
  schema: z.strictObject({
    kind: z.literal('clock_skew'),
    worker: faultFields.count,
    offsetMs: faultFields.count,
    driftPpm: z.number().int().min(-500_000).max(500_000),
  }),
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('clock_skew'),
      worker: commonDraws(bounds).worker,
      offsetMs: fc.integer({ min: 0, max: clockOffsetMsMax }),
      driftPpm: fc.integer({ min: -clockDriftPpmMax, max: clockDriftPpmMax }),
    }),
  label: (fault) =>
    `clock_skew(w${fault.worker} ${fault.offsetMs >= 0 ? '+' : ''}${fault.offsetMs}ms, ${fault.driftPpm >= 0 ? '+' : ''}${fault.driftPpm}ppm)`,
  resolve: (fault, shape) => ({ ...fault, worker: fault.worker % shape.workers }),
  *simpler(fault) {
    if (fault.driftPpm !== 0) yield { ...fault, driftPpm: 0 };
    if (fault.offsetMs !== 0) yield { ...fault, offsetMs: 0 };
  },
  acts: {
    clock: (fault, slot, shape) =>
      fault.worker % shape.workers === slot ? { offsetMs: fault.offsetMs, driftPpm: fault.driftPpm } : undefined,
  },
});
