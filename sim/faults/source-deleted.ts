/** source_deleted: a job's source media file disappears at a time of the fault phase. */
import fc from 'fast-check';
import { z } from 'zod';
import { commonDraws, defineFaultKind, jobAt, faultFields } from './kind.js';

export interface SourceDeletedFault {
  readonly kind: 'source_deleted';
  readonly job: number;
  readonly atMs: number;
}

export const sourceDeleted = defineFaultKind<SourceDeletedFault>({
  kind: 'source_deleted',
  summary: "a job's source media file disappears (the job must fail with source_missing if it still needs it)",
  glyph: 'S',
  schema: z.strictObject({ kind: z.literal('source_deleted'), job: faultFields.count, atMs: faultFields.count }),
  arbitrary: (bounds) => {
    const { job, atMs } = commonDraws(bounds);
    return fc.record({ kind: fc.constant('source_deleted'), job, atMs });
  },
  label: (fault) => `source[j${fault.job}].deleted@${fault.atMs}ms`,
  resolve: (fault, shape) => ({ ...fault, job: fault.job % shape.jobs.length }),
  acts: {
    atTime: async (fault, host) => {
      const spec = jobAt(host.shape, fault.job);
      if (spec === undefined) return;
      host.fire(fault, spec.id);
      host.markDeletedSource(spec.id);
    },
  },
});
