/**
 * The JobAdmin contract against the memory store, and against the Redis adapter on ioredis-mock and on a real Redis
 * server (skipped loudly when none answers), each with a manual clock passed to the scripts.
 */
import { MemoryJobAdmin } from '../../src/adapters/memory/admin.js';
import { MemoryJobStore } from '../../src/adapters/memory/store.js';
import { RedisJobAdmin } from '../../src/adapters/redis/admin.js';
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
import { manualClock } from './job-store.contract.js';

jobAdminContract('memory store', async () => {
  const clock = manualClock();
  const store = new MemoryJobStore(clock);
  return { store, admin: new MemoryJobAdmin(store), clock, cleanup: async () => {} };
});

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
