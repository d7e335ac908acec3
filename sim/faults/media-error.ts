/** media_error: the n-th media call (probe or extraction) fails with a retryable error (a timeout, a full disk). */
import fc from 'fast-check';
import { z } from 'zod';
import { defineFaultKind, faultFields } from './kind.js';

export interface MediaErrorFault {
  readonly kind: 'media_error';
  readonly nth: number;
}

export const mediaError = defineFaultKind<MediaErrorFault>({
  kind: 'media_error',
  summary: 'the n-th media call (probe or extraction) fails with a retryable error',
  glyph: '✂',
  schema: z.strictObject({ kind: z.literal('media_error'), nth: faultFields.positive }),
  arbitrary: () => fc.record({ kind: fc.constant('media_error'), nth: fc.integer({ min: 1, max: 60 }) }),
  label: (fault) => `media_error(call #${fault.nth})`,
  resolve: (fault) => fault,
  acts: {
    media: (fault, host, call) => {
      if (fault.nth !== call.number || host.fired(fault)) return undefined;
      host.fire(fault, call.subject);
      return 'media tool timed out (injected)';
    },
  },
  neverIn: { queued: 'media runs after a claim, which leaves queued' },
});
