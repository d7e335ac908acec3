/**
 * P11 Bounded attempts: a job sees at most recoveryAttemptsMax recoveries; one more fails it with
 * recovery_attempts_exhausted. Exactly at the boundary: a job that started recoveryAttemptsMax
 * recoveries and was claimed once more was failed by that claim (its recovery_failed owner_lost,
 * then job_failed recovery_attempts_exhausted, under the next epoch) and granted no further lease;
 * a job failed as exhausted started exactly recoveryAttemptsMax recoveries and shows that claim.
 */
import type { JobEvent } from '../../src/core/events.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkBoundedAttempts: Checker = (record) => {
  const violations: Violation[] = [];
  const max = record.limits.recoveryAttemptsMax;
  for (const [jobId, events] of record.events) {
    const add = (message: string, entry?: number) =>
      violations.push({ promise: 'P11', job: jobId, message, ...(entry === undefined ? {} : { entry }) });
    const started = events.filter((event) => event.event === 'recovery_started');
    if (started.length > max) add(`${started.length} recoveries started, more than ${max}`);
    const exhausted = events.findIndex(
      (event) => event.event === 'job_failed' && event.reason === 'recovery_attempts_exhausted',
    );
    const job = record.jobs.get(jobId);
    if ((exhausted >= 0 || job?.failure?.reason === 'recovery_attempts_exhausted') && started.length !== max) {
      add(`failed as exhausted after ${started.length} recoveries, expected ${max}`);
    }
    if (job?.failure?.reason === 'recovery_attempts_exhausted' && exhausted < 0)
      add('failed as exhausted, but no claim failed it (no job_failed recovery_attempts_exhausted)');
    const last = started[max - 1];
    if (last === undefined || started.length !== max) continue;
    // The claim after the last allowed recovery: what it wrote, under the next epoch.
    const beyond = events.filter((event) => event.epoch > last.epoch);
    const claim = beyond.filter((event) => !quarantined(event));
    if (claim.length > 0 && !exhaustingClaim(claim, max)) {
      add(
        `claimed again after ${max} recoveries without failing as exhausted: ${claim.map((event) => `${event.event} (epoch ${event.epoch})`).join(', ')}`,
      );
    }
    if (exhausted >= 0 && events[exhausted]?.epoch !== last.epoch + 1) {
      add(
        `failed as exhausted under epoch ${events[exhausted]?.epoch}, not by the claim after recovery ${max} (epoch ${last.epoch + 1})`,
      );
    }
    record.history.entries.forEach((entry, position) => {
      if (entry.kind === 'grant' && entry.job === jobId && entry.epoch > last.epoch && entry.leaseUntilMs > 0) {
        add(`${entry.actor} was granted a lease of epoch ${entry.epoch} after ${max} recoveries`, position);
      }
    });
  }
  return violations;
};

/** True for an event a quarantine writes (it fails a corrupt job under a new epoch, whatever the attempts). */
function quarantined(event: JobEvent): boolean {
  return (
    (event.event === 'job_failed' && event.reason === 'state_corrupt') ||
    (event.event === 'recovery_failed' && event.recovery_result === 'job_failed' && event.reason === 'state_corrupt')
  );
}

/**
 * True when `claim` is what the claim after the last recovery writes: it closes attempt `max` as owner_lost, then fails
 * the job as exhausted.
 */
function exhaustingClaim(claim: readonly JobEvent[], max: number): boolean {
  const [closed, failed, ...rest] = claim;
  return (
    rest.length === 0 &&
    closed?.event === 'recovery_failed' &&
    closed.recovery_result === 'owner_lost' &&
    closed.attempt === max &&
    failed?.event === 'job_failed' &&
    failed.reason === 'recovery_attempts_exhausted' &&
    failed.epoch === closed.epoch
  );
}

/** P11 Bounded attempts, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({
  id: 'P11',
  title: 'Bounded attempts',
  liveness: false,
  check: checkBoundedAttempts,
});
