/**
 * The seed document's chaos suite, item by item: each named scenario runs in its own simulated
 * world and must keep every promise P1-P11 plus the facts particular to it (the crash happened,
 * which chunks were re-extracted, who won the race). Run one with
 * `npx vitest run test/chaos -t "<name>"`.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, seedScenarios, type ScenarioGroup } from '../../sim/scenarios.js';

const titles: Record<ScenarioGroup, string> = {
  basic: 'Basic Crash Recovery Tests',
  extended: 'Extended Chaos Scenarios',
  'side by side': 'Workers Side by Side',
  'crash point': 'Crash Points Tested',
  recovery: 'Recovery Scenarios',
  validation: 'Validation Checks',
};

for (const [group, title] of Object.entries(titles)) {
  describe(title, () => {
    for (const scenario of seedScenarios.filter((entry) => entry.group === group)) {
      it(scenario.name, async () => {
        const outcome = await runScenario(scenario);
        expect(outcome.failures).toEqual([]);
        expect(outcome.passed).toBe(true);
      });
    }
  });
}
