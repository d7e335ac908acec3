/** api_outage: every transcription started in a window fails with 429 or 503, asking to retry after a while. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, faultFields } from './kind.js';

export interface ApiOutageFault {
  readonly kind: 'api_outage';
  readonly atMs: number;
  readonly durationMs: number;
  readonly status: 429 | 503;
  /** The wait the API asks for (Retry-After), when above 0. */
  readonly retryAfterMs: number;
}

export const apiOutage = defineFaultKind<ApiOutageFault>({
  kind: 'api_outage',
  summary: 'every transcription started in a window fails with 429 or 503 (and a Retry-After, sometimes)',
  glyph: '≈',
  schema: z.strictObject({
    kind: z.literal('api_outage'),
    atMs: faultFields.count,
    durationMs: faultFields.positive,
    status: z.union([z.literal(429), z.literal(503)]),
    retryAfterMs: faultFields.count,
  }),
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('api_outage'),
      atMs: commonDraws(bounds).atMs,
      durationMs: fc.integer({ min: 1_000, max: 60_000 }),
      status: fc.constantFrom<429 | 503>(429, 503),
      retryAfterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30_000 })),
    }),
  label: (fault) =>
    `api_outage(${fault.status} ${fault.atMs}ms +${fault.durationMs}ms${fault.retryAfterMs > 0 ? `, retry-after ${fault.retryAfterMs}ms` : ''})`,
  resolve: (fault) => fault,
  *simpler(fault) {
    if (fault.durationMs > 1_000) yield { ...fault, durationMs: Math.max(1_000, Math.floor(fault.durationMs / 2)) };
    if (fault.retryAfterMs > 0) yield { ...fault, retryAfterMs: 0 };
  },
  acts: {
    // The window's start is a step of the world of its own, where nothing happens: recorded schedules (replay
    // tokens, choice sequences) count it.
    atTime: async () => {},
    transcriber: {
      rank: 0,
      inject: (fault, host, call) => {
        const now = host.now();
        if (now < fault.atMs || now >= fault.atMs + fault.durationMs) return undefined;
        if (!host.fired(fault)) host.fire(fault, call.subject);
        return { error: fault.status, ...(fault.retryAfterMs > 0 ? { retryAfterMs: fault.retryAfterMs } : {}) };
      },
    },
  },
  neverIn: { queued: 'transcription starts once chunks exist', chunking: 'transcription starts once chunks exist' },
});
