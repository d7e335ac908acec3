/**
 * `npm run sim` / `chunkwise sim`: runs a campaign of simulated runs, checks every promise, and on
 * a violation prints the shrunk counterexample as a timeline with its replay token.
 * Exit codes: 0 pass, 1 safety violation, 2 liveness failure, 64 usage error.
 */
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import {
  encodeReplay,
  playRun,
  replay,
  shrinkRun,
  totals,
  type CampaignTotals,
  type FailureReport,
  type RunSummary,
  type ShrinkProgress,
} from './campaign.js';
import { playBatch } from './pool-task.js';
import { isLiveness, promiseRange } from './checkers/index.js';
import { simulationLimits, type Scenario } from './faults.js';
import { coverageSections, coverageText } from './coverage.js';
import { exhaustive, exhaustivePreemptionsDefault, exhaustiveText } from './exhaustive.js';
import type { WorldOptions } from './world.js';
import { sizeText } from './reduce.js';
import { colourEnabled, counterexampleText, palette } from './report.js';
import { decodeReplay, parseScenarioFile } from './scenario-file.js';
import { closeStores, storeOption, type RoundTrips } from './stores.js';
import { chunkFilesKinds, type ChunkFilesKind } from './fs-files.js';
import { differentialRun, differentialRunsDefault, type DifferentialRun } from './differential.js';

/** Exit codes of the simulator. */
export const exitCodes = { pass: 0, safety: 1, liveness: 2, usage: 64 } as const;

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

const usage = `Usage: npm run sim -- [options]   (also: chunkwise sim [options])

Runs simulated crash-recovery runs in virtual time and checks promises ${promiseRange}.

Options:
  --runs N          number of runs (default 400)                     e.g. --runs 2000
  --seed S          campaign seed (default: random, printed first)   e.g. --seed 42
  --replay TOKEN    replay one run exactly from its replay token     e.g. --replay v2.q1ZKzs...
  --scenario FILE   replay a saved scenario (or a report.json)        e.g. --scenario out/report.json
  --max-failures N  stop generating after N failing runs (default 1)  e.g. --max-failures 3
  --keep-going      play every run, shrink every failure              e.g. --keep-going
  --parallel N      worker threads; same results as serial           e.g. --parallel 2
  --shard K/N       run only shard K of N (for CI matrices)          e.g. --shard 1/4
  --store NAME      memory (default), ioredis-mock, redis://host:port or redis-cluster://host:port,…
                    e.g. --store ioredis-mock
  --round-trips M   with a Redis store: interleaved (default: every round trip a scheduling
                    point) or atomic (each store call whole, as the memory store runs it: the
                    same fingerprint as memory)                      e.g. --round-trips atomic
  --chunk-files K   memory (default) or fs: chunk files through the file-system store on a
                    temporary directory (partial files of crashed extractions included)  e.g. --chunk-files fs
  --differential N  with the memory store, N more runs (default 24) played through the memory
                    store and the Redis adapter's Lua on ioredis-mock, whose histories must be
                    equal; 0 turns the slice off                     e.g. --differential 100
  --exhaustive      every schedule of a small world (1 job x 2 chunks x 2 workers, every plan of
                    at most 2 faults from a fixed menu) up to a preemption bound, instead of a
                    random campaign; prints how many schedules it checked  e.g. --exhaustive
  --preemptions N   the bound of --exhaustive (default 3)             e.g. --preemptions 4
  --quick           the seed's named chaos scenarios + a short fuzz (60 runs)
  --full            every named scenario + a long fuzz (1500 runs, 2 threads)
  --coverage        the chaos tests under vitest with v8 coverage (in a clone of chunkwise)
  --coverage-report what the campaign reached: store operation × outcome, job phase × operation,
                    fault kind × job phase, recovery depths, events, failure reasons; and
                    which reachable pairs it did not reach              e.g. --coverage-report
  --report DIR      write DIR/report.html and DIR/report.json (timeline, fault coverage)  e.g. --report out
  --json            print one JSON object on stdout
  --verbose         print every run and full timelines
  --help            this text

Exit codes: 0 pass, 1 safety violation, 2 liveness failure, 64 usage error.
`;

