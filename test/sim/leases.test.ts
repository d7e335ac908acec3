// Proves leaseSpans reads each lease of a history as the report draws it: from its grant to its release, or else to
// its last renewed expiry, cut at the end of the run; fenced grants carry no lease.
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../sim/history.js';
import { leaseSpans } from '../../sim/leases.js';
import { grant, release } from '../support/history.js';

const renew = (t: number, epoch: number, leaseUntilMs: number): HistoryEntry => ({
  t,
  kind: 'renew',
  actor: 'w0#1',
  job: 'job0',
  epoch,
  leaseUntilMs,
});
describe('leaseSpans', () => {
  it('runs a lease to its last renewed expiry, or to its release, whichever is known', () => {
    const spans = leaseSpans(
      [grant(0, 'w0#1', 1, 10_000), renew(3_000, 1, 13_000), grant(13_000, 'w1#1', 2, 23_000), release(15_000, 2)],
      60_000,
    );
    expect(spans).toEqual([
      {
        actor: 'w0#1',
        job: 'job0',
        epoch: 1,
        start: 0,
        position: 0,
        recovery: false,
        until: 13_000,
        renewals: 1,
        releasedAt: undefined,
      },
      {
        actor: 'w1#1',
        job: 'job0',
        epoch: 2,
        start: 13_000,
        position: 2,
        recovery: true,
        until: 15_000,
        renewals: 0,
        releasedAt: 15_000,
      },
    ]);
  });

  it('ignores renewals after the release and cuts a lease at the end of the run', () => {
    const [released] = leaseSpans([grant(0, 'w0#1', 1, 10_000), release(2_000, 1), renew(3_000, 1, 40_000)], 60_000);
    expect(released).toMatchObject({ until: 2_000, renewals: 0, releasedAt: 2_000 });
    const [cut] = leaseSpans([grant(0, 'w0#1', 1, 10_000), renew(3_000, 1, 90_000)], 60_000);
    expect(cut).toMatchObject({ until: 60_000, renewals: 1 });
  });

  it('leaves out fenced grants, which carry no lease', () => {
    expect(leaseSpans([grant(0, 'w0#1', 1, 0)], 60_000)).toEqual([]);
  });
});
