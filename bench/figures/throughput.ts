/**
 * Figures 1 and 2: how fast the simulator checks runs, and how much virtual time it covers per
 * wall-clock ms, beside two bounds measured in the same process and the same benchmark run:
 *
 * - the ceiling: a bare loop over the same scenario arbitrary and run seeds, which drives the real
 *   scheduler through exactly as many scheduling steps as the simulated run took, with the same await
 *   structure (a port call whose body is an async function, its reply resuming the caller, which calls
 *   again) and no engine, store, history or checker behind it: the most this scheduler lets a simulator
 *   reach;
 * - the pure machine: src/core/transition.ts driven synchronously through synthetic jobs (no
 *   scheduler, no promise), the floor under the cost of a step that does engine work.
 *
 * Simulated and bare runs alternate, so machine noise hits both alike. The Redis stores replay the
 * first runs of the same campaign twice: with each store call atomic (as the memory reference runs
 * it: their histories must equal the memory store's, run by run) and with every round trip a
 * scheduling point (as `--store` runs; ioredis-mock and a real Redis must agree with each other).
 */
import fc from 'fast-check';
import { playRun, runSeed, type RunSummary } from '../../sim/campaign.js';
import { defaultBounds, scenarioArbitrary } from '../../sim/faults.js';
import { Scheduler } from '../../sim/scheduler.js';
import { closeStores, storeOption, type RoundTrips } from '../../sim/stores.js';
import type { Budget } from '../support/budget.js';
import { driveMachine } from '../support/machine-drive.js';
import { messageOf, nextTurn, nowMs, progress, round, unmeasured, type Unmeasured } from '../support/measure.js';
import type { RedisProbe } from '../support/redis.js';

/** One store's simulated runs. */
interface StoreRuns {
  readonly runs: number;
  readonly wallMs: number[];
  /** CPU time of this process (user + system) per run: on a shared machine, steadier than the wall clock. */
  readonly cpuMs: number[];
  readonly summaries: RunSummary[];
}

/** CPU time of this process so far (user + system), in ms. */
function cpuNowMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

async function playRuns(
  seed: number,
  count: number,
  store: string | undefined,
  secondsMax = Number.POSITIVE_INFINITY,
  between?: (index: number, summary: RunSummary) => Promise<void>,
  storeOptions: { roundTrips?: RoundTrips; mockScripts?: 'cached' | 'uncached' } = {},
): Promise<StoreRuns> {
  const world = await storeOption(store, storeOptions);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const summaries: RunSummary[] = [];
  const deadline = nowMs() + secondsMax * 1_000;
  for (let index = 0; index < count && (index === 0 || nowMs() < deadline); index += 1) {
    const started = nowMs();
    const cpuStarted = cpuNowMs();
    const summary = await playRun(seed, index, { world });
    wallMs.push(nowMs() - started);
    cpuMs.push(cpuNowMs() - cpuStarted);
    summaries.push(summary);
    await between?.(index, summary);
  }
  return { runs: summaries.length, wallMs, cpuMs, summaries };
}

/**
 * `steps` scheduling steps of `actors` actors through a real {@link Scheduler}, each step a port call as the world
 * makes one (an async body; its reply resumes the caller, which calls again after a few ms of virtual time), and
 * nothing else. Returns the steps taken.
 */
export async function bareSchedule(steps: number, actors: number): Promise<number> {
  const scheduler = new Scheduler([]);
  let left = steps;
  const actor = async (name: string): Promise<void> => {
    while (left > 0) {
      left -= 1;
      await scheduler.call(name, 'call', 1 + (left % 7), async () => left);
    }
  };
  for (let index = 0; index < actors; index += 1) void actor(`a${index}`);
  await scheduler.runUntil({ untilMs: Number.POSITIVE_INFINITY, stepsMax: steps });
  return scheduler.stats.steps;
}

/** The ceiling's run `index`: the same generated scenario, then as many bare scheduling steps as the run took. */
async function ceilingRun(seed: number, index: number, steps: number): Promise<void> {
  const property = fc.asyncProperty(scenarioArbitrary(defaultBounds), async (scenario) => {
    await bareSchedule(steps, scenario.workers + 1);
    return true;
  });
  await fc.check(property, { seed: runSeed(seed, index), numRuns: 1 });
}