/** Thrown for bad flags; the CLI prints it and exits 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Flags {
  runs: number;
  seed: number;
  seedGiven: boolean;
  replay: string | undefined;
  scenario: string | undefined;
  maxFailures: number;
  parallel: number;
  shard: { index: number; count: number } | undefined;
  store: string | undefined;
  json: boolean;
  verbose: boolean;
  help: boolean;
  suite: 'quick' | 'full' | undefined;
  coverage: boolean;
  report: string | undefined;
  differential: number;
  coverageReport: boolean;
  chunkFiles: ChunkFilesKind;
  roundTrips: RoundTrips;
  exhaustive: boolean;
  preemptions: number;
}

/** Parses argv into flags; throws {@link UsageError} naming a bad or unknown flag. */
export function parseFlags(argv: readonly string[]): Flags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        replay: { type: 'string' },
        scenario: { type: 'string' },
        parallel: { type: 'string' },
        'max-failures': { type: 'string' },
        'keep-going': { type: 'boolean' },
        shard: { type: 'string' },
        store: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
        quick: { type: 'boolean' },
        full: { type: 'boolean' },
        coverage: { type: 'boolean' },
        report: { type: 'string' },
        differential: { type: 'string' },
        'coverage-report': { type: 'boolean' },
        'chunk-files': { type: 'string' },
        'round-trips': { type: 'string' },
        exhaustive: { type: 'boolean' },
        preemptions: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values;
  const integer = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    if (!/^-?\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
      throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  let shard: Flags['shard'];
  if (values.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.shard);
    const index = Number(match?.[1]);
    const count = Number(match?.[2]);
    if (match === null || count < 1 || index < 1 || index > count)
      throw new UsageError(`--shard must be K/N with 1 <= K <= N, got ${JSON.stringify(values.shard)}`);
    shard = { index, count };
  }
  if (values.quick === true && values.full === true) throw new UsageError('--quick and --full exclude each other');
  const suite = values.quick === true ? 'quick' : values.full === true ? 'full' : undefined;
  const defaultRuns = suite === 'quick' ? 60 : suite === 'full' ? 1_500 : 400;
  if (values.replay !== undefined && values.scenario !== undefined)
    throw new UsageError('--replay and --scenario exclude each other');
  if (values['keep-going'] === true && values['max-failures'] !== undefined)
    throw new UsageError('--keep-going and --max-failures exclude each other');
  return {
    suite,
    coverage: values.coverage === true,
    report: values.report,
    coverageReport: values['coverage-report'] === true,
    chunkFiles: chunkFilesOf(values['chunk-files']),
    roundTrips: roundTripsOf(values['round-trips']),
    exhaustive: values.exhaustive === true,
    preemptions: integer('preemptions', values.preemptions, exhaustivePreemptionsDefault, 0),
    differential: integer('differential', values.differential, suite === 'quick' ? 0 : differentialRunsDefault, 0),
    runs: integer('runs', values.runs, defaultRuns, 1),
    seed: integer('seed', values.seed, randomInt(0, 2 ** 31 - 1), Number.MIN_SAFE_INTEGER),
    seedGiven: values.seed !== undefined,
    replay: values.replay,
    scenario: values.scenario,
    maxFailures:
      values['keep-going'] === true ? Number.POSITIVE_INFINITY : integer('max-failures', values['max-failures'], 1, 1),
    parallel: integer('parallel', values.parallel, suite === 'full' ? Math.min(2, availableParallelism()) : 1, 1),
    shard,
    store: values.store,
    json: values.json === true,
    verbose: values.verbose === true,
    help: values.help === true,
  };
}

function roundTripsOf(text: string | undefined): RoundTrips {
  if (text === undefined) return 'interleaved';
  if (text !== 'interleaved' && text !== 'atomic')
    throw new UsageError(`--round-trips must be interleaved or atomic, got ${JSON.stringify(text)}`);
  return text;
}

