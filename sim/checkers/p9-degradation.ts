/**
 * P9 Graceful degradation: store outages and lost replies never fail a job by themselves and never
 * corrupt state. Every final state is consistent, and every failure reason is one the fault plan
 * could cause: source_missing needs a deleted source, transcription errors need injected
 * transcriber errors, state_corrupt needs injected corruption, and exhausting recovery attempts
 * needs at least that many crashes, pauses and outages.
 */
import { jobInvariantProblems } from '../../src/core/invariants.js';
import type { Checker, Violation } from './types.js';

export const checkDegradation: Checker = (record) => {
  const violations: Violation[] = [];
  const fired = record.faultsFired;
  const transcriberErrors = fired.filter((fault) => fault.kind === 'transcriber_error' || fault.kind === 'api_outage');
  const ownershipFaults = fired.filter((fault) => fault.kind === 'crash' || fault.kind === 'pause' || fault.kind === 'store_down').length;
  for (const [jobId, job] of record.jobs) {
    if (job === undefined) continue;
    const problems = record.corruptedStates.has(jobId) && job.phase !== 'failed' ? [] : jobInvariantProblems(job);
    for (const problem of problems) violations.push({ promise: 'P9', job: jobId, message: `inconsistent final state: ${problem}` });
    if (job.failure === null) continue;
    const { reason } = job.failure;
    const explained =
      (reason === 'source_missing' && record.deletedSources.has(jobId)) ||
      (reason === 'transcription_rejected' && transcriberErrors.some((fault) => fault.kind === 'transcriber_error' && fault.error === 400)) ||
      (reason === 'transcription_failed' && transcriberErrors.length > 0) ||
      (reason === 'state_corrupt' && record.corruptedStates.has(jobId)) ||
      (reason === 'recovery_attempts_exhausted' && ownershipFaults >= record.limits.recoveryAttemptsMax);
    if (!explained) violations.push({ promise: 'P9', job: jobId, message: `failed with ${reason}, which no injected fault explains: ${job.failure.message}` });
  }
  return violations;
};
