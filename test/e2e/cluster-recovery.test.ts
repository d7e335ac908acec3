/**
 * End to end on a real local Redis Cluster (3 masters + 3 replicas): real ffmpeg, real chunk files,
 * the real openai SDK against a local fake of the API, and RedisJobStore through ioredis' Cluster
 * client. Two stories:
 *
 *   1. a worker dies mid-job and another recovers the job, as test/e2e/recovery.test.ts does on one
 *      server;
 *   2. failover under load: three workers run five jobs spread over the masters; once commits are
 *      flowing, a replica takes over with `CLUSTER FAILOVER`, then a master is killed (kill -9) and
 *      its replica promoted by the cluster, while the workers keep committing. The store waits for
 *      one replica after every write (waitForReplicas), so the promoted replica holds every write a
 *      worker was told of, and every promise must hold with no exception.
 *
 * Then the promises are checked on what really happened: the stored events, the server's request
 * log and the chunk directory (checkJob below).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { FfmpegMedia } from '../../src/adapters/ffmpeg/index.js';
import { FsChunkStore } from '../../src/adapters/fs/index.js';
import { OpenAITranscriber } from '../../src/adapters/openai/index.js';
import { jobKeys, RedisJobStore } from '../../src/adapters/redis/index.js';
import { parseEvent } from '../../src/core/events.js';
import type { ChunkStore, JobStore, Media, Transcriber } from '../../src/ports.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Worker } from '../../src/runtime/worker.js';
import { sineWav, testFfmpegPath, testFfprobePath, useTempDirectories } from '../support/media.js';
import { dyingAfterCommits, until } from '../support/e2e.js';
import { startOpenAIServer, transcriptFor, type FakeOpenAIServer } from '../support/openai-server.js';
import { randomPrefix } from '../support/redis.js';
import { deleteClusterKeysWithPrefix, describeWithRedisCluster } from '../support/redis-cluster.js';

const apiKey = 'sk-e2e-cluster-key';
const limits = {
  leaseDurationMs: 1_500,
  leaseRenewIntervalMs: 400,
  idlePollIntervalMs: 100,
  sweepIntervalMs: 500,
  retryDelayBaseMs: 50,
  retryDelayMaxMs: 400,
};
const temp = useTempDirectories('chunkwise-e2e-cluster-');

interface Rig {
  prefix: string;
  store: RedisJobStore;
  chunkStore: FsChunkStore;
  media: FfmpegMedia;
  server: FakeOpenAIServer;
  transcriber: OpenAITranscriber;
  directory: string;
}

function workerOn(
  id: string,
  ports: { store: JobStore; chunkStore: ChunkStore; media: Media; transcriber: Transcriber },
): Worker {
  return new Worker({ workerId: id, ...ports, clock: systemClock, random: Math.random, limits });
}

/**
 * The promises on one completed job: gapless valid events (P5) with every recovery opened, resumed
 * and closed once; one commit per chunk (P3) whose text is the server's transcription of that
 * chunk's bytes, joined in order (P7); no transcription request for a chunk after its commit (P2);
 * progress that never goes down and ends at 100 (P6).
 */
async function checkJob(rig: Rig, jobId: string, chunkCount: number): Promise<{ recoveries: number }> {
  const job = await rig.store.getJob(jobId);
  const events = await rig.store.readEvents(jobId);
  expect(job?.phase, jobId).toBe('completed');
  expect(job?.chunks.length, jobId).toBe(chunkCount);
  expect(
    events.map((event) => event.seq),
    jobId,
  ).toEqual(events.map((_, position) => position + 1));
  for (const event of events) expect(parseEvent(event)).toEqual(event);
  const recovery = events
    .filter((event) => event.event.startsWith('recovery_') || event.event === 'processing_resumed')
    .map((event) => event.event);
  const attempts = recovery.filter((name) => name === 'recovery_started').length;
  expect(recovery, jobId).toEqual(
    Array.from({ length: attempts }, () => ['recovery_started', 'processing_resumed', 'recovery_completed']).flat(),
  );
  const commits = events.flatMap((event) => (event.event === 'chunk_transcribed' ? [event] : []));
  expect(commits.map((event) => event.chunk_index).sort((a, b) => a - b)).toEqual(
    Array.from({ length: chunkCount }, (_, index) => index),
  );
  const requests = rig.server.requests.filter((request) => request.jobId === jobId);
  for (const commit of commits) {
    const late = requests.filter((request) => request.index === commit.chunk_index && request.atMs > commit.timestamp);
    expect(late, `${jobId} chunk ${commit.chunk_index} requested after its commit`).toEqual([]);
  }
  for (const chunk of job?.chunks ?? []) {
    const answered = requests.find((request) => request.index === chunk.index && request.status === 200);
    expect(chunk.transcript, `${jobId} chunk ${chunk.index}`).toBe(
      transcriptFor(answered?.fileName ?? '', chunk.sha256),
    );
  }
  expect(job?.transcript).toBe((job?.chunks ?? []).map((chunk) => chunk.transcript).join(' '));
  const progress = events.flatMap((event) => (event.event === 'progress_update' ? [event.progress] : []));
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(progress.at(-1)).toBe(100);
  return { recoveries: attempts };
}

