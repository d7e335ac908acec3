/**
 * Which store a simulation runs through: the memory reference (default), the Redis adapter on
 * ioredis-mock, or the Redis adapter on a real server named by URL. Every world gets its own key
 * prefix and its keys are deleted when the run ends; the store reads virtual time from the world
 * (the `clock` option), so leases expire in simulated time on Redis too.
 */
import { randomBytes } from 'node:crypto';
import type { JobEvent } from '../src/core/events.js';
import type { Job } from '../src/core/types.js';
import { CorruptStateError } from '../src/ports.js';
import type { Redis } from 'ioredis';
import type { StoreFactory, StoreInspector, WorldOptions } from './world.js';

const openClients = new Set<Redis>();

/** Closes every Redis connection {@link storeOption} opened (call once a campaign is over). */
export async function closeStores(): Promise<void> {
  const clients = [...openClients];
  openClients.clear();
  await Promise.all(clients.map(async (client) => client.quit().catch(() => client.disconnect())));
}

/** Store names `--store` accepts besides URLs. */
export const storeNames = ['memory', 'ioredis-mock'] as const;

/**
 * World options for `--store NAME`; memory when undefined. Each world's keys go under
 * `<keyPrefix><random>:`. Throws a TypeError naming a bad value.
 */
export async function storeOption(name: string | undefined, options: { keyPrefix?: string } = {}): Promise<WorldOptions> {
  const keyPrefix = options.keyPrefix ?? 'chunkwise-sim:';
  if (name === undefined || name === 'memory') return {};
  if (name === 'ioredis-mock') return { store: await redisFactory(async () => {
    const { default: RedisMock } = await import('ioredis-mock');
    return new RedisMock() as unknown as Redis;
  }, false, keyPrefix) };
  if (/^rediss?:\/\//.test(name)) {
    let shared: Redis | undefined;
    return { store: await redisFactory(async () => {
      if (shared === undefined) {
        const { createRedisClient } = await import('../src/adapters/redis/index.js');
        shared = createRedisClient(name);
        openClients.add(shared);
        try {
          await shared.ping();
        } catch (error) {
          throw new TypeError(`--store ${name}: cannot reach Redis (${(error as Error).message})`, { cause: error });
        }
      }
      return shared;
    }, true, keyPrefix) };
  }
  throw new TypeError(`--store must be memory, ioredis-mock or a redis:// URL, got ${JSON.stringify(name)}`);
}

async function redisFactory(connect: () => Promise<Redis>, shared: boolean, keyPrefix: string): Promise<StoreFactory> {
  const { RedisJobStore, jobKeys } = await import('../src/adapters/redis/index.js');
  const client = shared ? await connect() : undefined;
  return (clock) => {
    const prefix = `${keyPrefix}${randomBytes(6).toString('hex')}:`;
    let redis = client;
    let store: InstanceType<typeof RedisJobStore> | undefined;
    const ready = async () => {
      redis ??= await connect();
      store ??= new RedisJobStore({ redis, keyPrefix: prefix, clock });
      return { redis, store };
    };
    const cache = new Map<string, Job | undefined>();
    const touched = new Set<string>();
    const inspect: StoreInspector = {
      job: (jobId) => cache.get(jobId),
      events: async (jobId) => (await ready()).store.readEvents(jobId),
      refresh: async (jobId) => {
        touched.add(jobId);
        try {
          cache.set(jobId, (await (await ready()).store.getJob(jobId)) ?? undefined);
        } catch (error) {
          if (!(error instanceof CorruptStateError)) throw error;
        }
      },
      tamper: async (jobId, change) => {
        const current = cache.get(jobId);
        if (current === undefined) return;
        const changed = change(current);
        const fields = Object.keys(changed).filter((key) => changed[key as keyof Job] !== current[key as keyof Job]);
        if (fields.some((field) => field !== 'phase')) throw new TypeError(`tampering with ${fields.join(', ')} is not supported on Redis`);
        await (await ready()).redis.hset(jobKeys(prefix, jobId).state, 'phase', changed.phase);
        cache.set(jobId, changed);
      },
    };
    return ready().then(({ store: built }) => ({
      store: built,
      inspect,
      close: async () => {
        const { redis: connection } = await ready();
        const keys = [...touched].flatMap((jobId) => Object.values(jobKeys(prefix, jobId)));
        if (keys.length > 0) await connection.del(...keys, `${prefix}jobs:recoverable`);
        if (!shared) connection.disconnect();
      },
    }));
  };
}

export type { JobEvent };
