/**
 * Hand-overs in the Redis state, on ioredis-mock and on a real server: a claim after a release writes
 * `recoveryHandovers` beside `recoveryAttempts` and does not count toward recoveryAttemptsMax; a job stored before
 * the field existed (no `recoveryHandovers`) decodes with 0 hand-overs and keeps counting every recovery it had as a
 * crash recovery; a field that is not a count, or more hand-overs than recoveries, is corrupt state.
 */
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { RedisJobStore } from '../../../src/adapters/redis/index.js';
import { CorruptStateError } from '../../../src/ports.js';
import { deleteKeysWithPrefix, describeOnMockAndReal, randomPrefix, realRedis } from '../../support/redis.js';

const leaseMs = 10_000;

/** A store with a manual clock, and job `jobId` claimed by w1 (epoch 1) and planned with one chunk. */
async function setUp(redis: Redis, jobId: string) {
  let nowMs = 1_700_000_000_000;
  const keyPrefix = randomPrefix('handovers');
  const store = new RedisJobStore({ redis, keyPrefix, clock: { now: () => nowMs } });
  await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
  await store.claimJob({ jobId, workerId: 'w1', leaseMs, recoveryAttemptsMax: 1, requestId: 'claim' });
  const chunks = [{ index: 0, startMs: 0, durationMs: 1_000, bytes: 1, sha256: 'a'.repeat(64) }];
  await store.recordChunkPlan({ jobId, workerId: 'w1', epoch: 1, requestId: 'plan', durationMs: 1_000, chunks });
  const claim = (workerId: string, requestId: string) =>
    store.claimJob({ jobId, workerId, leaseMs, recoveryAttemptsMax: 1, requestId });
  const expire = () => {
    nowMs += leaseMs + 1;
  };
  return { store, keys: store.keys(jobId), keyPrefix, claim, expire };
}

function handoverSuite(connect: () => Redis): void {
  it('writes recoveryHandovers on a claim after a release, which recoveryAttemptsMax does not count', async () => {
    const redis = connect();
    const { store, keys, keyPrefix, claim, expire } = await setUp(redis, 'handed');
    expect(await redis.hget(keys.state, 'recoveryHandovers')).toBe('0');
    let epoch = 1;
    let owner = 'w1';
    for (const next of ['w2', 'w3', 'w4']) {
      await store.releaseJob({ jobId: 'handed', workerId: owner, epoch, requestId: `release-${owner}` });
      const taken = await claim(next, `claim-${next}`);
      if (taken.kind !== 'ok') throw new Error(taken.kind);
      [epoch, owner] = [taken.job.epoch, next];
    }
    expect(await redis.hgetall(keys.state)).toMatchObject({ recoveryAttempts: '3', recoveryHandovers: '3' });
    expire();
    expect(await claim('c1', 'claim-c1')).toMatchObject({
      kind: 'ok',
      job: { recovery: { attempts: 4, handovers: 3 } },
    });
    expire();
    expect((await claim('c2', 'claim-c2')).kind).toBe('exhausted');
    expect(await store.getJob('handed')).toMatchObject({
      failure: {
        reason: 'recovery_attempts_exhausted',
        message: 'job abandoned by its owner after 1 crash recoveries and 3 hand-overs (max 1 crash recoveries)',
      },
    });
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('decodes a job stored without recoveryHandovers with 0 hand-overs, counting its recoveries as crashes', async () => {
    const redis = connect();
    const { store, keys, keyPrefix, claim, expire } = await setUp(redis, 'older');
    expire();
    expect((await claim('w2', 'claim-w2')).kind).toBe('ok');
    await redis.hdel(keys.state, 'recoveryHandovers');
    expect(await store.getJob('older')).toMatchObject({ recovery: { attempts: 1, handovers: 0, open: true } });
    await store.releaseJob({ jobId: 'older', workerId: 'w2', epoch: 2, requestId: 'release-w2' });
    expect(await claim('w3', 'claim-w3')).toMatchObject({
      kind: 'ok',
      job: { recovery: { attempts: 2, handovers: 1 } },
    });
    expect(await redis.hget(keys.state, 'recoveryHandovers')).toBe('1');
    expire();
    expect((await claim('w4', 'claim-w4')).kind).toBe('exhausted');
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('refuses a recoveryHandovers that is not a count, or above recoveryAttempts, as corrupt state', async () => {
    const redis = connect();
    const { store, keys, keyPrefix, claim, expire } = await setUp(redis, 'bogus');
    for (const [value, problem] of [
      ['x', /recoveryHandovers "x" is not a non-negative integer/],
      ['2', /2 hand-overs is not a count within the 0 recoveries/],
    ] as const) {
      await redis.hset(keys.state, 'recoveryHandovers', value);
      await expect(store.getJob('bogus')).rejects.toThrow(CorruptStateError);
      await expect(store.getJob('bogus')).rejects.toThrow(problem);
      expire();
      await expect(claim('w2', `claim-${value}`)).rejects.toThrow(CorruptStateError);
    }
    await deleteKeysWithPrefix(redis, keyPrefix);
  });
}

describeOnMockAndReal('hand-overs', await realRedis(), handoverSuite);
