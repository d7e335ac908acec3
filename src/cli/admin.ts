/**
 * The operator's commands, on the JobAdmin port (src/admin.ts) of the job store `--store` names:
 *
 *   chunkwise list [--state S] [--limit N] [--json]   jobs, newest first
 *   chunkwise counts [--json]                          jobs per phase
 *   chunkwise result JOB_ID [--json]                   the transcript of a completed job (--json: its chunks too)
 *   chunkwise retry JOB_ID [--message M]               a failed job back to work as a new attempt
 *   chunkwise cancel JOB_ID [--message M]              an unfinished job to failed; its lease holder is fenced out
 *   chunkwise remove JOB_ID [--force]                  deletes a job's keys; a leased one only with --force
 *
 * A job store that does not answer is one line and exit 69; an unknown job, or one in the wrong state for the
 * command, exit 1.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { CorruptSummary, JobSummary } from '../admin.js';
import { phases, validateJobId, type Phase } from '../core/types.js';
import { exitCodes } from './exit.js';
import { CommandUsageError, common, openCheckedStore, parsing, positiveInteger, type ServiceIo } from './service.js';

const storeFlags = `--store URL is the job store (redis://, rediss://, redis-cluster://; --redis URL is the same flag under its
older name); it defaults to REDIS_URL, else redis://127.0.0.1:6379. --key-prefix P names the deployment.`;

const listUsage = `Usage:
  chunkwise list [--state S] [--limit N] [--json] [--store URL] [--key-prefix P]
      e.g. chunkwise list --state failed --limit 20
      jobs, newest first: id, phase, chunks committed, recoveries, lease owner and expiry, last update.
      --state: one of ${[...phases, 'corrupt'].join(', ')}; --limit: at most N jobs (default 100).
      Reads every job of the prefix (a SCAN of the key space): for an operator, not for a dashboard's poll.
${storeFlags}
`;
const countsUsage = `Usage:
  chunkwise counts [--json] [--store URL] [--key-prefix P]
      jobs per phase (and corrupt ones); a SCAN of the key space, like list.
${storeFlags}
`;
const resultUsage = `Usage:
  chunkwise result JOB_ID [--json] [--store URL] [--key-prefix P]
      the transcript of a completed job, its chunks' texts in order; --json adds every chunk.
      A job that is not completed is an error (exit 1) naming its phase.
${storeFlags}
`;
const retryUsage = `Usage:
  chunkwise retry JOB_ID [--message M] [--store URL] [--key-prefix P]
      puts a failed job back to work as a new attempt, atomically, with a job_retried event: it resumes in
      the phase its chunks imply (committed chunks are kept), released, so that the next worker to look for
      work recovers it; its recovery count starts again at 0.
${storeFlags}
`;
const cancelUsage = `Usage:
  chunkwise cancel JOB_ID [--message M] [--store URL] [--key-prefix P]
      fails an unfinished job under a new epoch, atomically, with job_cancelled and job_failed events: a
      worker holding its lease has its next write refused and stops. The job is stored as failed (reason
      cancelled, message "cancelled by ..."); chunkwise retry puts it back to work.
${storeFlags}
`;
const removeUsage = `Usage:
  chunkwise remove JOB_ID [--force] [--store URL] [--key-prefix P]
      deletes every key of a job (state, chunks, events). A job whose lease is valid is refused unless
      --force; then the worker holding it finds no job at its next write and stops.
${storeFlags}
`;

/** Each operator command's usage text (its --help). */
export const adminUsage = {
  list: listUsage,
  counts: countsUsage,
  result: resultUsage,
  retry: retryUsage,
  cancel: cancelUsage,
  remove: removeUsage,
} as const;

/** The operator's commands, by name. */
export type AdminCommandName = keyof typeof adminUsage;

