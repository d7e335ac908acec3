/**
 * EventConsumer delivers a job's events through a consumer group at least once and survives a
 * restart: on a real server a consumer reads, acknowledges part, is replaced by a new instance
 * under the same name, gets back exactly the unacknowledged events, then the new ones, and never
 * an acknowledged one; on ioredis-mock, which lacks consumer groups, it fails with a clear error.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { EventConsumer, RedisJobStore, type DeliveredEvent } from '../../../src/adapters/redis/index.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../../support/redis.js';

const chunks = [0, 1, 2].map((index) => ({
  index,
  startMs: index * 1_000,
  durationMs: 1_000,
  bytes: 1,
  sha256: createHash('sha256').update(String(index)).digest('hex'),
}));

/** Runs job `jobId` on `store` from creation to two committed chunks: 6 events. */
async function produce(store: RedisJobStore, jobId: string): Promise<void> {
  await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
  await store.claimJob({ jobId, workerId: 'w1', leaseMs: 60_000, recoveryAttemptsMax: 3, requestId: 'claim' });
  await store.recordChunkPlan({ jobId, workerId: 'w1', epoch: 1, requestId: 'plan', durationMs: 3_000, chunks });
  for (const index of [0, 1])
    await store.commitChunk({
      jobId,
      workerId: 'w1',
      epoch: 1,
      requestId: `commit-${index}`,
      index,
      transcript: `t${index}`,
    });
}

const seqs = (delivered: readonly DeliveredEvent[]) => delivered.map((entry) => entry.event.seq);

const probe = await realRedis();
describeWithRedis('EventConsumer on a real server', probe, () => {
  const redis: Redis = connectRealRedis();
  const keyPrefix = randomPrefix('consumer');
  const store = new RedisJobStore({ redis, keyPrefix });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, keyPrefix);
    await redis.quit();
  });

  it('re-delivers only unacknowledged events after a restart, then continues with new ones', async () => {
    await produce(store, 'job');
    const first = new EventConsumer({ redis, keyPrefix, group: 'monitor', consumer: 'c1' });
    const batch = await first.read('job', 4);
    expect(seqs(batch)).toEqual([1, 2, 3, 4]);
    expect(batch.map((entry) => entry.event.event)).toEqual([
      'chunks_created',
      'transcription_started',
      'chunk_transcribed',
      'progress_update',
    ]);
    expect(await first.acknowledge('job', batch.slice(0, 2))).toBe(2);

    const restarted = new EventConsumer({ redis, keyPrefix, group: 'monitor', consumer: 'c1' });
    expect(seqs(await restarted.read('job', 10))).toEqual([3, 4]);
    const fresh = await restarted.read('job', 10);
    expect(seqs(fresh)).toEqual([5, 6]);
    expect(await restarted.read('job', 10)).toEqual([]);
    await store.commitChunk({
      jobId: 'job',
      workerId: 'w1',
      epoch: 1,
      requestId: 'commit-2',
      index: 2,
      transcript: 't2',
    });
    const later = await restarted.read('job', 10);
    expect(seqs(later)).toEqual([7, 8]);
    const pending = [...(await restarted.read('job', 10)), ...fresh, ...later];
    await restarted.acknowledge('job', [...pending, ...batch.slice(2)]);

    const again = new EventConsumer({ redis, keyPrefix, group: 'monitor', consumer: 'c1' });
    expect(await again.read('job', 10)).toEqual([]);
    const other = new EventConsumer({ redis, keyPrefix, group: 'audit', consumer: 'a1' });
    expect(seqs(await other.read('job', 100))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('returns nothing for a job without events, and validates what it delivers', async () => {
    const consumer = new EventConsumer({ redis, keyPrefix, group: 'monitor', consumer: 'c2' });
    expect(await consumer.read('nothing-here')).toEqual([]);
    await produce(store, 'validated');
    const delivered = await consumer.read('validated');
    expect(delivered.every((entry) => entry.jobId === 'validated' && entry.entryId === `${entry.event.seq}-0`)).toBe(
      true,
    );
    expect(await store.readEvents('validated')).toEqual(delivered.map((entry) => entry.event));
  });
});

describe('EventConsumer on ioredis-mock', () => {
  it('fails with an error naming the missing commands; readEvents still works', async () => {
    const redis = connectMockRedis();
    const keyPrefix = randomPrefix('consumer-mock');
    const store = new RedisJobStore({ redis, keyPrefix, clock: { now: () => 1_700_000_000_000 } });
    await produce(store, 'job');
    const consumer = new EventConsumer({ redis, keyPrefix, group: 'monitor', consumer: 'c1' });
    await expect(consumer.read('job')).rejects.toThrow(/XGROUP, XREADGROUP, XACK/);
    expect(await store.readEvents('job')).toHaveLength(6);
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('refuses bad names and counts', () => {
    const redis = connectMockRedis();
    expect(() => new EventConsumer({ redis, group: '', consumer: 'c' })).toThrow(/group/);
    expect(() => new EventConsumer({ redis, group: 'g', consumer: 'c', keyPrefix: '{x}' })).toThrow(/keyPrefix/);
    return expect(new EventConsumer({ redis, group: 'g', consumer: 'c' }).read('job', 0)).rejects.toThrow(RangeError);
  });
});
