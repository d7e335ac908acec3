/**
 * The commands a service deploys as they are: `chunkwise worker` (a worker process on a job store
 * chosen by URL scheme, chunk files on disk, ffmpeg, and a transcriber chosen by name; it checks
 * them first, src/cli/preflight.ts, and may serve metrics, src/cli/metrics.ts),
 * `chunkwise submit FILE` (creates a job, prints its id) and `chunkwise status JOB_ID`; the
 * operator's commands are in src/cli/admin.ts. SIGTERM or
 * SIGINT makes a worker finish its current step, release its lease and exit 0; SIGKILL is what
 * recovery is for. The job stores and the transcribers come from two small registries
 * ({@link jobStoreFactories}, {@link transcriberFactories}); a name or scheme they lack is a usage
 * error listing the ones they have.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { committedCount, progressPercent } from '../core/progress.js';
import { isTerminal } from '../core/types.js';
import { chunkConcurrencyMax, chunkLengthMsMax, chunkLengthMsMin, defaultLimits, type Limits } from '../core/limits.js';
import type { JobStore, Transcriber, WorkSignal } from '../ports.js';
import { systemClock } from '../runtime/clock.js';
import { Worker, type WorkerLogEntry } from '../runtime/worker.js';
import type { JobAdmin } from '../admin.js';
import { ConfigurationError, DependencyUnavailableError } from './exit.js';
import { chooseLogFormat, formatLogLine, logFormats, type LogFormat, type LogLine } from './logging.js';
import { createWorkerMetrics, serveMetrics, type MetricsServer } from './metrics.js';
import {
  chunkDirectoryCheck,
  credentialsCheck,
  mediaToolsCheck,
  runPreflight,
  storeCheck,
  type CredentialOutcome,
} from './preflight.js';
import { tracingStore, type StoreTraceLine } from './trace.js';

/** Where a command writes; injectable for tests. `isTTY` chooses the worker's default log format. */
export interface ServiceIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/** A bad flag or argument: printed with the usage, exit 64. */
export class CommandUsageError extends Error {
  override readonly name: string = 'CommandUsageError';
}

/** A job store scheme or a transcriber name no registry has: a usage error that lists the known ones. */
export class UnknownBackendError extends CommandUsageError {
  override readonly name = 'UnknownBackendError';
  constructor(
    readonly what: 'job store' | 'transcriber',
    readonly asked: string,
    readonly known: readonly string[],
  ) {
    super(
      what === 'job store'
        ? `no job store for ${JSON.stringify(asked)}; known URL schemes: ${known.join(', ')}`
        : `no transcriber named ${JSON.stringify(asked)}; known names: ${known.join(', ')}`,
    );
  }
}

const storeFlags = `--store URL is the job store, chosen by its scheme (redis://, rediss://; --redis URL is
the same flag under its older name); it defaults to REDIS_URL, else redis://127.0.0.1:6379.`;

const workerUsage = `Usage:
  chunkwise worker --chunks-dir DIR [--store URL] [--transcriber NAME] [--worker-id ID] [--key-prefix P]
                   [--model M] [--language L] [--openai-base-url URL] [--lease-ms N] [--poll-ms N]
                   [--sweep-ms N] [--api-outage-ms N] [--transcribe-timeout-ms N] [--trace-store]
                   [--log-format text|json] [--metrics-port P] [--concurrency N] [--chunk-concurrency N]
                   [--grace-ms N]
      e.g. chunkwise worker --store redis://127.0.0.1:6379 --chunks-dir /var/lib/chunkwise
      --transcriber: openai (the default; the key comes from OPENAI_API_KEY, --model, --language and
      --openai-base-url configure it); --poll-ms: idle wait between looks for work on a store that
      cannot wake its workers (default 1000; a Redis store wakes them: they wait for work instead);
      --sweep-ms: how often an idle worker removes chunk files of finished jobs (default 30000);
      --api-outage-ms: how long a chunk's retryable API failures (429, 5xx, timeouts, resets) are
      waited out before the job fails (default 600000; Retry-After is honoured up to 120000);
      --transcribe-timeout-ms: limit of one transcription request (default 120000); --trace-store:
      print every lease grant, renewal and commit the store acknowledged as a JSON line (an audit
      trail). The sweep touches only job directories marked with this --key-prefix. --concurrency N:
      work on up to N jobs at once, one worker loop each (ids ID.1 … ID.N; default 1, at most 64).
      --chunk-concurrency N: transcribe up to N chunks of one job at once, each committed as it returns
      (default 1, at most 32; above 1 a chunk's prompt is the text before it only once that is committed).
      --grace-ms N: on SIGTERM, how long to wait for the transcriptions in flight to return and be committed
      before they are aborted and the job is handed over without them (default 30000; 0: at once).
      --log-format: text (the default on a terminal) or json (one object a line, the default otherwise);
      --metrics-port P: serve Prometheus metrics at http://127.0.0.1:P/metrics (0: any free port, logged).
      Before it claims anything the worker checks that the job store answers, ffmpeg and ffprobe run
      (FFMPEG_PATH, FFPROBE_PATH), the chunk directory can be written and the transcriber accepts its key;
      it exits 69 when a dependency cannot be reached or run, 78 when the configuration does not work.
${storeFlags}
`;

