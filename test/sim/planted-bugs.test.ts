/**
 * The simulator proves itself on planted bugs: for each deliberately broken engine variant, a
 * campaign with a fixed seed finds a violation of the expected promise within a bounded number of
 * runs and shrinks it to at most 3 faults; its replay token reproduces the same violation.
 */
import { describe, expect, it } from 'vitest';
import { decodeReplay, playRun, replay } from '../../sim/campaign.js';
import { plantedBugs } from '../support/planted-bugs.js';

const campaignSeed = 1;
const runsMax = 300;

describe('planted bugs are found and shrunk', () => {
  for (const bug of plantedBugs) {
    it(`finds: ${bug.name}`, async () => {
      let runs = 0;
      let failure;
      while (failure === undefined && runs < runsMax) {
        const summary = await playRun(campaignSeed, runs, { world: bug.world });
        failure = summary.failure;
        runs += 1;
      }
      expect(failure, `not found in ${runsMax} runs`).toBeDefined();
      if (failure === undefined) return;
      expect(bug.caughtBy).toContain(failure.promise);
      expect(failure.faults.length).toBeLessThanOrEqual(3);
      const replayed = await replay(decodeReplay(failure.replay), bug.world);
      expect(replayed.violations.map((violation) => violation.promise)).toContain(failure.promise);
    }, 120_000);
  }
});

describe('replay tokens', () => {
  it('reproduce every shrunk counterexample exactly, over several campaign seeds', async () => {
    const { silentFinalizer } = await import('../support/planted-bugs.js');
    let checked = 0;
    for (const bug of [silentFinalizer]) {
      for (let seed = 1; seed <= 8; seed += 1) {
        for (let index = 0; index < 40; index += 1) {
          const summary = await playRun(seed, index, { world: bug.world });
          if (summary.failure === undefined) continue;
          const replayed = await replay(decodeReplay(summary.failure.replay), bug.world);
          expect(replayed.violations).toEqual(summary.failure.violations);
          checked += 1;
          break;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  }, 180_000);
});
