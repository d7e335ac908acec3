/**
 * `npm run bench -- --cluster`: RedisJobStore on a local Redis Cluster against a single Redis, side
 * by side in one run, on this machine. It starts its own redis-server (no persistence, like the
 * cluster's nodes) and its own cluster of 3 masters + 3 replicas (sim/live/redis-cluster.ts), and
 * measures on each target, one operation at a time:
 *
 *   - claim latency (claims of queued jobs: a MULTI read, the claim script, an index update);
 *   - commit latency (commitChunk of a planned job);
 *   - commit throughput with `inFlight` commits in flight over many jobs (on the cluster they
 *     spread over the masters);
 *
 * on three targets: the single server, the cluster, and the cluster with waitForReplicas (WAIT 1
 * after every write), the price of losing nothing on failover. Then the claimable-jobs index: how
 * many of the store's commands go to the index key (one slot, so one master) in a workload of
 * creates, claims, commits and polls, and what each master spent (INFO cpu, INFO commandstats).
 * Writes bench/results/redis-cluster.json and prints it; never part of `npm test`.
 *
 *   npm run bench -- --cluster [--quick]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { connectRedis, RedisJobStore, recoverableIndexKey, type RedisClient } from '../src/adapters/redis/index.js';
import { LiveRedisCluster } from '../sim/live/redis-cluster.js';
import { LiveRedis } from '../sim/live/redis-server.js';
import { progress } from './support/measure.js';

/** Sizes of one run. */
export interface ClusterBenchSizes {
  readonly claims: number;
  readonly jobs: number;
  readonly chunks: number;
  readonly inFlight: number;
}

export const clusterBenchSizes: Record<'quick' | 'full', ClusterBenchSizes> = {
  quick: { claims: 400, jobs: 8, chunks: 40, inFlight: 32 },
  full: { claims: 2_000, jobs: 20, chunks: 100, inFlight: 32 },
};

const leaseMs = 600_000;
const transcript = 'the quick brown fox jumps over the lazy dog '.repeat(20);
const sha = (index: number) => createHash('sha256').update(String(index)).digest('hex');

interface Latency {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

function latency(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (fraction: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN) * 1_000) /
    1_000;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), meanMs: Math.round(mean * 1_000) / 1_000 };
}

async function timed<T>(samples: number[], action: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await action();
  samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  return result;
}

function expectOk(result: { kind: string }, what: string): void {
  if (result.kind !== 'ok') throw new Error(`${what}: ${JSON.stringify(result)}`);
}

/** Claim and commit latency and commit throughput of `store`. */
async function measureStore(store: RedisJobStore, sizes: ClusterBenchSizes) {
  const claimMs: number[] = [];
  const commitMs: number[] = [];
  const plan = Array.from({ length: sizes.chunks }, (_, index) => ({
    index,
    startMs: index * 1_000,
    durationMs: 1_000,
    bytes: 16_000,
    sha256: sha(index),
  }));
  const queued = Array.from({ length: Math.max(sizes.claims, 2 * sizes.jobs) }, (_, index) => `job-${index}`);
  for (const jobId of queued) await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
  for (const jobId of queued) {
    const request = { jobId, workerId: 'bench', leaseMs, recoveryAttemptsMax: 3, requestId: `claim-${jobId}` };
    expectOk(await timed(claimMs, () => store.claimJob(request)), 'claim');
  }
  const ids = queued.slice(0, 2 * sizes.jobs);
  for (const jobId of ids) {
    const request = {
      jobId,
      workerId: 'bench',
      epoch: 1,
      requestId: `plan-${jobId}`,
      durationMs: sizes.chunks * 1_000,
      chunks: plan,
    };
    expectOk(await store.recordChunkPlan(request), 'plan');
  }
  const commit = (jobId: string, index: number) =>
    store.commitChunk({ jobId, workerId: 'bench', epoch: 1, requestId: `commit-${jobId}-${index}`, index, transcript });
  for (const jobId of ids.slice(0, sizes.jobs))
    for (let index = 0; index < sizes.chunks; index += 1)
      expectOk(await timed(commitMs, () => commit(jobId, index)), 'commit');
  const queue = ids
    .slice(sizes.jobs)
    .flatMap((jobId) => Array.from({ length: sizes.chunks }, (_, index) => ({ jobId, index })));
  const total = queue.length;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: sizes.inFlight }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift())
        expectOk(await commit(next.jobId, next.index), 'commit');
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const events = await store.readEvents(ids[0] ?? 'job-0');
  if (events.length !== 2 + 2 * sizes.chunks)
    throw new Error(`expected ${2 + 2 * sizes.chunks} events, read ${events.length}`);
  return {
    claim: latency(claimMs),
    commit: latency(commitMs),
    commitThroughput: { commits: total, inFlight: sizes.inFlight, commitsPerSecond: Math.round(total / seconds) },
  };
}

