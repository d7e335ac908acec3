/**
 * `npm run chaos:live` / `chunkwise chaos --live`: the promises checked on real processes, as
 * Jepsen does with real kills and pauses. Real worker processes (`chunkwise worker`) on their
 * own redis-server, a fake OpenAI audio API and generated audio, while a seeded nemesis kills
 * and pauses workers, kill -9s Redis, damages chunk files and makes the API fail; then the
 * simulator's checkers judge what really happened (run.ts, record.ts).
 *
 * Exit codes as `npm run sim`: 0 pass, 1 safety violation, 2 liveness failure, 64 usage error;
 * and 70 when the run could not be carried out (no redis-server, a tool failed), 130 when it was
 * interrupted. Ctrl-C or SIGTERM stops every process the run started before it exits.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chunkConcurrencyMax } from '../../src/core/limits.js';
import { isLiveness, promiseRange, type Violation } from '../checkers/index.js';
import { exitCodes } from '../cli.js';
import { colourEnabled, describeEntry, palette } from '../report.js';
import type { RunRecord } from '../world.js';
import { killEverything } from './processes.js';
import { redisClusterBinaries } from './redis-cluster.js';
import { livePersistences, redisServerVersion, type LivePersistence } from './redis-server.js';
import type { LiveSummary } from './run.js';

/** Exit codes of the live run: the simulator's, and two of its own. */
export const liveExitCodes = { ...exitCodes, unable: 70, interrupted: 130 } as const;

/** Where the CLI writes; injectable for tests. */
export interface LiveCliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** A second Ctrl-C this long after the first kills everything at once instead of waiting for the orderly stop. */
const forcedExitAfterMs = 1_000;

/** Bounds of the flags. */
export const liveBounds = {
  secondsMax: 3_600,
  workersMax: 32,
  jobsMax: 200,
  concurrencyMax: 16,
  chunkConcurrencyMax,
} as const;

export const liveUsage = `Usage: npm run chaos:live -- [options]   (also: chunkwise chaos --live [options])

Runs real worker processes on their own redis-server (AOF, fsync before every reply) and a fake
OpenAI audio API on 127.0.0.1, while a seeded nemesis SIGKILLs workers, SIGSTOPs them past their
lease, kill -9s Redis, damages chunk files, hand-edits stored states (and replaces keys by ones of
the wrong type), and makes the API answer 429/500, cut replies or hang; then a liveness phase
with faults off. Promises ${promiseRange} are checked on what really happened.

Options:
  --seconds S     fault phase, in seconds (default 30)                     e.g. --seconds 60
  --workers K     worker processes (default 4)                             e.g. --workers 4
  --jobs M        jobs, one generated 15-40 s WAV each (default 20)        e.g. --jobs 40
  --concurrency N worker loops per process, 1-${liveBounds.concurrencyMax} (default 1); a kill or a
                  pause strikes every loop of a process                    e.g. --concurrency 2
  --chunk-concurrency N
                  chunks of one job transcribed at once under one lease,
                  1-${liveBounds.chunkConcurrencyMax} (default 1)                                         e.g. --chunk-concurrency 3
  --seed S        nemesis seed (default: random, printed first)            e.g. --seed 42
  --json          print one JSON summary on stdout                         e.g. --json
  --report DIR    write DIR/report.html and DIR/report.json (timeline)     e.g. --report out/live
  --persistence P how redis-server keeps data across its kill -9s: always (AOF, fsync before
                  every reply; default), everysec, or none (no AOF: a restart loses every
                  write; the loss and the violations it causes are reported as the store's,
                  not the engine's)                                        e.g. --persistence none
  --cluster       run on a local Redis Cluster (3 masters + 3 replicas, redis-cli --cluster
                  create) instead; the Redis move fails a master over (CLUSTER FAILOVER, or
                  kill -9 and its replica promoted). What asynchronous replication loses is
                  reported as the store's                                  e.g. --cluster
  --wait-replicas with --cluster: the store waits for a replica after every write (WAIT 1);
                  then a loss counts against the engine                    e.g. --wait-replicas
  --keep          keep the temporary directory (AOF, sources, chunk files, worker logs)   e.g. --keep
  --help          this text

Needs redis-server on the PATH (Debian: apt-get install redis-server); --cluster also redis-cli.
Exit codes: 0 pass, 1 safety violation, 2 liveness failure, 64 usage error,
70 the run could not be carried out, 130 interrupted.
`;