/** Who an operator's write is recorded as: `operator:<user>@<host>`, cut to fit an event's worker_id. */
export function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user entry (a container's arbitrary uid): keep "unknown".
  }
  return `operator:${user}@${hostname()}`.replace(/[^A-Za-z0-9_.:#@-]/g, '-').slice(0, 128);
}

const time = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');

function jobIdArgument(positionals: readonly string[], command: string): string {
  const jobId = positionals[0];
  if (jobId === undefined) throw new CommandUsageError(`${command} needs a JOB_ID`);
  try {
    return validateJobId(jobId, 'JOB_ID');
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
}

/** `chunkwise list`. */
export async function listCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values } = parsing(0, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(listUsage);
    return 0;
  }
  const states: readonly string[] = [...phases, 'corrupt'];
  if (values.state !== undefined && !states.includes(values.state))
    throw new CommandUsageError(`--state must be one of ${states.join(', ')}, got ${JSON.stringify(values.state)}`);
  const limit = positiveInteger('limit', values.limit, 100);
  const store = await openCheckedStore(values);
  try {
    const admin = store.admin();
    const jobs = await admin.list({
      ...(values.state === undefined ? {} : { state: values.state as Phase | 'corrupt' }),
      limit,
    });
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify(jobs)}\n`);
      return 0;
    }
    const nowMs = await admin.now();
    const rows = jobs.map((job) => listRow(job, nowMs));
    const header = ['JOB', 'STATE', 'CHUNKS', 'RECOVERIES', 'OWNER', 'LEASE', 'UPDATED'];
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
    );
    for (const row of [header, ...rows])
      io.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      );
    if (rows.length === 0) io.stdout.write('(no jobs)\n');
    return 0;
  } finally {
    await store.close();
  }
}

function listRow(job: JobSummary | CorruptSummary, nowMs: number): string[] {
  if (job.phase === 'corrupt') return [job.jobId, 'corrupt', '-', '-', '-', '-', job.problem];
  const terminal = job.phase === 'completed' || job.phase === 'failed';
  const lease =
    terminal || job.owner === null
      ? '-'
      : job.leaseExpiresAtMs === 0
        ? 'released'
        : job.leaseExpiresAtMs <= nowMs
          ? `stalled since ${time(job.leaseExpiresAtMs)}`
          : `until ${time(job.leaseExpiresAtMs)}`;
  return [
    job.jobId,
    job.failure === null ? job.phase : `${job.phase} (${job.failure.reason})`,
    `${job.committedChunks}/${job.totalChunks}`,
    String(job.recoveries),
    job.owner ?? '-',
    lease,
    time(job.updatedAtMs),
  ];
}

/** `chunkwise counts`. */
export async function countsCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values } = parsing(0, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, json: { type: 'boolean' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(countsUsage);
    return 0;
  }
  const store = await openCheckedStore(values);
  try {
    const counts = await store.admin().counts();
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify({ ...counts, total })}\n`
        : `${Object.entries({ ...counts, total })
            .map(([phase, count]) => `${phase.padEnd(12)} ${count}`)
            .join('\n')}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `chunkwise result JOB_ID`. */
export async function resultCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values, positionals } = parsing(1, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, json: { type: 'boolean' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(resultUsage);
    return 0;
  }
  const jobId = jobIdArgument(positionals, 'result');
  const store = await openCheckedStore(values);
  try {
    const result = await store.admin().result(jobId);
    if (result.kind === 'not_found') {
      io.stderr.write(`chunkwise result: no job ${jobId}\n`);
      return exitCodes.failure;
    }
    if (result.kind === 'not_completed') {
      io.stderr.write(`chunkwise result: job ${jobId} is ${result.phase}, not completed: it has no transcript yet\n`);
      return exitCodes.failure;
    }
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify({ jobId, transcript: result.transcript, chunks: result.chunks })}\n`
        : `${result.transcript}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `chunkwise retry JOB_ID` and `chunkwise cancel JOB_ID`. */
async function writeCommand(kind: 'retry' | 'cancel', argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values, positionals } = parsing(1, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, message: { type: 'string' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(adminUsage[kind]);
    return 0;
  }
  const jobId = jobIdArgument(positionals, kind);
  const store = await openCheckedStore(values);
  try {
    const admin = store.admin();
    const request = {
      jobId,
      actor: operatorName(),
      requestId: `${kind}-${randomBytes(8).toString('hex')}`,
      ...(values.message === undefined ? {} : { message: values.message }),
    };
    const outcome = kind === 'retry' ? await admin.retry(request) : await admin.cancel(request);
    if (outcome.kind === 'not_found') {
      io.stderr.write(`chunkwise ${kind}: no job ${jobId}\n`);
      return exitCodes.failure;
    }
    if (outcome.kind === 'invalid_state') {
      io.stderr.write(`chunkwise ${kind}: job ${jobId} is ${outcome.phase}: ${outcome.detail}\n`);
      return exitCodes.failure;
    }
    const { job } = outcome;
    if (kind === 'retry') {
      io.stdout.write(
        `job ${jobId} retried: back in ${job.phase} under epoch ${job.epoch}, released for the next worker ` +
          `(${job.chunks.filter((chunk) => chunk.transcript !== null).length}/${job.chunks.length} chunks kept)\n`,
      );
    } else {
      const nowMs = await admin.now();
      const held =
        outcome.previousOwner !== null && outcome.previousLeaseExpiresAtMs > nowMs
          ? `; ${outcome.previousOwner} held its lease until ${time(outcome.previousLeaseExpiresAtMs)} and is ` +
            'fenced out: its next write is refused'
          : '';
      io.stdout.write(`job ${jobId} cancelled: failed under epoch ${job.epoch}${held}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `chunkwise retry JOB_ID`. */
export function retryCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  return writeCommand('retry', argv, io);
}

/** `chunkwise cancel JOB_ID`. */
export function cancelCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  return writeCommand('cancel', argv, io);
}

/** `chunkwise remove JOB_ID [--force]`. */
export async function removeCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values, positionals } = parsing(1, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, force: { type: 'boolean' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(removeUsage);
    return 0;
  }
  const jobId = jobIdArgument(positionals, 'remove');
  const store = await openCheckedStore(values);
  try {
    const removed = await store.admin().remove({ jobId, force: values.force === true });
    if (removed.kind === 'not_found') {
      io.stderr.write(`chunkwise remove: no job ${jobId}\n`);
      return exitCodes.failure;
    }
    if (removed.kind === 'leased') {
      io.stderr.write(
        `chunkwise remove: job ${jobId} is leased by ${removed.owner} until ${time(removed.leaseExpiresAtMs)}; ` +
          '--force removes it anyway (that worker then finds no job and stops)\n',
      );
      return exitCodes.failure;
    }
    io.stdout.write(`job ${jobId} removed\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** The operator's commands, by name. */
export const adminCommands: Readonly<
  Record<AdminCommandName, (argv: readonly string[], io: ServiceIo) => Promise<number>>
> = {
  list: listCommand,
  counts: countsCommand,
  result: resultCommand,
  retry: retryCommand,
  cancel: cancelCommand,
  remove: removeCommand,
};
