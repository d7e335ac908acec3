/**
 * The recoverable index never loses a queued job: calls of a creator and a worker are interleaved
 * by hand (each store on a client whose chosen commands wait at a gate), on ioredis-mock and on a
 * real server. A worker that finds no state for an index entry (a create under way) marks it
 * missing instead of removing it; the entry goes only after missingJobGraceMs, and only if no
 * create touched it since.
 */
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { missingJobGraceMs, RedisJobStore } from '../../../src/adapters/redis/index.js';
import { deleteKeysWithPrefix, describeOnMockAndReal, randomPrefix, realRedis } from '../../support/redis.js';

/** A gate: calls wait at it until it opens; `reached` resolves when the first call arrives. */
interface Gate {
  readonly reached: Promise<void>;
  open(): void;
}

/** `client` with the commands in `names` held at a gate (all other commands go straight through). */
function gated(client: Redis, names: readonly string[]): { client: Redis; gate: Gate } {
  let reach = () => {};
  let open = () => {};
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property !== 'string' || !names.includes(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        reach();
        await opened;
        return method.apply(target, args);
      };
    },
  });
  return { client: proxy, gate: { reached, open } };
}

const indexWrites = ['zrem', 'zadd', 'zscore'];

function indexRaceSuite(connect: () => Redis): void {
  function stores(client: Redis) {
    let nowMs = 1_000_000;
    const keyPrefix = randomPrefix('index');
    const clock = { now: () => nowMs };
    const store = (redis: Redis) => new RedisJobStore({ redis, keyPrefix, clock });
    return { store, keyPrefix, advance: (ms: number) => (nowMs += ms), client };
  }

  it('keeps a job whose create a worker saw half done (entry written, state not yet)', async () => {
    const redis = connect();
    const { store, keyPrefix } = stores(redis);
    const creator = gated(redis, ['chunkwiseCreateJob']);
    const worker = gated(redis, indexWrites);
    const creating = store(creator.client).createJob({ jobId: 'job-25', source: '/a.wav', chunkLengthMs: 1_000 });
    await creator.gate.reached;
    const workerStore = store(worker.client);
    expect(await workerStore.listRecoverableJobs(16)).toEqual(['job-25']);
    const claiming = workerStore.claimJob({
      jobId: 'job-25',
      workerId: 'w1',
      leaseMs: 10_000,
      recoveryAttemptsMax: 3,
      requestId: 'c1',
    });
    await worker.gate.reached;
    creator.gate.open();
    expect((await creating).kind).toBe('ok');
    worker.gate.open();
    expect((await claiming).kind).toBe('not_found');
    const plain = store(redis);
    expect(await plain.listRecoverableJobs(16)).toEqual(['job-25']);
    const claimed = await plain.claimJob({
      jobId: 'job-25',
      workerId: 'w2',
      leaseMs: 10_000,
      recoveryAttemptsMax: 3,
      requestId: 'c2',
    });
    expect(claimed.kind).toBe('ok');
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('removes an entry that names no job only after the grace period', async () => {
    const redis = connect();
    const { store, keyPrefix, advance } = stores(redis);
    const plain = store(redis);
    await redis.zadd(plain.recoverableIndexKey(), 0, 'ghost');
    const claim = (requestId: string) =>
      plain.claimJob({ jobId: 'ghost', workerId: 'w1', leaseMs: 10_000, recoveryAttemptsMax: 3, requestId });
    expect((await claim('a')).kind).toBe('not_found');
    expect(await plain.listRecoverableJobs(16)).toEqual(['ghost']);
    advance(missingJobGraceMs - 1);
    expect((await claim('b')).kind).toBe('not_found');
    expect(await plain.listRecoverableJobs(16)).toEqual(['ghost']);
    advance(1);
    expect((await claim('c')).kind).toBe('not_found');
    expect(await plain.listRecoverableJobs(16)).toEqual([]);
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('keeps an entry long marked missing when the job is created while the worker removes it', async () => {
    const redis = connect();
    const { store, keyPrefix, advance } = stores(redis);
    const plain = store(redis);
    await redis.zadd(plain.recoverableIndexKey(), 0, 'late');
    const claim = (client: Redis, requestId: string) =>
      store(client).claimJob({ jobId: 'late', workerId: 'w1', leaseMs: 10_000, recoveryAttemptsMax: 3, requestId });
    expect((await claim(redis, 'a')).kind).toBe('not_found');
    advance(missingJobGraceMs);
    const worker = gated(redis, ['chunkwiseForgetMissing']);
    const claiming = claim(worker.client, 'b');
    await worker.gate.reached;
    expect((await plain.createJob({ jobId: 'late', source: '/a.wav', chunkLengthMs: 1_000 })).kind).toBe('ok');
    worker.gate.open();
    expect((await claiming).kind).toBe('not_found');
    expect(await plain.listRecoverableJobs(16)).toEqual(['late']);
    expect((await claim(redis, 'c')).kind).toBe('ok');
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('lists ready jobs before entries marked missing', async () => {
    const redis = connect();
    const { store, keyPrefix } = stores(redis);
    const plain = store(redis);
    await redis.zadd(plain.recoverableIndexKey(), 0, 'ghost');
    expect(
      (
        await plain.claimJob({
          jobId: 'ghost',
          workerId: 'w1',
          leaseMs: 10_000,
          recoveryAttemptsMax: 3,
          requestId: 'a',
        })
      ).kind,
    ).toBe('not_found');
    await plain.createJob({ jobId: 'real', source: '/a.wav', chunkLengthMs: 1_000 });
    expect(await plain.listRecoverableJobs(1)).toEqual(['real']);
    expect(await plain.listRecoverableJobs(2)).toEqual(['real', 'ghost']);
    await deleteKeysWithPrefix(redis, keyPrefix);
  });
}

describeOnMockAndReal('recoverable index races', await realRedis(), indexRaceSuite);
