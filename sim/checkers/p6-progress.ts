/** P6 Progress: progress_update values never go down over a job's whole history, and reach 100 if and only if it completed. */
import type { Checker, Violation } from './types.js';

export const checkProgress: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, events] of record.events) {
    let previous = -1;
    let reached100 = false;
    for (const event of events) {
      if (event.event !== 'progress_update') continue;
      if (event.progress < previous) {
        violations.push({ promise: 'P6', job: jobId, message: `progress went from ${previous} to ${event.progress} (seq ${event.seq})` });
      }
      previous = Math.max(previous, event.progress);
      if (event.progress === 100) reached100 = true;
    }
    const completed = record.jobs.get(jobId)?.phase === 'completed';
    if (reached100 !== completed) {
      violations.push({ promise: 'P6', job: jobId, message: reached100 ? 'progress reached 100 but the job did not complete' : 'completed without progress 100' });
    }
  }
  return violations;
};