function chunkFilesOf(text: string | undefined): ChunkFilesKind {
  if (text === undefined) return 'memory';
  if (!(chunkFilesKinds as readonly string[]).includes(text))
    throw new UsageError(`--chunk-files must be memory or fs, got ${JSON.stringify(text)}`);
  return text as ChunkFilesKind;
}

/** The run indices this process plays. */
export function indicesFor(flags: Pick<Flags, 'runs' | 'shard'>): number[] {
  const all = Array.from({ length: flags.runs }, (_, index) => index);
  if (flags.shard === undefined) return all;
  const { index, count } = flags.shard;
  return all.filter((run) => run % count === index - 1);
}

/** What {@link playAll} reports while it runs. */
export interface PlayListener {
  /** `done` runs played so far (in completion order), `failed` of them broke a promise. */
  progress?(done: number, failed: number): void;
  /** A run broke a promise (before any shrinking). */
  failed?(summary: RunSummary): void;
}

/**
 * Plays `indices`, serially or on a tinypool of `parallel` threads, and stops generating once
 * `maxFailures` runs failed. Either way the summaries are those of a serial campaign: every run up
 * to the last failure kept, in run order.
 */
export async function playAll(
  seed: number,
  indices: readonly number[],
  options: {
    parallel: number;
    store: string | undefined;
    chunkFiles?: ChunkFilesKind;
    roundTrips?: RoundTrips;
    maxFailures?: number;
    listener?: PlayListener;
    world?: WorldOptions;
  },
): Promise<RunSummary[]> {
  if (options.world !== undefined && options.parallel > 1)
    throw new TypeError('world options (functions) cannot cross to pool threads: use parallel 1');
  const maxFailures = options.maxFailures ?? Number.POSITIVE_INFINITY;
  const listener = options.listener ?? {};
  const summaries: RunSummary[] = [];
  let failed = 0;
  const take = (summary: RunSummary) => {
    summaries.push(summary);
    if (summary.failed !== undefined) {
      failed += 1;
      listener.failed?.(summary);
    }
  };
  if (options.parallel <= 1) {
    const world =
      options.world ??
      (await storeOption(options.store, {
        chunkFiles: options.chunkFiles ?? 'memory',
        roundTrips: options.roundTrips ?? 'interleaved',
      }));
    for (const index of indices) {
      take(await playRun(seed, index, { world }));
      listener.progress?.(summaries.length, failed);
      if (failed >= maxFailures) break;
    }
    return summaries;
  }
  await playPooled(
    seed,
    indices,
    {
      parallel: options.parallel,
      store: options.store,
      chunkFiles: options.chunkFiles ?? 'memory',
      roundTrips: options.roundTrips ?? 'interleaved',
      maxFailures,
    },
    (batch) => {
      for (const summary of batch) take(summary);
      listener.progress?.(summaries.length, failed);
      return failed >= maxFailures;
    },
  );
  return serialPrefix(summaries, indices, maxFailures);
}

/**
 * The young generation of a pool thread: three semi-spaces of 64 MiB, as `npm run sim` gives its own process
 * (`--max-semi-space-size=64`). A run's short-lived objects then die young instead of being promoted and marked.
 */
const poolYoungGenerationMb = 192;

/** Batches queued per pool thread: one playing, one waiting, so a thread never idles while its result crosses. */
const batchesPerPoolThread = 2;

/**
 * Batches in run order over `parallel` threads: this one (its modules loaded and warm already) and a tinypool of the
 * others, each kept busy; stops dispatching when `onBatch` says so.
 */
