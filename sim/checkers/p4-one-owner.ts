/**
 * P4 One owner: each grant increments the epoch by one, and a lease is granted only once the
 * previous one ended (expired, released, or the job was fenced by a new epoch without a lease).
 *
 * A job's grants are read in epoch order, and a lease ends at the first release of its epoch wherever
 * it stands in the history: with an interleaved store an operation is recorded at its reply (a release
 * at its sending), and replies may come in another order than the store applied the operations. The
 * store refuses a release of an epoch once a later grant was applied, so each one recorded took effect
 * before the next grant. A renewal extends the lease when it stands before the next grant.
 */
import type { HistoryEntry } from '../history.js';
import { definePromise, type Checker, type Violation } from './types.js';

type Grant = Extract<HistoryEntry, { kind: 'grant' }>;

export const checkOneOwner: Checker = (record) => {
  const grants = new Map<string, { entry: Grant; position: number }[]>();
  const renewals = new Map<string, { leaseUntilMs: number; position: number }[]>();
  const releasedAt = new Map<string, number>();
  const { history } = record;
  for (const position of history.positionsOf('grant', 'renew', 'release')) {
    const entry = history.entries[position];
    if (entry?.kind === 'grant') grants.set(entry.job, [...(grants.get(entry.job) ?? []), { entry, position }]);
    if (entry?.kind === 'renew') {
      const key = `${entry.job}#${entry.epoch}`;
      renewals.set(key, [...(renewals.get(key) ?? []), { leaseUntilMs: entry.leaseUntilMs, position }]);
    }
    if (entry?.kind === 'release') {
      const key = `${entry.job}#${entry.epoch}`;
      releasedAt.set(key, Math.min(releasedAt.get(key) ?? Number.POSITIVE_INFINITY, entry.t));
    }
  }
  const violations: { position: number; violation: Violation }[] = [];
  for (const [job, list] of grants) {
    let previous: Grant | undefined;
    // Stable: grants of one epoch keep their history order.
    for (const { entry, position } of [...list].sort((a, b) => a.entry.epoch - b.entry.epoch)) {
      const expectedEpoch = (previous?.epoch ?? 0) + 1;
      if (entry.epoch !== expectedEpoch) {
        const message = `grant of epoch ${entry.epoch}, expected ${expectedEpoch}`;
        violations.push({ position, violation: { promise: 'P4', job, entry: position, message } });
      }
      if (entry.leaseUntilMs > 0 && previous !== undefined) {
        const key = `${job}#${previous.epoch}`;
        let renewedUntil = 0;
        for (const renewal of renewals.get(key) ?? [])
          if (renewal.position < position) renewedUntil = Math.max(renewedUntil, renewal.leaseUntilMs);
        const endMs =
          previous.leaseUntilMs > 0
            ? Math.min(Math.max(previous.leaseUntilMs, renewedUntil), releasedAt.get(key) ?? Number.POSITIVE_INFINITY)
            : previous.t;
        if (endMs > entry.t) {
          const message = `${entry.actor} was granted epoch ${entry.epoch} at ${entry.t} ms while epoch ${previous.epoch} was valid until ${endMs} ms`;
          violations.push({ position, violation: { promise: 'P4', job, entry: position, message } });
        }
      }
      previous = entry;
    }
  }
  return violations.sort((a, b) => a.position - b.position).map(({ violation }) => violation);
};

/** P4 One owner, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P4', title: 'One owner', liveness: false, check: checkOneOwner });
