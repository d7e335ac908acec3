/**
 * Figure 6: the Redis adapter on a real server, in real time.
 * - Recovery latency: a ghost owner claims a job with a short lease, plans it, commits half its
 *   chunks and vanishes; a real Worker (production limits, in-process media and transcriber fakes)
 *   on RedisJobStore polls, recovers the job and resumes it. Timed from the lease's expiry (server
 *   clock, offset to this host measured) to the recoverer's first transcription request, and on to
 *   completion. Meanwhile an EventConsumer on its own connection polls the job's outbox: the time
 *   from the recovery claim being sent to `recovery_started` being read is the recovery-event latency.
 * - Event latency: a commit sent, an EventConsumer polling until it reads that chunk's
 *   `chunk_transcribed` event.
 * - Commit and claim latency (p50/p99) and commit throughput: bench/redis-store.ts, spawned.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryChunkStore } from '../../src/adapters/memory/index.js';
import { EventConsumer, RedisJobStore, createRedisClient } from '../../src/adapters/redis/index.js';
import { defaultLimits } from '../../src/core/limits.js';
import { planChunks } from '../../src/core/planner.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Worker } from '../../src/runtime/worker.js';
import type { Budget } from '../support/budget.js';
import {
  BenchMedia,
  BenchTranscriber,
  chunkBytes,
  epochMs,
  gatedStore,
  type TranscriptionCall,
} from '../support/fakes.js';
import { latencySummary, messageOf, nextTurn, nowMs, progress, sleepMs, unmeasured } from '../support/measure.js';
import { deleteKeysWithPrefix, type RedisProbe } from '../support/redis.js';
import { runCommand } from '../support/spawn.js';

/** The ghost owner's lease, in ms: short, so that each recovery sample waits little. */
export const ghostLeaseMs = 500;
/** Chunks of each recovered job; the ghost commits the first half. */
export const recoveryChunks = 20;
/** Longest wait for one recovered job to complete, in ms. */
export const recoveryWaitMsMax = 30_000;
const chunkBytesSize = 16_000;
const chunkLengthMs = 1_000;

/** Server clock minus this host's clock, in ms (midpoint of one TIME round trip). */
async function serverOffsetMs(redis: Redis): Promise<number> {
  const before = epochMs();
  const [seconds, micros] = await redis.time();
  const after = epochMs();
  return Number(seconds) * 1_000 + Number(micros) / 1_000 - (before + after) / 2;
}

function expectOk(result: { kind: string }, what: string): void {
  if (result.kind !== 'ok') throw new Error(`${what}: ${JSON.stringify(result)}`);
}

/** Polls `consumer` for job `jobId` until `wanted` matches an event; returns when it was read (nowMs). */
async function pollUntil(
  consumer: EventConsumer,
  jobId: string,
  wanted: (event: { event: string; chunk_index?: number }) => boolean,
  giveUpMs = 10_000,
): Promise<number> {
  const deadline = nowMs() + giveUpMs;
  while (nowMs() < deadline) {
    const delivered = await consumer.read(jobId);
    const seen = delivered.some((entry) => wanted(entry.event as { event: string; chunk_index?: number }));
    const seenMs = nowMs();
    if (delivered.length > 0) await consumer.acknowledge(jobId, delivered);
    if (seen) return seenMs;
    await nextTurn();
  }
  throw new Error(`no matching event of ${jobId} within ${giveUpMs} ms`);
}

interface RecoveryContext {
  readonly store: RedisJobStore;
  readonly redis: Redis;
  readonly consumer: EventConsumer;
  readonly chunkStore: MemoryChunkStore;
  readonly media: BenchMedia;
  readonly visible: Set<string>;
  readonly claimsSent: Map<string, number>;
  readonly calls: TranscriptionCall[];
}

