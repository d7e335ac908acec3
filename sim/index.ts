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
import {
  checkAll,
  definePromise,
  promiseList,
  promises as promiseRegistry,
  type PromiseSpec,
  type Violation,
} from './checkers/index.js';
import type { JobStore, Transcriber } from '../src/ports.js';
import type { Worker } from '../src/runtime/worker.js';
import { differentialRun } from './differential.js';
import { portStore, type VirtualClock } from './port-store.js';
import { defaultBounds as generatorBounds, scenarioArbitrary as arbitrary } from './faults.js';
import type { Scenario, ScenarioBounds } from './faults.js';
import { counterexampleText as reportText } from './report.js';
import { decodeReplay, encodeReplay } from './scenario-file.js';
import { closeStores, storeOption } from './stores.js';
import type { RunRecord, WorldOptions } from './world.js';

export type { CheckedRun, RunRecord, Scenario, ScenarioBounds, Violation, PromiseSpec, VirtualClock };
export { definePromise };

/** The options the simulator builds each worker from (see `workerFactory`). */
export type WorkerOptions = ConstructorParameters<typeof Worker>[0];

/** What a `jobStore` factory returns: the store, or the store and what to do when the run ends. */
export type PortStoreMade = JobStore | { readonly store: JobStore; close(): Promise<void> };

/** A factory of your JobStore on the simulator's virtual clock (the `jobStore` option). */
export type JobStoreLike = (clock: VirtualClock) => PortStoreMade | Promise<PortStoreMade>;
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
  /**
   * Promises of your own, checked beside P1–P11 on every run and reported, shrunk and replayed the same way. Make
   * each with {@link definePromise}; an id already taken is a TypeError.
   */
  readonly promises?: readonly PromiseSpec[];
  /**
   * Makes your Transcriber: a fresh one for each run. The simulator calls it whenever the fault plan injects no error
   * into a call, so it runs in virtual time behind the same faults (429/500/400, timeouts, resets, outages) and
   * latencies; one more is made after the run for the transcript each chunk must end with (P7). It must not wait
   * on real time.
   */
  readonly transcriber?: () => Transcriber;
  /**
   * Makes your JobStore on the simulator's virtual clock, fresh and empty for each run (return `{ store, close }`
   * to be told when the run ends). Every run goes through it instead of the reference store; the store must read
   * time only from `clock`. {@link compareWithReference} plays the same runs through both and shows where they part.
   */
  readonly jobStore?: JobStoreLike;
  /**
   * Builds each simulated worker from the options the simulator prepared (its ports, limits, clock and id): return
   * your wrapper around `Worker`, or a `Worker` with some ports replaced.
   */
  readonly workerFactory?: (options: WorkerOptions) => Worker;
}

function worldOf(options: SimulateOptions): WorldOptions {
  return {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.chunkFiles === undefined ? {} : { chunkFiles: options.chunkFiles }),
    ...(options.stepsMax === undefined ? {} : { stepsMax: options.stepsMax }),
    ...(options.promises === undefined
      ? {}
      : { promises: promiseList(options.promises).slice(promiseRegistry.length) }),
    ...(options.transcriber === undefined ? {} : { transcriber: options.transcriber }),
    ...(options.jobStore === undefined ? {} : { store: portStore(options.jobStore) }),
    ...(options.workerFactory === undefined ? {} : { workerFactory: options.workerFactory }),
  };
}

/**
 * Plays `scenario` once in virtual time, through the engine's worker code on the simulated store, media and
 * transcriber, and checks every promise. The same scenario always gives the same run.
 */
export async function simulate(scenario: Scenario, options: SimulateOptions = {}): Promise<CheckedRun> {
  return simulateWorld(scenario, worldOf(options));
}

/** Every promise's violations in a finished run, P1–P11 and then `extra` (an empty list: every promise held). */
export function checkRun(record: RunRecord, extra: readonly PromiseSpec[] = []): Violation[] {
  return checkAll(record, extra);
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
  if (options.store !== undefined && options.jobStore !== undefined)
    throw new TypeError('give either store (a name or URL) or jobStore (a factory of your own), not both');
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

/** Options of {@link compareWithReference}. */
export interface CompareOptions extends Omit<SimulateOptions, 'jobStore'> {
  /** Makes your JobStore on the virtual clock, fresh for each run (see {@link SimulateOptions.jobStore}). */
  readonly jobStore: NonNullable<SimulateOptions['jobStore']>;
  /** Runs compared (default 24). */
  readonly runs?: number;
  /** Seed of the compared runs (default 1): the same seed compares the same runs. */
  readonly seed?: number;
}

/** One run where your store and the reference parted, or where your store's run broke a promise. */
export interface StoreDifference {
  readonly run: number;
  /** Replays the run: `replay(token, { jobStore })`. */
  readonly replayToken: string;
  /** Where the two runs first differ (a history entry, an event, a final state) and each side there. */
  readonly divergence?: { readonly where: string; readonly reference?: string; readonly yours?: string };
  readonly violations: readonly Violation[];
}

/**
 * Plays the same generated runs through the reference store and through your JobStore, each store call whole, and
 * compares them call for call: every reply, lease, commit, event (with its payload) and final state must be equal,
 * and your store's runs must keep every promise. Resolves to the runs where they did not (an empty list: your
 * store behaved as the reference on every run).
 */
export async function compareWithReference(options: CompareOptions): Promise<StoreDifference[]> {
  const runs = options.runs ?? 24;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const { jobStore, ...common } = options;
  const world = worldOf(common);
  const adapter = { store: portStore(jobStore) };
  const differences: StoreDifference[] = [];
  for (let index = 0; index < runs; index += 1) {
    const run = await differentialRun(seed, index, adapter, world);
    if (run.same && run.violations.length === 0) continue;
    const { divergence } = run;
    differences.push({
      run: index,
      replayToken: run.replay,
      violations: run.violations,
      ...(divergence === undefined
        ? {}
        : {
            divergence: {
              where: divergence.where,
              ...(divergence.reference === undefined ? {} : { reference: divergence.reference }),
              ...(divergence.adapter === undefined ? {} : { yours: divergence.adapter }),
            },
          }),
    });
  }
  return differences;
}
