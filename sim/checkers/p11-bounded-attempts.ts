/**
 * P11 Bounded attempts: a job sees at most recoveryAttemptsMax crash recoveries (`recovery_started` with
 * recovery_type lease_expired: its owner's lease ran out); the claim after the last one fails it with
 * recovery_attempts_exhausted. A hand-over (recovery_type released: the previous owner released the job, a graceful
 * stop) is a recovery attempt too, but does not count toward the bound.
 *
 * Exactly at the boundary: once a job started recoveryAttemptsMax crash recoveries, every later claim is either a
 * hand-over or the claim that fails it (its recovery_failed owner_lost closing the latest attempt, then job_failed
 * recovery_attempts_exhausted, under the next epoch, and nothing else), and no lease is granted but a hand-over's; a
 * job failed as exhausted started exactly recoveryAttemptsMax crash recoveries and shows that claim. A hand-over must
 * follow a release of the previous owner, and (in simulation, where a release in the history is one the store
 * applied) the exhausting claim must not: a released job is handed over, never exhausted.
 */
import type { JobEvent } from '../../src/core/events.js';
import { grantedAt, grantsOf, holderOf, timesOf } from './owners.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkBoundedAttempts: Checker = (record) => {
  const violations: Violation[] = [];
  const max = record.limits.recoveryAttemptsMax;
  const simulated = record.liveness !== undefined;
  const grants = grantsOf(record.history);
  const releases = timesOf(record.history, 'release');
  for (const [jobId, events] of record.events) {
    const add = (message: string, entry?: number) =>
      violations.push({ promise: 'P11', job: jobId, message, ...(entry === undefined ? {} : { entry }) });
    /** True when `owner`, holder of epoch `epoch`, released the job after that epoch's grant and by `untilMs`. */
    const released = (owner: string | undefined, epoch: number, untilMs: number): boolean => {
      const sinceMs = grantedAt(grants, events, jobId, epoch) ?? Number.NEGATIVE_INFINITY;
      return (releases.get(`${owner}|${jobId}`) ?? []).some((t) => t >= sinceMs && t <= untilMs);
    };
    const started = events.filter((event) => event.event === 'recovery_started');
    const crashes = started.filter((event) => event.recovery_type === 'lease_expired');
    const handovers = started.filter((event) => event.recovery_type === 'released');
    if (crashes.length > max) add(`${crashes.length} crash recoveries started, more than ${max}`);
    for (const handover of handovers) {
      if (!released(handover.previous_owner, handover.epoch - 1, handover.timestamp))
        add(
          `recovery attempt ${handover.attempt} (epoch ${handover.epoch}) is a hand-over, but ${handover.previous_owner} released nothing: a crash recovery the bound does not count`,
        );
    }
    const exhausted = events.findIndex(
      (event) => event.event === 'job_failed' && event.reason === 'recovery_attempts_exhausted',
    );
    const exhausting = events[exhausted];
    const job = record.jobs.get(jobId);
    if (
      (exhausting !== undefined || job?.failure?.reason === 'recovery_attempts_exhausted') &&
      crashes.length !== max
    ) {
      add(
        `failed as exhausted after ${crashes.length} crash recoveries (and ${handovers.length} hand-overs), expected ${max}`,
      );
    }
    if (job?.failure?.reason === 'recovery_attempts_exhausted' && exhausting === undefined)
      add('failed as exhausted, but no claim failed it (no job_failed recovery_attempts_exhausted)');
    if (simulated && exhausting !== undefined) {
      const previousOwner = holderOf(grants, events, jobId, exhausting.epoch - 1);
      if (released(previousOwner, exhausting.epoch - 1, exhausting.timestamp))
        add(
          `failed as exhausted by the claim of epoch ${exhausting.epoch}, after ${previousOwner} had released the job: a hand-over, which the bound does not count`,
        );
    }
    const last = crashes[max - 1];
    if (last === undefined || crashes.length !== max) continue;
    // The claims after the last allowed crash recovery, one per epoch: hand-overs, or the one that fails the job.
    const handedOver = new Set(handovers.map((event) => event.epoch));
    for (const [epoch, claim] of byEpoch(events.filter((event) => event.epoch > last.epoch && !quarantined(event)))) {
      if (handedOver.has(epoch)) continue;
      const attempt = started.findLast((event) => event.epoch < epoch)?.attempt ?? 0;
      if (!exhaustingClaim(claim, attempt)) {
        add(
          `claimed again after ${max} crash recoveries without failing as exhausted: ${claim.map((event) => `${event.event} (epoch ${event.epoch})`).join(', ')}`,
        );
      }
    }
    if (exhausting !== undefined && exhausting.epoch <= last.epoch) {
      add(
        `failed as exhausted under epoch ${exhausting.epoch}, not by a claim after crash recovery ${max} (epoch ${last.epoch})`,
      );
    }
    for (const position of record.history.positionsOf('grant')) {
      const entry = record.history.entries[position];
      if (
        entry?.kind === 'grant' &&
        entry.job === jobId &&
        entry.epoch > last.epoch &&
        entry.leaseUntilMs > 0 &&
        !handedOver.has(entry.epoch)
      ) {
        add(`${entry.actor} was granted a lease of epoch ${entry.epoch} after ${max} crash recoveries`, position);
      }
    }
  }
  return violations;
};

/** Events grouped by epoch, in order. */
function byEpoch(events: readonly JobEvent[]): Map<number, JobEvent[]> {
  const groups = new Map<number, JobEvent[]>();
  for (const event of events) {
    const group = groups.get(event.epoch);
    if (group === undefined) groups.set(event.epoch, [event]);
    else group.push(event);
  }
  return groups;
}

/** True for an event a quarantine writes (it fails a corrupt job under a new epoch, whatever the attempts). */
function quarantined(event: JobEvent): boolean {
  return (
    (event.event === 'job_failed' && event.reason === 'state_corrupt') ||
    (event.event === 'recovery_failed' && event.recovery_result === 'job_failed' && event.reason === 'state_corrupt')
  );
}

/**
 * True when `claim` is what the claim after the last crash recovery writes: it closes the latest attempt (`attempt`)
 * as owner_lost, then fails the job as exhausted.
 */
function exhaustingClaim(claim: readonly JobEvent[], attempt: number): boolean {
  const [closed, failed, ...rest] = claim;
  return (
    rest.length === 0 &&
    closed?.event === 'recovery_failed' &&
    closed.recovery_result === 'owner_lost' &&
    closed.attempt === attempt &&
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
