/**
 * P1 Recovery: once faults stop, every job reaches `completed`, or `failed` with a machine-readable
 * reason. A job left unfinished is reported with why the liveness phase ended: stuck (nothing
 * progressed for the run's stall window) or still progressing at the run's workload cap.
 */
import { isTerminal, type Job } from '../../src/core/types.js';
import type { RunRecord } from '../world.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkRecovery: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, job] of record.jobs) {
    if (job === undefined) {
      violations.push({ promise: 'P1', job: jobId, message: 'job vanished from the store' });
    } else if (!isTerminal(job.phase)) {
      violations.push({
        promise: 'P1',
        job: jobId,
        message: `still ${job.phase} (epoch ${job.epoch}): ${whyUnfinished(record, job)}`,
      });
    } else if (job.phase === 'failed' && job.failure === null) {
      violations.push({ promise: 'P1', job: jobId, message: 'failed without a reason' });
    }
  }
  return violations;
};

/** Why the liveness phase ended with `job` unfinished, in the words of the run's own bounds. */
function whyUnfinished(record: RunRecord, job: Job): string {
  const liveness = record.liveness;
  const committed = job.chunks.filter((chunk) => chunk.transcript !== null).length;
  const done = `${committed}/${job.chunks.length} chunks committed`;
  if (liveness === undefined) return `${done} when the run ended (${record.end})`;
  switch (record.end) {
    case 'stalled':
      return `stuck since ${liveness.lastProgressMs} ms (last progress: ${liveness.lastProgress}); nothing progressed for the stall window of ${liveness.stallWindowMs} ms; ${done}`;
    case 'cap':
      return `still progressing at the workload cap (${liveness.capMs} ms after faults stopped; last progress at ${liveness.lastProgressMs} ms: ${liveness.lastProgress}); ${done}`;
    case 'idle':
      return `stuck since ${liveness.lastProgressMs} ms: nothing left to run (last progress: ${liveness.lastProgress}); ${done}`;
    case 'steps':
      return `still running after ${liveness.stepsMax} scheduling steps of the liveness phase (a loop in zero virtual time?); ${done}`;
    default:
      return `${done} when the run ended (${record.end})`;
  }
}

/** P1 Recovery, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P1', title: 'Recovery', liveness: true, check: checkRecovery });
