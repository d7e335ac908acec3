/** pause: a worker freezes (SIGSTOP, a GC pause, a VM migration) at its n-th call of a target, past its lease. */
import fc from 'fast-check';
import { commonDraws, defineFaultKind, strikesAtNthCall, type CallTarget } from './kind.js';

/** Longest pause a fault plan holds a worker for. */
export const pauseMsMax = 60_000;

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
  arbitrary: (bounds) => {
    const { worker, target, nth } = commonDraws(bounds);
    return fc.record({
      kind: fc.constant('pause'),
      worker,
      target,
      nth,
      durationMs: fc.integer({ min: 11_000, max: pauseMsMax }),
    });
  },
  label: (fault) => `pause(w${fault.worker} at ${fault.target}#${fault.nth} for ${fault.durationMs}ms)`,
  resolve: (fault, shape) => ({ ...fault, worker: fault.worker % shape.workers }),
  acts: {
    call: {
      actRank: 2,
      strikes: strikesAtNthCall,
      act: (fault, _call, actions) => actions.pause(fault.durationMs),
    },
  },
});
