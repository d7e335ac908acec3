/**
 * Bad input never reaches Redis: on ioredis-mock and on a real server, every operation of
 * RedisJobStore given a malformed request throws the TypeError or RangeError of the boundary
 * validators (src/core/requests.ts) naming the field, the whole keyspace under the store's prefix
 * is the same afterwards, and bad constructor options are refused the same way.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../../src/adapters/redis/index.js';
import type { JobStore } from '../../../src/ports.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../../support/redis.js';

const sha = createHash('sha256').update('x').digest('hex');
const fenced = { jobId: 'job', workerId: 'w1', epoch: 1, requestId: 'r-bad' };

/** Each malformed call, with the error class and the field its message must name. */
const badCalls: readonly [string, (store: JobStore) => Promise<unknown>, ErrorConstructor, RegExp][] = [
  [
    'create: job id with a slash',
    (store) => store.createJob({ jobId: '../etc', source: '/a', chunkLengthMs: 1_000 }),
    TypeError,
    /jobId/,
  ],
  [
    'create: empty source',
    (store) => store.createJob({ jobId: 'other', source: '', chunkLengthMs: 1_000 }),
    TypeError,
    /source/,
  ],
  [
    'create: chunk length NaN',
    (store) => store.createJob({ jobId: 'other', source: '/a', chunkLengthMs: Number.NaN }),
    RangeError,
    /chunkLengthMs/,
  ],
  [
    'claim: empty worker',
    (store) => store.claimJob({ jobId: 'job', workerId: '', leaseMs: 1_000, recoveryAttemptsMax: 3, requestId: 'r' }),
    TypeError,
    /workerId/,
  ],
  [
    'claim: lease 0',
    (store) => store.claimJob({ jobId: 'job', workerId: 'w2', leaseMs: 0, recoveryAttemptsMax: 3, requestId: 'r' }),
    RangeError,
    /leaseMs/,
  ],
  [
    'claim: attempts 0',
    (store) => store.claimJob({ jobId: 'job', workerId: 'w2', leaseMs: 1_000, recoveryAttemptsMax: 0, requestId: 'r' }),
    RangeError,
    /recoveryAttemptsMax/,
  ],
  [
    'claim: empty request id',
    (store) => store.claimJob({ jobId: 'job', workerId: 'w2', leaseMs: 1_000, recoveryAttemptsMax: 3, requestId: '' }),
    TypeError,
    /requestId/,
  ],
  [
    'renew: epoch 0',
    (store) => store.renewLease({ jobId: 'job', workerId: 'w1', epoch: 0, leaseMs: 1_000 }),
    RangeError,
    /epoch/,
  ],
  [
    'plan: negative duration',
    (store) => store.recordChunkPlan({ ...fenced, durationMs: -1, chunks: [] }),
    RangeError,
    /durationMs/,
  ],
  [
    'plan: bad sha256',
    (store) =>
      store.recordChunkPlan({
        ...fenced,
        durationMs: 1_000,
        chunks: [{ index: 0, startMs: 0, durationMs: 1_000, bytes: 1, sha256: 'xyz' }],
      }),
    TypeError,
    /sha256/,
  ],
  [
    'plan: chunks not a list',
    (store) => store.recordChunkPlan({ ...fenced, durationMs: 1_000, chunks: 'none' as never }),
    TypeError,
    /chunks/,
  ],
  [
    'recreate: reason unknown',
    (store) => store.recordChunkRecreated({ ...fenced, index: 0, reason: 'lost' as never, bytes: 1, sha256: sha }),
    TypeError,
    /reason/,
  ],
  [
    'recreate: negative index',
    (store) => store.recordChunkRecreated({ ...fenced, index: -1, reason: 'missing', bytes: 1, sha256: sha }),
    RangeError,
    /index/,
  ],
  ['resume: worker with a space', (store) => store.markResumed({ ...fenced, workerId: 'w 1' }), TypeError, /workerId/],
  [
    'commit: transcript not text',
    (store) => store.commitChunk({ ...fenced, index: 0, transcript: 42 as never }),
    TypeError,
    /transcript/,
  ],
  [
    'commit: fractional index',
    (store) => store.commitChunk({ ...fenced, index: 0.5, transcript: 'x' }),
    RangeError,
    /index/,
  ],
  ['complete: epoch NaN', (store) => store.completeJob({ ...fenced, epoch: Number.NaN }), RangeError, /epoch/],
  [
    'fail: unknown reason',
    (store) => store.failJob({ ...fenced, reason: 'bogus' as never, message: 'x' }),
    TypeError,
    /reason/,
  ],
  [
    'fail: message not text',
    (store) => store.failJob({ ...fenced, reason: 'source_missing', message: undefined as never }),
    TypeError,
    /message/,
  ],
  [
    'release: request id too long',
    (store) => store.releaseJob({ ...fenced, requestId: 'r'.repeat(201) }),
    TypeError,
    /requestId/,
  ],
  [
    'quarantine: bad job id',
    (store) => store.quarantineJob({ jobId: 'a b', workerId: 'doctor', message: 'x', requestId: 'q' }),
    TypeError,
    /jobId/,
  ],
  [
    'quarantine: empty worker',
    (store) => store.quarantineJob({ jobId: 'job', workerId: '', message: 'x', requestId: 'q' }),
    TypeError,
    /workerId/,
  ],
  [
    'quarantine: empty request id',
    (store) => store.quarantineJob({ jobId: 'job', workerId: 'doctor', message: 'x', requestId: '' }),
    TypeError,
    /requestId/,
  ],
  ['list: limit 0', (store) => store.listRecoverableJobs(0), RangeError, /limit/],
  ['get: job id too long', (store) => store.getJob('j'.repeat(129)), TypeError, /jobId/],
  ['read events: from seq 0', (store) => store.readEvents('job', 0), RangeError, /fromSeq/],
];