/** Thrown for bad flags; the CLI prints it and exits 64. */
export class LiveUsageError extends Error {
  override readonly name = 'LiveUsageError';
}

/** Parsed flags. */
export interface LiveFlags {
  readonly seconds: number;
  readonly workers: number;
  readonly jobs: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly chunkConcurrency: number;
  readonly persistence: LivePersistence;
  readonly cluster: boolean;
  readonly waitReplicas: boolean;
  readonly json: boolean;
  readonly report: string | undefined;
  readonly keep: boolean;
  readonly help: boolean;
}

/** Parses argv; throws {@link LiveUsageError} naming a bad or unknown flag. */
export function parseLiveFlags(argv: readonly string[]): LiveFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        seconds: { type: 'string' },
        workers: { type: 'string' },
        jobs: { type: 'string' },
        seed: { type: 'string' },
        concurrency: { type: 'string' },
        'chunk-concurrency': { type: 'string' },
        json: { type: 'boolean' },
        report: { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean' },
        persistence: { type: 'string' },
        cluster: { type: 'boolean' },
        'wait-replicas': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new LiveUsageError((error as Error).message);
  }
  const { values } = parsed;
  const integer = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max)
      throw new LiveUsageError(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
    return Number(text);
  };
  if (values.report !== undefined && values.report.length === 0) throw new LiveUsageError('--report needs a directory');
  const persistence = values.persistence ?? 'always';
  if (!(livePersistences as readonly string[]).includes(persistence))
    throw new LiveUsageError(
      `--persistence must be one of ${livePersistences.join(', ')}, got ${JSON.stringify(persistence)}`,
    );
  if (values.cluster === true && values.persistence !== undefined)
    throw new LiveUsageError('--persistence is for one redis-server; a --cluster run keeps data by replication');
  if (values['wait-replicas'] === true && values.cluster !== true)
    throw new LiveUsageError('--wait-replicas needs --cluster');
  return {
    seconds: integer('seconds', values.seconds, 30, 1, liveBounds.secondsMax),
    workers: integer('workers', values.workers, 4, 1, liveBounds.workersMax),
    jobs: integer('jobs', values.jobs, 20, 1, liveBounds.jobsMax),
    seed: integer('seed', values.seed, Math.floor(Math.random() * 0x7fffffff), 0, 0x7fffffff),
    concurrency: integer('concurrency', values.concurrency, 1, 1, liveBounds.concurrencyMax),
    chunkConcurrency: integer('chunk-concurrency', values['chunk-concurrency'], 1, 1, liveBounds.chunkConcurrencyMax),
    persistence: persistence as LivePersistence,
    cluster: values.cluster === true,
    waitReplicas: values['wait-replicas'] === true,
    json: values.json === true,
    report: values.report,
    keep: values.keep === true,
    help: values.help === true,
  };
}