/** One ghost-owned job recovered by the running worker; the sample's timings in ms. */
async function recoverySample(context: RecoveryContext, sample: number, samples: number) {
  const { store, consumer, chunkStore, media, visible, claimsSent, calls } = context;
  const jobId = `recovery-${sample}`;
  const source = `/media/${jobId}.wav`;
  const durationMs = recoveryChunks * chunkLengthMs;
  media.durations.set(source, durationMs);
  // The worker looks for work every idlePollIntervalMs from when it went idle (the previous sample's
  // completion); spreading the ghost's start over one poll period samples every phase evenly.
  await sleepMs(((sample + 0.5) / samples) * defaultLimits.idlePollIntervalMs);
  expectOk(await store.createJob({ jobId, source, chunkLengthMs }), 'create');
  const claim = await store.claimJob({
    jobId,
    workerId: 'ghost',
    leaseMs: ghostLeaseMs,
    recoveryAttemptsMax: defaultLimits.recoveryAttemptsMax,
    requestId: `ghost-claim-${jobId}`,
  });
  if (claim.kind !== 'ok') throw new Error(`ghost claim: ${JSON.stringify(claim)}`);
  const { epoch, leaseExpiresAtMs } = claim.job;
  const chunks = planChunks(durationMs, chunkLengthMs).map((chunk) => ({
    ...chunk,
    ...chunkStore.put(jobId, chunk.index, chunkBytes(source, chunk.index, chunkBytesSize)),
  }));
  expectOk(
    await store.recordChunkPlan({
      jobId,
      workerId: 'ghost',
      epoch,
      requestId: `ghost-plan-${jobId}`,
      durationMs,
      chunks,
    }),
    'plan',
  );
  for (let index = 0; index < recoveryChunks / 2; index += 1) {
    expectOk(
      await store.commitChunk({
        jobId,
        workerId: 'ghost',
        epoch,
        requestId: `ghost-commit-${jobId}-${index}`,
        index,
        transcript: `${jobId}#${index}`,
      }),
      'commit',
    );
  }
  // The ghost vanishes; its events are read now so that the consumer's group exists before the recovery.
  await pollUntil(
    consumer,
    jobId,
    (event) => event.event === 'chunk_transcribed' && event.chunk_index === recoveryChunks / 2 - 1,
  );
  const offsetMs = await serverOffsetMs(context.redis);
  const expiryEpochMs = leaseExpiresAtMs - offsetMs;
  visible.add(jobId);
  const deadline = nowMs() + recoveryWaitMsMax;
  while (!claimsSent.has(jobId) && nowMs() < deadline) await sleepMs(1);
  const claimSentMs = claimsSent.get(jobId);
  if (claimSentMs === undefined) throw new Error(`the worker never claimed ${jobId}`);
  const recoveryEventMs = await pollUntil(consumer, jobId, (event) => event.event === 'recovery_started');
  let completedEpochMs: number | undefined;
  while (completedEpochMs === undefined && nowMs() < deadline) {
    if ((await store.getJob(jobId))?.phase === 'completed') completedEpochMs = epochMs();
    else await sleepMs(2);
  }
  const first = calls.find((call) => call.jobId === jobId);
  if (first === undefined || completedEpochMs === undefined)
    throw new Error(`${jobId} was not resumed and completed within ${recoveryWaitMsMax} ms`);
  const claimSentEpochMs = performance.timeOrigin + claimSentMs;
  return {
    expiryToClaimMs: claimSentEpochMs - expiryEpochMs,
    expiryToFirstTranscriptionMs: first.atEpochMs - expiryEpochMs,
    expiryToCompletedMs: completedEpochMs - expiryEpochMs,
    recoveryEventMs: recoveryEventMs - claimSentMs,
    resumedAtChunk: first.index,
  };
}

async function measureRecovery(url: string, budget: Budget) {
  const redis = createRedisClient(url, { connectionName: 'chunkwise-bench' });
  const consumerRedis = createRedisClient(url, { connectionName: 'chunkwise-bench-consumer' });
  const keyPrefix = `chunkwise-bench-${randomBytes(4).toString('hex')}:`;
  const store = new RedisJobStore({ redis, keyPrefix });
  const chunkStore = new MemoryChunkStore();
  const media = new BenchMedia(chunkStore, chunkBytesSize);
  const calls: TranscriptionCall[] = [];
  const visible = new Set<string>();
  const claimsSent = new Map<string, number>();
  const watched = gatedStore(store, visible, (jobId) => {
    if (!claimsSent.has(jobId)) claimsSent.set(jobId, nowMs());
  });
  const worker = new Worker({
    workerId: 'recoverer',
    store: watched,
    chunkStore,
    media,
    transcriber: new BenchTranscriber('recoverer', calls),
    clock: systemClock,
    random: Math.random,
  });
  const running = worker.run();
  const consumer = new EventConsumer({ redis: consumerRedis, keyPrefix, group: 'bench', consumer: 'bench-1' });
  const samples = [];
  try {
    for (let sample = 0; sample < budget.recoverySamples; sample += 1) {
      samples.push(
        await recoverySample(
          { store, redis, consumer, chunkStore, media, visible, claimsSent, calls },
          sample,
          budget.recoverySamples,
        ),
      );
    }
  } finally {
    worker.stop();
    await running;
    await deleteKeysWithPrefix(redis, keyPrefix);
    consumerRedis.disconnect();
    await store.close();
    redis.disconnect();
  }
  return {
    meaning: `a ghost owner takes a ${recoveryChunks}-chunk job with a ${ghostLeaseMs} ms lease, commits half and vanishes; a real Worker (production limits: it looks for work every ${defaultLimits.idlePollIntervalMs} ms) recovers it on RedisJobStore; ghost start times spread evenly over one poll period. A crashed owner's lease (30 s by default) runs out before this clock starts`,
    samples: samples.length,
    idlePollIntervalMs: defaultLimits.idlePollIntervalMs,
    expiryToFirstTranscription: latencySummary(samples.map((entry) => entry.expiryToFirstTranscriptionMs)),
    expiryToClaim: latencySummary(samples.map((entry) => entry.expiryToClaimMs)),
    expiryToCompleted: latencySummary(samples.map((entry) => entry.expiryToCompletedMs)),
    recoveryStartedEvent: latencySummary(samples.map((entry) => entry.recoveryEventMs)),
    resumedAtChunk: [...new Set(samples.map((entry) => entry.resumedAtChunk))],
    seedDocumentMs: 5_000,
  };
}

