/** History entries written by hand for the lease readers' tests (leaseSpans, P4): one job, `job0`. */
import type { HistoryEntry } from '../../sim/history.js';

/** A grant of `epoch` to `actor` at `t`, its lease until `leaseUntilMs` (0: fenced, no lease). */
export const grant = (t: number, actor: string, epoch: number, leaseUntilMs: number): HistoryEntry => ({
  t,
  kind: 'grant',
  actor,
  job: 'job0',
  epoch,
  leaseUntilMs,
  recovery: epoch > 1,
});

/** A release of `epoch` by `w0#1` at `t`. */
export const release = (t: number, epoch: number): HistoryEntry => ({
  t,
  kind: 'release',
  actor: 'w0#1',
  job: 'job0',
  epoch,
});