const submitUsage = `Usage:
  chunkwise submit FILE [--store URL] [--job-id ID] [--chunk-length-ms N] [--key-prefix P]
      e.g. chunkwise submit talk.mp3 --chunk-length-ms 600000
${storeFlags}
`;

const statusUsage = `Usage:
  chunkwise status JOB_ID [--store URL] [--key-prefix P] [--json]
      e.g. chunkwise status job-1a2b3c --json
      phase, progress, created and updated times, the lease (owner, expiry, "stalled since" when it ran
      out without a release), recoveries and retries, the last error and the last events.
${storeFlags}
`;

/** Each service command's usage text (its --help). */
export const commandUsage = { worker: workerUsage, submit: submitUsage, status: statusUsage } as const;

/** The usage of every service command. */
export const serviceUsage = [workerUsage, submitUsage, statusUsage].join('\n');

/** The flags every command that opens a job store takes. */
export const common = {
  store: { type: 'string' },
  redis: { type: 'string' },
  'key-prefix': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Runs a parseArgs call, turning its errors into usage errors, and allows at most `positionals` arguments. */
export function parsing<T extends { positionals: string[] }>(positionals: number, parse: () => T): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    throw new CommandUsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals)
    throw new CommandUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
  return parsed;
}

/** The job store URL of `--store` or `--redis` (one of them), else REDIS_URL, else the local default. */
export function storeUrl(values: { store?: string | undefined; redis?: string | undefined }): string {
  if (values.store !== undefined && values.redis !== undefined)
    throw new CommandUsageError('--store and --redis name the same thing: give one of them');
  return values.store ?? values.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A job store a command opened; it closes it when done. `ping` checks that it answers (StoreUnavailableError when
 * not), `admin` is the operator's port on it, `where` names it in messages (without a password).
 */
export type OpenedJobStore = JobStore & {
  close(): Promise<void>;
  ping(): Promise<void>;
  admin(): JobAdmin;
  readonly where: string;
  /** A signal an idle worker waits on instead of polling, when the store has one (closed with the store). */
  workSignal?(): WorkSignal;
};

/** What a job store factory gets. */
export interface JobStoreSettings {
  readonly url: string;
  readonly keyPrefix?: string;
  /** Where the store reports connection trouble it recovers from. */
  readonly log?: (message: string) => void;
}

/** Opens a job store from its URL. */
export type JobStoreFactory = (settings: JobStoreSettings) => Promise<OpenedJobStore>;

/** The Redis adapter on one server; its client comes from connectRedis (src/adapters/redis/connect.ts). */
const redisJobStore: JobStoreFactory = async ({ url, keyPrefix, log }) => {
  const { RedisJobStore, RedisJobAdmin, pingRedis, redactUrl } = await import('../adapters/redis/index.js');
  const store = new RedisJobStore({
    url,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(log === undefined ? {} : { log }),
  });
  return Object.assign(store, {
    ping: () => pingRedis(store.redis),
    admin: () => new RedisJobAdmin(store),
    where: redactUrl(url),
  });
};

/**
 * Job stores by URL scheme (with its colon): one Redis server, or a Redis Cluster given by some of its nodes
 * (`redis-cluster://host:port[,host:port...]`, docs/redis-cluster.md). The Redis adapter reads the URL.
 */
export const jobStoreFactories: ReadonlyMap<string, JobStoreFactory> = new Map([
  ['redis:', redisJobStore],
  ['rediss:', redisJobStore],
  ['redis-cluster:', redisJobStore],
  ['rediss-cluster:', redisJobStore],
]);

/** Opens the job store `url` names, by its scheme; an unknown scheme is an {@link UnknownBackendError}. */
export async function openJobStore(settings: JobStoreSettings): Promise<OpenedJobStore> {
  const known = [...jobStoreFactories.keys()].map((scheme) => `${scheme}//`);
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(settings.url)?.[1]?.toLowerCase();
  if (scheme === undefined)
    throw new UnknownBackendError(
      'job store',
      settings.url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i, '$1***@'),
      known,
    );
  const factory = jobStoreFactories.get(scheme);
  if (factory === undefined) throw new UnknownBackendError('job store', `${scheme}//`, known);
  try {
    return await factory(settings);
  } catch (error) {
    // The adapter names its options; the command names its flags.
    if (error instanceof TypeError && /^keyPrefix /.test(error.message))
      throw new CommandUsageError(error.message.replace(/^keyPrefix/, '--key-prefix'));
    if (error instanceof TypeError && error.name === 'RedisUrlError')
      throw new CommandUsageError(`--store: ${error.message}`);
    throw error;
  }
}