describeWithRedisCluster(
  'end to end on a real Redis Cluster',
  (handle) => {
    let client: Cluster;
    let rig: Rig;
    beforeAll(() => {
      client = handle.connect();
    });
    beforeEach(async () => {
      const directory = await temp.make();
      const prefix = randomPrefix('e2e-cluster');
      const chunkStore = new FsChunkStore({ root: path.join(directory, 'chunks') });
      const media = new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), ffprobePath: testFfprobePath() });
      const server = await startOpenAIServer({ apiKey, latencyMs: () => 60 });
      const transcriber = new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 5_000, logLevel: 'off' });
      rig = {
        prefix,
        store: new RedisJobStore({
          redis: client,
          keyPrefix: prefix,
          waitForReplicas: { replicas: 1, timeoutMs: 1_000 },
        }),
        chunkStore,
        media,
        server,
        transcriber,
        directory,
      };
    });
    afterEach(async () => {
      await rig.server.close();
      await deleteClusterKeysWithPrefix(client, rig.prefix);
    });

    it('a worker dies mid-job and another recovers it', async () => {
      const source = await sineWav(rig.directory, { seconds: 20 });
      const jobId = 'e2e-cluster-job';
      await rig.store.createJob({ jobId, source, chunkLengthMs: rig.media.effectiveChunkLengthMs(5_000) });
      const { ports, dead } = dyingAfterCommits(rig, 2);
      const workerA = workerOn('worker-a', ports);
      void workerA.run();
      await until(async () => dead.value, 30_000, 'worker A to commit two chunks');
      const workerB = workerOn('worker-b', rig);
      const runB = workerB.run();
      try {
        await until(async () => (await rig.store.getJob(jobId))?.phase === 'completed', 30_000, 'the job to complete');
      } finally {
        workerB.stop();
        await runB;
      }
      expect(await checkJob(rig, jobId, 4)).toEqual({ recoveries: 1 });
      const resumed = (await rig.store.readEvents(jobId)).find((event) => event.event === 'processing_resumed');
      expect(resumed).toMatchObject({ completed_chunks: 2, remaining_chunks: 2 });
      expect(await readdir(rig.chunkStore.root).catch(() => [])).toEqual([]);
    }, 60_000);

    it('keeps every promise through a CLUSTER FAILOVER and a master killed while workers commit', async () => {
      const cluster = handle.cluster;
      const jobIds = Array.from({ length: 5 }, (_, index) => `load-${index}`);
      const slotOf = (jobId: string) => calculateSlot(jobKeys(rig.prefix, jobId).state);
      const masters = await Promise.all(jobIds.map((jobId) => cluster.masterOfSlot(slotOf(jobId))));
      expect(new Set(masters).size, 'the jobs spread over more than one master').toBeGreaterThan(1);
      const source = await sineWav(rig.directory, { seconds: 20 });
      for (const jobId of jobIds) await rig.store.createJob({ jobId, source, chunkLengthMs: 5_000 });
      const workers = ['w1', 'w2', 'w3'].map((id) => workerOn(id, rig));
      const runs = workers.map((worker) => worker.run());
      const committed = async () => {
        let count = 0;
        for (const jobId of jobIds)
          count += (await rig.store.getJob(jobId))?.chunks.filter((chunk) => chunk.transcript !== null).length ?? 0;
        return count;
      };
      let failedOver: number;
      let killed: { promoted: number; downMs: number };
      try {
        await until(async () => (await committed()) >= 3, 30_000, 'three commits');
        const first = masters[0] as number;
        failedOver = await cluster.failover(first);
        const before = await committed();
        await until(async () => (await committed()) > before, 30_000, 'a commit after the failover');
        const victim = await cluster.masterOfSlot(
          slotOf(jobIds.find((_, position) => masters[position] !== first) ?? ''),
        );
        killed = await cluster.killMaster(victim);
        await until(
          async () =>
            (await Promise.all(jobIds.map((jobId) => rig.store.getJob(jobId)))).every(
              (job) => job?.phase === 'completed',
            ),
          45_000,
          'every job to complete',
        );
      } finally {
        for (const worker of workers) worker.stop();
        await Promise.all(runs);
      }
      expect(failedOver).not.toBe(masters[0]);
      expect(killed.promoted).toBeGreaterThan(0);
      for (const jobId of jobIds) await checkJob(rig, jobId, 4);
      expect(await readdir(rig.chunkStore.root).catch(() => [])).toEqual([]);
    }, 120_000);
  },
  { nodeTimeoutMs: 1_000 },
);
