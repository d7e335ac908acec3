/**
 * RedisJobStore and EventConsumer on a real local Redis Cluster (3 masters + 3 replicas, see
 * test/support/redis-cluster.ts), through ioredis' `Cluster` client made by connectRedis: the
 * JobStore contract with a manual clock, the server clock, the consumer groups, the slots the
 * cluster itself computes for the keys (CLUSTER KEYSLOT) against cluster-key-slot's, and what a
 * failover loses with and without waitForReplicas. A script whose
 * keys spanned two slots would fail here with CROSSSLOT; a key on the wrong node with MOVED.
 */
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import {
  EventConsumer,
  isCluster,
  jobKeys,
  RedisJobStore,
  recoverableIndexKey,
} from '../../../src/adapters/redis/index.js';
import { StoreUnavailableError } from '../../../src/ports.js';
import { chunkPlan, jobStoreContract, manualClock } from '../../contracts/job-store.contract.js';
import { randomPrefix } from '../../support/redis.js';
import { deleteClusterKeysWithPrefix, describeWithRedisCluster } from '../../support/redis-cluster.js';

describeWithRedisCluster('RedisJobStore on a real Redis Cluster', (handle) => {
  let client: Cluster;
  beforeAll(() => {
    client = handle.connect();
  });

  jobStoreContract('Redis Cluster (3 masters + 3 replicas)', async () => {
    const clock = manualClock();
    const keyPrefix = randomPrefix('contract-cluster');
    return {
      store: new RedisJobStore({ redis: client, keyPrefix, clock }),
      clock,
      cleanup: () => deleteClusterKeysWithPrefix(client, keyPrefix),
    };
  });

  it('is a Cluster client, and the cluster computes the slots cluster-key-slot computes', async () => {
    expect(isCluster(client)).toBe(true);
    const keyPrefix = randomPrefix('slots');
    const keys = [...Object.values(jobKeys(keyPrefix, 'job-7')), recoverableIndexKey(keyPrefix), '123456789', 'foo'];
    for (const key of keys) expect(await client.cluster('KEYSLOT', key)).toBe(calculateSlot(key));
    const [state, chunks, events] = Object.values(jobKeys(keyPrefix, 'job-7')).map((key) => calculateSlot(key));
    expect(new Set([state, chunks, events]).size).toBe(1);
  });

  it("runs a job to completion with the server clock (TIME inside the scripts on the job's master)", async () => {
    const keyPrefix = randomPrefix('server-clock');
    const store = new RedisJobStore({ redis: client, keyPrefix });
    const jobIds = Array.from({ length: 12 }, (_, index) => `job-${index}`);
    // Twelve jobs spread over the three masters.
    const masters = new Set(jobIds.map((jobId) => Math.floor(calculateSlot(`{job:${jobId}}`) / 5_462)));
    expect(masters.size).toBeGreaterThan(1);
    for (const jobId of jobIds) {
      expect(await store.createJob({ jobId, source: `/m/${jobId}.wav`, chunkLengthMs: 1_000 })).toMatchObject({
        kind: 'ok',
      });
    }
    expect(new Set(await store.listRecoverableJobs(100))).toEqual(new Set(jobIds));
    for (const jobId of jobIds) {
      const claim = await store.claimJob({
        jobId,
        workerId: 'w1',
        leaseMs: 30_000,
        recoveryAttemptsMax: 2,
        requestId: `${jobId}-claim`,
      });
      if (claim.kind !== 'ok') throw new Error(`claim of ${jobId}: ${claim.kind}`);
      const fenced = { jobId, workerId: 'w1', epoch: claim.job.epoch };
      await store.recordChunkPlan({ ...fenced, requestId: `${jobId}-plan`, durationMs: 2_000, chunks: chunkPlan(2) });
      for (const index of [0, 1])
        await store.commitChunk({ ...fenced, requestId: `${jobId}-c${index}`, index, transcript: `${jobId}/${index}` });
      expect(await store.completeJob({ ...fenced, requestId: `${jobId}-done` })).toEqual({
        kind: 'ok',
        duplicate: false,
      });
    }
    expect(await store.listRecoverableJobs(100)).toEqual([]);
    for (const jobId of jobIds) {
      const job = await store.getJob(jobId);
      expect(job?.phase).toBe('completed');
      expect(job?.transcript).toBe(`${jobId}/0 ${jobId}/1`);
      const events = await store.readEvents(jobId);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
      expect(events.at(-1)?.event).toBe('transcription_completed');
    }
    await deleteClusterKeysWithPrefix(client, keyPrefix);
  });

  it("delivers each job's events through a consumer group on the job's master", async () => {
    const keyPrefix = randomPrefix('consumer');
    const clock = manualClock();
    const store = new RedisJobStore({ redis: client, keyPrefix, clock });
    const consumer = new EventConsumer({ redis: client, keyPrefix, group: 'g', consumer: 'c1' });
    const jobIds = ['a', 'b', 'c', 'd'];
    for (const jobId of jobIds) {
      await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
      await store.claimJob({ jobId, workerId: 'w', leaseMs: 1_000, recoveryAttemptsMax: 1, requestId: `${jobId}-1` });
      await store.recordChunkPlan({
        jobId,
        workerId: 'w',
        epoch: 1,
        requestId: `${jobId}-2`,
        durationMs: 1_000,
        chunks: chunkPlan(1),
      });
    }
    for (const jobId of jobIds) {
      const delivered = await consumer.read(jobId);
      expect(delivered.map((entry) => entry.event.seq)).toEqual(
        (await store.readEvents(jobId)).map((event) => event.seq),
      );
      expect(delivered.length).toBeGreaterThan(0);
      expect(await consumer.acknowledge(jobId, delivered)).toBe(delivered.length);
      expect(await consumer.read(jobId)).toEqual([]);
    }
    await deleteClusterKeysWithPrefix(client, keyPrefix);
  });

  // Last in the file: it changes which node is master.
  it('loses a commit a master acknowledged and could not replicate before a failover, unless the store waited', async () => {
    const cluster = handle.cluster;
    const keyPrefix = randomPrefix('lagging');
    const fast = new RedisJobStore({ redis: client, keyPrefix });
    const safe = new RedisJobStore({ redis: client, keyPrefix, waitForReplicas: { replicas: 1, timeoutMs: 300 } });
    const master = await cluster.masterOfSlot(calculateSlot(jobKeys(keyPrefix, 'lost').state));
    const kept = await (async () => {
      for (let candidate = 0; candidate < 1_000; candidate += 1)
        if ((await cluster.masterOfSlot(calculateSlot(jobKeys(keyPrefix, `kept-${candidate}`).state))) === master)
          return `kept-${candidate}`;
      throw new Error('no job id on the same master');
    })();
    for (const jobId of ['lost', kept]) {
      await safe.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
      expect(
        await safe.claimJob({ jobId, workerId: 'w', leaseMs: 60_000, recoveryAttemptsMax: 1, requestId: `${jobId}-c` }),
      ).toMatchObject({ kind: 'ok' });
      const plan = { jobId, workerId: 'w', epoch: 1, requestId: `${jobId}-p`, durationMs: 1_000, chunks: chunkPlan(1) };
      expect(await safe.recordChunkPlan(plan)).toEqual({ kind: 'ok', duplicate: false });
    }
    const commit = (jobId: string) => ({
      jobId,
      workerId: 'w',
      epoch: 1,
      requestId: `${jobId}-k`,
      index: 0,
      transcript: 't',
    });
    let waited: unknown;
    await cluster.killMasterWithLaggingReplicas(master, async () => {
      // Acknowledged by the master alone.
      expect(await fast.commitChunk(commit('lost'))).toEqual({ kind: 'ok', duplicate: false });
      // Applied by the master, but no replica acknowledged it: the store does not say ok.
      waited = await safe.commitChunk(commit(kept)).catch((error: unknown) => error);
    });
    expect(waited).toBeInstanceOf(StoreUnavailableError);
    expect((waited as Error).message).toMatch(/0 of 1 replicas acknowledged within 300 ms/);
    const read = async <T>(action: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await action();
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    // The acknowledged commit is gone: the chunk is pending again, its event never happened.
    const lost = await read(() => fast.getJob('lost'));
    expect(lost?.chunks[0]?.transcript).toBeNull();
    expect((await read(() => fast.readEvents('lost'))).map((event) => event.event)).not.toContain('chunk_transcribed');
    // The unacknowledged one is retried under its request id, as the runtime does, until a replica acknowledged it (an
    // attempt whose WAIT timed out while the new master's replica was still syncing makes the last one a duplicate).
    expect(await read(() => safe.commitChunk(commit(kept)))).toMatchObject({ kind: 'ok' });
    expect((await read(() => safe.getJob(kept)))?.chunks[0]?.transcript).toBe('t');
    await deleteClusterKeysWithPrefix(client, keyPrefix);
  }, 60_000);
});
