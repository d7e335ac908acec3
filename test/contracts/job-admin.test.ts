/**
 * The JobAdmin contract against the Redis adapter on ioredis-mock and on a real Redis server (skipped loudly when none
 * answers), each with a manual clock passed to the scripts. The memory store runs it in
 * test/adapters/memory/admin.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobAdmin } from '../../src/adapters/memory/admin.js';
import { MemoryJobStore } from '../../src/adapters/memory/store.js';
import { RedisJobAdmin } from '../../src/adapters/redis/admin.js';
import { workTokensKey } from '../../src/adapters/redis/keys.js';
import { RedisJobStore } from '../../src/adapters/redis/store.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../support/redis.js';
import { jobAdminContract } from './job-admin.contract.js';
import { chunkPlan, manualClock } from './job-store.contract.js';

jobAdminContract('Redis on ioredis-mock', async () => {
  const clock = manualClock();
  const redis = connectMockRedis();
  const keyPrefix = randomPrefix('admin-mock');
  const store = new RedisJobStore({ redis, keyPrefix, clock });
  return {
    store,
    admin: new RedisJobAdmin(store, { clock }),
    clock,
    cleanup: async () => {
      await deleteKeysWithPrefix(redis, keyPrefix);
      redis.disconnect();
    },
  };
});

const probe = await realRedis();
describeWithRedis('real Redis', probe, () => {
  jobAdminContract(`Redis at ${probe.url}`, async () => {
    const clock = manualClock();
    const redis = connectRealRedis();
    // A glob character in the prefix: list must escape it in SCAN's MATCH.
    const keyPrefix = randomPrefix('admin-real*');
    const store = new RedisJobStore({ redis, keyPrefix, clock });
    return {
      store,
      admin: new RedisJobAdmin(store, { clock }),
      clock,
      cleanup: async () => {
        await deleteKeysWithPrefix(redis, keyPrefix.replace('*', '\\*'));
        await redis.quit();
      },
    };
  });
});

describe('a retried job is work: idle workers are woken', () => {
  /** A failed job `job-w` in `store`. */
  const failed = async (store: MemoryJobStore | RedisJobStore) => {
    await store.createJob({ jobId: 'job-w', source: '/media/w.wav', chunkLengthMs: 1_000 });
    const claimed = await store.claimJob({
      jobId: 'job-w',
      workerId: 'w1',
      leaseMs: 10_000,
      recoveryAttemptsMax: 3,
      requestId: 'c',
    });
    const fenced = { jobId: 'job-w', workerId: 'w1', epoch: claimed.kind === 'ok' ? claimed.job.epoch : 0 };
    await store.recordChunkPlan({ ...fenced, requestId: 'p', durationMs: 1_000, chunks: chunkPlan(1) });
    await store.failJob({ ...fenced, requestId: 'f', reason: 'transcription_failed', message: 'down' });
  };

  it('memory: a worker waiting on its work signal wakes when a job is retried', async () => {
    const store = new MemoryJobStore(manualClock());
    await failed(store);
    // A clock whose sleeps end only when aborted: the wait ends by the signal or not at all.
    const signal = store.workSignal({
      sleep: (_ms, abort) => new Promise<void>((resolve) => abort?.addEventListener('abort', () => resolve())),
    });
    const stop = new AbortController();
    let woken = false;
    const waiting = signal.wait(60_000, stop.signal).then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    await new MemoryJobAdmin(store).retry({ jobId: 'job-w', actor: 'op', requestId: 'r' });
    await waiting;
    expect(woken).toBe(true);
    stop.abort();
  });

  it('Redis: a retry pushes a work token', async () => {
    const redis = connectMockRedis();
    const keyPrefix = randomPrefix('admin-work');
    const store = new RedisJobStore({ redis, keyPrefix, clock: manualClock() });
    try {
      await failed(store);
      const tokens = await redis.llen(workTokensKey(keyPrefix));
      await new RedisJobAdmin(store).retry({ jobId: 'job-w', actor: 'op', requestId: 'r' });
      expect(await redis.llen(workTokensKey(keyPrefix))).toBe(tokens + 1);
    } finally {
      await deleteKeysWithPrefix(redis, keyPrefix);
      redis.disconnect();
    }
  });
});
