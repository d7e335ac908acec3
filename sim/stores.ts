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
import type { ChunkFilesKind } from './fs-files.js';
import type { RoundTripHost, StoreFactory, StoreInspector, WorldOptions } from './world.js';

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
 * How a Redis store's calls meet the scheduler: `interleaved` (default) makes every round trip of
 * the adapter a scheduling point, so another worker may run between a read and a write of one
 * operation; `atomic` runs each store call whole, as the memory reference does, and holds no
 * poison data (for comparing histories with the reference call for call).
 */
export type RoundTrips = 'interleaved' | 'atomic';

/**
 * World options for `--store NAME`; memory when undefined. Each world's keys go under
 * `<keyPrefix><random>:`. Throws a TypeError naming a bad value.
 */
export async function storeOption(
  name: string | undefined,
  options: {
    keyPrefix?: string;
    roundTrips?: RoundTrips;
    prepare?: (redis: Redis) => void;
    chunkFiles?: ChunkFilesKind;
  } = {},
): Promise<WorldOptions> {
  const files: WorldOptions =
    options.chunkFiles === undefined || options.chunkFiles === 'memory' ? {} : { chunkFiles: options.chunkFiles };
  return { ...(await storeOnly(name, options)), ...files };
}

async function storeOnly(
  name: string | undefined,
  options: { keyPrefix?: string; roundTrips?: RoundTrips; prepare?: (redis: Redis) => void },
): Promise<WorldOptions> {
  const keyPrefix = options.keyPrefix ?? 'chunkwise-sim:';
  const roundTrips = options.roundTrips ?? 'interleaved';
  if (name === undefined || name === 'memory') return {};
  if (name === 'ioredis-mock')
    return {
      store: await redisFactory(
        async () => {
          // An optional peer dependency: an install without it gets a message saying so.
          const { default: RedisMock } = await import('ioredis-mock').catch((error: unknown) => {
            if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
            const message = 'install ioredis-mock to use --store ioredis-mock (npm install --save-dev ioredis-mock)';
            throw new TypeError(message, { cause: error });
          });
          const redis = new RedisMock() as unknown as Redis;
          // A seam for tests: scripts defined here first are the ones the store runs (planted Lua bugs).
          options.prepare?.(redis);
          return redis;
        },
        false,
        keyPrefix,
        roundTrips,
      ),
    };
  if (/^rediss?(-cluster)?:\/\//.test(name)) {
    let shared: Redis | undefined;
    return {
      store: await redisFactory(
        async () => {
          if (shared === undefined) {
            const { connectRedis } = await import('../src/adapters/redis/connect.js');
            // A cluster client has the commands the store and this module send, so it stands in for a Redis.
            shared = connectRedis(name) as Redis;
            openClients.add(shared);
            try {
              await shared.ping();
            } catch (error) {
              throw new TypeError(`--store ${name}: cannot reach Redis (${(error as Error).message})`, {
                cause: error,
              });
            }
          }
          return shared;
        },
        true,
        keyPrefix,
        roundTrips,
      ),
    };
  }
  throw new TypeError(
    `--store must be memory, ioredis-mock, a redis:// URL or a redis-cluster:// URL, got ${JSON.stringify(name)}`,
  );
}

async function redisFactory(
  connect: () => Promise<Redis>,
  shared: boolean,
  keyPrefix: string,
  roundTrips: RoundTrips,
): Promise<StoreFactory> {
  const { RedisJobStore, asideKeys, jobKeys, recoverableIndexKey, workTokensKey } =
    await import('../src/adapters/redis/index.js');
  const client = shared ? await connect() : undefined;
  return (clock, host) => {
    const prefix = `${keyPrefix}${randomBytes(6).toString('hex')}:`;
    let redis = client;
    let store: InstanceType<typeof RedisJobStore> | undefined;
    const ready = async () => {
      redis ??= await connect();
      store ??= new RedisJobStore({
        redis: roundTrips === 'interleaved' ? roundTripClient(redis, host) : redis,
        keyPrefix: prefix,
        clock,
      });
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
      poison: async (jobId, what) => {
        const { redis: raw } = await ready();
        const keys = jobKeys(prefix, jobId);
        // Poison has no counterpart in the memory reference: a run compared with it goes without.
        if (roundTrips === 'atomic') return false;
        if (what === 'index_member') await raw.zadd(`${prefix}jobs:recoverable`, 0, '../../etc/passwd');
        if (what === 'absurd_size') await raw.hset(keys.state, 'chunkCount', String(Number.MAX_SAFE_INTEGER));
        touched.add(jobId);
        return true;
      },
      tamper: async (jobId, change) => {
        const current = cache.get(jobId);
        if (current === undefined) return;
        const changed = change(current);
        const fields = Object.keys(changed).filter((key) => changed[key as keyof Job] !== current[key as keyof Job]);
        if (fields.some((field) => field !== 'phase'))
          throw new TypeError(`tampering with ${fields.join(', ')} is not supported on Redis`);
        await (await ready()).redis.hset(jobKeys(prefix, jobId).state, 'phase', changed.phase);
        cache.set(jobId, changed);
      },
    };
    return ready().then(({ store: built }) => ({
      store: built,
      inspect,
      interleaved: roundTrips === 'interleaved',
      close: async () => {
        const { redis: connection } = await ready();
        const keys = [...touched].flatMap((jobId) => [
          ...Object.values(jobKeys(prefix, jobId)),
          ...Object.values(asideKeys(prefix, jobId)),
        ]);
        // One DEL per key: on a cluster the keys of different jobs live in different slots.
        if (keys.length > 0)
          await Promise.all(
            [...keys, recoverableIndexKey(prefix), workTokensKey(prefix)].map((key) => connection.del(key)),
          );
        if (!shared) connection.disconnect();
      },
    }));
  };
}

/** Commands of the Redis adapter that are one round trip each (besides its scripts and MULTI). */
const roundTripCommands = new Set([
  'zadd',
  'zrem',
  'zscore',
  'zrange',
  'zrangebyscore',
  'hgetall',
  'hset',
  'hget',
  'xrange',
  'xrevrange',
  'time',
  'del',
  'exists',
]);

/**
 * `redis` seen through `host`: each command the adapter sends (its scripts, which ioredis names
 * `chunkwise…`, the commands above, and a MULTI's or a pipeline's EXEC) is one round trip, a scheduling point of
 * the actor whose store call sends it. Everything else passes through.
 */
function roundTripClient(redis: Redis, host: RoundTripHost): Redis {
  const wrap = (name: string, send: () => Promise<unknown>) => host.roundTrip(`redis.${name}`, send);
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'multi' || property === 'pipeline')
        return (...args: unknown[]) => transaction(method.apply(target, args) as object, wrap);
      if (property.startsWith('chunkwise') || roundTripCommands.has(property)) {
        return (...args: unknown[]) => wrap(property, () => method.apply(target, args) as Promise<unknown>);
      }
      return method.bind(target);
    },
  });
}

/** A MULTI whose EXEC is one round trip; queued commands chain on the wrapper. */
function transaction(pipeline: object, wrap: (name: string, send: () => Promise<unknown>) => Promise<unknown>): object {
  const proxy: object = new Proxy(pipeline, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'exec')
        return (...args: unknown[]) => wrap('exec', () => method.apply(target, args) as Promise<unknown>);
      return (...args: unknown[]) => {
        const result = method.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

export type { JobEvent };
