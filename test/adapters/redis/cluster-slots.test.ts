/**
 * Every key a script touches hashes to one Redis Cluster slot: the key-slot function is the
 * `cluster-key-slot` package's (the one ioredis' Cluster routes with), checked here against the
 * cluster specification's hash-tag examples; the key layout is checked for random ids and prefixes, and a whole job
 * life (recovery,
 * re-extraction, exhaustion, failure, quarantine) runs on ioredis-mock with every key access
 * inside each script recorded.
 */
import { createHash } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  asideKeys,
  jobKeys,
  loadScripts,
  missingJobGraceMs,
  RedisJobStore,
  recoverableIndexKey,
  validateKeyPrefix,
} from '../../../src/adapters/redis/index.js';
import { connectMockRedis, deleteKeysWithPrefix, randomPrefix } from '../../support/redis.js';

/** The cluster slot of `key` (of its hash tag when it has a non-empty one), as Redis Cluster computes it. */
const keySlot = (key: string): number => calculateSlot(key);

describe('the key-slot function (cluster-key-slot)', () => {
  it("matches the hash-tag examples of the cluster specification and a real cluster's CLUSTER KEYSLOT", () => {
    // Values a Redis 7 cluster answers to CLUSTER KEYSLOT (also checked live in cluster-store.test.ts).
    expect(keySlot('123456789')).toBe(12_739);
    expect(keySlot('foo')).toBe(12_182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
  });
});

describe('the key layout', () => {
  it('puts every key of a job in the slot of {job:<id>}, whatever the id and prefix', () => {
    const jobId = fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/);
    const prefix = fc.string({ maxLength: 30 }).filter((text) => !/[{}]/.test(text));
    fc.assert(
      fc.property(jobId, prefix, (id, keyPrefix) => {
        const keys = jobKeys(keyPrefix, id);
        const slot = keySlot(`{job:${id}}`);
        for (const key of [keys.state, keys.chunks, keys.events]) expect(keySlot(key)).toBe(slot);
      }),
    );
  });

  it('refuses a prefix with a brace, which would move the hash tag', () => {
    expect(() => validateKeyPrefix('app{1}:')).toThrow(TypeError);
    expect(() => new RedisJobStore({ redis: connectMockRedis(), keyPrefix: 'x}' })).toThrow(/keyPrefix/);
  });
});

/** The Redis key behind an ioredis-mock storage key (the mock keeps stream entries under `stream:<key>:<id>`). */
function redisKeyOf(storageKey: string): string {
  const entry = /^stream:(.*):\d+-\d+$/.exec(storageKey);
  return entry?.[1] ?? storageKey;
}

/**
 * Records the keys each script call touches on an ioredis-mock client (whose Lua runs synchronously inside the call).
 */
function recordScriptKeys(redis: Redis): { name: string; keys: Set<string> }[] {
  const calls: { name: string; keys: Set<string> }[] = [];
  let current: { name: string; keys: Set<string> } | null = null;
  const mock = redis as unknown as Record<string, unknown> & { data: Record<string, unknown> };
  const data = mock.data;
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = ['get', 'has', 'set', 'delete'].includes(name)
      ? (key: string, ...rest: unknown[]) => {
          current?.keys.add(redisKeyOf(key));
          return method.call(data, key, ...rest);
        }
      : (...args: unknown[]) => method.apply(data, args);
  }
  mock.data = wrapped;
  for (const script of loadScripts().values()) {
    const original = mock[script.command] as (...args: unknown[]) => Promise<unknown>;
    mock[script.command] = (...args: unknown[]) => {
      current = { name: script.name, keys: new Set() };
      try {
        return original.apply(redis, args);
      } finally {
        calls.push(current);
        current = null;
      }
    };
  }
  return calls;
}

