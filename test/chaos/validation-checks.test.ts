/**
 * The seven validation checks can fail: each is shown passing on the correct engine and failing on
 * an engine with a bug planted where that check looks, under a hand-written scenario that exposes it.
 */
import { describe, expect, it } from 'vitest';
import { chaos, type ChaosScenario, type ValidationCheck } from '../../sim/framework.js';
import { simulationLimits } from '../../sim/faults.js';
import { everyFaultAtOnce } from '../../sim/scenarios.js';
import {
  forgetfulCleanup,
  forgetfulRecovery,
  leaseIgnoringClaim,
  silentFinalizer,
  silentProgress,
  trustingReader,
  unboundedRecoveries,
  type PlantedBug,
} from '../support/planted-bugs.js';

const oneJob = (workers = 1): ChaosScenario => {
  const scenario = chaos().workers(workers);
  scenario.job({ durationMs: 60_000 });
  return scenario;
};

const cases: {
  check: ValidationCheck;
  bug: PlantedBug;
  scenario: () => ChaosScenario;
  limits?: Partial<typeof simulationLimits>;
}[] = [
  { check: 'stateTransitions', bug: leaseIgnoringClaim, scenario: () => oneJob(2) },
  { check: 'idempotency', bug: forgetfulRecovery, scenario: () => oneJob().crashAfterChunks(2) },
  { check: 'recoveryEvents', bug: silentFinalizer, scenario: () => oneJob().crashAfterChunks(2) },
  { check: 'progress', bug: silentProgress, scenario: () => oneJob() },
  { check: 'finalResults', bug: trustingReader, scenario: () => oneJob().damageChunk(4, 'corrupt', 3_000) },
  { check: 'cleanup', bug: forgetfulCleanup, scenario: () => oneJob() },
  {
    check: 'errorHandling',
    bug: unboundedRecoveries,
    limits: { recoveryAttemptsMax: 2 },
    scenario: () => oneJob().crashAfterChunks(1).crashAfterChunks(2).crashAfterChunks(3),
  },
];

describe('validation checks catch what they look for', () => {
  it('all seven pass on the correct engine under every fault at once', async () => {
    const result = await everyFaultAtOnce().run();
    expect(Object.values(result.checks).every((check) => check.passed)).toBe(true);
    expect(result.crashes + result.pauses).toBeGreaterThanOrEqual(2);
  });

  for (const { check, bug, scenario, limits } of cases) {
    it(`${check} fails when: ${bug.name}`, async () => {
      const world = limits === undefined ? bug.world : { ...bug.world, limits: { ...simulationLimits, ...limits } };
      const correct = await scenario()
        .using(limits === undefined ? {} : { limits: world.limits ?? simulationLimits })
        .run();
      expect(correct.checks[check].passed).toBe(true);
      const broken = await scenario().using(world).run();
      expect(broken.checks[check].passed).toBe(false);
      expect(broken.checks[check].violations.map((violation) => violation.promise)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^P\d+$/)]),
      );
      expect(bug.caughtBy).toEqual(expect.arrayContaining([broken.checks[check].violations[0]?.promise]));
    });
  }
});
