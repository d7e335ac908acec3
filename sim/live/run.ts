/**
 * One live chaos run: its own redis-server (by default AOF with fsync before every reply) on a
 * free loopback port, a fake OpenAI audio API with latency and error injection, M generated WAV sources
 * submitted as jobs over the first part of the fault phase (5 s chunks), K real worker processes
 * (each running `concurrency` worker loops, each loop transcribing up to `chunkConcurrency` chunks
 * of its job at once), and the nemesis (nemesis.ts) for the fault phase. Then a liveness phase with every fault off,
 * bounded in time, until every job is terminal and no chunk file of a terminal job remains. The
 * workers are stopped, what really happened is read back (record.ts) and the simulator's
 * checkers judge it. A watcher (watcher.ts) meanwhile samples every job's event stream: a job
 * whose stream lost entries it had shown, or that a Redis restart wiped after its submission was
 * acknowledged, was hit by Redis losing acknowledged writes. When Redis ran without an AOF fsynced
 * before every reply (`persistence` everysec or none) its violations are reported as the store's,
 * apart from the engine's; with `always` Redis promises to keep them, so they stay the engine's.
 * With `cluster` the run has a local Redis Cluster (3 masters + 3 replicas) instead, the nemesis
 * fails masters over, and asynchronous replication is what may lose acknowledged writes: the store's
 * losses unless `waitReplicas` makes every write wait for a replica. Everything started is
 * stopped and every temporary directory removed on every
 * way out (processes.ts); everything listens on and talks to 127.0.0.1 only.
 */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { submitCommand } from '../../src/cli/service.js';
import type { JobEvent } from '../../src/core/events.js';
import { defaultLimits, type Limits } from '../../src/core/limits.js';
import { isTerminal, type Job } from '../../src/core/types.js';
import { CorruptStateError } from '../../src/ports.js';
import { checkAll, type Violation } from '../checkers/index.js';
import { mulberry32 } from '../random.js';
import type { RunRecord } from '../world.js';
import { ffmpegPath, ffprobePath, generateSources } from './media.js';
import { Nemesis } from './nemesis.js';
import { startOpenAIServer, type FakeOpenAIServer } from './openai-server.js';
import {
  acknowledgedWriteViolations,
  buildLiveRecord,
  type LiveObservations,
  type NemesisAction,
  type TraceRecord,
} from './record.js';
import { LiveRedisCluster } from './redis-cluster.js';
import { LiveRedis, type LivePersistence } from './redis-server.js';
import { lostSubmissions, StoreWatcher, type StoreLoss } from './watcher.js';
import { keepDirectory, removeDirectory, trackDirectory } from './processes.js';
import { WorkerPool } from './workers.js';

/** Lease of every worker: short, so that kills and pauses turn into recoveries within seconds. */
export const liveLeaseMs = 3_000;
/** Idle poll and orphan sweep intervals of every worker. */
export const livePollMs = 200;
export const liveSweepMs = 2_000;
/** Each transcription request's limit: a hung request is given up on after it. */
export const liveTranscribeTimeoutMs = 5_000;
/** Chunk length jobs ask for. */
export const liveChunkLengthMs = 5_000;
/** Longest liveness phase. */
export const livenessMsMax = 120_000;
/** Share of the fault phase over which jobs are submitted. */
const submitSpreadShare = 0.8;
/** How long stopped workers get to exit before they are SIGKILLed. */
const workerStopMs = 10_000;
/** Latency of the fake API, in ms. */
const apiLatencyMsMin = 50;
const apiLatencyMsMax = 600;
/** The API key of the fake OpenAI API, which the workers get in their environment ({@link workerEnvironment}). */
export const liveApiKey = 'sk-chunkwise-live-chaos';
const keyPrefix = 'chunkwise-live:';

