/** Every WorkSignal keeps the same contract: the memory store's and the Redis store's. */
import { MemoryJobStore } from '../../src/adapters/memory/index.js';
import { describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { unreachableWaitMs } from '../../src/adapters/redis/work-signal.js';
import { systemClock } from '../../src/runtime/clock.js';
import {
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../support/redis.js';
import { workSignalContract } from './work-signal.contract.js';

workSignalContract('MemoryJobStore.workSignal', async () => {
  const store = new MemoryJobStore(systemClock);
  return { store, signal: () => store.workSignal(systemClock), cleanup: async () => {} };
});

const probe = await realRedis();
describeWithRedis('the Redis work signal', probe, () => {
  workSignalContract('RedisJobStore.workSignal', async () => {
    const redis = connectRealRedis();
    const keyPrefix = randomPrefix('work');
    const store = new RedisJobStore({ redis, keyPrefix });
    return {
      store,
      signal: () => store.workSignal(),
      cleanup: async () => {
        await store.close();
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
      },
    };
  });
});

describe('the Redis work signal, with Redis unreachable', () => {
  it('waits about a second, not its whole timeout, so that the worker lists and retries as usual', async () => {
    const store = new RedisJobStore({ url: 'redis://127.0.0.1:1', keyPrefix: randomPrefix('work-down') });
    try {
      const startMs = performance.now();
      await store.workSignal().wait(30_000);
      const tookMs = performance.now() - startMs;
      expect(tookMs).toBeGreaterThanOrEqual(unreachableWaitMs - 50);
      expect(tookMs).toBeLessThan(10_000);
    } finally {
      await store.close();
    }
  });
});