async function playPooled(
  seed: number,
  indices: readonly number[],
  options: {
    parallel: number;
    store: string | undefined;
    chunkFiles: ChunkFilesKind;
    roundTrips: RoundTrips;
    maxFailures: number;
  },
  onBatch: (summaries: RunSummary[]) => boolean,
): Promise<void> {
  const { Tinypool } = await import('tinypool');
  const threads = Math.min(options.parallel, Math.max(1, availableParallelism()), indices.length);
  const pool = new Tinypool({
    filename: new URL('./pool-entry.mjs', import.meta.url).href,
    minThreads: threads - 1,
    maxThreads: threads - 1,
    resourceLimits: { maxYoungGenerationSizeMb: poolYoungGenerationMb },
  });
  try {
    const batchSize = Math.max(1, Math.min(25, Math.ceil(indices.length / (threads * 4))));
    const batches: number[][] = [];
    for (let start = 0; start < indices.length; start += batchSize)
      batches.push(indices.slice(start, start + batchSize));
    const stopAfterFailures = Number.isFinite(options.maxFailures) ? options.maxFailures : undefined;
    let next = 0;
    let stop = false;
    const lane = async (play: (batch: number[]) => Promise<RunSummary[]>): Promise<void> => {
      while (!stop && next < batches.length) {
        const batch = batches[next] as number[];
        next += 1;
        if (onBatch(await play(batch))) stop = true;
      }
    };
    const world = await storeOption(options.store, { chunkFiles: options.chunkFiles, roundTrips: options.roundTrips });
    // A turn of the event loop before each run here: the pool's results and dispatches are not held up behind a batch.
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const here = (batch: number[]): Promise<RunSummary[]> =>
      playBatch(
        { seed, indices: batch, ...(stopAfterFailures === undefined ? {} : { stopAfterFailures }) },
        world,
        turn,
      );
    const pooled = async (batch: number[]): Promise<RunSummary[]> =>
      (await pool.run({
        seed,
        indices: batch,
        store: options.store,
        chunkFiles: options.chunkFiles,
        roundTrips: options.roundTrips,
        stopAfterFailures,
      })) as RunSummary[];
    await Promise.all([
      lane(here),
      ...Array.from({ length: (threads - 1) * batchesPerPoolThread }, () => lane(pooled)),
    ]);
  } finally {
    await pool.destroy();
  }
}

/** The summaries a serial campaign would have: in run order, up to the `maxFailures`-th failure, without gaps. */
export function serialPrefix(
  summaries: readonly RunSummary[],
  indices: readonly number[],
  maxFailures: number,
): RunSummary[] {
  const byIndex = new Map(summaries.map((summary) => [summary.index, summary]));
  const prefix: RunSummary[] = [];
  let failed = 0;
  for (const index of indices) {
    const summary = byIndex.get(index);
    if (summary === undefined) break;
    prefix.push(summary);
    if (summary.failed !== undefined) failed += 1;
    if (failed >= maxFailures) break;
  }
  return prefix;
}

/** How often a plain progress line is printed off a TTY. */
const progressLineMs = 10_000;