/** What a run is asked to do. */
export interface LiveOptions {
  readonly seconds: number;
  readonly workers: number;
  readonly jobs: number;
  readonly seed: number;
  /** Worker loops per process (`chunkwise worker --concurrency`; default 1). */
  readonly concurrency?: number;
  /** Transcriptions of one job in flight at once (`chunkwise worker --chunk-concurrency`; default 1). */
  readonly chunkConcurrency?: number;
  /** How Redis keeps its data across a kill -9 (default `always`: AOF fsynced before every reply). */
  readonly persistence?: LivePersistence;
  /**
   * Run on a local Redis Cluster (3 masters + 3 replicas, no persistence: replication is what keeps data) instead of
   * one redis-server; the nemesis's Redis move becomes a failover.
   */
  readonly cluster?: boolean;
  /**
   * On a cluster, the store waits for one replica after every write (`?waitReplicas=1&waitTimeoutMs=…` in the URL the
   * workers get): a failover then loses nothing the engine was told of, and a loss counts against the engine.
   */
  readonly waitReplicas?: boolean;
  /** Keep the temporary directory (AOF, sources, chunk files, worker logs). */
  readonly keep?: boolean;
  /** Progress lines (none when absent). */
  readonly say?: (text: string) => void;
  /** Aborts the run (Ctrl-C); everything is stopped and removed all the same. */
  readonly signal?: AbortSignal;
}

/** The `--json` summary. */
export interface LiveSummary {
  readonly jobs: number;
  /** Worker loops per process. */
  readonly concurrency: number;
  /** Transcriptions of one job in flight at once. */
  readonly chunkConcurrency: number;
  readonly completed: number;
  readonly failed: number;
  readonly kills: number;
  /** SIGSTOPs that lasted longer than the lease. */
  readonly pauses: number;
  readonly redisRestarts: number;
  /** Cluster failovers (graceful and by kill -9 of a master). */
  readonly failovers: number;
  /** Redis outages that lasted longer than a lease. */
  readonly redisOutagesPastLease: number;
  /** API error windows that carried a Retry-After (5–15 s long). */
  readonly apiLongWindows: number;
  /** Transcription replies cut mid-body. */
  readonly apiResets: number;
  /** Chunk files deleted, truncated or corrupted. */
  readonly corruptions: number;
  /** Stored states hand-edited into inconsistent ones (phase edits and wrong-typed keys). */
  readonly stateCorruptions: number;
  /** Of those, keys replaced by one of the wrong Redis type. */
  readonly wrongTypes: number;
  /** Transcription requests left unanswered until the worker's timeout. */
  readonly apiHangs: number;
  /** What redis-server said it ran with (CONFIG GET appendonly, appendfsync, save). */
  readonly persistence: string;
  /** Jobs whose event stream lost entries the store had shown (Redis lost acknowledged writes). */
  readonly storeLosses: readonly StoreLoss[];
  /**
   * Violations on those jobs: the store's, not counted against the engine (only when the persistence is not `always`).
   */
  readonly storeViolations: readonly Violation[];
  /** Requests answered with an injected 429 or 500. */
  readonly apiErrors: number;
  /** The engine's violations. */
  readonly violations: readonly Violation[];
  readonly wallMs: number;
  readonly seed: number;
  readonly end: 'done' | 'time';
  readonly transcriptionRequests: number;
  readonly wastedTranscriptions: number;
  readonly inferredGrants: number;
  readonly requestsInFlightAcrossPauses: number;
  /** Temporary directory, when kept. */
  readonly kept?: string;
}

/** What a run hands back. */
export interface LiveOutcome {
  readonly summary: LiveSummary;
  readonly record: RunRecord;
  /** The engine's violations (those on jobs the store lost data of are in `summary.storeViolations`). */
  readonly violations: readonly Violation[];
}

/** What a run starts: its processes and clients. */
interface Rig {
  redis?: LiveRedis | LiveRedisCluster;
  server?: FakeOpenAIServer;
  store?: RedisJobStore;
  pool?: WorkerPool;
  watcher?: StoreWatcher;
}

type Directories = Record<'redis' | 'media' | 'chunks' | 'scratch' | 'logs', string>;

