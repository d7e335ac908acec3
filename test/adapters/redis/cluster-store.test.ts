/**
 * RedisJobStore and EventConsumer on a real local Redis Cluster (3 masters + 3 replicas, see
 * test/support/redis-cluster.ts), through ioredis' `Cluster` client made by connectRedis: the
 * JobStore contract with a manual clock, the server clock, the consumer groups, and the slots the
 * cluster itself computes for the keys (CLUSTER KEYSLOT) against cluster-key-slot's. A script whose
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
});