/** Synthetic jobs of `chunks` chunks driven through the pure machine for about `msMax` ms. */
function measureMachine(chunks: number, msMax: number) {
  driveMachine(chunks);
  let jobs = 0;
  let transitions = 0;
  const started = nowMs();
  let wallMs: number;
  do {
    transitions += driveMachine(chunks).transitions;
    jobs += 1;
    wallMs = nowMs() - started;
  } while (wallMs < msMax);
  return {
    meaning: `src/core/transition.ts driven synchronously through synthetic jobs of ${chunks} chunks, claim to stop, every effect answered at once with success (bench/support/machine-drive.ts): no scheduler, store, history or checker`,
    jobs,
    transitions,
    wallMs: round(wallMs),
    transitionsPerSecond: Math.round((transitions * 1_000) / wallMs),
    microsecondsPerTransition: round((wallMs * 1_000) / transitions, 2),
  };
}

function rates(runs: StoreRuns, upTo = runs.runs) {
  const wallMs = runs.wallMs.slice(0, upTo).reduce((sum, value) => sum + value, 0);
  const cpuMs = runs.cpuMs.slice(0, upTo).reduce((sum, value) => sum + value, 0);
  const summaries = runs.summaries.slice(0, upTo);
  const steps = summaries.reduce((sum, summary) => sum + summary.steps, 0);
  const simulatedMs = summaries.reduce((sum, summary) => sum + summary.simulatedMs, 0);
  return {
    runs: upTo,
    wallMs: round(wallMs),
    runsPerSecond: round((upTo * 1_000) / wallMs, 2),
    stepsPerSecond: Math.round((steps * 1_000) / wallMs),
    microsecondsPerStep: round((wallMs * 1_000) / steps, 2),
    cpuMs: round(cpuMs),
    runsPerCpuSecond: round((upTo * 1_000) / cpuMs, 2),
    cpuMicrosecondsPerStep: round((cpuMs * 1_000) / steps, 2),
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

/** True when both lists have the same fingerprints, run by run. */
function sameFingerprints(left: readonly RunSummary[], right: readonly RunSummary[]): boolean {
  return left.length > 0 && left.every((summary, index) => summary.fingerprint === right[index]?.fingerprint);
}

/** Measures figures 1 and 2. */
export async function measureThroughput(
  budget: Budget,
  redis: RedisProbe,
  redisUrl: string,
): Promise<ThroughputFigures> {
  const bareWallMs: number[] = [];
  const bareCpuMs: number[] = [];
  progress(
    `throughput: up to ${budget.memoryRuns} simulated runs (${budget.memoryRunsSecondsMax} s) on the memory store, each followed by its bare twin`,
  );
  const memory = await playRuns(
    budget.seed,
    budget.memoryRuns,
    undefined,
    budget.memoryRunsSecondsMax,
    async (index, summary) => {
      await nextTurn();
      const started = nowMs();
      const cpuStarted = cpuNowMs();
      await ceilingRun(budget.seed, index, summary.steps);
      bareWallMs.push(nowMs() - started);
      bareCpuMs.push(cpuNowMs() - cpuStarted);
    },
  );
  const memoryRates = rates(memory);
  const bareTotalMs = bareWallMs.reduce((sum, value) => sum + value, 0);
  const bareCpuTotalMs = bareCpuMs.reduce((sum, value) => sum + value, 0);
  const ceiling = {
    meaning:
      'fc.asyncProperty over the same scenario arbitrary and run seeds, then the real scheduler driven through as many steps as the simulated run took (each a port call with an async body resuming its caller), nothing else: the most a simulator on this scheduler could reach',
    runs: bareWallMs.length,
    wallMs: round(bareTotalMs),
    runsPerSecond: round((bareWallMs.length * 1_000) / bareTotalMs, 2),
    stepsPerSecond: Math.round((memoryRates.steps * 1_000) / bareTotalMs),
    microsecondsPerStep: round((bareTotalMs * 1_000) / memoryRates.steps, 2),
    cpuMs: round(bareCpuTotalMs),
    runsPerCpuSecond: round((bareCpuMs.length * 1_000) / bareCpuTotalMs, 2),
    cpuMicrosecondsPerStep: round((bareCpuTotalMs * 1_000) / memoryRates.steps, 2),
  };
  progress('throughput: the pure machine, driven synchronously');
  const machine = measureMachine(10, budget.mode === 'quick' ? 1_000 : 3_000);
  const redisRows: Record<string, unknown> = {};
  const interleaved: Record<string, RunSummary[]> = {};
  for (const [name, store] of [
    ['ioredisMock', 'ioredis-mock'],
    ['redis', redisUrl],
  ] as const) {
    const where = name === 'redis' ? `a real Redis ${redis.version ?? ''}`.trim() : 'ioredis-mock';
    if (name === 'redis' && !redis.available) {
      redisRows[name] = unmeasured('the same runs through the Redis adapter on a real server', redis.reason);
      continue;
    }
    const count = Math.min(budget.redisRuns, memory.runs);
    progress(
      `throughput: ${count} simulated runs through the Redis adapter on ${where}, atomic calls then round trips`,
    );
    try {
      const atomic = await playRuns(budget.seed, count, store, undefined, undefined, { roundTrips: 'atomic' });
      const trips = await playRuns(budget.seed, count, store);
      interleaved[name] = trips.summaries;
      // The same runs on the memory store again, warm and next to these (the first ones above include the
      // process's cold start): the ratio to memory is taken against them.
      const memoryAgain = await playRuns(budget.seed, atomic.runs, undefined);
      const sameRuns = rates(memoryAgain);
      // ioredis-mock by itself builds a Lua state and parses the script on every call (sim/mock-lua.ts keeps them).
      const uncached =
        name === 'ioredisMock'
          ? await playRuns(budget.seed, count, store, undefined, undefined, {
              roundTrips: 'atomic',
              mockScripts: 'uncached',
            })
          : undefined;
      redisRows[name] = {
        measured: true,
        meaning: `the first ${atomic.runs} runs of the same campaign through RedisJobStore on ${where}: each store call atomic (as the memory reference runs it), then every round trip a scheduling point (as --store runs them); fractionOfMemory: atomic runs/s over the memory store's on the same runs played again right after, warm`,
        ...rates(atomic),
        memoryRunsPerSecondSameRuns: sameRuns.runsPerSecond,
        slowdownVsMemory: round(sameRuns.runsPerSecond / rates(atomic).runsPerSecond, 1),
        fractionOfMemory: round(rates(atomic).runsPerSecond / sameRuns.runsPerSecond, 3),
        fractionOfMemoryCpu: round(rates(atomic).runsPerCpuSecond / sameRuns.runsPerCpuSecond, 3),
        sameHistoriesAsMemory: sameFingerprints(atomic.summaries, memory.summaries),
        roundTrips: rates(trips),
        ...(uncached === undefined
          ? {}
          : {
              uncachedScripts: {
                meaning:
                  "the same atomic runs with ioredis-mock's own custom commands: a new Lua state and a parse of the script per call",
                ...rates(uncached),
                sameHistoriesAsMemory: sameFingerprints(uncached.summaries, memory.summaries),
              },
            }),
      };
    } catch (error) {
      redisRows[name] = unmeasured('the same runs through the Redis adapter', messageOf(error));
    }
  }
  await closeStores();
  const mock = interleaved['ioredisMock'];
  const real = interleaved['redis'];
  const compression = (row: unknown): number | Unmeasured =>
    typeof row === 'object' && row !== null && 'simulatedMsPerWallMs' in row
      ? (row as { simulatedMsPerWallMs: number }).simulatedMsPerWallMs
      : (row as Unmeasured);
  return {
    throughput: {
      measured: true,
      meaning:
        'checked simulated runs (every promise P1-P11 checked) and scheduling steps per wall-clock second, single thread, against a bare loop doing only the generation and the scheduling steps, and the pure machine driven synchronously',
      seed: budget.seed,
      memory: {
        meaning: 'the memory reference store',
        ...memoryRates,
        stepsPerRunMean: round(memoryRates.steps / memoryRates.runs, 0),
      },
      ceiling,
      fractionOfCeiling: round(memoryRates.runsPerSecond / ceiling.runsPerSecond, 3),
      fractionOfCeilingCpu: round(memoryRates.runsPerCpuSecond / ceiling.runsPerCpuSecond, 3),
      machine,
      stepCostInMachineTransitions: round(memoryRates.microsecondsPerStep / machine.microsecondsPerTransition, 2),
      ...redisRows,
      roundTripHistoriesEqualAcrossRedis:
        mock === undefined || real === undefined ? null : sameFingerprints(mock, real.slice(0, mock.length)),
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