describe('the scripts', () => {
  it('touch only keys of one job, all in one slot, never the cross-job index (but the index script, only it)', async () => {
    let nowMs = 1_700_000_000_000;
    const clock = { now: () => nowMs };
    const redis = connectMockRedis();
    const keyPrefix = randomPrefix('slots');
    const store = new RedisJobStore({ redis, keyPrefix, clock });
    const calls = recordScriptKeys(redis);
    const sha = (seed: number) => createHash('sha256').update(String(seed)).digest('hex');
    const chunks = [0, 1].map((index) => ({
      index,
      startMs: index * 1_000,
      durationMs: 1_000,
      bytes: 10,
      sha256: sha(index),
    }));
    let request = 0;
    const fresh = () => `r${++request}`;
    const claim = async (jobId: string, workerId: string) => {
      const result = await store.claimJob({
        jobId,
        workerId,
        leaseMs: 1_000,
        recoveryAttemptsMax: 1,
        requestId: fresh(),
      });
      return result.kind === 'ok' || result.kind === 'exhausted' ? result.job.epoch : 0;
    };

    for (const jobId of ['life', 'exhausted', 'failed', 'quarantined']) {
      await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
      await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
      const epoch = await claim(jobId, 'w1');
      await store.renewLease({ jobId, workerId: 'w1', epoch, leaseMs: 1_000 });
      await store.recordChunkPlan({ jobId, workerId: 'w1', epoch, requestId: fresh(), durationMs: 2_000, chunks });
    }
    await store.releaseJob({ jobId: 'life', workerId: 'w1', epoch: 1, requestId: fresh() });
    const epoch = await claim('life', 'w2');
    await store.recordChunkRecreated({
      jobId: 'life',
      workerId: 'w2',
      epoch,
      requestId: fresh(),
      index: 0,
      reason: 'missing',
      bytes: 11,
      sha256: sha(9),
    });
    await store.markResumed({ jobId: 'life', workerId: 'w2', epoch, requestId: fresh() });
    for (const index of [0, 1])
      await store.commitChunk({
        jobId: 'life',
        workerId: 'w2',
        epoch,
        requestId: fresh(),
        index,
        transcript: `t${index}`,
      });
    await store.completeJob({ jobId: 'life', workerId: 'w2', epoch, requestId: fresh() });
    nowMs += 5_000;
    await claim('exhausted', 'w2');
    nowMs += 5_000;
    await claim('exhausted', 'w3');
    await store.failJob({
      jobId: 'failed',
      workerId: 'w1',
      epoch: 1,
      requestId: fresh(),
      reason: 'source_missing',
      message: 'gone',
      chunkIndex: 0,
    });
    await store.quarantineJob({ jobId: 'quarantined', workerId: 'doctor', message: 'corrupt', requestId: fresh() });
    expect((await store.getJob('exhausted'))?.phase).toBe('failed');
    // An index entry that names no job, removed once it has been missing for the grace period.
    await redis.zadd(store.recoverableIndexKey(), 0, 'ghost');
    await claim('ghost', 'w1');
    nowMs += missingJobGraceMs;
    await claim('ghost', 'w1');

    const names = new Set(calls.map((call) => call.name));
    expect([...names].sort()).toEqual([...loadScripts().keys()].sort());
    for (const call of calls) {
      expect(call.keys.size, call.name).toBeGreaterThan(0);
      // The one script of the index touches the index alone (its own slot).
      if (call.name === 'forget-missing') {
        expect([...call.keys]).toEqual([recoverableIndexKey(keyPrefix)]);
        continue;
      }
      const slots = new Set([...call.keys].map(keySlot));
      expect(slots.size, `${call.name} touched ${[...call.keys].join(', ')}`).toBe(1);
      const jobId = /\{job:([^}]+)\}/.exec([...call.keys][0] ?? '')?.[1] ?? '';
      // The quarantine also names where it moves a key of the wrong type (same slot).
      const allowed = [
        ...Object.values(jobKeys(keyPrefix, jobId)),
        ...(call.name === 'quarantine-job' ? Object.values(asideKeys(keyPrefix, jobId)) : []),
      ];
      for (const key of call.keys) expect(allowed, `${call.name} touched ${key}`).toContain(key);
      expect(call.keys.has(recoverableIndexKey(keyPrefix))).toBe(false);
    }
    await deleteKeysWithPrefix(redis, keyPrefix);
    redis.disconnect();
  });
});
