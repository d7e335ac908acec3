/** stop: a graceful stop (a rolling deploy) at a worker's n-th call of a target. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, strikesAtNthCall, type CallTarget, faultFields } from './kind.js';

export interface StopFault {
  readonly kind: 'stop';
  readonly worker: number;
  readonly target: CallTarget;
  readonly nth: number;
}

export const stop = defineFaultKind<StopFault>({
  kind: 'stop',
  summary: 'a worker is told to stop at its n-th call of a target: it releases what it holds, a new one takes its slot',
  glyph: '■',
  schema: z.strictObject({
    kind: z.literal('stop'),
    worker: faultFields.count,
    target: faultFields.callTarget,
    nth: faultFields.positive,
  }),
  arbitrary: (bounds) => {
    const { worker, target, nth } = commonDraws(bounds);
    return fc.record({ kind: fc.constant('stop'), worker, target, nth });
  },
  label: (fault) => `stop(w${fault.worker} at ${fault.target}#${fault.nth})`,
  resolve: (fault, shape) => ({ ...fault, worker: fault.worker % shape.workers }),
  acts: {
    call: { actRank: 1, strikes: strikesAtNthCall, act: (_fault, _call, actions) => actions.stop() },
  },
});
