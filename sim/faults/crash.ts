/** crash: a worker is killed (SIGKILL) at its n-th call of a target, before the call or after its effect. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, strikesAtNthCall, type CallTarget, faultFields } from './kind.js';

export interface CrashFault {
  readonly kind: 'crash';
  readonly worker: number;
  readonly target: CallTarget;
  readonly nth: number;
  readonly when: 'before' | 'after';
}

export const crash = defineFaultKind<CrashFault>({
  kind: 'crash',
  summary: 'a worker is killed at its n-th call of a target, before the call or once it took effect',
  glyph: '✕',
  schema: z.strictObject({
    kind: z.literal('crash'),
    worker: faultFields.count,
    target: faultFields.callTarget,
    nth: faultFields.positive,
    when: z.enum(['before', 'after']),
  }),
  arbitrary: (bounds) => {
    const { worker, target, nth } = commonDraws(bounds);
    return fc.record({ kind: fc.constant('crash'), worker, target, nth, when: fc.constantFrom('before', 'after') });
  },
  label: (fault) => `crash(w${fault.worker} ${fault.when} ${fault.target}#${fault.nth})`,
  resolve: (fault, shape) => ({ ...fault, worker: fault.worker % shape.workers }),
  acts: {
    call: {
      actRank: 0,
      strikes: strikesAtNthCall,
      act: (fault, _call, actions) => (fault.when === 'before' ? actions.crashBefore() : actions.crashAfter()),
    },
  },
});