/** Every key under `prefix` with its type and whole content. */
async function dump(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const contents: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') contents[key] = await redis.hgetall(key);
      else if (type === 'stream') contents[key] = await redis.xrange(key, '-', '+');
      else if (type === 'zset') contents[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else contents[key] = type;
    }
    cursor = next;
  } while (cursor !== '0');
  return contents;
}

function badInputSuite(connect: () => Redis): void {
  it('throws the validators’ TypeError or RangeError naming the field, and writes nothing', async () => {
    const redis = connect();
    const keyPrefix = randomPrefix('bad-input');
    const store = new RedisJobStore({ redis, keyPrefix, clock: { now: () => 1_700_000_000_000 } });
    await store.createJob({ jobId: 'job', source: '/a.wav', chunkLengthMs: 1_000 });
    await store.claimJob({ jobId: 'job', workerId: 'w1', leaseMs: 10_000, recoveryAttemptsMax: 3, requestId: 'claim' });
    const before = await dump(redis, keyPrefix);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    for (const [label, call, errorClass, field] of badCalls) {
      const error = await call(store).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error, label).toBeInstanceOf(errorClass);
      expect((error as Error).message, label).toMatch(field);
    }
    expect(await dump(redis, keyPrefix)).toEqual(before);
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  });
}

describe('bad input on ioredis-mock', () => badInputSuite(connectMockRedis));

const probe = await realRedis();
describeWithRedis('bad input on a real server', probe, () => badInputSuite(connectRealRedis));

describe('bad constructor options', () => {
  it('are refused with a TypeError or RangeError naming the option', () => {
    const redis = connectMockRedis();
    expect(() => new RedisJobStore({})).toThrow(TypeError);
    expect(() => new RedisJobStore({ redis, url: 'redis://localhost' })).toThrow(/exactly one/);
    expect(() => new RedisJobStore({ redis, keyPrefix: '{tag}' })).toThrow(/keyPrefix/);
    expect(() => new RedisJobStore({ redis, terminalRetentionMs: 0 })).toThrow(RangeError);
    const store = new RedisJobStore({ redis, keyPrefix: randomPrefix('bad-clock'), clock: { now: () => 1.5 } });
    return expect(store.createJob({ jobId: 'j', source: '/a', chunkLengthMs: 1_000 })).rejects.toThrow(/clock\.now/);
  });
});
