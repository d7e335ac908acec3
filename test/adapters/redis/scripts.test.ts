/**
 * The Lua scripts and what surrounds them keep their promises, checked on the files, on
 * ioredis-mock and on a real server: each file's header documents every KEYS[i], ARGV[i], return
 * code and event and the body binds the keys to locals; the script directory is found from src and
 * from dist; without a clock the scripts use the server clock; terminal jobs' keys get the retention
 * TTL; the recoverable index is a hint that claims repair; a plan of chunksPerJobMax chunks works.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadScripts,
  luaDirectory,
  missingJobGraceMs,
  RedisJobStore,
  ScriptCode,
  scriptNames,
} from '../../../src/adapters/redis/index.js';
import { chunksPerJobMax } from '../../../src/core/limits.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../../support/redis.js';

const sha = (seed: number) => createHash('sha256').update(String(seed)).digest('hex');
const plan = (count: number) =>
  Array.from({ length: count }, (_, index) => ({
    index,
    startMs: index * 1_000,
    durationMs: 1_000,
    bytes: 1,
    sha256: sha(index),
  }));

describe('the script files', () => {
  const directory = luaDirectory();

  it('exist once per write operation, named <name>-<numberOfKeys>.lua', () => {
    const scripts = loadScripts();
    expect([...scripts.keys()].sort()).toEqual([...scriptNames].sort());
    for (const script of scripts.values()) expect(script.file).toBe(`${script.name}-${script.numberOfKeys}.lua`);
  });

  for (const name of scriptNames) {
    it(`${name}: a header documents every KEYS[i], ARGV[i], return code and event; the body binds the keys to locals`, () => {
      const script = loadScripts().get(name);
      if (script === undefined) throw new Error(name);
      const source = readFileSync(`${directory}${script.file}`, 'utf8');
      expect(source.startsWith('--[[')).toBe(true);
      const headerEnd = source.indexOf(']]');
      const header = source.slice(0, headerEnd);
      const body = source.slice(headerEnd + 2);
      const documentedKeys = [...header.matchAll(/^KEYS\[(\d+)\] +\w+ +(hash|stream|zset|string)\b/gm)].map((match) =>
        Number(match[1]),
      );
      expect(documentedKeys).toEqual(Array.from({ length: script.numberOfKeys }, (_, position) => position + 1));
      for (const match of body.matchAll(/ARGV\[(\d+)\]/g))
        expect(header, `ARGV[${match[1]}] of ${name}`).toMatch(new RegExp(`^ARGV\\[${match[1]}\\] `, 'm'));
      expect(header).toMatch(/^Returns/m);
      expect(header).toMatch(/^Events/m);
      expect(header).toMatch(/^Cluster: touches KEYS only \(one slot\)/m);
      const bindings = [...body.matchAll(/^local (\w+) = KEYS\[(\d+)\]$/gm)].map((match) => Number(match[2]));
      expect(bindings).toEqual(documentedKeys);
      expect(body.match(/KEYS\[/g)).toHaveLength(script.numberOfKeys);
      const includeAt = body.indexOf('--- @include "common"');
      const lastBinding = Math.max(
        ...[...body.matchAll(/^local \w+ = (?:KEYS|ARGV|tonumber\(ARGV)/gm)].map((match) => match.index),
      );
      expect(includeAt).toBeGreaterThan(lastBinding);
      for (const code of [...header.matchAll(/^ +(-?\d) [A-Z_]+/gm)].map((match) => Number(match[1]))) {
        expect(Object.values(ScriptCode)).toContain(code);
      }
      expect(script.lua).not.toMatch(/cjson|cmsgpack|'KEYS'|'SCAN'|redis\.call\('KEYS/);
    });
  }

  it('share helpers that take their keys as parameters', () => {
    const common = readFileSync(`${directory}includes/common.lua`, 'utf8');
    expect(common).not.toMatch(/KEYS\[|ARGV\[/);
  });

  it('are found beside the module in src, and from dist where tsc copies no .lua file', () => {
    const srcDirectory = new URL('../../../src/adapters/redis/lua/', import.meta.url).pathname;
    expect(luaDirectory()).toBe(srcDirectory);
    const root = new URL('../../../', import.meta.url).href;
    expect(luaDirectory(`${root}dist/src/adapters/redis/scripts.js`)).toBe(srcDirectory);
    expect(luaDirectory(`${root}dist/adapters/redis/scripts.js`)).toBe(srcDirectory);
    expect(() => luaDirectory('file:///nowhere/a/b/c/d/scripts.js')).toThrow(/cannot find the Redis Lua scripts/);
  });
});

/** Store behaviour that needs a client: the server clock, retention, the index. */
function behaviourSuite(connect: () => Redis, close: (redis: Redis) => Promise<void>): void {
  const redis = connect();
  const prefixes: string[] = [];
  const storeOn = (options: { clock?: { now(): number }; terminalRetentionMs?: number } = {}) => {
    const keyPrefix = randomPrefix('behaviour');
    prefixes.push(keyPrefix);
    return new RedisJobStore({ redis, keyPrefix, ...options });
  };
  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeysWithPrefix(redis, prefix);
    await close(redis);
  });

  it('reads the server clock (TIME) for leases and event timestamps when no clock is given', async () => {
    const store = storeOn();
    const before = Date.now() - 2_000;
    const created = await store.createJob({ jobId: 'timed', source: '/a', chunkLengthMs: 1_000 });
    expect(created.kind === 'ok' && created.job.createdAtMs).toBeGreaterThan(before);
    expect(await store.listRecoverableJobs(5)).toEqual(['timed']);
    const claim = await store.claimJob({
      jobId: 'timed',
      workerId: 'w1',
      leaseMs: 60_000,
      recoveryAttemptsMax: 3,
      requestId: 'c',
    });
    if (claim.kind !== 'ok') throw new Error(claim.kind);
    const after = Date.now() + 2_000;
    expect(claim.job.leaseExpiresAtMs).toBeGreaterThan(before + 60_000);
    expect(claim.job.leaseExpiresAtMs).toBeLessThan(after + 60_000);
    expect(await store.listRecoverableJobs(5)).toEqual([]);
    await store.recordChunkPlan({
      jobId: 'timed',
      workerId: 'w1',
      epoch: 1,
      requestId: 'p',
      durationMs: 1_000,
      chunks: plan(1),
    });
    for (const event of await store.readEvents('timed')) {
      expect(event.timestamp).toBeGreaterThan(before);
      expect(event.timestamp).toBeLessThan(after);
    }
  });

  it('gives every key of a completed or failed job the retention TTL, and none to a running job', async () => {
    let nowMs = 1_700_000_000_000;
    const store = storeOn({ clock: { now: () => nowMs }, terminalRetentionMs: 60_000 });
    for (const jobId of ['done', 'failed', 'running']) {
      await store.createJob({ jobId, source: '/a', chunkLengthMs: 1_000 });
      await store.claimJob({ jobId, workerId: 'w1', leaseMs: 10_000, recoveryAttemptsMax: 3, requestId: 'c' });
      await store.recordChunkPlan({
        jobId,
        workerId: 'w1',
        epoch: 1,
        requestId: 'p',
        durationMs: 1_000,
        chunks: plan(1),
      });
    }
    nowMs += 5;
    await store.commitChunk({
      jobId: 'done',
      workerId: 'w1',
      epoch: 1,
      requestId: 'x',
      index: 0,
      transcript: 'all of it',
    });
    await store.completeJob({ jobId: 'done', workerId: 'w1', epoch: 1, requestId: 'y' });
    await store.failJob({
      jobId: 'failed',
      workerId: 'w1',
      epoch: 1,
      requestId: 'y',
      reason: 'media_invalid',
      message: 'bad',
    });
    for (const jobId of ['done', 'failed']) {
      for (const key of Object.values(store.keys(jobId))) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(60_000);
      }
    }
    for (const key of Object.values(store.keys('running'))) expect(await redis.pttl(key)).toBe(-1);
    expect(await store.getJob('done')).toMatchObject({ phase: 'completed', transcript: 'all of it' });
  });

  it('keeps the index as a hint: scores follow the lease, and claims repair stale entries', async () => {
    let nowMs = 1_700_000_000_000;
    const store = storeOn({ clock: { now: () => nowMs } });
    const index = store.recoverableIndexKey();
    const score = async (jobId: string) => redis.zscore(index, jobId);
    const claim = (jobId: string, workerId: string, requestId: string) =>
      store.claimJob({ jobId, workerId, leaseMs: 10_000, recoveryAttemptsMax: 3, requestId });
    await store.createJob({ jobId: 'j', source: '/a', chunkLengthMs: 1_000 });
    expect(await score('j')).toBe('0');
    await claim('j', 'w1', 'c1');
    expect(await score('j')).toBe(String(nowMs + 10_000));
    nowMs += 1_000;
    await store.renewLease({ jobId: 'j', workerId: 'w1', epoch: 1, leaseMs: 10_000 });
    expect(await score('j')).toBe(String(nowMs + 10_000));
    await store.releaseJob({ jobId: 'j', workerId: 'w1', epoch: 1, requestId: 'r' });
    expect(await score('j')).toBe('0');

    await claim('j', 'w2', 'c2');
    await redis.zadd(index, 0, 'j');
    expect(await store.listRecoverableJobs(5)).toEqual(['j']);
    expect(await claim('j', 'w3', 'c3')).toEqual({ kind: 'not_claimable', reason: 'leased' });
    expect(await score('j')).toBe(String(nowMs + 10_000));
    expect(await store.listRecoverableJobs(5)).toEqual([]);

    await store.quarantineJob({ jobId: 'j', workerId: 'doctor', message: 'x', requestId: 'q' });
    expect(await score('j')).toBeNull();
    await redis.zadd(index, 0, 'j', 0, 'gone');
    expect(new Set(await store.listRecoverableJobs(5))).toEqual(new Set(['j', 'gone']));
    expect(await claim('j', 'w3', 'c4')).toEqual({ kind: 'not_claimable', reason: 'terminal' });
    expect(await claim('gone', 'w3', 'c5')).toEqual({ kind: 'not_found' });
    // An entry that names no job may be a create under way: it is marked missing, kept, and
    // removed only once it has been missing for missingJobGraceMs.
    expect(await store.listRecoverableJobs(5)).toEqual(['gone']);
    nowMs += missingJobGraceMs;
    expect(await claim('gone', 'w3', 'c6')).toEqual({ kind: 'not_found' });
    expect(await store.listRecoverableJobs(5)).toEqual([]);
  });
}