/** Plays one live run and checks it. Throws only when the run itself could not be carried out. */
export async function runLiveChaos(options: LiveOptions): Promise<LiveOutcome> {
  const startedMs = Date.now();
  const root = await mkdtemp(path.join(tmpdir(), 'chunkwise-live-'));
  trackDirectory(root);
  const directories: Directories = {
    redis: path.join(root, 'redis'),
    media: path.join(root, 'media'),
    chunks: path.join(root, 'chunks'),
    scratch: path.join(root, 'scratch'),
    logs: path.join(root, 'logs'),
  };
  for (const directory of Object.values(directories)) await mkdir(directory, { recursive: true });
  const rig: Rig = {};
  try {
    const sources = await generateSources(
      directories.media,
      options.jobs,
      mulberry32(options.seed ^ 0x2545f491),
      'job-',
      options.signal,
    );
    rig.redis =
      options.cluster === true
        ? await LiveRedisCluster.start({ directory: directories.redis })
        : await LiveRedis.start(directories.redis, path.join(directories.logs, 'redis.log'), persistenceOf(options));
    const persistence =
      rig.redis instanceof LiveRedisCluster
        ? `Redis Cluster ${rig.redis.nodes.length / 2}+${rig.redis.nodes.length / 2}, asynchronous replication${options.waitReplicas === true ? `, WAIT 1 ${liveWaitTimeoutMs} after every write` : ''}, no persistence`
        : await rig.redis.describePersistence();
    const latency = mulberry32(options.seed ^ 0x68e31da4);
    rig.server = await startOpenAIServer({
      apiKey: liveApiKey,
      latencyMs: () => Math.round(apiLatencyMsMin + latency() * (apiLatencyMsMax - apiLatencyMsMin)),
    });
    rig.store = new RedisJobStore({ url: storeUrl(rig.redis, options), keyPrefix });
    options.say?.(
      `${rig.redis instanceof LiveRedisCluster ? 'Redis Cluster' : 'redis-server'} on ${rig.redis.url} (${persistence}), fake OpenAI API on ${rig.server.baseURL}, ${sources.length} sources in ${root}`,
    );
    const observations = await play(
      options,
      { redis: rig.redis, server: rig.server, store: rig.store },
      rig,
      directories,
      sources.map((source) => source.path),
    );
    const built = buildLiveRecord(observations);
    // With the AOF fsynced before every reply Redis promises to lose nothing acknowledged, and so does a cluster whose
    // every write a replica acknowledged: what is gone then is the engine's doing.
    const blamed = storeMayLose(options) ? observations.storeLosses : [];
    const { engine, store } = attribute(
      [...checkAll(built.record), ...acknowledgedWriteViolations(observations)],
      blamed,
    );
    const summary = summarise(
      observations,
      built,
      { engine, store, persistence },
      Date.now() - startedMs,
      options.keep === true ? root : undefined,
    );
    return { summary, record: built.record, violations: engine };
  } finally {
    rig.watcher?.abandon();
    await rig.pool?.killAll();
    await rig.store?.close();
    await rig.redis?.stop();
    await rig.server?.close();
    if (options.keep === true) keepDirectory(root);
    else await removeDirectory(root);
  }
}

function persistenceOf(options: Pick<LiveOptions, 'persistence'>): LivePersistence {
  return options.persistence ?? 'always';
}

/** How long the store waits for a replica after each write with `waitReplicas`. */
export const liveWaitTimeoutMs = 1_000;

/**
 * Whether Redis may lose writes it acknowledged in this run: without an AOF fsynced before every reply, or on a
 * cluster whose replication is asynchronous (a failover by kill -9 drops what the master had not sent yet).
 */
export function storeMayLose(options: Pick<LiveOptions, 'persistence' | 'cluster' | 'waitReplicas'>): boolean {
  if (options.cluster === true) return options.waitReplicas !== true;
  return persistenceOf(options) !== 'always';
}

/** The URL the run's store, the submissions and the workers use. */
function storeUrl(redis: LiveRedis | LiveRedisCluster, options: LiveOptions): string {
  if (!(redis instanceof LiveRedisCluster) || options.waitReplicas !== true) return redis.url;
  return `${redis.url}?waitReplicas=1&waitTimeoutMs=${liveWaitTimeoutMs}`;
}

/**
 * Splits violations into the engine's and the store's: a violation on a job whose event stream
 * lost entries the store had shown is the store's (Redis lost acknowledged writes; no engine can
 * keep a promise over data its store forgot). Violations on other jobs, or on no job, are the engine's.
 */
export function attribute(
  violations: readonly Violation[],
  losses: readonly StoreLoss[],
): { engine: Violation[]; store: Violation[] } {
  const lost = new Set(losses.map((loss) => loss.job));
  return {
    engine: violations.filter((violation) => violation.job === undefined || !lost.has(violation.job)),
    store: violations.filter((violation) => violation.job !== undefined && lost.has(violation.job)),
  };
}

