/** store_down: the store is unreachable for a window of the fault phase; every call in it fails. */
import fc from 'fast-check';
import { commonDraws, defineFaultKind } from './kind.js';

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
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('store_down'),
      atMs: commonDraws(bounds).atMs,
      durationMs: fc.integer({ min: 100, max: 40_000 }),
    }),
  label: (fault) => `store_down(${fault.atMs}ms +${fault.durationMs}ms)`,
  resolve: (fault) => fault,
  acts: {
    storeDown: (fault, host) => {
      const now = host.now();
      if (now < fault.atMs || now >= fault.atMs + fault.durationMs) return false;
      if (!host.fired(fault)) host.fire(fault);
      return true;
    },
  },
});
