/** state_corrupt: a job's stored state is hand-edited so that it contradicts itself, at a time of the fault phase. */
import fc from 'fast-check';
import { z } from 'zod';
import { isTerminal } from '../../src/core/types.js';
import { commonDraws, defineFaultKind, jobAt, faultFields } from './kind.js';

export interface StateCorruptFault {
  readonly kind: 'state_corrupt';
  readonly job: number;
  readonly atMs: number;
}

export const stateCorrupt = defineFaultKind<StateCorruptFault>({
  kind: 'state_corrupt',
  summary: "a live job's stored state is edited to contradict itself (the phase disagrees with the chunks)",
  glyph: '#',
  schema: z.strictObject({ kind: z.literal('state_corrupt'), job: faultFields.count, atMs: faultFields.count }),
  arbitrary: (bounds) => {
    const { job, atMs } = commonDraws(bounds);
    return fc.record({ kind: fc.constant('state_corrupt'), job, atMs });
  },
  label: (fault) => `state[j${fault.job}].corrupt@${fault.atMs}ms`,
  resolve: (fault, shape) => ({ ...fault, job: fault.job % shape.jobs.length }),
  acts: {
    atTime: async (fault, host) => {
      const spec = jobAt(host.shape, fault.job);
      if (spec === undefined || !host.canTamper()) return;
      const job = await host.freshJob(spec.id);
      if (job === undefined || isTerminal(job.phase)) return;
      host.fire(fault, spec.id);
      host.markCorruptedState(spec.id);
      // A hand-edited record: the phase says every chunk is done while the chunks say otherwise.
      await host.tamper(spec.id, (current) => ({
        ...current,
        phase: current.phase === 'finalizing' ? 'transcribing' : 'finalizing',
      }));
    },
  },
});
