/**
 * `npm run bench [-- --quick]`: measures speed, scale and bug-finding power side by side and writes
 * bench/results/latest.json (every figure with what it means, or why it could not be measured),
 * bench/results/latest.md and the README's performance table. Progress goes to stderr.
 *
 *   npm run bench                  default budgets (several minutes)
 *   npm run bench -- --quick       small budgets (under three minutes on two cores)
 *   npm run bench -- --only throughput,bugFinding   some figures only (the others are marked skipped)
 *   npm run bench -- --quick --only bugFinding,falseAlarms
 *   npm run bench -- --quick --time-budget 120       another wall-time budget, in seconds (--quick: 165)
 *   npm run bench -- --quick --no-readme          results only: bench/results/ written, README.md left alone
 *   npm run bench -- --cluster [--quick]  RedisJobStore on a local Redis Cluster vs one redis-server, side by side
 *                                  (bench/redis-cluster.ts; writes bench/results/redis-cluster.json only)
 *
 * A real Redis (REDIS_URL, default redis://127.0.0.1:6379) is used when one answers; without one,
 * the figures that need it are present with the reason.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBugs } from './figures/bugs.js';
import { measureFalseAlarms } from './figures/false-alarms.js';
import { measureMemory } from './figures/memory.js';
import { measureRedis } from './figures/redis-live.js';
import { measureGrid, measureThreads, scalingFigure } from './figures/scaling.js';
import { measureSuite, suitesFigure, type SuiteRow } from './figures/suites.js';
import { measureThroughput } from './figures/throughput.js';
import { resultsDirectory, writeReports } from './report.js';
import { fullBudget, quickBudget, type Budget } from './support/budget.js';
import {
  messageOf,
  nowMs,
  progress,
  remainingMs,
  round,
  setTimeBudget,
  unmeasured,
  type Unmeasured,
} from './support/measure.js';
import { probeRedis, redisUrl } from './support/redis.js';

/** The figures, in the order they are measured and reported. */
export const figureNames = [
  'throughput',
  'timeCompression',
  'seedSuites',
  'bugFinding',
  'falseAlarms',
  'scaling',
  'redis',
  'memory',
] as const;
type FigureName = (typeof figureNames)[number];

const figureMeanings: Record<FigureName, string> = {
  throughput: 'simulator throughput against a bare fast-check loop',
  timeCompression: 'simulated ms per wall-clock ms',
  seedSuites: "the seed suites' wall time against the seed document",
  bugFinding: 'runs and time to find each planted bug, and the shrunk counterexample',
  falseAlarms: 'failing runs of the correct engine over random campaign seeds (each one a false alarm)',
  scaling: 'throughput across threads, cost per run by size',
  redis: 'recovery and event latency, commit and claim latency on a real Redis',
  memory: 'memory during recovery against steady processing',
};

function parseFlags(argv: readonly string[]): {
  budget: Budget;
  only: Set<string> | undefined;
  timeBudgetSeconds: number | null;
  cluster: boolean;
  readme: boolean;
} {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      'time-budget': { type: 'string' },
      cluster: { type: 'boolean' },
      'no-readme': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.cluster === true && (values.only !== undefined || values['time-budget'] !== undefined))
    throw new TypeError('--cluster runs the Redis Cluster comparison alone: it takes --quick only');
  const timeBudget = values['time-budget'];
  if (timeBudget !== undefined && !(Number(timeBudget) > 0))
    throw new RangeError(`--time-budget must be a positive number of seconds, got ${JSON.stringify(timeBudget)}`);
  let only: Set<string> | undefined;
  if (values.only !== undefined) {
    only = new Set(values.only.split(',').map((name) => name.trim()));
    // Figures 1 and 2 come from the same runs, and so do the bug figure's parts.
    if (only.has('throughput') || only.has('timeCompression')) only.add('throughput').add('timeCompression');
    const unknown = [...only].filter((name) => !(figureNames as readonly string[]).includes(name));
    if (unknown.length > 0)
      throw new TypeError(`--only takes ${figureNames.join(', ')}; unknown: ${unknown.join(', ')}`);
  }
  const budget = values.quick === true ? quickBudget : fullBudget;
  const timeBudgetSeconds =
    timeBudget !== undefined ? Number(timeBudget) : budget.mode === 'quick' ? quickTimeBudgetSeconds : null;
  return { budget, only, timeBudgetSeconds, cluster: values.cluster === true, readme: values['no-readme'] !== true };
}

/**
 * Measures `measure`, or marks it unmeasured with the reason: the time budget was spent, or the
 * measurement failed (the error's message). Never throws.
 */
