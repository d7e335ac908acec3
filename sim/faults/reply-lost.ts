/** reply_lost: the n-th store call takes effect, and its reply never reaches the caller. */
import fc from 'fast-check';
import { z } from 'zod';
import { defineFaultKind, faultFields } from './kind.js';

export interface ReplyLostFault {
  readonly kind: 'reply_lost';
  readonly nth: number;
}

export const replyLost = defineFaultKind<ReplyLostFault>({
  kind: 'reply_lost',
  summary: 'the n-th store call takes effect and its reply is lost (the caller sees the store unavailable)',
  glyph: '?',
  schema: z.strictObject({ kind: z.literal('reply_lost'), nth: faultFields.positive }),
  arbitrary: () => fc.record({ kind: fc.constant('reply_lost'), nth: fc.integer({ min: 1, max: 200 }) }),
  label: (fault) => `reply_lost(applied store call #${fault.nth})`,
  resolve: (fault) => fault,
  acts: {
    replyLost: (fault, host, call) => {
      if (fault.nth !== call.number || host.fired(fault)) return false;
      host.fire(fault, call.subject);
      return true;
    },
  },
});
