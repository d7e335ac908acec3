/**
 * A fixed budget of simulated runs must keep every promise: runs 0..59 of the campaign seeded 1 (the
 * runs `npm run sim -- --seed 1 --runs 60` plays) go through the engine one test each, without
 * shrinking, so that `npm run mutation` counts a mutant the simulator notices as killed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReplay, runSeed, simulate } from '../../sim/campaign.js';
import { defaultBounds, scenarioArbitrary } from '../../sim/faults.js';

const campaignSeed = 1;
const runs = 60;

describe('simulator budget', () => {
  for (let index = 0; index < runs; index += 1) {
    it(`run ${index} of campaign ${campaignSeed} keeps every promise`, async () => {
      const seed = runSeed(campaignSeed, index);
      const [scenario] = fc.sample(scenarioArbitrary(defaultBounds), { seed, numRuns: 1 });
      if (scenario === undefined) throw new Error('fast-check generated no scenario');
      const { record, violations } = await simulate(scenario);
      const replay = `npm run sim -- --replay ${encodeReplay(scenario)}`;
      expect(violations, replay).toEqual([]);
      expect(record.end, replay).toBe('done');
    });
  }
});