/** Starts the workers, plays the fault phase and the liveness phase, stops the workers and reads back what happened. */
async function play(
  options: LiveOptions,
  started: Required<Omit<Rig, 'pool' | 'watcher'>>,
  rig: Rig,
  directories: Directories,
  sources: readonly string[],
): Promise<LiveObservations> {
  const { redis, server, store } = started;
  const url = storeUrl(redis, options);
  const signal = options.signal ?? new AbortController().signal;
  const jobIds = sources.map((source) => path.basename(source, '.wav'));
  const actions: NemesisAction[] = [];
  const trace: TraceRecord[] = [];
  const originMs = Date.now();
  const say = (text: string) => options.say?.(`[${seconds(Date.now() - originMs)}] ${text}`);
  const pool = new WorkerPool(
    {
      redisUrl: url,
      chunksDir: directories.chunks,
      keyPrefix,
      leaseMs: liveLeaseMs,
      pollMs: livePollMs,
      sweepMs: liveSweepMs,
      transcribeTimeoutMs: liveTranscribeTimeoutMs,
      concurrency: options.concurrency ?? 1,
      chunkConcurrency: options.chunkConcurrency ?? 1,
      logDir: directories.logs,
      baseURLFor: (actor) => server.clientURL(actor),
      environment: workerEnvironment(),
    },
    { action: (action) => actions.push(action), trace: (record) => trace.push(record) },
  );
  rig.pool = pool;
  for (let slot = 0; slot < options.workers; slot += 1) pool.start(slot);
  const submittedAtMs = new Map<string, number>();
  const watcher = new StoreWatcher(redis.url, keyPrefix, () => [...submittedAtMs.keys()]);
  rig.watcher = watcher;
  watcher.start();

  const faultEndMs = originMs + options.seconds * 1_000;
  const submitting = submitJobs(
    sources,
    url,
    faultEndMs,
    options.seconds * 1_000 * submitSpreadShare,
    signal,
    (jobId) => submittedAtMs.set(jobId, Date.now()),
  );
  // Awaited after the fault phase; until then an abort must not make it an unhandled rejection.
  submitting.catch(() => undefined);
  const nemesis = new Nemesis({
    seed: options.seed,
    leaseMs: liveLeaseMs,
    pool,
    redis,
    server,
    store,
    chunksDir: directories.chunks,
    scratchDir: directories.scratch,
    signal,
    act: (action) => actions.push(action),
    say,
  });
  await nemesis.run(faultEndMs);
  await submitting;
  server.failUntil(0, () => 200);
  await nemesis.settle();
  // A retired zombie may still be finishing its step: the liveness phase starts once it is gone.
  await pool.awaitRetired(workerStopMs);
  const livenessStartMs = Date.now();
  actions.push({ atMs: livenessStartMs, kind: 'liveness' });
  say(`faults off: liveness phase (at most ${livenessMsMax / 1_000} s)`);
  // Restarts that may wipe data: of the redis-server, or of a cluster master by kill -9 (a graceful failover loses
  // nothing); each at the end of its outage, since a master whose replica lags acknowledges writes until it is killed.
  const restartsAtMs = () =>
    actions.flatMap((action) =>
      action.kind === 'redis_down' && action.failover !== 'graceful' ? [action.atMs + action.durationMs] : [],
    );
  // Lost when the watcher saw its stream lose entries, or when it is gone and a restart came after its submission.
  const lost = (jobId: string, gone: boolean) =>
    storeMayLose(options) &&
    (watcher.losses().some((loss) => loss.job === jobId) ||
      (gone && restartsAtMs().some((atMs) => atMs > (submittedAtMs.get(jobId) ?? Infinity))));
  const settled = await waitUntilSettled(
    store,
    jobIds,
    directories.chunks,
    livenessStartMs + livenessMsMax,
    signal,
    lost,
  );
  const endMs = Date.now();
  say(settled ? 'every job terminal, no chunk file of a terminal job left' : 'the liveness phase ran out of time');
  await pool.stopAll(workerStopMs);
  const seen = await watcher.stop();
  const readBackData = await readBack(store, jobIds, directories.chunks);
  const gone = (jobId: string) =>
    readBackData.jobs.get(jobId) === undefined && (readBackData.events.get(jobId) ?? []).length === 0;
  const storeLosses = [...seen, ...lostSubmissions(submittedAtMs, restartsAtMs(), gone, seen)];
  for (const loss of storeLosses)
    say(
      `Redis lost acknowledged writes of ${loss.job}: ${loss.seenSeq === 0 ? 'its submission was acknowledged before a restart' : `its events reached seq ${loss.seenSeq}`}, then ${loss.nowSeq < 0 ? 'the job was gone' : `only seq ${loss.nowSeq}`}`,
    );
  return {
    seed: options.seed,
    originMs,
    endMs,
    end: settled ? 'done' : 'time',
    limits: liveLimits(options.chunkConcurrency),
    workerSlots: options.workers,
    concurrency: options.concurrency ?? 1,
    faultPhaseMs: faultEndMs - originMs,
    livenessPhaseMs: endMs - livenessStartMs,
    jobIds,
    ...readBackData,
    requests: [...server.requests],
    trace,
    actions,
    storeLosses,
  };
}

