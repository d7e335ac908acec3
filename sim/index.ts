/**
 * `chunkwise/sim`: the simulator as a library. Generate scenarios ({@link scenarioArbitrary}), play one in virtual
 * time ({@link simulate}), judge a run against every promise ({@link checkRun}, {@link promises}), assert a whole
 * campaign in a test ({@link assertSimulation}), write scenarios by hand ({@link chaos}), replay a counterexample
 * ({@link replay}, {@link decodeReplay}, {@link encodeReplay}) and write reports ({@link counterexampleText},
 * {@link writeRunReport}, {@link writeCampaignReport}).
 *
 * This module is the simulator's one public face: everything a user of `chunkwise/sim` can import is exported here,
 * and the modules behind it (the world, the twins, the checkers, the campaign) stay internal.
 *
 * @example
 * ```ts
 * import { assertSimulation } from 'chunkwise/sim';
 *
 * // 50 generated runs (jobs, workers, crashes, pauses, outages, corruptions, interleavings), each checked against
 * // every promise; a failure throws with the shrunk counterexample's timeline and its replay token.
 * await assertSimulation({ runs: 50, seed: 42 });
 * ```
 */
import type { Arbitrary } from 'fast-check';
import { playRun, shrinkRun, simulate as simulateWorld, totals, type CheckedRun, type RunSummary } from './campaign.js';
import { checkAll, promises as promiseRegistry, type PromiseSpec, type Violation } from './checkers/index.js';
import { defaultBounds as generatorBounds, scenarioArbitrary as arbitrary } from './faults.js';
import type { Scenario, ScenarioBounds } from './faults.js';
import { counterexampleText as reportText } from './report.js';
import { decodeReplay, encodeReplay } from './scenario-file.js';
import { closeStores, storeOption } from './stores.js';
import type { RunRecord, WorldOptions } from './world.js';

export type { CheckedRun, RunRecord, Scenario, ScenarioBounds, Violation, PromiseSpec };
export { chaos, type ChaosScenario, type ScenarioResult, type CheckResult, type JobSize } from './framework.js';
export { decodeReplay, encodeReplay };
export { writeCampaignReport, writeRunReport, type ReportFiles } from './report-html.js';

/** Bounds of generated scenarios: 1–4 jobs of 1–40 chunks, 1–5 workers, up to 12 faults in a 120 s fault phase. */
export const defaultBounds: ScenarioBounds = generatorBounds;

/**
 * The fast-check arbitrary of scenarios: jobs, workers, a fault plan and the scheduler's choices. Bounds not given
 * are {@link defaultBounds}. Use it with `fc.assert(fc.asyncProperty(scenarioArbitrary(), …))` for properties of
 * your own, and {@link simulate} to play each scenario.
 */
export function scenarioArbitrary(bounds: Partial<ScenarioBounds> = {}): Arbitrary<Scenario> {
  return arbitrary({ ...generatorBounds, ...bounds });
}

/** Options of one simulated run. */
export interface SimulateOptions {
  /** The engine's limits (lease length, retries, …); the simulator's defaults when absent. */
  readonly limits?: WorldOptions['limits'];
  /** Where chunk files live: `memory` (default) or `fs` (the file-system store on a temporary directory). */
  readonly chunkFiles?: WorldOptions['chunkFiles'];
  /** Scheduling steps of each phase before the run is cut short (a guard; the default fits the workload). */
  readonly stepsMax?: number;
}

function worldOf(options: SimulateOptions): WorldOptions {
  return {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.chunkFiles === undefined ? {} : { chunkFiles: options.chunkFiles }),
    ...(options.stepsMax === undefined ? {} : { stepsMax: options.stepsMax }),
  };
}

/**
 * Plays `scenario` once in virtual time, through the engine's worker code on the simulated store, media and
 * transcriber, and checks every promise. The same scenario always gives the same run.
 */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<CheckedRun> {
  return simulateWorld(scenario, worldOf(options));
}

/** Every promise's violations in a finished run (an empty list: every promise held). */
export function checkRun(record: RunRecord): Violation[] {
  return checkAll(record);
}

/** The promises every run is judged against, in order: id (P1…), title, and whether it is a liveness promise. */
export const promises: readonly PromiseSpec[] = promiseRegistry;