describe('store behaviour on ioredis-mock', () =>
  behaviourSuite(connectMockRedis, async (redis) => redis.disconnect()));

const probe = await realRedis();
describeWithRedis('store behaviour on a real server', probe, () => {
  behaviourSuite(connectRealRedis, async (redis) => {
    await redis.quit();
  });

  it(`plans, commits and completes a job of chunksPerJobMax (${chunksPerJobMax}) chunks`, async () => {
    const redis = connectRealRedis();
    const keyPrefix = randomPrefix('large');
    const store = new RedisJobStore({ redis, keyPrefix });
    await store.createJob({ jobId: 'large', source: '/long.wav', chunkLengthMs: 1_000 });
    await store.claimJob({ jobId: 'large', workerId: 'w1', leaseMs: 600_000, recoveryAttemptsMax: 3, requestId: 'c' });
    const chunks = plan(chunksPerJobMax);
    expect(
      await store.recordChunkPlan({
        jobId: 'large',
        workerId: 'w1',
        epoch: 1,
        requestId: 'p',
        durationMs: chunksPerJobMax * 1_000,
        chunks,
      }),
    ).toEqual({
      kind: 'ok',
      duplicate: false,
    });
    const commits = chunks.map((chunk) =>
      store.commitChunk({
        jobId: 'large',
        workerId: 'w1',
        epoch: 1,
        requestId: `x${chunk.index}`,
        index: chunk.index,
        transcript: 'w',
      }),
    );
    expect((await Promise.all(commits)).every((result) => result.kind === 'ok')).toBe(true);
    expect(await store.completeJob({ jobId: 'large', workerId: 'w1', epoch: 1, requestId: 'done' })).toEqual({
      kind: 'ok',
      duplicate: false,
    });
    const job = await store.getJob('large');
    expect(job?.chunks).toHaveLength(chunksPerJobMax);
    expect(job?.transcript).toHaveLength(2 * chunksPerJobMax - 1);
    const events = await store.readEvents('large');
    expect(events).toHaveLength(2 + 2 * chunksPerJobMax + 2);
    expect(events.at(-1)).toMatchObject({
      event: 'transcription_completed',
      transcript_length: 2 * chunksPerJobMax - 1,
    });
    await deleteKeysWithPrefix(redis, keyPrefix);
    await redis.quit();
  });
});