/** Progress of a campaign: a bar on a TTY, else a plain line every ~10 s; both on stderr. */
function campaignProgress(io: CliIo, total: number, startMs: number): (done: number, failed: number) => void {
  const tty = io.stderr.isTTY === true;
  let lastLineMs = startMs;
  return (done, failed) => {
    const nowMs = Date.now();
    const rate = done / Math.max(0.001, (nowMs - startMs) / 1000);
    const failures = `${failed} failure${failed === 1 ? '' : 's'}`;
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      io.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs  ${rate.toFixed(0)} runs/s  ${failures} `,
      );
      if (done === total) io.stderr.write('\n');
    } else if (nowMs - lastLineMs >= progressLineMs) {
      lastLineMs = nowMs;
      io.stderr.write(`chunkwise sim: ${done}/${total} runs, ${rate.toFixed(1)} runs/s, ${failures}\n`);
    }
  };
}

/** Shrink progress: the stage, candidate runs, and the current size; a live line on a TTY, else a line every ~5 s. */
function shrinkProgress(io: CliIo): (progress: ShrinkProgress) => void {
  const tty = io.stderr.isTTY === true;
  let lastLineMs = Date.now();
  return (progress) => {
    const line = `  shrinking (${progress.stage}): ${progress.runs} candidate runs; now ${sizeText(progress.size)}`;
    if (tty) {
      io.stderr.write(`\r${line.padEnd(110)}`);
      return;
    }
    if (Date.now() - lastLineMs < progressLineMs / 2) return;
    lastLineMs = Date.now();
    io.stderr.write(`${line}\n`);
  };
}

/** Shrinks each failing run (in run order), telling the user before, during and after. */
async function shrinkAll(flags: Flags, io: CliIo, campaign: CampaignTotals): Promise<FailureReport[]> {
  const world = await storeOption(flags.store, { chunkFiles: flags.chunkFiles, roundTrips: flags.roundTrips });
  const reports: FailureReport[] = [];
  for (const failed of campaign.failed) {
    const report = await shrinkRun(flags.seed, failed.index, { world, onProgress: shrinkProgress(io) });
    if (io.stderr.isTTY === true) io.stderr.write('\n');
    io.stderr.write(
      `  shrunk run ${failed.index} in ${(report.shrink.ms / 1000).toFixed(1)} s: ${report.shrink.fastCheckRuns} fast-check and ${report.shrink.reduceRuns} reduction runs; ` +
        `${sizeText(report.size)}, ${report.timelineLines} timeline lines\n`,
    );
    reports.push(report);
  }
  return reports;
}

/** The JSON summary `--json` prints. */
export function jsonSummary(
  seed: number,
  wallMs: number,
  campaign: CampaignTotals,
  failures: readonly FailureReport[],
): Record<string, unknown> {
  return {
    runs: campaign.runs,
    seed,
    wallMs,
    runsPerSecond: Number((campaign.runs / Math.max(0.001, wallMs / 1000)).toFixed(2)),
    simulatedMs: campaign.simulatedMs,
    steps: campaign.steps,
    fingerprint: campaign.fingerprint,
    faults: campaign.faults,
    wastedTranscriptions: campaign.wastedTranscriptions,
    coverage: coverageSections(campaign.coverage, simulationLimits.recoveryAttemptsMax).map(({ name, pairs }) => ({
      name,
      reached: pairs.filter((pair) => pair.count > 0).map((pair) => ({ pair: pair.label, count: pair.count })),
      notReached: pairs.filter((pair) => pair.count === 0 && pair.unreachable === undefined).map((pair) => pair.label),
    })),
    violations: failures.map((failure) => ({
      run: failure.index,
      promise: failure.promise,
      liveness: failure.liveness,
      replay: failure.replay,
      events: failure.events,
      faults: failure.faults,
      size: failure.size,
      timelineLines: failure.timelineLines,
      shrink: failure.shrink,
      messages: failure.violations.map(
        (violation) =>
          `${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`,
      ),
    })),
  };
}

/** Runs the simulator CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = process): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
    if (flags.help) {
      io.stdout.write(usage);
      return exitCodes.pass;
    }
    if (flags.replay !== undefined) decodeReplay(flags.replay);
    if (flags.scenario !== undefined) await scenarioFromFile(flags.scenario);
    await storeOption(flags.store, { chunkFiles: flags.chunkFiles, roundTrips: flags.roundTrips }).then(
      async (world) => {
        // Reach the store once now, so that a wrong URL is reported before the campaign starts.
        if (world.store !== undefined)
          await (
            await world.store({ now: () => 0 }, { roundTrip: (_label, send) => send(), caller: () => undefined })
          ).close?.();
      },
    );
  } catch (error) {
    await closeStores();
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    io.stderr.write(`chunkwise sim: ${error.message}\n\n${usage}`);
    return exitCodes.usage;
  }
  try {
    if (flags.coverage) return await coverageCommand(io);
    if (flags.exhaustive) return await exhaustiveCommand(flags, io);
    if (flags.replay !== undefined) return await replayCommand(flags, io, decodeReplay(flags.replay));
    if (flags.scenario !== undefined) return await replayCommand(flags, io, await scenarioFromFile(flags.scenario));
    const scenarios = flags.suite === undefined ? [] : await scenariosCommand(flags, io);
    const code = await campaignCommand(flags, io, scenarios);
    return code === exitCodes.pass && scenarios.some((scenario) => !scenario.passed) ? exitCodes.safety : code;
  } finally {
    await closeStores();
  }
}

/** Runs the chaos tests under vitest with coverage; resolves to vitest's exit code. */
async function coverageCommand(io: CliIo): Promise<number> {
  const { spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  // Through the package resolution, not a path from this file: it may run from a compiled copy of the sources.
  const vitestPackage = createRequire(import.meta.url).resolve('vitest/package.json');
  const vitest = join(dirname(vitestPackage), 'vitest.mjs');
  io.stdout.write('chunkwise sim --coverage: vitest run test/chaos test/sim --coverage\n');
  const child = spawn(process.execPath, [vitest, 'run', 'test/chaos', 'test/sim', '--coverage'], {
    stdio: 'inherit',
    cwd: dirname(dirname(dirname(vitestPackage))),
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

interface ScenarioLine {
  readonly name: string;
  readonly group: string;
  readonly passed: boolean;
  readonly ms: number;
  readonly failures: string[];
}

/** Runs every named seed scenario (both suites run them all) and prints one line each. */
async function scenariosCommand(flags: Flags, io: CliIo): Promise<ScenarioLine[]> {
  const { runScenario, seedScenarios } = await import('./scenarios.js');
  const colours = palette(colourEnabled(io.stdout));
  const lines: ScenarioLine[] = [];
  if (!flags.json) io.stdout.write(`chunkwise sim --${flags.suite}: ${seedScenarios.length} named chaos scenarios\n`);
  for (const scenario of seedScenarios) {
    const outcome = await runScenario(scenario);
    lines.push({
      name: outcome.name,
      group: outcome.group,
      passed: outcome.passed,
      ms: outcome.ms,
      failures: outcome.failures,
    });
    if (!flags.json) {
      const mark = outcome.passed ? colours.green('✓') : colours.red('✗');
      io.stdout.write(`  ${mark} ${outcome.group.padEnd(12)} ${outcome.name} ${colours.dim(`(${outcome.ms} ms)`)}\n`);
      for (const failure of outcome.failures) io.stdout.write(`      ${colours.red(failure)}\n`);
    }
  }
  return lines;
}

/** The scenario a saved file holds; a UsageError names the file when it cannot be read. */
async function scenarioFromFile(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--scenario ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--scenario ${path}: not JSON`);
  }
  try {
    return parseScenarioFile(value);
  } catch (error) {
    throw new UsageError(`--scenario ${path}: ${(error as Error).message}`);
  }
}

