/**
 * The liveness phase is bounded by the run itself, so the heaviest corner of the generator (one worker, every job
 * at the most chunks, the slowest ports) passes on the correct engine: 200 runs, none judged stuck. Extended suite.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/campaign.js';
import { scenarioArbitrary } from '../../sim/faults.js';
import { encodeReplay } from '../../sim/scenario-file.js';
import { heaviest, heaviestRuns } from '../support/heaviest.js';

describe('liveness bounded by the run itself', () => {
  it(`passes ${heaviestRuns} runs of the heaviest corner (1 worker, 4 × 40 chunks, slowest ports) on the correct engine`, async () => {
    const failures: string[] = [];
    for (const scenario of fc.sample(scenarioArbitrary(), { seed: 2_024, numRuns: heaviestRuns })) {
      const { record, violations } = await simulate(heaviest(scenario));
      if (violations.length > 0)
        failures.push(
          `${violations[0]?.promise}: ${violations[0]?.message} (npm run sim -- --replay ${encodeReplay(record.scenario)})`,
        );
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
