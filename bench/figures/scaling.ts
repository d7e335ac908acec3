/**
 * Figure 5: scaling. Across threads: the same campaign with `--parallel 1` and `--parallel 2`
 * (spawned CLIs, same seed; the fingerprints must match). Within a run: the cost of one checked
 * run as jobs, chunks per job and workers grow, on hand-built scenarios (every job the same size,
 * one worker crash so that each run includes a recovery, ending once every job is settled, so
 * that idle polling does not hide the work), with the growth exponent of each
 * dimension: cost ∝ size^k, k estimated from the grid's end points.
 */
import { availableParallelism, loadavg } from 'node:os';
import { simulate } from '../../sim/campaign.js';
import type { Scenario } from '../../sim/faults.js';
import type { Budget } from '../support/budget.js';
import { median, nowMs, progress, round } from '../support/measure.js';
import { runSimulatorCli } from '../support/spawn.js';

/** The grid's sizes. */
export const grid = { jobs: [1, 2, 4], chunks: [10, 40], workers: [1, 5] } as const;

/**
 * A run of `jobs` jobs of `chunks` 10 s chunks each, `workers` workers, worker 0 crashing after its 2nd transcription.
 */
export function gridScenario(jobs: number, chunks: number, workers: number, seed: number): Scenario {
  return {
    jobs: Array.from({ length: jobs }, (_, index) => ({
      id: `job${index}`,
      chunks,
      chunkLengthMs: 10_000,
      lastChunkMs: 10_000,
    })),
    workers,
    faults: [{ kind: 'crash', worker: 0, target: 'transcribe', nth: 2, when: 'after' }],
    latencies: { storeMaxMs: 10, mediaMs: 500, transcribeMs: 3_000 },
    faultPhaseMs: 120_000,
    seed,
    choices: [],
  };
}

/** Runs of the tiny campaign that measures each setting's fixed cost (thread start-up, cold code). */
export const startupRuns = 2;

async function campaign(runs: number, parallel: number, seed: number, shard?: string) {
  const sharding = shard === undefined ? [] : ['--shard', shard];
  progress(
    `scaling: npm run sim -- --runs ${runs} --seed ${seed} --parallel ${parallel} --differential 0 ${sharding.join(' ')}`,
  );
  const loadAtStart = round(loadavg()[0] ?? Number.NaN, 2);
  // No differential slice: it plays on the main thread alone, and would hide what the threads do.
  const result = await runSimulatorCli([
    '--runs',
    String(runs),
    '--seed',
    String(seed),
    '--parallel',
    String(parallel),
    '--differential',
    '0',
    ...sharding,
  ]);
  return {
    loadAverage1Minute: { start: loadAtStart, end: round(loadavg()[0] ?? Number.NaN, 2) },
    parallel,
    runs,
    exitCode: result.code,
    runsPerSecond: result.summary['runsPerSecond'] as number,
    campaignWallMs: result.summary['wallMs'] as number,
    processWallMs: Math.round(result.wallMs),
    fingerprint: result.summary['fingerprint'] as string,
  };
}

/**
 * The same campaign on 1 and 2 threads, spawned one after the other; and a 2-run campaign of each setting, whose
 * time is the fixed cost (each pool thread loads the simulator, compiled, and warms up on its own), so that the
 * speed-up of the runs themselves can be told from the start-up. The machine may be shared: each row says the load
 * average around it.
 */
