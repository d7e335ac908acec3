/**
 * Idle workers in the simulator: by default they wait on a work signal the world wakes at every creation and release
 * and at the next lease end; with `polling` they look for work every idlePollIntervalMs, as a worker built without a
 * signal does. Both hold every promise on the same scenarios, and waiting takes far fewer scheduling steps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/campaign.js';
import { scenarioArbitrary } from '../../sim/faults.js';

describe('idle workers in the simulator', () => {
  it('hold every promise waiting for work and polling for it, and waiting takes fewer steps', async () => {
    const scenarios = fc.sample(scenarioArbitrary(), { seed: 31, numRuns: 30 });
    let waitingSteps = 0;
    let pollingSteps = 0;
    for (const scenario of scenarios) {
      const waiting = await simulate(scenario);
      const polling = await simulate(scenario, { polling: true });
      expect(waiting.violations, JSON.stringify(waiting.violations)).toEqual([]);
      expect(polling.violations, JSON.stringify(polling.violations)).toEqual([]);
      waitingSteps += waiting.record.steps;
      pollingSteps += polling.record.steps;
    }
    expect(waitingSteps).toBeLessThan(pollingSteps * 0.75);
  });
});
