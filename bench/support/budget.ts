/**
 * How much each figure measures. `--quick` keeps the whole benchmark under three minutes on a
 * small shared machine; the default budgets give steadier medians. Every count here is a bound on
 * work, never a timing that is checked.
 */

/** The work budget of one benchmark run. */
export interface Budget {
  readonly mode: 'quick' | 'full';
  /** Campaign seed of every simulated figure. */
  readonly seed: number;
  /** Simulated runs through the memory store (and the same number of bare fast-check runs). */
  readonly memoryRuns: number;
  /** Wall seconds after which no further memory-store run starts (a loaded machine gets fewer runs). */
  readonly memoryRunsSecondsMax: number;
  /** Simulated runs through each Redis store (the first of the memory runs). */
  readonly redisRuns: number;
  /** Campaign seeds over which each planted bug's time to the first failure is a median (and a worst). */
  readonly bugSeeds: number;
  /** Wall seconds after which a bug's detection starts no further campaign seed (at least one always runs). */
  readonly bugDetectionSecondsMax: number;
  /** Campaign seeds whose first failure is also shrunk (shrinking dominates the cost). */
  readonly bugShrinkSeeds: number;
  /** Runs after which a planted bug counts as not found. */
  readonly bugRunsMax: number;
  /**
   * Random campaign seeds (drawn afresh each benchmark run) over which the correct engine is checked for false alarms.
   */
  readonly falseAlarmSeeds: number;
  /** Runs played of each false-alarm seed (runs 0, 1, 2, …), every one counted, failing or not. */
  readonly falseAlarmRunsPerSeed: number;
  /** Runs of each `--parallel` campaign. */
  readonly parallelRuns: number;
  /** Repetitions (distinct seeds) of each cell of the jobs × chunks × workers grid. */
  readonly gridRepetitions: number;
  /** Recoveries timed on a real Redis. */
  readonly recoverySamples: number;
  /** Commits whose event latency is timed on a real Redis. */
  readonly eventSamples: number;
  /** Arguments of bench/redis-store.ts. */
  readonly redisStoreArgs: readonly string[];
  /** Jobs per memory run, and child processes per memory mode. */
  readonly memoryJobs: number;
  readonly memoryRepetitions: number;
}

/** The `--quick` budget. */
export const quickBudget: Budget = {
  mode: 'quick',
  seed: 20_240_601,
  memoryRuns: 50,
  memoryRunsSecondsMax: 12,
  redisRuns: 12,
  bugSeeds: 5,
  bugDetectionSecondsMax: 8,
  bugShrinkSeeds: 1,
  bugRunsMax: 300,
  falseAlarmSeeds: 100,
  falseAlarmRunsPerSeed: 10,
  parallelRuns: 400,
  gridRepetitions: 3,
  recoverySamples: 5,
  eventSamples: 200,
  redisStoreArgs: ['--claims', '300', '--recoveries', '100', '--jobs', '10', '--chunks', '50', '--in-flight', '32'],
  memoryJobs: 6,
  memoryRepetitions: 2,
};

/** The default budget. */
export const fullBudget: Budget = {
  mode: 'full',
  seed: 20_240_601,
  memoryRuns: 400,
  memoryRunsSecondsMax: 300,
  redisRuns: 30,
  bugSeeds: 5,
  bugDetectionSecondsMax: 300,
  bugShrinkSeeds: 5,
  bugRunsMax: 300,
  falseAlarmSeeds: 100,
  falseAlarmRunsPerSeed: 400,
  parallelRuns: 2_000,
  gridRepetitions: 7,
  recoverySamples: 20,
  eventSamples: 1_000,
  redisStoreArgs: [],
  memoryJobs: 12,
  memoryRepetitions: 3,
};