/** What a transcriber factory gets from the worker's flags. */
export interface TranscriberSettings {
  readonly model?: string;
  readonly language?: string;
  readonly baseURL?: string;
  readonly timeoutMs?: number;
}

/** Makes a transcriber. */
export type TranscriberFactory = (settings: TranscriberSettings) => Promise<Transcriber>;

/** The OpenAI audio API (OPENAI_API_KEY). */
const openaiTranscriber: TranscriberFactory = async ({ model, language, baseURL, timeoutMs }) => {
  const { OpenAITranscriber } = await import('../adapters/openai/index.js');
  return new OpenAITranscriber({
    ...(model === undefined ? {} : { model: model as never }),
    ...(language === undefined ? {} : { language }),
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
};

/** Transcribers by name (`--transcriber`). */
export const transcriberFactories: ReadonlyMap<string, TranscriberFactory> = new Map([['openai', openaiTranscriber]]);

/** The transcriber `name` names; an unknown name is an {@link UnknownBackendError}. */
export async function createTranscriber(name: string, settings: TranscriberSettings): Promise<Transcriber> {
  const factory = transcriberFactories.get(name);
  if (factory === undefined) throw new UnknownBackendError('transcriber', name, [...transcriberFactories.keys()]);
  return factory(settings);
}

/** The integer value of flag `--name`, or `fallback` when absent; anything else is a usage error naming the flag. */
export function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new CommandUsageError(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Opens the job store the flags name and checks that it answers: one that does not is a
 * {@link DependencyUnavailableError} naming it (exit 69), and is closed.
 */
export async function openCheckedStore(values: {
  store?: string | undefined;
  redis?: string | undefined;
  'key-prefix'?: string | undefined;
}): Promise<OpenedJobStore> {
  const store = await openJobStore({
    url: storeUrl(values),
    ...(values['key-prefix'] === undefined ? {} : { keyPrefix: values['key-prefix'] }),
  });
  try {
    await storeCheck(store.where, () => store.ping()).run();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * `chunkwise worker`: checks its dependencies (src/cli/preflight.ts), then runs one worker until SIGTERM/SIGINT.
 * A failed check exits 69 or 78 with one line, before anything is claimed.
 */
export async function workerCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values } = parsing(0, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        ...common,
        'chunks-dir': { type: 'string' },
        'worker-id': { type: 'string' },
        transcriber: { type: 'string' },
        model: { type: 'string' },
        language: { type: 'string' },
        'openai-base-url': { type: 'string' },
        'lease-ms': { type: 'string' },
        'poll-ms': { type: 'string' },
        'sweep-ms': { type: 'string' },
        'trace-store': { type: 'boolean' },
        'api-outage-ms': { type: 'string' },
        'transcribe-timeout-ms': { type: 'string' },
        'log-format': { type: 'string' },
        'metrics-port': { type: 'string' },
        concurrency: { type: 'string' },
        'chunk-concurrency': { type: 'string' },
        'grace-ms': { type: 'string' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout.write(workerUsage);
    return 0;
  }
  if (values['chunks-dir'] === undefined) throw new CommandUsageError('--chunks-dir is required');
  const leaseMs = positiveInteger('lease-ms', values['lease-ms'], defaultLimits.leaseDurationMs);
  const limits: Partial<Limits> = {
    leaseDurationMs: leaseMs,
    leaseRenewIntervalMs: Math.max(1, Math.floor(leaseMs / 3)),
    idlePollIntervalMs: positiveInteger('poll-ms', values['poll-ms'], defaultLimits.idlePollIntervalMs),
    sweepIntervalMs: positiveInteger('sweep-ms', values['sweep-ms'], defaultLimits.sweepIntervalMs),
    transcriptionOutageMs: positiveInteger(
      'api-outage-ms',
      values['api-outage-ms'],
      defaultLimits.transcriptionOutageMs,
    ),
    chunkConcurrency: positiveInteger('chunk-concurrency', values['chunk-concurrency'], defaultLimits.chunkConcurrency),
  };
  if ((limits.chunkConcurrency ?? 1) > chunkConcurrencyMax)
    throw new CommandUsageError(
      `--chunk-concurrency must be at most ${chunkConcurrencyMax}, got ${limits.chunkConcurrency}`,
    );
  const transcribeTimeoutMs =
    values['transcribe-timeout-ms'] === undefined
      ? undefined
      : positiveInteger('transcribe-timeout-ms', values['transcribe-timeout-ms'], 0);
  const logFormat = logFormatFlag(values['log-format'], io);
  const metricsPort = portFlag('metrics-port', values['metrics-port']);
  const graceMs = values['grace-ms'] === '0' ? 0 : positiveInteger('grace-ms', values['grace-ms'], stopGraceMsDefault);
  const concurrency = positiveInteger('concurrency', values.concurrency, 1);
  if (concurrency > concurrencyMax)
    throw new CommandUsageError(`--concurrency must be at most ${concurrencyMax}, got ${concurrency}`);
  const { FsChunkStore } = await import('../adapters/fs/index.js');
  const { FfmpegMedia, checkMediaTools } = await import('../adapters/ffmpeg/index.js');
  const url = storeUrl(values);
  const { defaultKeyPrefix } = await import('../adapters/redis/index.js');
  // Job directories are marked with the key prefix: the sweep touches only this deployment's.
  const chunkStore = new FsChunkStore({
    root: values['chunks-dir'],
    namespace: values['key-prefix'] ?? defaultKeyPrefix,
  });
  const media = new FfmpegMedia({ chunkStore });
  const transcriberName = values.transcriber ?? 'openai';
  const transcriberSettings: TranscriberSettings = {
    ...(values.model === undefined ? {} : { model: values.model }),
    ...(values.language === undefined ? {} : { language: values.language }),
    ...(values['openai-base-url'] === undefined ? {} : { baseURL: values['openai-base-url'] }),
    ...(transcribeTimeoutMs === undefined ? {} : { timeoutMs: transcribeTimeoutMs }),
  };
  let transcriber: Transcriber;
  try {
    transcriber = await createTranscriber(transcriberName, transcriberSettings);
  } catch (error) {
    if (error instanceof CommandUsageError || !(error instanceof TypeError || error instanceof RangeError)) throw error;
    // A flag the transcriber refuses is a usage error naming the flag; anything else (a missing key) is configuration.
    const flag = /^(model|language|timeoutMs) /.exec(error.message)?.[1];
    if (flag !== undefined)
      throw new CommandUsageError(
        error.message.replace(flag, flag === 'timeoutMs' ? '--transcribe-timeout-ms' : `--${flag}`),
      );
    throw new ConfigurationError(`transcriber ${transcriberName}: ${error.message}`);
  }
  const workerId =
    values['worker-id'] ??
    `${hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const write = <L extends LogLine>(line: L) => io.stdout.write(formatLogLine(logFormat, line));
  const metrics = metricsPort === undefined ? undefined : await createWorkerMetrics();
  const log = (entry: WorkerLogEntry) => {
    metrics?.observe(entry);
    write(entry);
  };
  const store = await openJobStore({
    url,
    ...(values['key-prefix'] === undefined ? {} : { keyPrefix: values['key-prefix'] }),
    log: (message) => log({ workerId, what: 'error', detail: `store: ${message}` }),
  });
  let server: MetricsServer | undefined;
  try {
    const check = transcriberChecks.get(transcriberName);
    await runPreflight([
      storeCheck(store.where, () => store.ping()),
      mediaToolsCheck(() => checkMediaTools(media)),
      chunkDirectoryCheck(chunkStore.root),
      ...(check === undefined
        ? []
        : [
            credentialsCheck(
              transcriberName,
              () => check(transcriberSettings),
              (detail) => write({ workerId, what: 'preflight', detail }),
            ),
          ]),
    ]);
    if (metrics !== undefined && metricsPort !== undefined) server = await serveMetrics(metrics.registry, metricsPort);
  } catch (error) {
    await store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new DependencyUnavailableError(`--metrics-port ${String(metricsPort)}: the port is in use`);
    throw error;
  }
  // One worker loop per slot of --concurrency, each with its own id, lease keeping and work signal: N jobs at once.
  const workers = Array.from({ length: concurrency }, (_, slot) => {
    const id = concurrency === 1 ? workerId : `${workerId}.${slot + 1}`;
    const trace = (line: StoreTraceLine) => write({ workerId: id, what: 'store', ...line });
    const tracedStore = values['trace-store'] === true ? tracingStore(store, trace) : store;
    return new Worker({
      workerId: id,
      store: metrics === undefined ? tracedStore : metrics.wrapStore(tracedStore),
      chunkStore,
      media,
      transcriber: metrics === undefined ? transcriber : metrics.wrapTranscriber(transcriber),
      clock: systemClock,
      random: Math.random,
      ...(store.workSignal === undefined ? {} : { workSignal: store.workSignal() }),
      limits,
      stopGraceMs: graceMs,
      log,
    });
  });
  const stop = () => {
    for (const worker of workers) worker.stop();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  write({
    workerId,
    what: 'started',
    detail: `chunks in ${chunkStore.root}${concurrency === 1 ? '' : `, ${concurrency} jobs at once`}`,
    ...(server === undefined ? {} : { metrics: `http://127.0.0.1:${server.port}/metrics` }),
  });
  let failure: { readonly error: unknown } | undefined;
  try {
    // A loop that stops with an error (a worker unfit for the work) stops the others: they hand their jobs over.
    await Promise.all(
      workers.map((worker) =>
        worker.run().catch((error: unknown) => {
          failure ??= { error };
          stop();
        }),
      ),
    );
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await server?.close();
    await store.close();
  }
  if (failure !== undefined) throw failure.error;
  write({ workerId, what: 'exited' });
  return 0;
}

/** How long a stopping worker waits for its transcriptions in flight by default (--grace-ms). */
export const stopGraceMsDefault = 30_000;

/** Most worker loops one `chunkwise worker` process runs (--concurrency). */
export const concurrencyMax = 64;

/**
 * Credential checks of the transcribers, by name (the openai adapter's checkOpenAICredentials); a transcriber
 * without one is not checked before the worker starts.
 */
export const transcriberChecks: ReadonlyMap<string, (settings: TranscriberSettings) => Promise<CredentialOutcome>> =
  new Map([
    [
      'openai',
      async (settings: TranscriberSettings) => {
        const { checkOpenAICredentials } = await import('../adapters/openai/index.js');
        return checkOpenAICredentials({
          ...(settings.model === undefined ? {} : { model: settings.model as never }),
          ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }),
        });
      },
    ],
  ]);