/**
 * Replays a counterexample exactly, from its replay token (as printed after `replay:`) or its scenario, and checks
 * it again. A token of an unknown format or version is a TypeError naming what is wrong.
 */
export async function replay(token: string | Scenario, options: SimulateOptions = {}): Promise<CheckedRun> {
  return simulate(typeof token === 'string' ? decodeReplay(token) : token, options);
}

/**
 * A run's counterexample as text: its faults, the numbered timeline of what happened, the violations, and the replay
 * command. `colour` adds ANSI colours; `verbose` prints every step instead of folding routine ones.
 */
export function counterexampleText(
  run: CheckedRun,
  options: { readonly colour?: boolean; readonly verbose?: boolean } = {},
): string {
  return reportText(run.record, run.violations, encodeReplay(run.record.scenario), {
    colour: options.colour ?? false,
    verbose: options.verbose ?? false,
  });
}

/** Options of {@link assertSimulation}. */
export interface AssertSimulationOptions extends SimulateOptions {
  /** Generated runs (default 100). */
  readonly runs?: number;
  /** Campaign seed: the same seed plays the same runs (default: random, named in a failure's message). */
  readonly seed?: number;
  /** Bounds of the generated scenarios; the rest are {@link defaultBounds}. */
  readonly bounds?: Partial<ScenarioBounds>;
  /**
   * The job store the runs go through: `memory` (default, the reference), `ioredis-mock` (the Redis adapter's Lua
   * on ioredis-mock, an optional peer dependency) or a `redis://` URL (a real server; every run its own keys).
   */
  readonly store?: string;
  /** Wall-clock budget of each shrinking stage of a failure, in ms (default 30,000). */
  readonly shrinkStageMs?: number;
}

/** What a passing {@link assertSimulation} played. */
export interface SimulationSummary {
  readonly runs: number;
  readonly seed: number;
  /** Hash of every run's history: equal for equal seeds, runs and code. */
  readonly fingerprint: string;
  readonly simulatedMs: number;
}

/** A broken promise found by {@link assertSimulation}: the message holds the counterexample and its replay token. */
export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
  constructor(
    /** The broken promise (P1…). */
    readonly promise: string,
    /** Replays the shrunk counterexample: `replay(token)` or `npx chunkwise sim --replay TOKEN`. */
    readonly replayToken: string,
    readonly seed: number,
    /** The campaign run it was found in. */
    readonly run: number,
    /** The counterexample as text (timeline, violations, replay command). */
    readonly counterexample: string,
  ) {
    super(
      `promise ${promise} broken in run ${run} of the campaign with seed ${seed}; shrunk counterexample:\n\n` +
        `${counterexample}\n\nreplay token: ${replayToken}`,
    );
  }
}

/**
 * Plays `runs` generated runs of the campaign `seed` and checks every promise on each; resolves to a summary when
 * all held. At the first failing run it stops, shrinks that run to the smallest scenario that still breaks the
 * same promise, and throws a {@link SimulationFailure} whose message is the counterexample and its replay token.
 * Bad options are a TypeError or RangeError naming the option.
 */
export async function assertSimulation(options: AssertSimulationOptions = {}): Promise<SimulationSummary> {
  const runs = options.runs ?? 100;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const bounds = options.bounds ?? {};
  try {
    const world = { ...(await storeOption(options.store)), ...worldOf(options) };
    const summaries: RunSummary[] = [];
    for (let index = 0; index < runs; index += 1) {
      const summary = await playRun(seed, index, { bounds, world });
      summaries.push(summary);
      if (summary.failed === undefined) continue;
      const shrunk = await shrinkRun(seed, index, {
        bounds,
        world,
        ...(options.shrinkStageMs === undefined ? {} : { stageMsMax: options.shrinkStageMs }),
      });
      const run = await simulateWorld(shrunk.scenario, world);
      const text = reportText(run.record, shrunk.violations, shrunk.replay, { colour: false, verbose: false });
      throw new SimulationFailure(shrunk.promise, shrunk.replay, seed, index, text);
    }
    const campaign = totals(summaries);
    return { runs: campaign.runs, seed, fingerprint: campaign.fingerprint, simulatedMs: campaign.simulatedMs };
  } finally {
    await closeStores();
  }
}
