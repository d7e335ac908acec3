/** store_down: the store is unreachable for a window of the fault phase; every call in it fails. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, faultFields } from './kind.js';

export interface StoreDownFault {
  readonly kind: 'store_down';
  readonly atMs: number;
  readonly durationMs: number;
}

export const storeDown = defineFaultKind<StoreDownFault>({
  kind: 'store_down',
  summary: 'the store is unreachable for a window: every call in it fails as unavailable',
  jobless: true,
  glyph: '↓',
  schema: z.strictObject({ kind: z.literal('store_down'), atMs: faultFields.count, durationMs: faultFields.positive }),
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('store_down'),
      atMs: commonDraws(bounds).atMs,
      durationMs: fc.integer({ min: 100, max: 40_000 }),
    }),
  label: (fault) => `store_down(${fault.atMs}ms +${fault.durationMs}ms)`,
  resolve: (fault) => fault,
  *simpler(fault) {
    if (fault.durationMs > 100) yield { ...fault, durationMs: Math.max(100, Math.floor(fault.durationMs / 2)) };
  },
  acts: {
    storeDown: (fault, host) => {
      const now = host.now();
      if (now < fault.atMs || now >= fault.atMs + fault.durationMs) return false;
      if (!host.fired(fault)) host.fire(fault);
      return true;
    },
  },
});