/** Runs the live chaos CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: LiveCliIo = process): Promise<number> {
  let flags: LiveFlags;
  try {
    flags = parseLiveFlags(argv);
  } catch (error) {
    if (!(error instanceof LiveUsageError)) throw error;
    io.stderr.write(`chunkwise chaos --live: ${error.message}\n\n${liveUsage}`);
    return liveExitCodes.usage;
  }
  if (flags.help) {
    io.stdout.write(liveUsage);
    return liveExitCodes.pass;
  }
  const version = redisServerVersion();
  if (version === null) {
    io.stderr.write('chunkwise chaos --live: redis-server is not installed (Debian: apt-get install redis-server)\n');
    return liveExitCodes.unable;
  }
  if (flags.cluster) {
    const binaries = redisClusterBinaries();
    if (!binaries.available) {
      io.stderr.write(`chunkwise chaos --live --cluster: ${binaries.reason}\n`);
      return liveExitCodes.unable;
    }
  }
  const colours = palette(colourEnabled(io.stdout));
  const say = flags.json ? undefined : (text: string) => io.stdout.write(`  ${text}\n`);
  if (!flags.json)
    io.stdout.write(
      `chunkwise chaos --live: seed ${flags.seed}, ${flags.workers} workers${loopsText(flags)}, ${flags.jobs} jobs, ${flags.seconds} s of faults\n`,
    );
  const controller = new AbortController();
  let interruptedAtMs = 0;
  const interrupt = (signal: NodeJS.Signals) => {
    // A Ctrl-C often arrives twice at once (from the terminal and relayed by npm/tsx): only a later one forces the
    // exit.
    if (controller.signal.aborted) {
      if (Date.now() - interruptedAtMs < forcedExitAfterMs) return;
      killEverything();
      process.exit(liveExitCodes.interrupted);
    }
    interruptedAtMs = Date.now();
    io.stderr.write(`chunkwise chaos --live: ${signal}, stopping every process the run started\n`);
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    const { runLiveChaos } = await import('./run.js');
    const outcome = await runLiveChaos({
      seconds: flags.seconds,
      workers: flags.workers,
      jobs: flags.jobs,
      seed: flags.seed,
      concurrency: flags.concurrency,
      chunkConcurrency: flags.chunkConcurrency,
      persistence: flags.persistence,
      cluster: flags.cluster,
      waitReplicas: flags.waitReplicas,
      keep: flags.keep,
      signal: controller.signal,
      ...(say === undefined ? {} : { say }),
    });
    if (flags.report !== undefined) {
      const { writeRunReport } = await import('../report-html.js');
      const files = await writeRunReport(flags.report, {
        record: outcome.record,
        violations: outcome.violations,
        replay: null,
        seed: flags.seed,
      });
      if (!flags.json) io.stdout.write(`report: ${files.html}\n`);
    }
    io.stdout.write(
      flags.json ? `${JSON.stringify(outcome.summary)}\n` : verdictText(outcome.summary, outcome.record, colours),
    );
    if (outcome.violations.length === 0) return liveExitCodes.pass;
    return outcome.violations.every((violation) => isLiveness(violation.promise))
      ? liveExitCodes.liveness
      : liveExitCodes.safety;
  } catch (error) {
    if (controller.signal.aborted) {
      io.stderr.write('chunkwise chaos --live: interrupted; every process stopped, temporary files removed\n');
      return liveExitCodes.interrupted;
    }
    io.stderr.write(
      `chunkwise chaos --live: the run could not be carried out: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return liveExitCodes.unable;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** ` × 2 loops, 3 chunks in flight per job` for the banner; nothing at one and one. */
export function loopsText(flags: Pick<LiveFlags, 'concurrency' | 'chunkConcurrency'>): string {
  return (
    (flags.concurrency > 1 ? ` × ${flags.concurrency} loops` : '') +
    (flags.chunkConcurrency > 1 ? `, ${flags.chunkConcurrency} chunks in flight per job` : '')
  );
}

/** The closing text: the figures, then the verdict or the counterexample. */
export function verdictText(summary: LiveSummary, record: RunRecord, colours: ReturnType<typeof palette>): string {
  const figures =
    `${summary.jobs} jobs: ${summary.completed} completed, ${summary.failed} failed · kills ${summary.kills} · pauses past the lease ${summary.pauses} · ` +
    `${summary.failovers > 0 ? `failovers ${summary.failovers}` : `Redis restarts ${summary.redisRestarts}`} (${summary.redisOutagesPastLease} past the lease; ${summary.persistence}) · chunk files damaged ${summary.corruptions} · ` +
    `states corrupted ${summary.stateCorruptions} (${summary.wrongTypes} wrong-typed keys) · ` +
    `API errors ${summary.apiErrors} (${summary.apiLongWindows} Retry-After windows, ${summary.apiResets} resets, ${summary.apiHangs} hangs) · ` +
    `${summary.transcriptionRequests} transcription requests (${summary.wastedTranscriptions} wasted) · ${(summary.wallMs / 1_000).toFixed(1)} s\n`;
  const store = storeLossText(summary, colours);
  if (summary.violations.length === 0)
    return `${figures}${store}${colours.green('✓')} every promise held (${promiseRange}) on real processes${summary.storeLosses.length > 0 ? ' for every job the store kept' : ''}\n`;
  return `${figures}${store}\n${counterexampleText(record, summary.violations, summary.seed, colours)}\n`;
}

