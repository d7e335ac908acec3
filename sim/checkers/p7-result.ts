/**
 * P7 Result: a completed job's transcript is the in-order join of its chunks' transcripts, equal to a crash-free run's.
 */
import { definePromise, type Checker, type Violation } from './types.js';

export const checkResult: Checker = (record) => {
  const violations: Violation[] = [];
  for (const spec of record.scenario.jobs) {
    const job = record.jobs.get(spec.id);
    if (job?.phase !== 'completed') continue;
    const expected = record.expectedTranscripts(spec.id);
    job.chunks.forEach((chunk, index) => {
      if (chunk.transcript !== expected[index]) {
        violations.push({
          promise: 'P7',
          job: spec.id,
          message: `chunk ${index} transcript ${JSON.stringify(chunk.transcript)}, expected ${JSON.stringify(expected[index])}`,
        });
      }
    });
    if (job.transcript !== expected.join(' '))
      violations.push({ promise: 'P7', job: spec.id, message: 'final transcript differs from a crash-free run' });
  }
  return violations;
};

/** P7 Result, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P7', title: 'Result', liveness: false, check: checkResult });