/** Counts the store's commands by name (scripts by their registered name) on `client`. */
function countingClient(client: RedisClient, counts: Map<string, number>): RedisClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'multi' || property === 'pipeline' || /^(z|x|h|time$|chunkwise)/.test(property))
        return (...args: unknown[]) => {
          counts.set(property, (counts.get(property) ?? 0) + 1);
          return method.apply(target, args);
        };
      return method.bind(target);
    },
  });
}

/** Per master so far: CPU seconds (INFO cpu) and µs spent in each command (INFO commandstats). */
async function masterLoad(
  cluster: LiveRedisCluster,
): Promise<Map<number, { cpuS: number; usec: Map<string, number> }>> {
  const load = new Map<number, { cpuS: number; usec: Map<string, number> }>();
  for (const port of await cluster.masterPorts()) {
    const cpu = (await cluster.command(port, 'INFO', 'cpu')) as string;
    const cpuS =
      Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? Number.NaN) +
      Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? Number.NaN);
    const stats = (await cluster.command(port, 'INFO', 'commandstats')) as string;
    const usec = new Map<string, number>();
    for (const match of stats.matchAll(/cmdstat_([a-z|]+):calls=\d+,usec=(\d+)/g))
      usec.set(match[1] as string, Number(match[2]));
    load.set(port, { cpuS, usec });
  }
  return load;
}

/**
 * The index's share of the load: a workload of jobs created, claimed, planned, committed and completed while idle
 * workers poll, on the cluster; the store's commands counted by kind, and each master's commands (the index's master
 * named).
 */
async function measureIndex(cluster: LiveRedisCluster, client: Cluster, sizes: ClusterBenchSizes) {
  const counts = new Map<string, number>();
  const keyPrefix = `chunkwise-bench-index-${randomBytes(4).toString('hex')}:`;
  const store = new RedisJobStore({ redis: countingClient(client, counts), keyPrefix });
  const indexMaster = await cluster.masterOfSlot(calculateSlot(recoverableIndexKey(keyPrefix)));
  const before = await masterLoad(cluster);
  const plan = Array.from({ length: 10 }, (_, index) => ({
    index,
    startMs: index * 1_000,
    durationMs: 1_000,
    bytes: 16_000,
    sha256: sha(index),
  }));
  const jobs = Array.from({ length: sizes.jobs * 5 }, (_, index) => `job-${index}`);
  let polls = 0;
  for (const jobId of jobs) {
    await store.createJob({ jobId, source: `/m/${jobId}.wav`, chunkLengthMs: 1_000 });
    const claim = await store.claimJob({
      jobId,
      workerId: 'w',
      leaseMs,
      recoveryAttemptsMax: 3,
      requestId: `c-${jobId}`,
    });
    expectOk(claim, 'claim');
    const fenced = { jobId, workerId: 'w', epoch: 1 };
    expectOk(
      await store.recordChunkPlan({ ...fenced, requestId: `p-${jobId}`, durationMs: 10_000, chunks: plan }),
      'plan',
    );
    for (let index = 0; index < plan.length; index += 1) {
      expectOk(await store.commitChunk({ ...fenced, requestId: `k-${jobId}-${index}`, index, transcript }), 'commit');
      // A renewal every third chunk, and one idle worker's poll per chunk.
      if (index % 3 === 2) expectOk(await store.renewLease({ ...fenced, leaseMs }), 'renew');
      await store.listRecoverableJobs(10);
      polls += 1;
    }
    expectOk(await store.completeJob({ ...fenced, requestId: `d-${jobId}` }), 'complete');
  }
  const after = await masterLoad(cluster);
  const indexCommands = ['zadd', 'zrem', 'zrangebyscore', 'zscore', 'chunkwiseForgetMissing'].reduce(
    (sum, name) => sum + (counts.get(name) ?? 0),
    0,
  );
  const storeCommands = [...counts.values()].reduce((sum, value) => sum + value, 0);
  const spent = (port: number, names: readonly string[]) =>
    names.reduce(
      (sum, name) => sum + (after.get(port)?.usec.get(name) ?? 0) - (before.get(port)?.usec.get(name) ?? 0),
      0,
    );
  const perMaster = [...after].map(([port, load]) => ({
    port,
    holdsIndex: port === indexMaster,
    cpuMs: Math.round((load.cpuS - (before.get(port)?.cpuS ?? 0)) * 1_000),
    indexCommandsMs: Math.round(spent(port, ['zadd', 'zrem', 'zrangebyscore', 'zscore']) / 1_000),
    scriptsMs: Math.round(spent(port, ['evalsha', 'eval']) / 1_000),
  }));
  // The ceiling: the index master alone answering the polls of a fleet (1,000 entries, 64 polls in flight, each the
  // two ZRANGEBYSCOREs of listRecoverableJobs).
  const indexKey = recoverableIndexKey(keyPrefix);
  for (let entry = 0; entry < 1_000; entry += 100)
    await client.zadd(
      indexKey,
      ...Array.from({ length: 100 }, (_, offset) => [entry + offset, `idle-${entry + offset}`]).flat(),
    );
  const pollsToRun = 20_000;
  let pollsLeft = pollsToRun;
  const pollStarted = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (; pollsLeft > 0; pollsLeft -= 1) {
        await client.zrangebyscore(indexKey, '0', String(Date.now()), 'LIMIT', 0, 10);
        await client.zrangebyscore(indexKey, '-inf', '(0', 'LIMIT', 0, 10);
      }
    }),
  );
  const pollSeconds = Number(process.hrtime.bigint() - pollStarted) / 1e9;
  for (const node of client.nodes('master')) {
    const [, keys] = await node.scan('0', 'MATCH', `${keyPrefix}*`, 'COUNT', 100_000);
    for (const key of keys) await node.del(key);
  }
  return {
    workload: `${jobs.length} jobs × ${plan.length} chunks: create, claim, plan, ${plan.length} commits, a renewal every 3 chunks, one poll per chunk, complete`,
    polls,
    storeCommandsByName: Object.fromEntries([...counts].sort()),
    indexCommands,
    storeCommands,
    indexShare: Math.round((indexCommands / storeCommands) * 1_000) / 1_000,
    perMaster,
    indexPollCeiling: {
      polls: pollsToRun,
      inFlight: 64,
      pollsPerSecond: Math.round(pollsToRun / pollSeconds),
      meaning: 'listRecoverableJobs-shaped reads (two ZRANGEBYSCORE) one master answers per second, from one client',
    },
  };
}