function logFormatFlag(text: string | undefined, io: ServiceIo): LogFormat {
  if (text !== undefined && !(logFormats as readonly string[]).includes(text))
    throw new CommandUsageError(`--log-format must be one of ${logFormats.join(', ')}, got ${JSON.stringify(text)}`);
  return chooseLogFormat(text as LogFormat | undefined, io.stdout.isTTY);
}

function portFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > 65_535)
    throw new CommandUsageError(
      `--${name} must be a TCP port in [0, 65535] (0: any free port), got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

/** `chunkwise submit FILE`: creates a job for FILE and prints its id. */
export async function submitCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values, positionals } = parsing(1, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, 'job-id': { type: 'string' }, 'chunk-length-ms': { type: 'string' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(submitUsage);
    return 0;
  }
  const file = positionals[0];
  if (file === undefined) throw new CommandUsageError('submit needs a FILE');
  const source = path.resolve(file);
  const found = await stat(source).catch(() => undefined);
  if (found === undefined || !found.isFile()) {
    io.stderr.write(`chunkwise submit: ${source} is not a readable file\n`);
    return 1;
  }
  const requestedMs = positiveInteger('chunk-length-ms', values['chunk-length-ms'], 600_000);
  if (requestedMs < chunkLengthMsMin || requestedMs > chunkLengthMsMax)
    throw new CommandUsageError(
      `--chunk-length-ms must be at least ${chunkLengthMsMin} and at most ${chunkLengthMsMax} (ms), got ${requestedMs}`,
    );
  // The chunk length every plan of this job uses, capped so that each chunk fits the upload limit.
  const { FsChunkStore } = await import('../adapters/fs/index.js');
  const { FfmpegMedia } = await import('../adapters/ffmpeg/index.js');
  const chunkLengthMs = new FfmpegMedia({ chunkStore: new FsChunkStore({ root: tmpdir() }) }).effectiveChunkLengthMs(
    requestedMs,
  );
  const jobId = values['job-id'] ?? `job-${randomBytes(6).toString('hex')}`;
  const store = await openCheckedStore(values);
  try {
    const created = await store.createJob({ jobId, source, chunkLengthMs });
    if (created.kind !== 'ok') {
      io.stderr.write(`chunkwise submit: job ${jobId} already exists with another source\n`);
      return 1;
    }
  } finally {
    await store.close();
  }
  io.stdout.write(`${jobId}\n`);
  return 0;
}

/** `chunkwise status JOB_ID`: prints a job's phase, progress and last events. */
export async function statusCommand(argv: readonly string[], io: ServiceIo): Promise<number> {
  const { values, positionals } = parsing(1, () =>
    parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { ...common, json: { type: 'boolean' } },
    }),
  );
  if (values.help === true) {
    io.stdout.write(statusUsage);
    return 0;
  }
  const jobId = positionals[0];
  if (jobId === undefined) throw new CommandUsageError('status needs a JOB_ID');
  const store = await openCheckedStore(values);
  try {
    const job = await store.getJob(jobId);
    if (job === null) {
      io.stderr.write(`chunkwise status: no job ${jobId}\n`);
      return 1;
    }
    const events = await store.readEvents(jobId);
    const nowMs = await store.admin().now();
    const committed = committedCount(job.chunks);
    const progress = progressPercent(committed, job.chunks.length, job.phase === 'completed');
    const time = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
    const leased = job.owner !== null && job.leaseExpiresAtMs > 0 && !isTerminal(job.phase);
    const lastRetry = events.findLastIndex((event) => event.event === 'job_retried');
    const cancelled =
      job.phase === 'failed' && events.findLastIndex((event) => event.event === 'job_cancelled') > lastRetry;
    const lastChunkError = events.findLast((event) => event.event === 'chunk_failed');
    const summary = {
      jobId,
      phase: job.phase,
      progress,
      committedChunks: committed,
      totalChunks: job.chunks.length,
      epoch: job.epoch,
      owner: job.owner,
      recoveries: job.recovery.attempts,
      // Of those, the hand-overs (claims after a release): recoveryAttemptsMax counts the others only.
      handovers: job.recovery.handovers,
      failure: job.failure,
      createdAt: time(job.createdAtMs),
      updatedAt: time(job.updatedAtMs),
      leaseOwner: leased ? job.owner : null,
      leaseExpiresAt: leased ? time(job.leaseExpiresAtMs) : null,
      stalledSince: leased && job.leaseExpiresAtMs <= nowMs ? time(job.leaseExpiresAtMs) : null,
      released: !isTerminal(job.phase) && job.owner !== null && job.leaseExpiresAtMs === 0,
      cancelled,
      retries: events.filter((event) => event.event === 'job_retried').length,
      lastError:
        job.failure?.message ??
        (lastChunkError?.event === 'chunk_failed'
          ? `chunk ${lastChunkError.chunk_index}: ${lastChunkError.error}`
          : null),
      events: events.length,
      lastEvents: events.slice(-5).map((event) => `${event.seq} ${event.event}`),
    };
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify(summary)}\n`
        : `${Object.entries(summary)
            .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
            .join('\n')}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