/** Redis's own losses, and the violations they explain (empty when the store kept everything). */
export function storeLossText(summary: LiveSummary, colours: ReturnType<typeof palette>): string {
  if (summary.storeLosses.length === 0) return '';
  return [
    colours.yellow(
      `! Redis lost acknowledged writes (${summary.persistence}): ${summary.storeLosses.length} job(s) — ${summary.storeLosses.map((loss) => loss.job).join(', ')}`,
    ),
    summary.persistence.includes('appendfsync always') || summary.persistence.includes('WAIT 1')
      ? `  ${summary.persistence.includes('WAIT 1') ? 'with a replica acknowledging every write before the engine is told' : 'with the AOF fsynced before every reply'} Redis keeps what it acknowledged: their violations are counted against the engine`
      : `  ${summary.storeViolations.length} violation(s) on those jobs are the store's, not the engine's:`,
    ...summary.storeViolations
      .slice(0, 10)
      .map((violation) => `    ${violation.promise} ${violation.job ?? ''}: ${violation.message}`),
    ...(summary.storeViolations.length > 10 ? [`    … and ${summary.storeViolations.length - 10} more`] : []),
    '',
  ].join('\n');
}

/**
 * The violated jobs' timeline (their store entries and transcriptions, the faults, the involved workers' lives), then
 * the violations.
 */
export function counterexampleText(
  record: RunRecord,
  violations: readonly Violation[],
  seed: number,
  colours: ReturnType<typeof palette>,
): string {
  const jobs = new Set(violations.flatMap((violation) => (violation.job === undefined ? [] : [violation.job])));
  const entries = record.history.entries;
  const actors = new Set(
    entries.flatMap((entry) => ('job' in entry && jobs.has(entry.job) && 'actor' in entry ? [entry.actor] : [])),
  );
  const marked = new Map<number, Violation[]>();
  for (const violation of violations)
    if (violation.entry !== undefined) marked.set(violation.entry, [...(marked.get(violation.entry) ?? []), violation]);
  const width = String(entries.length).length;
  const lines: string[] = [];
  entries.forEach((entry, position) => {
    const relevant =
      marked.has(position) ||
      entry.kind === 'fault' ||
      entry.kind === 'phase' ||
      ('job' in entry ? jobs.has(entry.job) : 'actor' in entry && actors.has(entry.actor));
    if (!relevant) return;
    const { actor, text } = describeEntry(entry);
    const line = `${colours.dim(`#${String(position).padStart(width, '0')}`)} ${String(entry.t).padStart(8)} ms  ${actor.padEnd(8)} ${text}`;
    lines.push(
      entry.kind === 'fault' || (entry.kind === 'worker' && entry.what === 'crash') ? colours.yellow(line) : line,
    );
    for (const violation of marked.get(position) ?? [])
      lines.push(colours.red(`${' '.repeat(width + 1)} ^ ${violation.promise} broken here: ${violation.message}`));
  });
  return [
    colours.bold(colours.red(`✗ promise ${violations[0]?.promise ?? '?'} broken on real processes`)),
    `  timeline of ${jobs.size === 0 ? 'the run' : [...jobs].join(', ')} (ms since the run began):`,
    ...lines,
    '',
    colours.bold('violations:'),
    ...violations.map(
      (violation) =>
        `  ${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`,
    ),
    '',
    `seed was ${seed} (it fixes the nemesis's moves, not the interleaving: a live run does not replay exactly)`,
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