/** Runs the comparison; returns what it writes to bench/results/redis-cluster.json. */
export async function measureRedisCluster(mode: 'quick' | 'full', resultsDirectory: string) {
  const sizes = clusterBenchSizes[mode];
  const directory = await mkdtemp(join(tmpdir(), 'chunkwise-bench-cluster-'));
  let single: LiveRedis | undefined;
  let cluster: LiveRedisCluster | undefined;
  const clients: RedisClient[] = [];
  try {
    single = await LiveRedis.start(directory, join(directory, 'single.log'), 'none');
    cluster = await LiveRedisCluster.start({ directory: join(directory, 'cluster') });
    progress(`single redis-server on ${single.url}; cluster on ${cluster.url}`);
    const singleClient = connectRedis(single.url);
    const clusterClient = connectRedis(cluster.url) as Cluster;
    clients.push(singleClient, clusterClient);
    const prefix = () => `chunkwise-bench-${randomBytes(4).toString('hex')}:`;
    progress('single Redis: claims and commits');
    const onSingle = await measureStore(new RedisJobStore({ redis: singleClient, keyPrefix: prefix() }), sizes);
    progress('Redis Cluster: claims and commits');
    const onCluster = await measureStore(new RedisJobStore({ redis: clusterClient, keyPrefix: prefix() }), sizes);
    progress('Redis Cluster with WAIT 1 after every write: claims and commits');
    const waiting = new RedisJobStore({
      redis: clusterClient,
      keyPrefix: prefix(),
      waitForReplicas: { replicas: 1, timeoutMs: 1_000 },
    });
    const onClusterWaiting = await measureStore(waiting, sizes);
    progress('the claimable-jobs index on the cluster');
    const index = await measureIndex(cluster, clusterClient, sizes);
    const results = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench -- --cluster${mode === 'quick' ? ' --quick' : ''}`,
      meaning:
        'RedisJobStore on one redis-server vs a local 3+3 Redis Cluster (and the cluster with WAIT 1 after every ' +
        'write), one run on one machine, every node on loopback; then the claimable-jobs index share of the load',
      sizes,
      targets: { single: onSingle, cluster: onCluster, clusterWaitReplica: onClusterWaiting },
      index,
    };
    await writeFile(join(resultsDirectory, 'redis-cluster.json'), `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
    await single?.stop();
    await rm(directory, { recursive: true, force: true });
  }
}
