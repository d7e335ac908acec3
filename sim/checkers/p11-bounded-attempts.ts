/** P11 Bounded attempts: a job sees at most recoveryAttemptsMax recoveries; one more fails it with recovery_attempts_exhausted. */
import type { Checker, Violation } from './types.js';

export const checkBoundedAttempts: Checker = (record) => {
  const violations: Violation[] = [];
  const max = record.limits.recoveryAttemptsMax;
  for (const [jobId, events] of record.events) {
    const started = events.filter((event) => event.event === 'recovery_started').length;
    if (started > max) violations.push({ promise: 'P11', job: jobId, message: `${started} recoveries started, more than ${max}` });
    const job = record.jobs.get(jobId);
    if (job?.failure?.reason === 'recovery_attempts_exhausted' && started !== max) {
      violations.push({ promise: 'P11', job: jobId, message: `failed as exhausted after ${started} recoveries, expected ${max}` });
    }
  }
  return violations;
};
