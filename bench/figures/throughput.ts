/**
 * Figures 1 and 2: how fast the simulator checks runs, and how much virtual time it covers per
 * wall-clock ms. The ceiling is a bare fast-check loop in the same process over the same scenario
 * arbitrary and run seeds, spending one macrotask turn (`await new Promise(setImmediate)`) per
 * scheduling step the simulated run took: the simulator cannot beat it, since its scheduler also
 * yields one turn per step. Simulated and bare runs alternate, so machine noise hits both alike.
 * The Redis stores replay the first runs of the same campaign; their histories must equal the
 * memory store's, run by run.
 */
import fc from 'fast-check';
import { playRun, runSeed, type RunSummary } from '../../sim/campaign.js';
import { defaultBounds, scenarioArbitrary } from '../../sim/faults.js';
import { closeStores, storeOption } from '../../sim/stores.js';
import type { Budget } from '../support/budget.js';
import { messageOf, nextTurn, nowMs, progress, round, unmeasured, type Unmeasured } from '../support/measure.js';
import type { RedisProbe } from '../support/redis.js';

/** One store's simulated runs. */
interface StoreRuns {
  readonly runs: number;
  readonly wallMs: number[];
  readonly summaries: RunSummary[];
}

async function playRuns(
  seed: number,
  count: number,
  store: string | undefined,
  secondsMax = Number.POSITIVE_INFINITY,
  between?: (index: number, summary: RunSummary) => Promise<void>,
): Promise<StoreRuns> {
  const world = await storeOption(store);
  const wallMs: number[] = [];
  const summaries: RunSummary[] = [];
  const deadline = nowMs() + secondsMax * 1_000;
  for (let index = 0; index < count && (index === 0 || nowMs() < deadline); index += 1) {
    const started = nowMs();
    const summary = await playRun(seed, index, { world });
    wallMs.push(nowMs() - started);
    summaries.push(summary);
    await between?.(index, summary);
  }
  return { runs: summaries.length, wallMs, summaries };
}

/** The bare loop's run `index`: the same generated scenario, then `steps` macrotask turns. */
async function bareRun(seed: number, index: number, steps: number): Promise<void> {
  const property = fc.asyncProperty(scenarioArbitrary(defaultBounds), async () => {
    for (let step = 0; step < steps; step += 1) await new Promise(setImmediate);
    return true;
  });
  await fc.check(property, { seed: runSeed(seed, index), numRuns: 1 });
}

function rates(runs: StoreRuns, upTo = runs.runs) {
  const wallMs = runs.wallMs.slice(0, upTo).reduce((sum, value) => sum + value, 0);
  const summaries = runs.summaries.slice(0, upTo);
  const steps = summaries.reduce((sum, summary) => sum + summary.steps, 0);
  const simulatedMs = summaries.reduce((sum, summary) => sum + summary.simulatedMs, 0);
  return {
    runs: upTo,
    wallMs: round(wallMs),
    runsPerSecond: round((upTo * 1_000) / wallMs, 2),
    stepsPerSecond: Math.round((steps * 1_000) / wallMs),
    steps,
    simulatedMs,
    simulatedMsPerWallMs: round(simulatedMs / wallMs, 0),
    failures: summaries.filter((summary) => summary.failed !== undefined).length,
  };
}

/** What figures 1 and 2 report. */
export interface ThroughputFigures {
  readonly throughput: Record<string, unknown>;
  readonly timeCompression: Record<string, unknown>;
}

/** Measures figures 1 and 2. */
export async function measureThroughput(
  budget: Budget,
  redis: RedisProbe,
  redisUrl: string,
): Promise<ThroughputFigures> {
  const bareWallMs: number[] = [];
  progress(
    `throughput: up to ${budget.memoryRuns} simulated runs (${budget.memoryRunsSecondsMax} s) on the memory store, each followed by its bare fast-check twin`,
  );
  const memory = await playRuns(
    budget.seed,
    budget.memoryRuns,
    undefined,
    budget.memoryRunsSecondsMax,
    async (index, summary) => {
      await nextTurn();
      const started = nowMs();
      await bareRun(budget.seed, index, summary.steps);
      bareWallMs.push(nowMs() - started);
    },
  );
  const memoryRates = rates(memory);
  const bareTotalMs = bareWallMs.reduce((sum, value) => sum + value, 0);
  const ceiling = {
    meaning:
      'fc.asyncProperty over the same scenario arbitrary and run seeds, one `await new Promise(setImmediate)` per scheduling step of the simulated run: the most a simulator yielding once per step could reach',
    runs: bareWallMs.length,
    wallMs: round(bareTotalMs),
    runsPerSecond: round((bareWallMs.length * 1_000) / bareTotalMs, 2),
    stepsPerSecond: Math.round((memoryRates.steps * 1_000) / bareTotalMs),
  };
  const redisRows: Record<string, unknown> = {};
  for (const [name, store] of [
    ['ioredisMock', 'ioredis-mock'],
    ['redis', redisUrl],
  ] as const) {
    if (name === 'redis' && !redis.available) {
      redisRows[name] = unmeasured('the same runs through the Redis adapter on a real server', redis.reason);
      continue;
    }
    progress(
      `throughput: ${budget.redisRuns} simulated runs through the Redis adapter on ${name === 'redis' ? redis.url : 'ioredis-mock'}`,
    );
    try {
      const runs = await playRuns(budget.seed, Math.min(budget.redisRuns, memory.runs), store);
      const sameRuns = rates(memory, runs.runs);
      const sameHistories = runs.summaries.every(
        (summary, index) => summary.fingerprint === memory.summaries[index]?.fingerprint,
      );
      redisRows[name] = {
        measured: true,
        meaning: `the first ${runs.runs} runs of the same campaign through RedisJobStore on ${name === 'redis' ? `a real Redis ${redis.version ?? ''}`.trim() : 'ioredis-mock'}`,
        ...rates(runs),
        memoryRunsPerSecondSameRuns: sameRuns.runsPerSecond,
        slowdownVsMemory: round(sameRuns.runsPerSecond / rates(runs).runsPerSecond, 1),
        sameHistoriesAsMemory: sameHistories,
      };
    } catch (error) {
      redisRows[name] = unmeasured('the same runs through the Redis adapter', messageOf(error));
    }
  }
  await closeStores();
  const compression = (row: unknown): number | Unmeasured =>
    typeof row === 'object' && row !== null && 'simulatedMsPerWallMs' in row
      ? (row as { simulatedMsPerWallMs: number }).simulatedMsPerWallMs
      : (row as Unmeasured);
  return {
    throughput: {
      measured: true,
      meaning:
        'checked simulated runs (every promise P1-P11 checked) and scheduling steps per wall-clock second, single thread, against a bare fast-check loop doing only the scheduling turns',
      seed: budget.seed,
      memory: {
        meaning: 'the memory reference store',
        ...memoryRates,
        stepsPerRunMean: round(memoryRates.steps / memoryRates.runs, 0),
      },
      ceiling,
      fractionOfCeiling: round(memoryRates.runsPerSecond / ceiling.runsPerSecond, 3),
      ...redisRows,
    },
    timeCompression: {
      measured: true,
      meaning:
        'simulated ms per wall-clock ms over the same runs (virtual time jumps to the next timer when nothing is ready)',
      memory: memoryRates.simulatedMsPerWallMs,
      simulatedHours: round(memoryRates.simulatedMs / 3_600_000, 2),
      wallSeconds: round(memoryRates.wallMs / 1_000, 2),
      ioredisMock: compression(redisRows['ioredisMock']),
      redis: compression(redisRows['redis']),
    },
  };
}
