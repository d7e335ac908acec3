/** pause: a worker freezes (SIGSTOP, a GC pause, a VM migration) at its n-th call of a target, past its lease. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, strikesAtNthCall, type CallTarget, faultFields } from './kind.js';

/** Longest pause a fault plan holds a worker for. */
export const pauseMsMax = 60_000;

/** Shortest pause a campaign draws: just past a simulated lease (10 s). */
const pauseMsMin = 11_000;

export interface PauseFault {
  readonly kind: 'pause';
  readonly worker: number;
  readonly target: CallTarget;
  readonly nth: number;
  readonly durationMs: number;
}

export const pause = defineFaultKind<PauseFault>({
  kind: 'pause',
  summary: 'a worker freezes at its n-th call of a target for longer than its lease, then wakes as a zombie',
  glyph: '‖',
  schema: z.strictObject({
    kind: z.literal('pause'),
    worker: faultFields.count,
    target: faultFields.callTarget,
    nth: faultFields.positive,
    durationMs: faultFields.positive,
  }),
  arbitrary: (bounds) => {
    const { worker, target, nth } = commonDraws(bounds);
    return fc.record({
      kind: fc.constant('pause'),
      worker,
      target,
      nth,
      durationMs: fc.integer({ min: pauseMsMin, max: pauseMsMax }),
    });
  },
  label: (fault) => `pause(w${fault.worker} at ${fault.target}#${fault.nth} for ${fault.durationMs}ms)`,
  resolve: (fault, shape) => ({ ...fault, worker: fault.worker % shape.workers }),
  *simpler(fault) {
    // The shortest pause that still outlives a lease, then halfway there.
    if (fault.durationMs > pauseMsMin) yield { ...fault, durationMs: pauseMsMin };
    const halfway = Math.floor((fault.durationMs + pauseMsMin) / 2);
    if (halfway > pauseMsMin && halfway < fault.durationMs) yield { ...fault, durationMs: halfway };
  },
  acts: {
    call: {
      actRank: 2,
      strikes: strikesAtNthCall,
      act: (fault, _call, actions) => actions.pause(fault.durationMs),
    },
  },
});
