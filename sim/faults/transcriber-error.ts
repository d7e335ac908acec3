/** transcriber_error: the n-th transcription request fails with a status (429, 500, 400), a timeout or a reset. */
import fc from 'fast-check';
import { z } from 'zod';
import { defineFaultKind, faultFields } from './kind.js';

/** A transcriber error the fault plan can inject. */
export type TranscriberError = 429 | 500 | 'timeout' | 'reset' | 400;

export interface TranscriberErrorFault {
  readonly kind: 'transcriber_error';
  readonly nth: number;
  readonly error: TranscriberError;
}

export const transcriberError = defineFaultKind<TranscriberErrorFault>({
  kind: 'transcriber_error',
  summary: 'the n-th transcription request fails: 429, 500, a timeout, a cut connection, or a permanent 400',
  glyph: '!',
  schema: z.strictObject({
    kind: z.literal('transcriber_error'),
    nth: faultFields.positive,
    error: z.union([z.literal(429), z.literal(500), z.literal(400), z.literal('timeout'), z.literal('reset')]),
  }),
  arbitrary: () =>
    fc.record({
      kind: fc.constant('transcriber_error'),
      nth: fc.integer({ min: 1, max: 120 }),
      error: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom<TranscriberError>(429, 500, 'timeout', 'reset') },
        { weight: 1, arbitrary: fc.constant<TranscriberError>(400) },
      ),
    }),
  label: (fault) => `transcriber(${fault.error} on call #${fault.nth})`,
  resolve: (fault) => fault,
  acts: {
    // After any API outage: a call inside an outage window fails with the outage's status.
    transcriber: {
      rank: 1,
      inject: (fault, host, call) => {
        if (fault.nth !== call.number || host.fired(fault)) return undefined;
        host.fire(fault, call.subject);
        return { error: fault.error };
      },
    },
  },
  neverIn: { queued: 'transcription starts once chunks exist', chunking: 'transcription starts once chunks exist' },
});
