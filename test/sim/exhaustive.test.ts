/**
 * The bounded exhaustive search: it enumerates schedules (more than one per fault plan), checks
 * each, finds a planted bug without any random sampling, and hands back a replayable schedule.
 */
import { describe, expect, it } from 'vitest';
import { decodeReplay, replay } from '../../sim/campaign.js';
import { exhaustive, exhaustiveFaultMenu, exhaustiveText, faultPlans } from '../../sim/exhaustive.js';
import { leaseIgnoringClaim, unfencedCommit } from '../support/planted-bugs.js';

describe('--exhaustive', () => {
  it('makes every plan of at most two faults of the menu, the empty plan first', () => {
    const plans = faultPlans(2);
    const count = exhaustiveFaultMenu.length;
    expect(plans[0]).toEqual([]);
    expect(plans).toHaveLength(1 + count + (count * (count - 1)) / 2);
    expect(new Set(plans.map((plan) => JSON.stringify(plan))).size).toBe(plans.length);
    expect(faultPlans(0)).toEqual([[]]);
  });

  it('checks every schedule of the correct engine within its bounds, more schedules than plans, and says so', async () => {
    const result = await exhaustive({ preemptionsMax: 1, faultsMax: 1 });
    expect(result.failure).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(result.plans).toBe(1 + exhaustiveFaultMenu.length);
    expect(result.schedules).toBeGreaterThan(result.plans);
    expect(result.distinct).toBeLessThanOrEqual(result.schedules);
    expect(exhaustiveText(result, 1)).toMatch(
      /\d+ schedules, \d+ distinct histories .*every promise held on every one/,
    );
  }, 120_000);

  for (const bug of [leaseIgnoringClaim, unfencedCommit]) {
    it(`finds a planted bug (${bug.name}) and returns a schedule that replays it`, async () => {
      const result = await exhaustive({ preemptionsMax: 2, faultsMax: 2, world: bug.world });
      expect(result.failure, 'found').toBeDefined();
      expect(result.complete).toBe(false);
      expect(bug.caughtBy).toEqual(expect.arrayContaining([result.failure?.violations[0]?.promise]));
      const replayed = await replay(decodeReplay(result.failure?.replay ?? ''), { ...bug.world, endWhenSettled: true });
      expect(replayed.violations.map((violation) => violation.promise)).toContain(
        result.failure?.violations[0]?.promise,
      );
    }, 120_000);
  }
});