async function replayCommand(flags: Flags, io: CliIo, scenario: Scenario): Promise<number> {
  const run = await replay(
    scenario,
    await storeOption(flags.store, { chunkFiles: flags.chunkFiles, roundTrips: flags.roundTrips }),
  );
  const token = encodeReplay(scenario);
  const colour = colourEnabled(io.stdout);
  if (flags.report !== undefined) {
    const { writeRunReport } = await import('./report-html.js');
    const files = await writeRunReport(flags.report, { record: run.record, violations: run.violations, replay: token });
    if (!flags.json) io.stdout.write(`report: ${files.html}\n`);
  }
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ replay: token, fingerprint: run.record.history.fingerprint(), violations: run.violations })}\n`,
    );
  } else if (run.violations.length === 0) {
    io.stdout.write(
      `${palette(colour).green('✓')} replayed run passes every promise (fingerprint ${run.record.history.fingerprint()})\n`,
    );
  } else {
    io.stdout.write(`${counterexampleText(run.record, run.violations, token, { colour, verbose: flags.verbose })}\n`);
  }
  if (run.violations.length === 0) return exitCodes.pass;
  return run.violations.every((violation) => isLiveness(violation.promise)) ? exitCodes.liveness : exitCodes.safety;
}

async function campaignCommand(flags: Flags, io: CliIo, scenarios: readonly ScenarioLine[] = []): Promise<number> {
  const indices = indicesFor(flags);
  const colour = colourEnabled(io.stdout);
  const colours = palette(colour);
  if (!flags.json) {
    const shard = flags.shard === undefined ? '' : `, shard ${flags.shard.index}/${flags.shard.count}`;
    io.stdout.write(
      `chunkwise sim: seed ${flags.seed}, ${indices.length} runs${shard}, store ${flags.store ?? 'memory'}, ${flags.parallel} thread(s)\n`,
    );
  }
  const startMs = Date.now();
  const listener: PlayListener = {
    progress: campaignProgress(io, indices.length, startMs),
    failed: (summary) => {
      const more = flags.maxFailures > 1 ? '' : ' (generation stops here; --keep-going plays on)';
      io.stderr.write(
        `run ${summary.index} failed ${summary.failed?.promise ?? '?'} after ${((Date.now() - startMs) / 1000).toFixed(1)} s — shrinking…${more}\n`,
      );
    },
  };
  const summaries = await playAll(flags.seed, indices, {
    parallel: flags.parallel,
    store: flags.store,
    chunkFiles: flags.chunkFiles,
    roundTrips: flags.roundTrips,
    maxFailures: flags.maxFailures,
    listener,
  });
  const playedMs = Date.now() - startMs;
  const campaign = totals(summaries);
  const sliced = campaign.failed.length === 0 ? await differentialSlice(flags, io) : [];
  const failures = await shrinkAll(flags, io, campaign);
  const wallMs = Date.now() - startMs;
  if (flags.json) {
    const summary = jsonSummary(flags.seed, wallMs, campaign, failures);
    summary.differential = {
      runs: sliced.length,
      failed: sliced.filter((run) => !run.same || run.violations.length > 0),
    };
    if (flags.suite !== undefined)
      summary.scenarios = scenarios.map(({ name, group, passed, ms }) => ({ name, group, passed, ms }));
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    if (flags.verbose)
      for (const summary of summaries)
        io.stdout.write(
          `  run ${summary.index}: ${summary.steps} steps, ${summary.simulatedMs} ms simulated, faults ${JSON.stringify(summary.faults)}${summary.failed ? ' FAILED' : ''}\n`,
        );
    const rate = (campaign.runs / Math.max(0.001, playedMs / 1000)).toFixed(1);
    const stopped =
      campaign.runs < indices.length
        ? ` (stopped at the first ${failures.length === 1 ? 'failure' : `${failures.length} failures`})`
        : '';
    io.stdout.write(
      `${campaign.runs} runs${stopped} in ${(playedMs / 1000).toFixed(1)} s (${rate} runs/s), ${(campaign.simulatedMs / 3_600_000).toFixed(1)} h simulated, ` +
        `${campaign.steps} scheduling steps, fingerprint ${campaign.fingerprint}\n`,
    );
    io.stdout.write(
      `faults injected: ${Object.entries(campaign.faults)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ')}; wasted transcriptions ${campaign.wastedTranscriptions}\n`,
    );
    if (flags.coverageReport) io.stdout.write(coverageText(campaign.coverage, simulationLimits.recoveryAttemptsMax));
  }
  const diverged = sliced.filter((run) => !run.same || run.violations.length > 0);
  if (!flags.json && sliced.length > 0) io.stdout.write(differentialText(sliced, colours));
  const first = failures[0];
  if (first === undefined && diverged.length > 0) return exitCodes.safety;
  const counterexample =
    first === undefined
      ? undefined
      : await replay(
          first.scenario,
          await storeOption(flags.store, { chunkFiles: flags.chunkFiles, roundTrips: flags.roundTrips }),
        );
  if (flags.report !== undefined) {
    const { writeCampaignReport } = await import('./report-html.js');
    const files = await writeCampaignReport(flags.report, {
      seed: flags.seed,
      runs: campaign.runs,
      wallMs,
      fingerprint: campaign.fingerprint,
      faults: campaign.faults,
      failures,
      ...(counterexample === undefined || first === undefined
        ? {}
        : {
            counterexample: {
              record: counterexample.record,
              violations: counterexample.violations,
              replay: first.replay,
            },
          }),
    });
    if (!flags.json) io.stdout.write(`report: ${files.html}\n`);
  }
  if (first === undefined || counterexample === undefined) {
    if (!flags.json) io.stdout.write(`${colours.green('✓')} every promise held (${promiseRange})\n`);
    return exitCodes.pass;
  }
  if (!flags.json) {
    io.stdout.write(
      `\n${counterexampleText(counterexample.record, counterexample.violations, first.replay, { colour, verbose: flags.verbose })}\n`,
    );
    for (const other of failures.slice(1))
      io.stdout.write(`also failed: ${other.promise} — npm run sim -- --replay ${other.replay}\n`);
    io.stdout.write(`seed was ${flags.seed}\n`);
  }
  return failures.some((failure) => !failure.liveness) ? exitCodes.safety : exitCodes.liveness;
}

