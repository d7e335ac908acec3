/**
 * P4 One owner: each grant increments the epoch by one, and a lease is granted only once the
 * previous one ended (expired, released, or the job was fenced by a new epoch without a lease).
 */
import { definePromise, type Checker, type Violation } from './types.js';

interface Lease {
  epoch: number;
  endMs: number;
}

export const checkOneOwner: Checker = (record) => {
  const violations: Violation[] = [];
  const current = new Map<string, Lease>();
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
    const previous = current.get(entry.job);
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
