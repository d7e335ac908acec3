/**
 * RedisJobStore passes the JobStore contract on ioredis-mock and on a real Redis server, both with
 * a manual clock passed to the scripts so that lease expiry can be driven by the test.
 */
import { jobStoreContract, manualClock } from '../../contracts/job-store.contract.js';
import { RedisJobStore } from '../../../src/adapters/redis/index.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../../support/redis.js';

jobStoreContract('Redis on ioredis-mock', async () => {
  const clock = manualClock();
  const redis = connectMockRedis();
  const keyPrefix = randomPrefix('contract-mock');
  return {
    store: new RedisJobStore({ redis, keyPrefix, clock }),
    clock,
    cleanup: async () => {
      await deleteKeysWithPrefix(redis, keyPrefix);
      redis.disconnect();
    },
  };
});

const probe = await realRedis();
describeWithRedis('real Redis', probe, () => {
  jobStoreContract(`Redis at ${probe.url}`, async () => {
    const clock = manualClock();
    const redis = connectRealRedis();
    const keyPrefix = randomPrefix('contract-real');
    return {
      store: new RedisJobStore({ redis, keyPrefix, clock }),
      clock,
      cleanup: async () => {
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
      },
    };
  });
});
