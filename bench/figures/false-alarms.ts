/**
 * Figure 4b: false alarms. The correct engine (no planted bug, memory store) should break no
 * promise, so every failing run of a campaign on it is a false alarm (a checker, the simulator or
 * the engine is wrong). Campaign seeds are drawn at random once per benchmark run (and recorded),
 * so that successive benchmarks cover new runs; each plays runs 0 … runsPerSeed−1 on a thread pool,
 * in batches, with every failure counted (no stopping at the first). At most a few failures are
 * shrunk, here, so that a person can replay them. When the benchmark's time budget runs out, no
 * further batch starts and the figure reports the runs actually played.
 */
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Tinypool } from 'tinypool';
import { shrinkRun, type RunSummary } from '../../sim/campaign.js';
import type { Budget } from '../support/budget.js';
import { messageOf, nowMs, progress, remainingMs, round } from '../support/measure.js';

/** Most run indices in one pool task. */
export const batchSizeMax = 50;
/** Most false alarms shrunk (on the main thread) for a replay token. */
export const shrunkMax = 3;
/** The range campaign seeds are drawn from (positive 31-bit integers). */
const seedRange = { min: 1, max: 2 ** 31 - 1 } as const;

/** One pool task: a slice of one seed's runs. */
interface Task {
  readonly seed: number;
  readonly indices: readonly number[];
}

/** A failing run of the correct engine. */
export interface FalseAlarm {
  readonly seed: number;
  readonly index: number;
  readonly promise: string;
  readonly liveness: boolean;
  readonly violations: number;
  readonly firstViolation: string;
  readonly replay?: string;
  readonly shrinkError?: string;
}

/** `count` distinct campaign seeds, drawn with a cryptographic generator. */
export function drawSeeds(count: number): number[] {
  const seeds = new Set<number>();
  while (seeds.size < count) seeds.add(randomInt(seedRange.min, seedRange.max));
  return [...seeds];
}

function tasksOf(seeds: readonly number[], runsPerSeed: number): Task[] {
  const tasks: Task[] = [];
  for (const seed of seeds) {
    for (let start = 0; start < runsPerSeed; start += batchSizeMax) {
      tasks.push({
        seed,
        indices: Array.from({ length: Math.min(batchSizeMax, runsPerSeed - start) }, (_, offset) => start + offset),
      });
    }
  }
  return tasks;
}

/**
 * The failing runs among `played`, in seed order then run order, each with its first violation;
 * the first {@link shrunkMax} are shrunk by `shrink` for a replay token (after the first, only while the time budget
 * lasts).
 */
export async function falseAlarmsOf(
  played: readonly { seed: number; summary: RunSummary }[],
  seeds: readonly number[],
  shrink: (seed: number, index: number) => Promise<{ replay: string }> = (seed, index) => shrinkRun(seed, index),
): Promise<FalseAlarm[]> {
  const failing = played.flatMap(({ seed, summary }) =>
    summary.failed === undefined ? [] : [{ seed, index: summary.index, failed: summary.failed }],
  );
  failing.sort((a, b) => seeds.indexOf(a.seed) - seeds.indexOf(b.seed) || a.index - b.index);
  const alarms: FalseAlarm[] = [];
  for (const [position, { seed, index, failed }] of failing.entries()) {
    const alarm: FalseAlarm = {
      seed,
      index,
      promise: failed.promise,
      liveness: failed.liveness,
      violations: failed.violations.length,
      firstViolation: failed.violations[0]?.message ?? '',
    };
    if (position >= shrunkMax) {
      alarms.push(alarm);
      continue;
    }
    if (position > 0 && remainingMs() <= 0) {
      alarms.push({
        ...alarm,
        shrinkError: 'not shrunk: the time budget ran out (replay it with its seed and run index)',
      });
      continue;
    }
    progress(`false alarms: shrinking run ${index} of campaign ${seed} (${failed.promise})`);
    try {
      alarms.push({ ...alarm, replay: (await shrink(seed, index)).replay });
    } catch (error) {
      alarms.push({ ...alarm, shrinkError: messageOf(error) });
    }
  }
  return alarms;
}

/** Measures the false-alarm figure. */
export async function measureFalseAlarms(budget: Budget): Promise<Record<string, unknown>> {
  const seeds = drawSeeds(budget.falseAlarmSeeds);
  const runsPerSeed = budget.falseAlarmRunsPerSeed;
  const tasks = tasksOf(seeds, runsPerSeed);
  const threads = Math.max(1, Math.min(2, availableParallelism()));
  progress(
    `false alarms: ${seeds.length} random campaign seeds × ${runsPerSeed} runs on the correct engine, ${threads} thread(s)`,
  );
  const started = nowMs();
  const summaries: { seed: number; summary: RunSummary }[] = [];
  const taskErrors: { seed: number; indices: string; error: string }[] = [];
  let next = 0;
  let truncated = false;
  let lastProgress = started;
  const pool = new Tinypool({
    filename: new URL('../../sim/pool-entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
  });
  try {
    // One task in flight per thread, so that a spent time budget stops the campaign between tasks.
    const lane = async (): Promise<void> => {
      while (next < tasks.length) {
        if (remainingMs() <= 0) {
          truncated = true;
          return;
        }
        const task = tasks[next] as Task;
        next += 1;
        try {
          const batch = (await pool.run({ seed: task.seed, indices: task.indices })) as RunSummary[];
          for (const summary of batch) summaries.push({ seed: task.seed, summary });
        } catch (error) {
          taskErrors.push({
            seed: task.seed,
            indices: `${task.indices[0]}–${task.indices.at(-1)}`,
            error: messageOf(error),
          });
        }
        if (nowMs() - lastProgress >= 10_000) {
          lastProgress = nowMs();
          progress(`false alarms: ${summaries.length} of ${seeds.length * runsPerSeed} runs played`);
        }
      }
    };
    await Promise.all(Array.from({ length: threads }, () => lane()));
  } finally {
    await pool.destroy();
  }
  const wallMs = nowMs() - started;
  const failing = summaries.filter(({ summary }) => summary.failed !== undefined);
  const alarms = await falseAlarmsOf(failing, seeds);
  const runs = summaries.length;
  const seedsPlayed = new Set(summaries.map((entry) => entry.seed)).size;
  const planned = seeds.length * runsPerSeed;
  return {
    measured: true,
    meaning:
      `the correct engine (no planted bug, memory store) checked on ${seeds.length} campaign seeds drawn at random for this benchmark, runs 0–${runsPerSeed - 1} of each, ` +
      `on ${threads} pool thread(s) in batches of at most ${batchSizeMax} runs; every failing run is a false alarm and is counted (the campaign does not stop at the first); ` +
      `the first ${shrunkMax} are shrunk for a replay token; rateUpperBound95 (when none failed) is the rule of three, 3 / runs`,
    seeds,
    seedsPlayed,
    runsPerSeed,
    threads,
    plannedRuns: planned,
    runs,
    failingRuns: failing.length,
    failingSeeds: new Set(failing.map((entry) => entry.seed)).size,
    rate: runs === 0 ? Number.NaN : failing.length / runs,
    ...(failing.length === 0 && runs > 0 ? { rateUpperBound95: 3 / runs } : {}),
    wallMs: round(wallMs, 0),
    runsPerSecond: round(runs / Math.max(0.001, wallMs / 1_000), 1),
    ...(truncated
      ? {
          truncated: `the time budget ran out: ${runs} of ${planned} runs played (${next} of ${tasks.length} batches started)`,
        }
      : {}),
    taskErrors,
    failures: alarms,
  };
}
