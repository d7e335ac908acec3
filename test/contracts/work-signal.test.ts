/** Every WorkSignal keeps the same contract: the memory store's and the Redis store's. */
import { MemoryJobStore } from '../../src/adapters/memory/index.js';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
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
