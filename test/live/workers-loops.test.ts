// Proves the live run's pool reads a real `chunkwise worker --concurrency 2 --chunk-concurrency 3` process loop by
// loop: on its own redis-server, two jobs are claimed by the two loops of one process, each with several transcriptions
// in flight; the pool knows which loop holds which job, the store's trace lines keep the loop ids, and a SIGKILL of
// the process is recorded as a crash of both loops. Another process recovers both jobs, and the simulator's checkers
// find every promise kept (P1–P11).
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { submitCommand } from '../../src/cli/service.js';
import { checkAll } from '../../sim/checkers/index.js';
import { generateSource } from '../../sim/live/media.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../../sim/live/openai-server.js';
import { removeDirectory, trackDirectory } from '../../sim/live/processes.js';
import {
  acknowledgedWriteViolations,
  buildLiveRecord,
  type NemesisAction,
  type TraceRecord,
} from '../../sim/live/record.js';
import { LiveRedis, redisServerVersion } from '../../sim/live/redis-server.js';
import {
  liveApiKey,
  liveLeaseMs,
  liveLimits,
  livePollMs,
  liveSweepMs,
  liveTranscribeTimeoutMs,
  readBack,
  waitUntilSettled,
  workerEnvironment,
} from '../../sim/live/run.js';
import { WorkerPool, type LiveWorker } from '../../sim/live/workers.js';

const redisVersion = redisServerVersion();
const required = process.env['CHUNKWISE_REQUIRE_REDIS'] === '1';
if (redisVersion === null && !required)
  console.warn(
    'SKIPPED: the live worker-loop test needs redis-server on the PATH (Debian: apt-get install redis-server); CHUNKWISE_REQUIRE_REDIS=1 fails instead',
  );

const keyPrefix = 'chunkwise-loops:';
const jobIds = ['job-00', 'job-01'];
/** Long enough that the three transcriptions of a job are still in flight when the process is killed. */
const apiLatencyMs = 2_500;

async function until(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe.runIf(redisVersion !== null || required)('live worker processes with two loops each', () => {
  let root = '';
  let redis: LiveRedis | undefined;
  let server: FakeOpenAIServer | undefined;
  let store: RedisJobStore | undefined;
  let pool: WorkerPool | undefined;

  beforeAll(async () => {
    expect(redisVersion, 'redis-server on the PATH (CHUNKWISE_REQUIRE_REDIS=1)').not.toBeNull();
    root = await mkdtemp(path.join(tmpdir(), 'chunkwise-loops-'));
    trackDirectory(root);
    for (const directory of ['redis', 'media', 'chunks', 'logs']) await mkdir(path.join(root, directory));
  });

  afterAll(async () => {
    await pool?.killAll();
    await store?.close();
    await redis?.stop();
    await server?.close();
    if (root !== '') await removeDirectory(root);
  });

  it('attributes claims, trace lines and a SIGKILL to the loops; every promise holds after the recovery', async () => {
    const sources = await Promise.all(
      jobIds.map((jobId, variant) => generateSource(path.join(root, 'media'), jobId, 15_000, variant)),
    );
    redis = await LiveRedis.start(path.join(root, 'redis'), path.join(root, 'logs', 'redis.log'));
    server = await startOpenAIServer({ apiKey: liveApiKey, latencyMs: () => apiLatencyMs });
    store = new RedisJobStore({ url: redis.url, keyPrefix });
    const actions: NemesisAction[] = [];
    const trace: TraceRecord[] = [];
    const openai = server;
    pool = new WorkerPool(
      {
        redisUrl: redis.url,
        chunksDir: path.join(root, 'chunks'),
        keyPrefix,
        leaseMs: liveLeaseMs,
        pollMs: livePollMs,
        sweepMs: liveSweepMs,
        transcribeTimeoutMs: liveTranscribeTimeoutMs,
        concurrency: 2,
        chunkConcurrency: 3,
        logDir: path.join(root, 'logs'),
        baseURLFor: (actor) => openai.clientURL(actor),
        environment: workerEnvironment(),
      },
      { action: (action) => actions.push(action), trace: (record) => trace.push(record) },
    );
    const originMs = Date.now();
    const first: LiveWorker = pool.start(0);
    expect(first.loops).toEqual(['w0#1.1', 'w0#1.2']);
    for (const source of sources) {
      const ignore = { write: () => true };
      const jobId = path.basename(source.path, '.wav');
      const argv = [source.path, '--redis', redis.url, '--key-prefix', keyPrefix, '--job-id', jobId];
      expect(await submitCommand([...argv, '--chunk-length-ms', '5000'], { stdout: ignore, stderr: ignore })).toBe(0);
    }
    // Each loop holds one job, and each job has its three chunks at the API at once.
    const inFlight = (jobId: string) =>
      openai.requests.filter((request) => request.jobId === jobId && request.client === 'w0#1').length;
    await until(
      'both loops hold a job with three transcriptions in flight',
      () => first.jobs.size === 2 && jobIds.every((jobId) => inFlight(jobId) === 3),
      60_000,
    );
    const held = first.holdings();
    expect(Object.keys(held).sort()).toEqual(['w0#1.1', 'w0#1.2']);
    expect(Object.values(held).sort()).toEqual(jobIds);
    const killedAtMs = Date.now();
    await pool.kill(first);
    actions.push({ atMs: killedAtMs, kind: 'kill', actor: first.actor, slot: first.slot, held });
    pool.start(1);
    expect(
      await waitUntilSettled(
        store,
        jobIds,
        path.join(root, 'chunks'),
        Date.now() + 60_000,
        new AbortController().signal,
        () => false,
      ),
    ).toBe(true);
    const endMs = Date.now();
    await pool.stopAll(10_000);
    // Every claim the first process's loops were acknowledged is named by the loop that made it.
    const claims = trace.flatMap(({ actor, line }) => (line.op === 'claimJob' ? [`${line.jobId} ${actor}`] : []));
    expect(claims.filter((claim) => claim.includes('w0#1')).sort()).toEqual(
      Object.entries(held)
        .map(([loop, jobId]) => `${jobId} ${loop}`)
        .sort(),
    );
    const observations = {
      seed: 0,
      originMs,
      endMs,
      end: 'done' as const,
      limits: liveLimits(3),
      workerSlots: 2,
      concurrency: 2,
      faultPhaseMs: killedAtMs - originMs,
      livenessPhaseMs: endMs - killedAtMs,
      jobIds,
      ...(await readBack(store, jobIds, path.join(root, 'chunks'))),
      requests: [...openai.requests],
      trace,
      actions,
      storeLosses: [],
    };
    const { record } = buildLiveRecord(observations);
    expect([...checkAll(record), ...acknowledgedWriteViolations(observations)]).toEqual([]);
    const crashes = record.history.entries.flatMap((entry) =>
      entry.kind === 'worker' && entry.what === 'crash' ? [entry.actor] : [],
    );
    expect(crashes).toEqual(['w0#1.1', 'w0#1.2']);
    const recoveries = [...observations.events.values()].flatMap((events) =>
      events.flatMap((event) =>
        event.event === 'recovery_started' ? [`${event.job_id} from ${event.previous_owner}`] : [],
      ),
    );
    expect(recoveries.sort()).toEqual(
      Object.entries(held)
        .map(([loop, jobId]) => `${jobId} from ${loop}`)
        .sort(),
    );
    expect([...observations.jobs.values()].map((job) => job?.phase)).toEqual(['completed', 'completed']);
  }, 180_000);
});
