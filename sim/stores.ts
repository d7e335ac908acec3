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
import type { JobKeys } from '../src/adapters/redis/keys.js';
import type { JobSnapshot } from '../src/adapters/redis/store.js';
import type { ChunkFilesKind } from './fs-files.js';
import { cacheMockScripts } from './mock-lua.js';
import type { RoundTripHost, StoreFactory, StoreInspector, WorldOptions } from './world.js';

const openClients = new Set<Redis>();

/** The adapter's reading of a snapshot's replies, loaded with the adapter. */
let parseSnapshot: (results: readonly [Error | null, unknown][] | null) => JobSnapshot | null;

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
    /** `uncached`: ioredis-mock runs each script as it does by itself, in a new Lua state per call. */
    mockScripts?: 'cached' | 'uncached';
  } = {},
): Promise<WorldOptions> {
  const files: WorldOptions =
    options.chunkFiles === undefined || options.chunkFiles === 'memory' ? {} : { chunkFiles: options.chunkFiles };
  return { ...(await storeOnly(name, options)), ...files };
}

async function storeOnly(
  name: string | undefined,
  options: {
    keyPrefix?: string;
    roundTrips?: RoundTrips;
    prepare?: (redis: Redis) => void;
    mockScripts?: 'cached' | 'uncached';
  },
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
          // Each script parsed once per process instead of once per call (the mock's own way, cached).
          if (options.mockScripts !== 'uncached') cacheMockScripts(redis);
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
  const { decodeJob } = await import('../src/adapters/redis/codec.js');
  parseSnapshot = (await import('../src/adapters/redis/store.js')).parseSnapshot;
  const client = shared ? await connect() : undefined;
  return (clock, host) => {
    const prefix = `${keyPrefix}${randomBytes(6).toString('hex')}:`;
    let redis = client;
    let store: InstanceType<typeof RedisJobStore> | undefined;
    const views = new JobViews(prefix, jobKeys);
    const ready = async () => {
      redis ??= await connect();
      store ??= new RedisJobStore({
        redis: viewingClient(redis, roundTrips === 'interleaved' ? host : directHost, views),
        keyPrefix: prefix,
        clock,
      });
      return { redis, store };
    };
    const cache = new Map<string, Job | undefined>();
    /** The version of each job's keys the cached view was taken at. */
    const cachedAt = new Map<string, number>();
    const touched = new Set<string>();
    const inspect: StoreInspector = {
      job: (jobId) => cache.get(jobId),
      events: async (jobId) => (await ready()).store.readEvents(jobId),
      refresh: async (jobId) => {
        touched.add(jobId);
        const version = views.version(jobId);
        if (cachedAt.get(jobId) === version) return;
        const snapshot = views.current(jobId);
        try {
          if (snapshot === undefined) {
            cache.set(jobId, (await (await ready()).store.getJob(jobId)) ?? undefined);
          } else {
            cache.set(
              jobId,
              snapshot === null
                ? undefined
                : decodeJob(jobId, snapshot.state, snapshot.chunks, snapshot.lastEventSeq).job,
            );
          }
        } catch (error) {
          if (!(error instanceof CorruptStateError)) throw error;
        }
        // Nothing wrote the job's keys while it was read: every refresh is one step of the world.
        cachedAt.set(jobId, version);
      },
      poison: async (jobId, what) => {
        const { redis: raw } = await ready();
        const keys = jobKeys(prefix, jobId);
        // Poison has no counterpart in the memory reference: a run compared with it goes without.
        if (roundTrips === 'atomic') return false;
        views.wrote(jobId);
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
        views.wrote(jobId);
        await (await ready()).redis.hset(jobKeys(prefix, jobId).state, 'phase', changed.phase);
        cache.set(jobId, changed);
        cachedAt.delete(jobId);
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

const stateKeyEnd = '}:state';

/** A host that runs each round trip at once: a store whose calls the world runs whole. */
const directHost: RoundTripHost = { roundTrip: (_label, send) => send(), caller: () => undefined };

/** A job as a snapshot read it; null when it did not exist. */
type Snapshot = JobSnapshot | null;

/**
 * What one world knows of its jobs' keys without reading them again. Every script of the adapter that names a job's
 * keys, and every hand edit, is a new version of that job; a snapshot read (the adapter's own MULTI, or the read sent
 * in the same round trip as a script) is the job's state at the version it was read at. The world reads a job after
 * every store call: while no write came after the last snapshot, that snapshot is what a read would return.
 */
class JobViews {
  private readonly versions = new Map<string, number>();
  private readonly snapshots = new Map<string, { readonly version: number; readonly snapshot: Snapshot }>();
  private readonly stateKeyStart: string;

  constructor(
    private readonly prefix: string,
    readonly keysOf: (prefix: string, jobId: string) => JobKeys,
  ) {
    this.stateKeyStart = `${prefix}{job:`;
  }

  /** The job whose state key `key` is, if it is one of this world's. */
  jobOfStateKey(key: unknown): string | undefined {
    if (typeof key !== 'string' || !key.startsWith(this.stateKeyStart) || !key.endsWith(stateKeyEnd)) return undefined;
    const jobId = key.slice(this.stateKeyStart.length, -stateKeyEnd.length);
    return this.keys(jobId)?.state === key ? jobId : undefined;
  }

  /** The keys of `jobId`, or undefined when it is no job id. */
  keys(jobId: string): JobKeys | undefined {
    try {
      return this.keysOf(this.prefix, jobId);
    } catch {
      return undefined;
    }
  }

  version(jobId: string): number {
    return this.versions.get(jobId) ?? 0;
  }

  wrote(jobId: string): void {
    this.versions.set(jobId, this.version(jobId) + 1);
  }

  saw(jobId: string, snapshot: Snapshot): void {
    this.snapshots.set(jobId, { version: this.version(jobId), snapshot });
  }

  /** The job as its last snapshot read it (null: it did not exist), if nothing wrote it since; else undefined. */
  current(jobId: string): Snapshot | undefined {
    const seen = this.snapshots.get(jobId);
    return seen !== undefined && seen.version === this.version(jobId) ? seen.snapshot : undefined;
  }
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
 * `redis` seen through `host` and `views`: each command the adapter sends (its scripts, which ioredis names
 * `chunkwise…`, the commands above, and a MULTI's or a pipeline's EXEC) is one round trip, a scheduling point of
 * the actor whose store call sends it. A script that names a job's keys is a new version of that job in `views`; on a
 * single Redis server it is sent as EVALSHA in one pipeline with a snapshot read of the job, so the world's read after
 * the store call costs no round trip of its own. The adapter's own snapshot reads (a MULTI) are kept the same way.
 * Everything else passes through.
 */
function viewingClient(redis: Redis, host: RoundTripHost, views: JobViews): Redis {
  const wrap = (name: string, send: () => Promise<unknown>) => host.roundTrip(`redis.${name}`, send);
  const scripts = (redis as unknown as { scriptsSet?: Record<string, { sha: string; numberOfKeys: number | null }> })
    .scriptsSet;
  // ioredis-mock runs scripts in process (no round trip to save) and keeps no scriptsSet; a cluster pipelines no
  // scripts of a client's own.
  const piggyback = scripts !== undefined && !(redis as unknown as { isCluster?: boolean }).isCluster;
  const script = async (name: string, send: (...args: unknown[]) => unknown, args: unknown[]): Promise<unknown> => {
    const jobId = views.jobOfStateKey(args[0]);
    const keys = jobId === undefined ? undefined : views.keys(jobId);
    const defined = scripts?.[name];
    if (jobId === undefined || keys === undefined) return send.apply(redis, args);
    if (!piggyback || defined === undefined || typeof defined.numberOfKeys !== 'number') {
      try {
        return await send.apply(redis, args);
      } finally {
        views.wrote(jobId);
      }
    }
    const results = await redis
      .pipeline()
      .evalsha(defined.sha, defined.numberOfKeys, ...(args as string[]))
      .hgetall(keys.state)
      .hgetall(keys.chunks)
      .xrevrange(keys.events, '+', '-', 'COUNT', 1)
      .exec();
    const [scriptError, reply] = results?.[0] ?? [new Error(`no reply to script ${name}`), undefined];
    if (scriptError !== null && /NOSCRIPT/.test(scriptError.message)) {
      // The script did not run (this server has not seen it): send it as the adapter does, source included.
      try {
        return await send.apply(redis, args);
      } finally {
        views.wrote(jobId);
      }
    }
    views.wrote(jobId);
    const reads = results?.slice(1) ?? [];
    if (reads.length === 3 && reads.every(([error]) => error === null)) views.saw(jobId, parseSnapshot(reads));
    if (scriptError !== null) throw scriptError;
    return reply;
  };
  return new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'multi' || property === 'pipeline')
        return (...args: unknown[]) => transaction(method.apply(target, args) as object, wrap, views);
      if (property.startsWith('chunkwise'))
        return (...args: unknown[]) => wrap(property, () => script(property, method, args));
      if (roundTripCommands.has(property))
        return (...args: unknown[]) => wrap(property, () => method.apply(target, args) as Promise<unknown>);
      return method.bind(target);
    },
  });
}

/**
 * A MULTI or pipeline whose EXEC is one round trip; queued commands chain on the wrapper. A MULTI that is a snapshot
 * read of one job (HGETALL state, HGETALL chunks, XREVRANGE events + - COUNT 1) is kept in `views`.
 */
function transaction(
  pipeline: object,
  wrap: (name: string, send: () => Promise<unknown>) => Promise<unknown>,
  views: JobViews,
): object {
  const queued: { readonly name: string; readonly args: readonly unknown[] }[] = [];
  const proxy: object = new Proxy(pipeline, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'exec')
        return (...args: unknown[]) =>
          wrap('exec', async () => {
            const results = (await method.apply(target, args)) as [Error | null, unknown][] | null;
            const jobId = snapshotRead(queued, views);
            if (jobId !== undefined && results !== null && results.every(([error]) => error === null))
              views.saw(jobId, parseSnapshot(results));
            return results;
          });
      return (...args: unknown[]) => {
        if (typeof property === 'string') queued.push({ name: property, args });
        const result = method.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/** The job `queued` reads a snapshot of, when it is exactly the adapter's snapshot read. */
function snapshotRead(
  queued: readonly { readonly name: string; readonly args: readonly unknown[] }[],
  views: JobViews,
) {
  const [state, chunks, last] = queued;
  if (queued.length !== 3 || state?.name !== 'hgetall' || chunks?.name !== 'hgetall' || last?.name !== 'xrevrange')
    return undefined;
  const jobId = views.jobOfStateKey(state.args[0]);
  const keys = jobId === undefined ? undefined : views.keys(jobId);
  if (keys === undefined || chunks.args[0] !== keys.chunks) return undefined;
  const range = last.args.map(String).join(' ');
  return range === `${keys.events} + - COUNT 1` ? jobId : undefined;
}

export type { JobEvent };