export async function measureThreads(budget: Budget) {
  const serial = await campaign(budget.parallelRuns, 1, budget.seed);
  const parallel = await campaign(budget.parallelRuns, 2, budget.seed);
  const serialStartup = await campaign(startupRuns, 1, budget.seed);
  const parallelStartup = await campaign(startupRuns, 2, budget.seed);
  // The machine's own bound for this work: the campaign's two halves (--shard 1/2 and 2/2) in two processes at once,
  // sharing nothing but the cores, their caches and the memory bus; threads of one process cannot do better.
  const shards = await Promise.all([1, 2].map((shard) => campaign(budget.parallelRuns, 1, budget.seed, `${shard}/2`)));
  const shardsRunsPerSecond = (budget.parallelRuns * 1_000) / Math.max(...shards.map((row) => row.campaignWallMs));
  const steadyMs = (row: typeof serial, startup: typeof serial) => row.campaignWallMs - startup.campaignWallMs;
  return {
    measured: true,
    meaning: `the same ${budget.parallelRuns}-run campaign on 1 and 2 worker threads (runs/s as the CLI reports it, from the first run to the last, the thread pool's start-up included; no differential slice); a ${startupRuns}-run campaign of each setting measures its fixed cost, subtracted for the speed-up of the runs themselves; equal fingerprints mean equal per-run histories`,
    cores: availableParallelism(),
    runs: budget.parallelRuns,
    rows: [serial, parallel],
    fixedCostMs: { parallel1: serialStartup.campaignWallMs, parallel2: parallelStartup.campaignWallMs },
    speedup: round(parallel.runsPerSecond / serial.runsPerSecond, 2),
    speedupWithoutFixedCost: round(steadyMs(serial, serialStartup) / steadyMs(parallel, parallelStartup), 2),
    fingerprintsMatch: serial.fingerprint === parallel.fingerprint,
    separateProcesses: {
      meaning:
        "the two halves of the campaign (--shard 1/2 and 2/2) in two serial processes at once: all its runs over the later half's campaign wall time, and that over one serial process",
      rows: shards,
      runsPerSecond: round(shardsRunsPerSecond, 1),
      speedup: round(shardsRunsPerSecond / serial.runsPerSecond, 2),
    },
  };
}

function exponent(
  cells: readonly { jobs: number; chunks: number; workers: number; msMedian: number; stepsMedian: number }[],
  dimension: 'jobs' | 'chunks' | 'workers',
  metric: 'msMedian' | 'stepsMedian',
): number {
  const sizes = grid[dimension];
  const low = sizes[0];
  const high = sizes[sizes.length - 1] ?? low;
  const logs: number[] = [];
  for (const cell of cells) {
    if (cell[dimension] !== low) continue;
    const partner = cells.find(
      (other) =>
        other[dimension] === high &&
        (['jobs', 'chunks', 'workers'] as const).every((key) => key === dimension || other[key] === cell[key]),
    );
    if (partner !== undefined) logs.push(Math.log(partner[metric] / cell[metric]) / Math.log(high / low));
  }
  return round(logs.reduce((sum, value) => sum + value, 0) / logs.length, 2);
}

/** The jobs × chunks × workers grid, in this process. */
export async function measureGrid(budget: Budget) {
  progress(
    `scaling: jobs ${grid.jobs.join('/')} × chunks ${grid.chunks.join('/')} × workers ${grid.workers.join('/')}, ${budget.gridRepetitions} seeds each`,
  );
  const cells = [];
  for (const jobs of grid.jobs) {
    for (const chunks of grid.chunks) {
      for (const workers of grid.workers) {
        const ms: number[] = [];
        const steps: number[] = [];
        const simulatedMs: number[] = [];
        let violations = 0;
        for (let repetition = 0; repetition < budget.gridRepetitions; repetition += 1) {
          const started = nowMs();
          const run = await simulate(gridScenario(jobs, chunks, workers, repetition + 1), { endWhenSettled: true });
          ms.push(nowMs() - started);
          steps.push(run.record.steps);
          simulatedMs.push(run.record.simulatedMs);
          violations += run.violations.length;
        }
        const msMedian = median(ms);
        const stepsMedian = median(steps);
        cells.push({
          jobs,
          chunks,
          workers,
          msMedian: round(msMedian, 1),
          stepsMedian,
          simulatedMsMedian: median(simulatedMs),
          microsecondsPerStep: round((msMedian * 1_000) / stepsMedian, 1),
          violations,
        });
      }
    }
  }
  return {
    measured: true,
    meaning:
      'wall ms and scheduling steps of one checked run (median over seeds) on hand-built scenarios: every job the same size, worker 0 crashes after its 2nd transcription, memory store, the run ends once every job is settled; exponent k: cost grows as size^k along that dimension',
    repetitions: budget.gridRepetitions,
    cells,
    growthExponent: {
      jobs: { ms: exponent(cells, 'jobs', 'msMedian'), steps: exponent(cells, 'jobs', 'stepsMedian') },
      chunks: { ms: exponent(cells, 'chunks', 'msMedian'), steps: exponent(cells, 'chunks', 'stepsMedian') },
      workers: { ms: exponent(cells, 'workers', 'msMedian'), steps: exponent(cells, 'workers', 'stepsMedian') },
    },
  };
}

/** Figure 5 from its two parts (either may be unmeasured). */
export function scalingFigure(threads: unknown, perRun: unknown): Record<string, unknown> {
  return {
    measured: true,
    meaning: 'how throughput grows with threads, and how the cost of a run grows with its size',
    threads,
    perRun,
  };
}