async function exhaustiveCommand(flags: Flags, io: CliIo): Promise<number> {
  const colour = colourEnabled(io.stdout);
  if (!flags.json) io.stdout.write(`chunkwise sim --exhaustive: preemption bound ${flags.preemptions}\n`);
  const result = await exhaustive({
    preemptionsMax: flags.preemptions,
    world: await storeOption(flags.store, { chunkFiles: flags.chunkFiles, roundTrips: flags.roundTrips }),
    onPlan: (done, total, schedules) => {
      if (io.stderr.isTTY === true) io.stderr.write(`\r  fault plan ${done}/${total}, ${schedules} schedules`);
    },
  });
  if (io.stderr.isTTY === true) io.stderr.write('\n');
  if (flags.json) {
    const { failure, ...counts } = result;
    io.stdout.write(
      `${JSON.stringify({ ...counts, preemptions: flags.preemptions, ...(failure === undefined ? {} : { replay: failure.replay, violations: failure.violations }) })}\n`,
    );
  } else {
    io.stdout.write(exhaustiveText(result, flags.preemptions));
    if (result.failure !== undefined)
      io.stdout.write(
        `\n${counterexampleText(result.failure.record, [...result.failure.violations], result.failure.replay, { colour, verbose: flags.verbose })}\n`,
      );
  }
  if (result.failure !== undefined)
    return result.failure.violations.every((violation) => isLiveness(violation.promise))
      ? exitCodes.liveness
      : exitCodes.safety;
  return result.complete ? exitCodes.pass : exitCodes.liveness;
}

