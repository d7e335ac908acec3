/**
 * Workers side by side: the generator draws several worker loops per process (`concurrency`) and several
 * transcriptions of one job in flight (`chunkConcurrency`), every promise holds with them, and a bug that only several
 * transcriptions in flight reach (a transcriber client that keeps the request in one shared field) is found by a
 * campaign, and shrunk, while the same campaign with one transcription at a time does not find it.
 */
import { describe, expect, it } from 'vitest';
import { fc } from '../support/property.js';
import { playRun, shrinkRun } from '../../sim/campaign.js';
import { defaultBounds, scenarioArbitrary } from '../../sim/faults.js';
import { sharedRequestField } from '../support/planted-bugs.js';

const campaignSeed = 1;
const runsMax = 60;

async function firstFailure(chunkConcurrencyMax?: number) {
  const bounds = chunkConcurrencyMax === undefined ? {} : { chunkConcurrencyMax };
  for (let index = 0; index < runsMax; index += 1) {
    const failed = (await playRun(campaignSeed, index, { world: sharedRequestField.world, bounds })).failed;
    if (failed !== undefined) return { index, ...failed };
  }
  return undefined;
}

describe('workers side by side', () => {
  it('are drawn: several loops per process in about a quarter of runs, several chunks in flight in about half', () => {
    const scenarios = fc.sample(scenarioArbitrary(defaultBounds), { numRuns: 400, seed: 11 });
    const loops = scenarios.filter((scenario) => (scenario.concurrency ?? 1) > 1).length;
    const inFlight = scenarios.filter((scenario) => (scenario.chunkConcurrency ?? 1) > 1).length;
    expect(loops).toBeGreaterThan(60);
    expect(loops).toBeLessThan(140);
    expect(inFlight).toBeGreaterThan(150);
    expect(inFlight).toBeLessThan(250);
    const bounded = fc.sample(scenarioArbitrary({ ...defaultBounds, concurrencyMax: 1, chunkConcurrencyMax: 1 }), {
      numRuns: 100,
      seed: 11,
    });
    expect(bounded.every((scenario) => scenario.concurrency === 1 && scenario.chunkConcurrency === 1)).toBe(true);
  });

  it(`find ${sharedRequestField.name}, which one transcription at a time never reaches`, async () => {
    const found = await firstFailure();
    expect(found, `found within ${runsMax} runs`).toBeDefined();
    expect(sharedRequestField.caughtBy).toContain(found?.promise);
    const report = await shrinkRun(campaignSeed, found?.index ?? 0, { world: sharedRequestField.world });
    expect(report.scenario.chunkConcurrency).toBeGreaterThan(1);
    expect(report.size.jobs).toBe(1);
    expect(report.size.faults).toBe(0);
    expect(await firstFailure(1), `not found in ${runsMax} runs with one transcription at a time`).toBeUndefined();
  }, 120_000);
});