async function part<T>(meaning: string, measure: () => Promise<T>): Promise<T | Unmeasured> {
  if (remainingMs() <= 0)
    return unmeasured(
      meaning,
      `the time budget was spent before this part (load average ${round(loadavg()[0] ?? 0, 1)} on ${availableParallelism()} cores)`,
    );
  try {
    return await measure();
  } catch (error) {
    progress(`${meaning}: not measured: ${messageOf(error)}`);
    return unmeasured(meaning, messageOf(error));
  }
}

/** Wall seconds `--quick` may spend measuring, so that the whole command ends within three minutes. */
export const quickTimeBudgetSeconds = 165;

async function main(): Promise<void> {
  const { budget, only, timeBudgetSeconds, cluster, readme } = parseFlags(process.argv.slice(2));
  if (cluster) {
    // The Redis Cluster comparison starts its own servers and writes bench/results/redis-cluster.json alone.
    const { measureRedisCluster } = await import('./redis-cluster.js');
    await mkdir(resultsDirectory, { recursive: true });
    const results = await measureRedisCluster(budget.mode, resultsDirectory);
    console.log(JSON.stringify(results, null, 2));
    progress('wrote bench/results/redis-cluster.json');
    return;
  }
  const started = nowMs();
  const loadAtStart = loadavg().map((value) => round(value, 2));
  if (timeBudgetSeconds !== null) setTimeBudget(timeBudgetSeconds);
  progress(`chunkwise bench (${budget.mode}), campaign seed ${budget.seed}`);
  const redis = await probeRedis(redisUrl);
  progress(redis.available ? `real Redis ${redis.version ?? ''} at ${redis.url}` : `no real Redis: ${redis.reason}`);
  const wanted = (name: FigureName) => only === undefined || only.has(name);
  const skipped = (name: FigureName) => unmeasured(figureMeanings[name], 'skipped by --only');
  const figures: Partial<Record<FigureName, unknown>> = {};
  // Cheap and central parts first; the long spawned campaigns last, so that a loaded machine loses those first.
  if (wanted('throughput')) {
    const measured = await part(figureMeanings.throughput, () => measureThroughput(budget, redis, redisUrl));
    if ('throughput' in measured) Object.assign(figures, measured);
    else
      Object.assign(figures, {
        throughput: measured,
        timeCompression: { ...measured, meaning: figureMeanings.timeCompression },
      });
  }
  const quickSuite: SuiteRow | Unmeasured = wanted('seedSuites')
    ? await part('npm run sim -- --quick', () => measureSuite('--quick', budget.seed))
    : skipped('seedSuites');
  if (wanted('bugFinding')) figures.bugFinding = await part(figureMeanings.bugFinding, () => measureBugs(budget));
  if (wanted('falseAlarms'))
    figures.falseAlarms = await part(figureMeanings.falseAlarms, () => measureFalseAlarms(budget));
  const grid = wanted('scaling') ? await part('cost per run by size', () => measureGrid(budget)) : skipped('scaling');
  if (wanted('redis')) figures.redis = await part(figureMeanings.redis, () => measureRedis(redis, redisUrl, budget));
  if (wanted('memory'))
    figures.memory = await part(figureMeanings.memory, () => measureMemory(budget, redis, redisUrl));
  const threads = wanted('scaling')
    ? await part('--parallel 1 vs --parallel 2', () => measureThreads(budget))
    : skipped('scaling');
  const fullSuite: SuiteRow | Unmeasured = wanted('seedSuites')
    ? await part('npm run sim -- --full', () => measureSuite('--full', budget.seed))
    : skipped('seedSuites');
  if (wanted('seedSuites')) figures.seedSuites = suitesFigure(quickSuite, fullSuite);
  if (wanted('scaling')) figures.scaling = scalingFigure(threads, grid);
  for (const name of figureNames) figures[name] ??= skipped(name);
  const wallMs = nowMs() - started;
  const results = {
    generatedAt: new Date().toISOString(),
    mode: budget.mode,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    wallMs: Math.round(wallMs),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      totalMemoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      loadAverage1MinuteAtStart: loadAtStart[0],
      loadAverage1MinuteAtEnd: round(loadavg()[0] ?? Number.NaN, 2),
    },
    redis: {
      url: redis.url,
      available: redis.available,
      version: redis.version,
      ...(redis.available ? {} : { reason: redis.reason }),
    },
    budget,
    timeBudgetSeconds,
    figures: Object.fromEntries(figureNames.map((name) => [name, figures[name]])),
  };
  await mkdir(resultsDirectory, { recursive: true });
  await writeFile(join(resultsDirectory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeReports(results, { readme });
  progress(
    `wrote bench/results/latest.json, latest.md${readme ? ' and the README table' : ''} in ${(wallMs / 1_000).toFixed(1)} s`,
  );
}

await main();
