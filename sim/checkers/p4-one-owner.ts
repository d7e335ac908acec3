/**
 * P4 One owner: each grant increments the epoch by one, and a lease is granted only once the
 * previous one ended (expired, released, or the job was fenced by a new epoch without a lease).
 * A release ends its lease at its time wherever it stands in the history: with an interleaved store
 * it is dated when it was sent, and its reply may come after the reply of the claim that followed it.
 */
import { definePromise, type Checker, type Violation } from './types.js';

interface Lease {
  epoch: number;
  endMs: number;
}

export const checkOneOwner: Checker = (record) => {
  const violations: Violation[] = [];
  const current = new Map<string, Lease>();
  const releasedAt = new Map<string, number>();
  for (const entry of record.history.entries) {
    if (entry.kind !== 'release') continue;
    const key = `${entry.job}#${entry.epoch}`;
    releasedAt.set(key, Math.min(releasedAt.get(key) ?? Number.POSITIVE_INFINITY, entry.t));
  }
  record.history.entries.forEach((entry, position) => {
    if (entry.kind === 'renew') {
      const lease = current.get(entry.job);
      if (lease !== undefined && lease.epoch === entry.epoch) lease.endMs = Math.max(lease.endMs, entry.leaseUntilMs);
    }
    if (entry.kind === 'release') {
      const lease = current.get(entry.job);
      if (lease !== undefined && lease.epoch === entry.epoch) lease.endMs = Math.min(lease.endMs, entry.t);
    }
    if (entry.kind !== 'grant') return;
    const held = current.get(entry.job);
    const released = held === undefined ? undefined : releasedAt.get(`${entry.job}#${held.epoch}`);
    const previous =
      held === undefined || released === undefined ? held : { ...held, endMs: Math.min(held.endMs, released) };
    const expectedEpoch = (previous?.epoch ?? 0) + 1;
    if (entry.epoch !== expectedEpoch) {
      violations.push({
        promise: 'P4',
        job: entry.job,
        entry: position,
        message: `grant of epoch ${entry.epoch}, expected ${expectedEpoch}`,
      });
    }
    if (entry.leaseUntilMs > 0 && previous !== undefined && previous.endMs > entry.t) {
      violations.push({
        promise: 'P4',
        job: entry.job,
        entry: position,
        message: `${entry.actor} was granted epoch ${entry.epoch} at ${entry.t} ms while epoch ${previous.epoch} was valid until ${previous.endMs} ms`,
      });
    }
    current.set(entry.job, { epoch: entry.epoch, endMs: entry.leaseUntilMs > 0 ? entry.leaseUntilMs : entry.t });
  });
  return violations;
};

/** P4 One owner, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P4', title: 'One owner', liveness: false, check: checkOneOwner });
