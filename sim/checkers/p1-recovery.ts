/** P1 Recovery: once faults stop, every job reaches `completed`, or `failed` with a machine-readable reason. */
import { isTerminal } from '../../src/core/types.js';
import type { Checker, Violation } from './types.js';

export const checkRecovery: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, job] of record.jobs) {
    if (job === undefined) {
      violations.push({ promise: 'P1', job: jobId, message: 'job vanished from the store' });
    } else if (!isTerminal(job.phase)) {
      violations.push({ promise: 'P1', job: jobId, message: `still ${job.phase} (epoch ${job.epoch}) when the liveness phase ended (${record.end})` });
    } else if (job.phase === 'failed' && job.failure === null) {
      violations.push({ promise: 'P1', job: jobId, message: 'failed without a reason' });
    }
  }
  return violations;
};
