/**
 * Each fault kind added to find a class of bug earns its place: a planted bug of that class is
 * found by a campaign with every kind on, and the same campaign without that one kind does not
 * find it in the same number of runs.
 */
import { describe, expect, it } from 'vitest';
import { playRun } from '../../sim/campaign.js';
import { faultKinds, type FaultKind } from '../../sim/faults.js';
import {
  clientClockStore,
  finalizingRedone,
  impatientMedia,
  mislabelledHandOver,
  offByOneRecoveries,
  type PlantedBug,
} from '../support/planted-bugs.js';

const campaignSeed = 1;
const runsMax = 40;

async function firstFailure(bug: PlantedBug, kinds: readonly FaultKind[]) {
  for (let index = 0; index < runsMax; index += 1) {
    const failed = (await playRun(campaignSeed, index, { world: bug.world, bounds: { kinds } })).failed;
    if (failed !== undefined) return { index, ...failed };
  }
  return undefined;
}

const cases: readonly (readonly [FaultKind, PlantedBug])[] = [
  ['stop', mislabelledHandOver],
  ['clock_skew', clientClockStore],
  ['media_error', impatientMedia],
  ['owner_crash', offByOneRecoveries],
  ['phase_crash', finalizingRedone],
];

describe('each new fault kind finds a bug only it can reach', () => {
  for (const [kind, bug] of cases) {
    it(`${kind}: ${bug.name}`, async () => {
      const found = await firstFailure(bug, faultKinds);
      expect(found, `found within ${runsMax} runs with every kind`).toBeDefined();
      expect(bug.caughtBy).toContain(found?.promise);
      const without = await firstFailure(
        bug,
        faultKinds.filter((other) => other !== kind),
      );
      expect(without, `not found in ${runsMax} runs without ${kind}`).toBeUndefined();
    }, 120_000);
  }
});
