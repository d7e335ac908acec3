/**
 * P10 Corruption: only a damaged chunk is re-extracted, and it alone; corrupt bytes never reach a
 * committed transcript (P7 checks the text); a missing source fails the job with source_missing
 * (P9 checks the reason); corrupt stored state is detected and never crashes a worker's loop.
 */
import { definePromise, type Checker, type Violation } from './types.js';

export const checkCorruption: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, events] of record.events) {
    for (const event of events) {
      if (event.event !== 'chunk_recreated') continue;
      if (!record.damagedChunks.has(`${jobId}/${event.chunk_index}`)) {
        violations.push({
          promise: 'P10',
          job: jobId,
          message: `chunk ${event.chunk_index} re-extracted though its file was never damaged`,
        });
      }
    }
  }
  for (const jobId of record.corruptedStates) {
    const job = record.jobs.get(jobId);
    if (job !== undefined && job.phase !== 'failed' && job.phase !== 'completed') {
      violations.push({ promise: 'P10', job: jobId, message: `corrupt state left unhandled in phase ${job.phase}` });
    }
  }
  for (const error of record.workerErrors)
    violations.push({ promise: 'P10', message: `a worker loop hit an unexpected error: ${error}` });
  return violations;
};

/** P10 Corruption, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P10', title: 'Corruption', liveness: false, check: checkCorruption });
