/**
 * owner_crash: triggered by events, not by time: each of the first `count` owners job `job` gets (each grant of its
 * lease in the fault phase) crashes before its next call. With `count` near recoveryAttemptsMax this drives one job
 * through all its recoveries and past the limit (P11).
 */
import fc from 'fast-check';
import { z } from 'zod';
import { simulationLimits } from '../limits.js';
import { commonDraws, defineFaultKind, faultFields } from './kind.js';

export interface OwnerCrashFault {
  readonly kind: 'owner_crash';
  readonly job: number;
  readonly count: number;
}

export const ownerCrash = defineFaultKind<OwnerCrashFault>({
  kind: 'owner_crash',
  summary: "each of a job's first `count` owners crashes before its next call (up to past the recovery limit)",
  glyph: '☇',
  schema: z.strictObject({ kind: z.literal('owner_crash'), job: faultFields.count, count: faultFields.positive }),
  arbitrary: (bounds) =>
    // A few owners, or enough to reach the recovery limit and pass it by one or two.
    fc.record({
      kind: fc.constant('owner_crash'),
      job: commonDraws(bounds).job,
      count: fc.oneof(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: simulationLimits.recoveryAttemptsMax - 1, max: simulationLimits.recoveryAttemptsMax + 2 }),
      ),
    }),
  label: (fault) => `owner_crash(j${fault.job} ×${fault.count})`,
  resolve: (fault, shape) => ({ ...fault, job: fault.job % shape.jobs.length }),
  *simpler(fault) {
    if (fault.count > 1) yield { ...fault, count: fault.count - 1 };
  },
  acts: {
    grant: (fault, host, actor, position, jobId) => {
      if (fault.job % host.shape.jobs.length !== position || host.tallyOf(fault) >= fault.count) return false;
      host.tally(fault);
      host.arm(fault, jobId);
      host.crashBeforeNextCall(actor, fault);
      return true;
    },
  },
  neverIn: {
    queued: 'it strikes after a grant, which leaves queued',
    transcribing: 'each struck owner dies right after its grant, before the job leaves chunking',
    finalizing: 'each struck owner dies right after its grant, before the job leaves chunking',
  },
});