/** The differential slice of a default campaign (memory store only): reference and Redis adapter run for run. */
async function differentialSlice(flags: Flags, io: CliIo): Promise<DifferentialRun[]> {
  if (flags.differential === 0 || (flags.store ?? 'memory') !== 'memory' || flags.shard !== undefined) return [];
  const adapter = await storeOption('ioredis-mock', { roundTrips: 'atomic' });
  const runs: DifferentialRun[] = [];
  try {
    for (let index = 0; index < flags.differential; index += 1) {
      runs.push(await differentialRun(flags.seed, index, adapter));
      if (io.stderr.isTTY === true) io.stderr.write(`\r  differential slice: ${index + 1}/${flags.differential}`);
    }
  } finally {
    if (io.stderr.isTTY === true) io.stderr.write('\n');
    await closeStores();
  }
  return runs;
}

/** The slice's verdict: one line when the histories agreed and every promise held, else each divergence. */
export function differentialText(runs: readonly DifferentialRun[], colours: ReturnType<typeof palette>): string {
  const failed = runs.filter((run) => !run.same || run.violations.length > 0);
  const head = `differential slice: ${runs.length} runs through the memory store and the Redis adapter on ioredis-mock`;
  if (failed.length === 0) return `${head}: same histories, every promise held\n`;
  const lines = [colours.bold(colours.red(`✗ ${head}: ${failed.length} disagreed`))];
  for (const run of failed) {
    if (run.divergence !== undefined) {
      lines.push(`  run ${run.index}: the two differ at ${run.divergence.where}`);
      lines.push(`    memory store:  ${run.divergence.reference ?? '(ended)'}`);
      lines.push(`    Redis adapter: ${run.divergence.adapter ?? '(ended)'}`);
    }
    for (const violation of run.violations)
      lines.push(
        `  run ${run.index}: through the Redis adapter, ${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`,
      );
    lines.push(
      `    replay: npm run sim -- --replay ${run.replay}   (the reference; the slice ran it again through the adapter, each store call whole)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export { encodeReplay };

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
