/** P8 Cleanup: once a job is terminal, none of its files remain, including partial files of crashed workers. */
import { isTerminal } from '../../src/core/types.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkCleanup: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, names] of record.files) {
    const job = record.jobs.get(jobId);
    if (job !== undefined && isTerminal(job.phase) && names.length > 0) {
      violations.push({
        promise: 'P8',
        job: jobId,
        message: `${job.phase} but ${names.length} file(s) remain: ${names.slice(0, 5).join(', ')}`,
      });
    }
  }
  return violations;
};

/** P8 Cleanup, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P8', title: 'Cleanup', liveness: false, check: checkCleanup });
