/**
 * Lease spans read from a run's history: each grant that carried a lease, from the grant to the release of its job
 * and epoch, or else to the last expiry a renewal gave it, cut at the end of the run. The HTML report draws them as
 * lease bars. (P4 One owner asks something else: how long the previous epoch was valid at the moment of each new
 * grant, counting only what happened before it, so it keeps its own fold over the history.)
 */
import type { HistoryEntry } from './history.js';

/** One lease: a grant with a lease, and how it ended. */
export interface LeaseSpan {
  readonly actor: string;
  readonly job: string;
  readonly epoch: number;
  /** Time of the grant. */
  readonly start: number;
  /** Index of the grant in the history. */
  readonly position: number;
  readonly recovery: boolean;
  /** The release's time, else the last renewed expiry; never after the end of the run. */
  readonly until: number;
  /** Renewals before the release. */
  readonly renewals: number;
  readonly releasedAt: number | undefined;
}

type OpenSpan = { -readonly [K in keyof LeaseSpan]: LeaseSpan[K] };

/**
 * The leases of a history, in the order they were granted. A renewal extends, and the first release ends, the lease
 * of its job and epoch (each actor's latest grant of it, should a broken store grant one epoch twice); renewals after
 * the release are ignored. Grants without a lease (fenced) are left out.
 */
export function leaseSpans(entries: readonly HistoryEntry[], endMs: number): LeaseSpan[] {
  const open = new Map<string, Map<string, OpenSpan>>();
  const spans: OpenSpan[] = [];
  entries.forEach((entry, position) => {
    if (entry.kind === 'grant' && entry.leaseUntilMs > 0) {
      const span: OpenSpan = {
        actor: entry.actor,
        job: entry.job,
        epoch: entry.epoch,
        start: entry.t,
        position,
        recovery: entry.recovery,
        until: entry.leaseUntilMs,
        renewals: 0,
        releasedAt: undefined,
      };
      const key = `${entry.job}#${entry.epoch}`;
      const holders = open.get(key) ?? new Map<string, OpenSpan>();
      holders.set(entry.actor, span);
      open.set(key, holders);
      spans.push(span);
    }
    if (entry.kind !== 'renew' && entry.kind !== 'release') return;
    for (const span of open.get(`${entry.job}#${entry.epoch}`)?.values() ?? []) {
      if (span.releasedAt !== undefined) continue;
      if (entry.kind === 'renew') {
        span.until = Math.max(span.until, entry.leaseUntilMs);
        span.renewals += 1;
      } else span.releasedAt = entry.t;
    }
  });
  for (const span of spans) span.until = Math.min(endMs, span.releasedAt ?? span.until);
  return spans;
}
