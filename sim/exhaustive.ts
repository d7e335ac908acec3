/**
 * `npm run sim -- --exhaustive`: every schedule of a small world, not a sample. One job of two
 * chunks, two workers, a store with no latency and media of 1 ms (so that many steps are ready
 * at the same virtual instant and the order is the scheduler's choice), and every fault plan of at most two faults
 * from a fixed menu. For each plan the search enumerates the scheduler's choice vectors depth
 * first, by re-execution (as stateless model checkers do): a run records how many steps were
 * ready at each of its decisions, and each alternative at a later decision is a new schedule.
 * Schedules are bounded by preemptions (decisions that do not take the oldest ready step, as in
 * CHESS); a schedule whose history is one already seen is counted but not branched from again
 * (equal histories up to a decision continue alike), which prunes orders that only swapped
 * independent steps. Every schedule is checked against every promise.
 */
import { checkAll, type Violation } from './checkers/index.js';
import { scenarioVersion, simulationLimits, type Fault, type Scenario } from './faults.js';
import { encodeReplay } from './scenario-file.js';
import { World, type RunRecord, type WorldOptions } from './world.js';

/** The faults plans are made of: one of each kind that matters for two workers and one job. */
export const exhaustiveFaultMenu: readonly Fault[] = [
  { kind: 'crash', worker: 0, target: 'commit', nth: 1, when: 'before' },
  { kind: 'crash', worker: 0, target: 'commit', nth: 1, when: 'after' },
  { kind: 'pause', worker: 0, target: 'commit', nth: 1, durationMs: 11_000 },
  // Wakes while the next owner transcribes: a zombie commit racing the recovery.
  { kind: 'pause', worker: 0, target: 'commit', nth: 1, durationMs: 9_800 },
  { kind: 'stop', worker: 0, target: 'transcribe', nth: 1 },
  { kind: 'reply_lost', nth: 3 },
  { kind: 'store_down', atMs: 1, durationMs: 500 },
  { kind: 'transcriber_error', nth: 1, error: 500 },
  { kind: 'chunk_file', job: 0, chunk: 1, damage: 'corrupt', atMs: 3 },
  { kind: 'state_corrupt', job: 0, atMs: 3 },
  { kind: 'owner_crash', job: 0, count: 1 },
  { kind: 'clock_skew', worker: 1, offsetMs: 300_000, driftPpm: -20_000 },
];

/** The default preemption bound. */
export const exhaustivePreemptionsDefault = 3;

/** Options of a search. */
export interface ExhaustiveOptions {
  /** Largest number of non-oldest choices in a schedule (default 3). */
  readonly preemptionsMax?: number;
  /** Largest number of faults in a plan (default 2). */
  readonly faultsMax?: number;
  /** Stop after this long and say so (default 10 minutes). */
  readonly budgetMs?: number;
  /** Another engine (planted bugs in tests). */
  readonly world?: WorldOptions;
  /** Called after each fault plan. */
  readonly onPlan?: (done: number, total: number, schedules: number) => void;
}

/** What a search covered and found. */
export interface ExhaustiveResult {
  readonly plans: number;
  readonly schedules: number;
  /** Schedules with a history no earlier schedule had. */
  readonly distinct: number;
  /** False when the budget ran out first. */
  readonly complete: boolean;
  readonly ms: number;
  /** The first failing schedule, if any. */
  readonly failure?: {
    readonly scenario: Scenario;
    readonly record: RunRecord;
    readonly violations: readonly Violation[];
    readonly replay: string;
  };
}

/** Every plan of at most `faultsMax` faults of the menu, the empty plan first. */
export function faultPlans(faultsMax: number): Fault[][] {
  const plans: Fault[][] = [[]];
  const extend = (start: number, plan: Fault[]) => {
    for (let index = start; index < exhaustiveFaultMenu.length; index += 1) {
      const next = [...plan, exhaustiveFaultMenu[index] as Fault];
      plans.push(next);
      if (next.length < faultsMax) extend(index + 1, next);
    }
  };
  if (faultsMax > 0) extend(0, []);
  return plans;
}

function scenarioOf(faults: readonly Fault[], choices: readonly number[]): Scenario {
  return {
    jobs: [{ id: 'job0', chunks: 2, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
    workers: 2,
    faults,
    latencies: { storeMaxMs: 0, mediaMs: 1, transcribeMs: 400 },
    faultPhaseMs: 60_000,
    seed: 1,
    choices,
  };
}

/** Searches every schedule of every plan within the bounds. */
export async function exhaustive(options: ExhaustiveOptions = {}): Promise<ExhaustiveResult> {
  const preemptionsMax = options.preemptionsMax ?? exhaustivePreemptionsDefault;
  const startMs = Date.now();
  const deadlineMs = startMs + (options.budgetMs ?? 600_000);
  const plans = faultPlans(options.faultsMax ?? 2);
  const seen = new Set<string>();
  let schedules = 0;
  for (const [position, faults] of plans.entries()) {
    // Depth first over choice vectors: each entry is a prefix to run (zeros after it).
    const stack: number[][] = [[]];
    while (stack.length > 0) {
      if (Date.now() > deadlineMs)
        return { plans: plans.length, schedules, distinct: seen.size, complete: false, ms: Date.now() - startMs };
      const prefix = stack.pop() as number[];
      const scenario = scenarioOf(faults, prefix);
      const world = new World(scenario, { limits: simulationLimits, endWhenSettled: true, ...options.world });
      const record = await world.run();
      schedules += 1;
      const violations = checkAll(record);
      if (violations.length > 0) {
        return {
          plans: plans.length,
          schedules,
          distinct: seen.size + 1,
          complete: false,
          ms: Date.now() - startMs,
          failure: { scenario, record, violations, replay: encodeReplay(scenario) },
        };
      }
      const fingerprint = record.history.fingerprint();
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      const branching = world.scheduler.branching;
      const used = prefix.filter((choice) => choice !== 0).length;
      if (used >= preemptionsMax) continue;
      for (let decision = branching.length - 1; decision >= prefix.length; decision -= 1) {
        for (let choice = (branching[decision] ?? 1) - 1; choice >= 1; choice -= 1) {
          stack.push([...prefix, ...new Array<number>(decision - prefix.length).fill(0), choice]);
        }
      }
    }
    options.onPlan?.(position + 1, plans.length, schedules);
  }
  return { plans: plans.length, schedules, distinct: seen.size, complete: true, ms: Date.now() - startMs };
}

/** The one-line summary of a search. */
export function exhaustiveText(result: ExhaustiveResult, preemptionsMax: number): string {
  const what = `${result.plans} fault plans (≤ 2 of ${exhaustiveFaultMenu.length} faults), 1 job × 2 chunks × 2 workers, preemption bound ${preemptionsMax}`;
  const covered = `${result.schedules} schedules, ${result.distinct} distinct histories in ${(result.ms / 1000).toFixed(1)} s`;
  const state =
    result.failure !== undefined
      ? 'a promise broke'
      : result.complete
        ? 'every promise held on every one'
        : 'stopped at the time budget: NOT every schedule was checked';
  return `exhaustive (format v${scenarioVersion}): ${what}: ${covered}; ${state}\n`;
}