/** The limits the worker processes run with (`chunkwise worker` with the flags the pool passes). */
export function liveLimits(chunkConcurrency = 1): Limits {
  return {
    ...defaultLimits,
    leaseDurationMs: liveLeaseMs,
    leaseRenewIntervalMs: Math.max(1, Math.floor(liveLeaseMs / 3)),
    idlePollIntervalMs: livePollMs,
    sweepIntervalMs: liveSweepMs,
    chunkConcurrency,
  };
}

/** The environment of every worker process: the fake API's key, the run's ffmpeg, no colours, no inherited URLs. */
export function workerEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  delete environment['REDIS_URL'];
  delete environment['OPENAI_BASE_URL'];
  return {
    ...environment,
    OPENAI_API_KEY: liveApiKey,
    OPENAI_LOG: 'error',
    FFMPEG_PATH: ffmpegPath(),
    FFPROBE_PATH: ffprobePath(),
    NO_COLOR: '1',
  };
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1).padStart(5)} s`;
}

/** Submits each source with `chunkwise submit`'s own code, spread over `spreadMs`, retrying while Redis is down. */
async function submitJobs(
  files: readonly string[],
  redisUrl: string,
  faultEndMs: number,
  spreadMs: number,
  signal: AbortSignal,
  onSubmitted: (jobId: string) => void,
): Promise<void> {
  const startMs = Date.now();
  const ignore = { write: () => true };
  for (const [position, file] of files.entries()) {
    const dueMs = startMs + (files.length <= 1 ? 0 : (spreadMs * position) / (files.length - 1));
    await sleep(Math.max(0, Math.min(dueMs, faultEndMs) - Date.now()), undefined, { signal });
    const jobId = path.basename(file, '.wav');
    for (let attempt = 1; ; attempt += 1) {
      const code = await submitCommand(
        [
          file,
          '--redis',
          redisUrl,
          '--key-prefix',
          keyPrefix,
          '--job-id',
          jobId,
          '--chunk-length-ms',
          String(liveChunkLengthMs),
        ],
        { stdout: ignore, stderr: ignore },
      ).catch(() => 1);
      if (code === 0) {
        onSubmitted(jobId);
        break;
      }
      if (attempt >= 100) throw new Error(`could not submit ${jobId}: Redis kept refusing`);
      await sleep(200, undefined, { signal });
    }
  }
}

/** Polls until every job is terminal and no terminal job has a chunk file, or `deadlineMs`. */
export async function waitUntilSettled(
  store: RedisJobStore,
  jobIds: readonly string[],
  chunksDir: string,
  deadlineMs: number,
  signal: AbortSignal,
  lost: (jobId: string, gone: boolean) => boolean,
): Promise<boolean> {
  while (Date.now() < deadlineMs) {
    if (await settled(store, jobIds, chunksDir, lost)) return true;
    await sleep(250, undefined, { signal });
  }
  return settled(store, jobIds, chunksDir, lost);
}

/**
 * Every job terminal and without chunk files. A job the store lost data of is not waited for: it may be gone, or left
 * in a state no worker can finish (a commit forgotten under its owner); its violations are the store's.
 */
async function settled(
  store: RedisJobStore,
  jobIds: readonly string[],
  chunksDir: string,
  lost: (jobId: string, gone: boolean) => boolean,
): Promise<boolean> {
  for (const jobId of jobIds) {
    const job = await store.getJob(jobId).catch(() => undefined);
    if (job !== undefined && lost(jobId, job === null)) continue;
    if (job === undefined || job === null || !isTerminal(job.phase)) return false;
    if ((await filesOf(chunksDir, jobId)).length > 0) return false;
  }
  return true;
}

async function filesOf(chunksDir: string, jobId: string): Promise<string[]> {
  return (await readdir(path.join(chunksDir, jobId)).catch(() => [] as string[])).sort();
}

/** The stored jobs and events and the chunk files left, read once every worker has stopped. */
export async function readBack(store: RedisJobStore, jobIds: readonly string[], chunksDir: string) {
  const jobs = new Map<string, Job | undefined>();
  const events = new Map<string, readonly JobEvent[]>();
  const files = new Map<string, readonly string[]>();
  for (const jobId of jobIds) {
    jobs.set(
      jobId,
      await persistently(async () => {
        try {
          return (await store.getJob(jobId)) ?? undefined;
        } catch (error) {
          if (error instanceof CorruptStateError) return undefined;
          throw error;
        }
      }),
    );
    events.set(jobId, await persistently(() => store.readEvents(jobId)));
    files.set(jobId, await filesOf(chunksDir, jobId));
  }
  return { jobs, events, files };
}

/** Retries a read a few times (the client may still be reconnecting after the last restart). */
async function persistently<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 20) throw error;
      await sleep(250);
    }
  }
}

interface Verdicts {
  readonly engine: readonly Violation[];
  readonly store: readonly Violation[];
  readonly persistence: string;
}

function summarise(
  observations: LiveObservations,
  built: ReturnType<typeof buildLiveRecord>,
  verdicts: Verdicts,
  wallMs: number,
  kept: string | undefined,
): LiveSummary {
  const { actions, requests, jobs } = observations;
  const resumedAt = (pause: NemesisAction & { kind: 'pause' }) =>
    actions.find((action) => action.kind === 'resume' && action.actor === pause.actor && action.atMs >= pause.atMs)
      ?.atMs ?? observations.endMs;
  const phases = [...jobs.values()].map((job) => job?.phase);
  return {
    jobs: observations.jobIds.length,
    concurrency: observations.concurrency ?? 1,
    chunkConcurrency: observations.limits.chunkConcurrency,
    completed: phases.filter((phase) => phase === 'completed').length,
    failed: phases.filter((phase) => phase === 'failed').length,
    kills: actions.filter((action) => action.kind === 'kill').length,
    pauses: actions
      .filter((action): action is NemesisAction & { kind: 'pause' } => action.kind === 'pause')
      .filter((pause) => resumedAt(pause) - pause.atMs > observations.limits.leaseDurationMs).length,
    redisRestarts: actions.filter((action) => action.kind === 'redis_down' && action.failover === undefined).length,
    failovers: actions.filter((action) => action.kind === 'redis_down' && action.failover !== undefined).length,
    redisOutagesPastLease: actions.filter(
      (action) => action.kind === 'redis_down' && action.durationMs > observations.limits.leaseDurationMs,
    ).length,
    apiLongWindows: actions.filter((action) => action.kind === 'api_errors' && (action.retryAfterMs ?? 0) > 0).length,
    apiResets: requests.filter((request) => request.fault === 'reset').length,
    corruptions: actions.filter((action) => action.kind === 'chunk_damage').length,
    stateCorruptions: actions.filter((action) => action.kind === 'state_corrupt').length,
    wrongTypes: actions.filter(
      (action) => action.kind === 'state_corrupt' && (action.how === 'state_type' || action.how === 'chunks_type'),
    ).length,
    apiHangs: requests.filter((request) => request.fault === 'stall').length,
    apiErrors: requests.filter((request) => request.fault === 'status').length,
    persistence: verdicts.persistence,
    storeLosses: observations.storeLosses,
    storeViolations: verdicts.store,
    violations: verdicts.engine,
    wallMs,
    seed: observations.seed,
    end: observations.end,
    transcriptionRequests: requests.filter((request) => request.jobId !== null).length,
    wastedTranscriptions: built.record.wastedTranscriptions,
    inferredGrants: built.inferredGrants,
    requestsInFlightAcrossPauses: built.requestsInFlightAcrossPauses,
    ...(kept === undefined ? {} : { kept }),
  };
}
