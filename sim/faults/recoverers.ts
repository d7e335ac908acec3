/** recoverers: several extra workers start at once, racing to recover the same jobs. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, faultFields } from './kind.js';

export interface RecoverersFault {
  readonly kind: 'recoverers';
  readonly atMs: number;
  readonly count: number;
}

export const recoverers = defineFaultKind<RecoverersFault>({
  kind: 'recoverers',
  summary: '2–4 extra workers start at once and race to recover the same jobs',
  jobless: true,
  glyph: '+',
  schema: z.strictObject({ kind: z.literal('recoverers'), atMs: faultFields.count, count: faultFields.positive }),
  arbitrary: (bounds) =>
    fc.record({
      kind: fc.constant('recoverers'),
      atMs: commonDraws(bounds).atMs,
      count: fc.integer({ min: 2, max: 4 }),
    }),
  label: (fault) => `recoverers(${fault.count}@${fault.atMs}ms)`,
  resolve: (fault) => fault,
  workersAdded: (fault) => fault.count,
  *simpler(fault) {
    if (fault.count > 1) yield { ...fault, count: fault.count - 1 };
  },
  acts: {
    atTime: async (fault, host) => {
      host.fire(fault);
      for (let extra = 0; extra < fault.count; extra += 1) host.startWorker();
    },
  },
});
