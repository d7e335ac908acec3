/**
 * poison: data no worker wrote, straight into the store's keys (stores with real keys only): an absurd chunk count
 * in a job's state, or an index entry that is no job id. (Keys of the wrong type, whose quarantine sets the job's
 * history aside, are tested by hand in test/adapters/redis/corrupt-state.test.ts: no checker could hold P5–P7 over
 * a history the fault itself destroyed.)
 */
import fc from 'fast-check';
import { z } from 'zod';
import { isTerminal } from '../../src/core/types.js';
import { commonDraws, defineFaultKind, jobAt, type PoisonKind, faultFields } from './kind.js';

export interface PoisonFault {
  readonly kind: 'poison';
  readonly job: number;
  readonly atMs: number;
  readonly what: PoisonKind;
}

export const poison = defineFaultKind<PoisonFault>({
  kind: 'poison',
  summary: 'poison data in the store (Redis stores only): an absurd chunk count, or an index entry that is no job id',
  glyph: '☠',
  schema: z.strictObject({
    kind: z.literal('poison'),
    job: faultFields.count,
    atMs: faultFields.count,
    what: z.enum(['absurd_size', 'index_member']),
  }),
  arbitrary: (bounds) => {
    const { job, atMs } = commonDraws(bounds);
    return fc.record({
      kind: fc.constant('poison'),
      job,
      atMs,
      what: fc.constantFrom<PoisonKind>('absurd_size', 'index_member'),
    });
  },
  label: (fault) => `poison(${fault.what}${fault.what === 'index_member' ? '' : ` j${fault.job}`}@${fault.atMs}ms)`,
  resolve: (fault) => fault,
  acts: {
    atTime: async (fault, host) => {
      const spec = jobAt(host.shape, fault.job);
      if (spec === undefined || !host.canPoison()) return;
      // The cached view may lag a write whose reply is still on its way: read the job afresh.
      const job = await host.freshJob(spec.id);
      if (fault.what !== 'index_member' && (job === undefined || isTerminal(job.phase))) return;
      if (!(await host.poison(spec.id, fault.what))) return;
      host.fire(fault, fault.what === 'index_member' ? undefined : spec.id);
      if (fault.what !== 'index_member') host.markCorruptedState(spec.id);
    },
  },
});