async function measureEventLatency(url: string, budget: Budget) {
  const redis = createRedisClient(url, { connectionName: 'chunkwise-bench' });
  const consumerRedis = createRedisClient(url, { connectionName: 'chunkwise-bench-consumer' });
  const keyPrefix = `chunkwise-bench-${randomBytes(4).toString('hex')}:`;
  const store = new RedisJobStore({ redis, keyPrefix });
  const consumer = new EventConsumer({ redis: consumerRedis, keyPrefix, group: 'bench', consumer: 'bench-1' });
  const jobId = 'events';
  const samplesMs: number[] = [];
  try {
    expectOk(await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs }), 'create');
    const claim = await store.claimJob({
      jobId,
      workerId: 'bench',
      leaseMs: 600_000,
      recoveryAttemptsMax: 3,
      requestId: 'claim',
    });
    if (claim.kind !== 'ok') throw new Error(`claim: ${JSON.stringify(claim)}`);
    const durationMs = budget.eventSamples * chunkLengthMs;
    const chunks = planChunks(durationMs, chunkLengthMs).map((chunk) => ({
      ...chunk,
      bytes: chunkBytesSize,
      sha256: '0'.repeat(64),
    }));
    expectOk(
      await store.recordChunkPlan({
        jobId,
        workerId: 'bench',
        epoch: claim.job.epoch,
        requestId: 'plan',
        durationMs,
        chunks,
      }),
      'plan',
    );
    await pollUntil(consumer, jobId, (event) => event.event === 'chunks_created');
    for (let index = 0; index < chunks.length; index += 1) {
      const sentMs = nowMs();
      const commit = store.commitChunk({
        jobId,
        workerId: 'bench',
        epoch: claim.job.epoch,
        requestId: `commit-${index}`,
        index,
        transcript: `chunk ${index}`,
      });
      const seenMs = await pollUntil(
        consumer,
        jobId,
        (event) => event.event === 'chunk_transcribed' && event.chunk_index === index,
      );
      expectOk(await commit, 'commit');
      samplesMs.push(seenMs - sentMs);
    }
  } finally {
    await deleteKeysWithPrefix(redis, keyPrefix);
    consumerRedis.disconnect();
    await store.close();
    redis.disconnect();
  }
  return {
    meaning:
      "from sending commitChunk to an EventConsumer (consumer group, its own connection, polling without delay) reading that chunk's chunk_transcribed event",
    ...latencySummary(samplesMs),
    seedDocumentMs: 100,
  };
}

async function redisStoreBenchmark(url: string, budget: Budget) {
  const script = ['bench/redis-store.ts', ...budget.redisStoreArgs];
  const result = await runCommand(process.execPath, ['--import', 'tsx', ...script], { env: { REDIS_URL: url } });
  const start = result.stdout.indexOf('{');
  if (result.code !== 0 || start < 0)
    throw new Error(
      `npx tsx ${script.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).slice(-400)}`,
    );
  const report = JSON.parse(result.stdout.slice(start)) as Record<string, unknown>;
  return {
    meaning:
      'bench/redis-store.ts (claims of queued jobs, recovery claims of planned jobs, commits one at a time, then commits with many in flight on one connection)',
    command: `npx tsx ${script.join(' ')}`,
    wallMs: Math.round(result.wallMs),
    report,
  };
}

/** Measures figure 6; every part is skipped with the probe's reason when no server answers. */
export async function measureRedis(redis: RedisProbe, url: string, budget: Budget): Promise<Record<string, unknown>> {
  const meaning = `the Redis adapter on a real server (${redis.url})`;
  if (!redis.available) return unmeasured(meaning, redis.reason);
  const parts: Record<string, unknown> = { measured: true, meaning, server: redis.url, version: redis.version };
  const steps = [
    ['recovery', `recovery latency (${budget.recoverySamples} ghost-owned jobs)`, () => measureRecovery(url, budget)],
    ['eventLatency', `event latency (${budget.eventSamples} commits)`, () => measureEventLatency(url, budget)],
    ['store', 'commit and claim latency: bench/redis-store.ts', () => redisStoreBenchmark(url, budget)],
  ] as const;
  for (const [key, label, action] of steps) {
    progress(`redis: ${label}`);
    try {
      parts[key] = { measured: true, ...(await action()) };
    } catch (error) {
      parts[key] = unmeasured(label, messageOf(error));
    }
  }
  return parts;
}
