/**
 * Benchmark of RedisJobStore on a real server (REDIS_URL, default redis://127.0.0.1:6379):
 * latency (p50, p99) of claimJob (of queued jobs, and recovery claims of planned jobs whose lease
 * ran out) and of commitChunk, each issued one at a time, and commit throughput with many commits
 * in flight on one connection. Prints one JSON object. Timings are measured here, never asserted
 * in tests.
 *
 *   npx tsx bench/redis-store.ts [--claims 2000] [--recoveries 500] [--jobs 40] [--chunks 100] [--in-flight 32]
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createRedisClient, RedisJobStore } from '../src/adapters/redis/index.js';
import { deleteKeysWithPrefix } from './support/redis.js';

const { values } = parseArgs({
  options: {
    claims: { type: 'string', default: '2000' },
    recoveries: { type: 'string', default: '500' },
    jobs: { type: 'string', default: '40' },
    chunks: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '32' },
  },
});
const claimCount = Number(values.claims);
const recoveryCount = Number(values.recoveries);
const jobCount = Number(values.jobs);
const chunkCount = Number(values.chunks);
const inFlightMax = Number(values['in-flight']);
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const leaseMs = 600_000;
const transcript = 'the quick brown fox jumps over the lazy dog '.repeat(20);

const sha = (index: number) => createHash('sha256').update(String(index)).digest('hex');
const plan = Array.from({ length: chunkCount }, (_, index) => ({
  index,
  startMs: index * 1_000,
  durationMs: 1_000,
  bytes: 16_000,
  sha256: sha(index),
}));

function percentile(sortedMs: readonly number[], fraction: number): number {
  const value = sortedMs[Math.min(sortedMs.length - 1, Math.floor(fraction * sortedMs.length))] ?? Number.NaN;
  return Math.round(value * 1_000) / 1_000;
}

function summary(samplesMs: number[]): { count: number; p50Ms: number; p99Ms: number; meanMs: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: Math.round(mean * 1_000) / 1_000,
  };
}

async function timed<T>(samplesMs: number[], action: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await action();
  samplesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
  return result;
}

function expectOk(result: { kind: string }, what: string): void {
  if (result.kind !== 'ok') throw new Error(`${what}: ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  const redis = createRedisClient(url, { connectionName: 'chunkwise-bench' });
  const keyPrefix = `chunkwise-bench-${randomBytes(4).toString('hex')}:`;
  const store = new RedisJobStore({ redis, keyPrefix });
  const claimMs: number[] = [];
  const recoveryClaimMs: number[] = [];
  const commitMs: number[] = [];
  try {
    // Claims of queued jobs, one at a time (each: a MULTI read, the claim script, an index update).
    const queued = Array.from({ length: Math.max(claimCount, 2 * jobCount) }, (_, index) => `queued-${index}`);
    for (const jobId of queued) await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
    for (const jobId of queued) {
      expectOk(
        await timed(claimMs, () =>
          store.claimJob({ jobId, workerId: 'bench', leaseMs, recoveryAttemptsMax: 3, requestId: `claim-${jobId}` }),
        ),
        'claim',
      );
    }
    // Recovery claims of planned jobs whose 1 ms lease ran out (the read includes every chunk).
    const abandoned = Array.from({ length: recoveryCount }, (_, index) => `abandoned-${index}`);
    for (const jobId of abandoned) {
      await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
      expectOk(
        await store.claimJob({
          jobId,
          workerId: 'crashed',
          leaseMs: 1,
          recoveryAttemptsMax: 3,
          requestId: `claim-${jobId}`,
        }),
        'claim',
      );
      expectOk(
        await store.recordChunkPlan({
          jobId,
          workerId: 'crashed',
          epoch: 1,
          requestId: `plan-${jobId}`,
          durationMs: chunkCount * 1_000,
          chunks: plan,
        }),
        'plan',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const jobId of abandoned) {
      expectOk(
        await timed(recoveryClaimMs, () =>
          store.claimJob({ jobId, workerId: 'bench', leaseMs, recoveryAttemptsMax: 3, requestId: `recover-${jobId}` }),
        ),
        'recovery claim',
      );
    }
    const ids = queued.slice(0, 2 * jobCount);
    for (const jobId of ids) {
      expectOk(
        await store.recordChunkPlan({
          jobId,
          workerId: 'bench',
          epoch: 1,
          requestId: `plan-${jobId}`,
          durationMs: chunkCount * 1_000,
          chunks: plan,
        }),
        'plan',
      );
    }
    // Commits one at a time: latency.
    const sequentialJobs = ids.slice(0, jobCount);
    for (const jobId of sequentialJobs) {
      for (let index = 0; index < chunkCount; index += 1) {
        const request = {
          jobId,
          workerId: 'bench',
          epoch: 1,
          requestId: `commit-${jobId}-${index}`,
          index,
          transcript,
        };
        expectOk(await timed(commitMs, () => store.commitChunk(request)), 'commit');
      }
    }
    // Commits with inFlightMax in flight on the same connection: throughput.
    const queue = ids
      .slice(jobCount)
      .flatMap((jobId) => Array.from({ length: chunkCount }, (_, index) => ({ jobId, index })));
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: inFlightMax }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const { jobId, index } = next;
          expectOk(
            await store.commitChunk({
              jobId,
              workerId: 'bench',
              epoch: 1,
              requestId: `commit-${jobId}-${index}`,
              index,
              transcript,
            }),
            'commit',
          );
        }
      }),
    );
    const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
    const concurrentCommits = jobCount * chunkCount;
    const report = {
      benchmark: 'redis-store',
      redisUrl: url.replace(/\/\/[^@]*@/, '//***@'),
      chunksPerJob: chunkCount,
      transcriptChars: transcript.length,
      claimJobQueued: summary(claimMs),
      claimJobRecovery: summary(recoveryClaimMs),
      commitChunkSequential: {
        ...summary(commitMs),
        commitsPerSecond: Math.round(commitMs.length / (commitMs.reduce((sum, value) => sum + value, 0) / 1_000)),
      },
      commitChunkConcurrent: {
        commits: concurrentCommits,
        inFlight: inFlightMax,
        seconds: Math.round(elapsedS * 1_000) / 1_000,
        commitsPerSecond: Math.round(concurrentCommits / elapsedS),
      },
    };
    const check = await store.readEvents(ids[0] ?? 'queued-0');
    if (check.length !== 2 + 2 * chunkCount)
      throw new Error(`expected ${2 + 2 * chunkCount} events, read ${check.length}`);
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await store.close();
    // The store does not own a client it was given: close it, so that the process exits.
    await redis.quit();
  }
}

await main();
