/**
 * The differential slice of a campaign: runs played twice, through the memory reference store and
 * through the Redis adapter (its Lua scripts, on ioredis-mock or a real server) with each store
 * call whole, as the reference makes it. The two histories (every call, reply, lease, commit and
 * event), every job's outbox (each event with its payload) and every final state must be equal, and
 * the adapter's run must keep every promise. A divergence is a failure of the adapter with its own
 * counterexample: where the two first differ, each side there, and the replay token of the run.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { simulate } from './campaign.js';
import type { Violation } from './checkers/index.js';
import { defaultBounds, scenarioArbitrary, type Scenario } from './faults.js';
import type { HistoryEntry } from './history.js';
import { describeEntry } from './report.js';
import { encodeReplay } from './scenario-file.js';
import type { RunRecord, WorldOptions } from './world.js';

/** Runs in the slice of a default campaign. */
export const differentialRunsDefault = 24;

/**
 * Smaller worlds than the campaign's (Lua on ioredis-mock is ~10 times slower than the reference):
 * every script and every fault kind still runs, in a fraction of the time.
 */
export const differentialBounds = { ...defaultBounds, jobsMax: 2, chunksMax: 8, workersMax: 3, faultsMax: 8 };

/** One run of the slice. */
export interface DifferentialRun {
  readonly index: number;
  readonly replay: string;
  /** Equal histories. */
  readonly same: boolean;
  /**
   * Where they first differ (a history entry, an event of a job's outbox, a job's final state) and
   * each side's version there (absent when that side had ended).
   */
  readonly divergence?: { readonly where: string; readonly reference?: string; readonly adapter?: string };
  /** Violations of the adapter's run (the reference's are the campaign's business). */
  readonly violations: readonly Violation[];
}

/** The scenario of run `index` of the slice seeded `seed` (its own stream, apart from the campaign's). */
export function differentialScenario(seed: number, index: number): Scenario {
  const runSeed = createHash('sha256').update(`chunkwise-differential:${seed}:${index}`).digest().readInt32LE(0);
  const [scenario] = fc.sample(scenarioArbitrary(differentialBounds), { seed: runSeed, numRuns: 1 });
  if (scenario === undefined) throw new Error('fast-check produced no scenario');
  return scenario;
}

/**
 * Plays run `index` through the reference and through `adapter` (a store option with atomic round trips), both with
 * the `common` options (promises, transcriber, workers of the caller's own), and compares them.
 */
export async function differentialRun(
  seed: number,
  index: number,
  adapter: WorldOptions,
  common: WorldOptions = {},
): Promise<DifferentialRun> {
  const scenario = differentialScenario(seed, index);
  const reference = await simulate(scenario, common);
  const other = await simulate(scenario, { ...common, ...adapter });
  const replay = encodeReplay(scenario);
  const divergence =
    historyDivergence(reference.record, other.record) ?? outboxDivergence(reference.record, other.record);
  return {
    index,
    replay,
    same: divergence === undefined,
    violations: other.violations,
    ...(divergence === undefined ? {} : { divergence }),
  };
}

type Divergence = NonNullable<DifferentialRun['divergence']>;

function historyDivergence(reference: RunRecord, adapter: RunRecord): Divergence | undefined {
  const left = reference.history.entries;
  const right = adapter.history.entries;
  const position = firstDifference(left, right);
  if (position === undefined) return undefined;
  const line = (entry: HistoryEntry | undefined) => {
    if (entry === undefined) return {};
    const { actor, text } = describeEntry(entry);
    return { text: `${entry.t} ms ${actor} ${text}` };
  };
  const [referenceLine, adapterLine] = [line(left[position]).text, line(right[position]).text];
  return {
    where: `history entry #${position}`,
    ...(referenceLine === undefined ? {} : { reference: referenceLine }),
    ...(adapterLine === undefined ? {} : { adapter: adapterLine }),
  };
}

/** The first event (of any job, in job order) or final state that differs. */
function outboxDivergence(reference: RunRecord, adapter: RunRecord): Divergence | undefined {
  for (const [jobId, events] of reference.events) {
    const others = adapter.events.get(jobId) ?? [];
    const position = firstDifference(events, others);
    if (position !== undefined) {
      const [left, right] = [events[position], others[position]];
      return {
        where: `event ${position + 1} of ${jobId}`,
        ...(left === undefined ? {} : { reference: JSON.stringify(left) }),
        ...(right === undefined ? {} : { adapter: JSON.stringify(right) }),
      };
    }
    const [left, right] = [
      JSON.stringify(reference.jobs.get(jobId) ?? null),
      JSON.stringify(adapter.jobs.get(jobId) ?? null),
    ];
    if (left !== right) return { where: `final state of ${jobId}`, reference: left, adapter: right };
  }
  return undefined;
}

function firstDifference(left: readonly unknown[], right: readonly unknown[]): number | undefined {
  for (let position = 0; position < Math.max(left.length, right.length); position += 1) {
    if (JSON.stringify(left[position]) !== JSON.stringify(right[position])) return position;
  }
  return undefined;
}
