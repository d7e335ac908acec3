/**
 * Figure 3: the seed document's chaos suite as `npm run sim -- --quick` and `--full` run it (every
 * named scenario plus a fuzz campaign), timed from outside as a user would see it, next to the
 * earlier service's own figures: quick ~30 s, full 2–3 min, 5–10 s per test, ~50 MB per test.
 */
import { median, progress, round, unmeasured, type Unmeasured } from '../support/measure.js';
import { runSimulatorCli } from '../support/spawn.js';

/** The seed document's figures, in ms and MB. */
export const seedDocument = {
  quickSuiteMs: 30_000,
  fullSuiteMs: [120_000, 180_000] as const,
  perTestMs: [5_000, 10_000] as const,
  memoryPerTestMB: 50,
} as const;

interface ScenarioTiming {
  readonly name: string;
  readonly group: string;
  readonly passed: boolean;
  readonly ms: number;
}

/** One suite as spawned: its wall time, peak RSS, campaign and named scenarios. */
export type SuiteRow = Awaited<ReturnType<typeof measureSuite>>;

/** Spawns `npm run sim -- --quick|--full --seed S --json` and times it. */
export async function measureSuite(flag: '--quick' | '--full', seed: number) {
  progress(`seed suite: npm run sim -- ${flag} --seed ${seed}`);
  const result = await runSimulatorCli([flag, '--seed', String(seed)]);
  const scenarios = (result.summary['scenarios'] ?? []) as ScenarioTiming[];
  return {
    measured: true as const,
    command: `npm run sim -- ${flag} --seed ${seed}`,
    exitCode: result.code,
    wallMs: Math.round(result.wallMs),
    namedScenarios: scenarios.length,
    namedScenariosMs: scenarios.reduce((sum, scenario) => sum + scenario.ms, 0),
    fuzzRuns: result.summary['runs'],
    fuzzWallMs: result.summary['wallMs'],
    violations: Array.isArray(result.summary['violations']) ? result.summary['violations'].length : null,
    peakRssMiB: result.peakRssMiB,
    scenarios,
  };
}

/** Figure 3 from the two suites (either may be unmeasured). */
export function suitesFigure(quick: SuiteRow | Unmeasured, full: SuiteRow | Unmeasured): Record<string, unknown> {
  const fullMidMs = (seedDocument.fullSuiteMs[0] + seedDocument.fullSuiteMs[1]) / 2;
  const perTestMidMs = (seedDocument.perTestMs[0] + seedDocument.perTestMs[1]) / 2;
  const row = (suite: SuiteRow | Unmeasured, seedMs: number | readonly number[], referenceMs: number) => {
    if (!suite.measured) return suite;
    const { scenarios: _scenarios, ...rest } = suite;
    return { ...rest, seedDocumentMs: seedMs, timesFaster: round(referenceMs / suite.wallMs, 1) };
  };
  const perScenario = quick.measured ? quick.scenarios.map((scenario) => scenario.ms) : [];
  return {
    measured: true,
    meaning:
      "wall time of the whole suite as spawned from a shell (npm and tsx start-up included), and of each named scenario (its own ms in --json), against the earlier service's chaos-suite figures",
    quick: row(quick, seedDocument.quickSuiteMs, seedDocument.quickSuiteMs),
    full: row(full, seedDocument.fullSuiteMs, fullMidMs),
    perScenario: !quick.measured
      ? unmeasured('each named chaos scenario, as timed in the --quick run', quick.reason)
      : {
          measured: true,
          meaning:
            'each named chaos scenario (one simulated world, every promise checked), as timed in the --quick run',
          count: perScenario.length,
          medianMs: median(perScenario),
          maxMs: Math.max(...perScenario),
          seedDocumentMs: seedDocument.perTestMs,
          timesFaster: round(perTestMidMs / median(perScenario), 0),
          allPassed: quick.scenarios.every((scenario) => scenario.passed),
          list: quick.scenarios.map(({ name, group, ms }) => ({ name, group, ms })),
        },
    memory: {
      meaning:
        'peak RSS of the whole --quick process (all named scenarios and the fuzz campaign in one process), against ~50 MB per test in the seed document',
      quickPeakRssMiB: quick.measured ? quick.peakRssMiB : null,
      fullPeakRssMiB: full.measured ? full.peakRssMiB : null,
      seedDocumentMBPerTest: seedDocument.memoryPerTestMB,
    },
  };
}
