/**
 * The live run's witness of the store (sim/live/watcher.ts): an event stream that loses entries it
 * had shown is the store's loss; one the engine's quarantine set aside is not; and violations on
 * a job the store lost data of are the store's, not the engine's (run.ts attribute).
 */
import { describe, expect, it } from 'vitest';
import { asideKeys, jobKeys } from '../../src/adapters/redis/index.js';
import { attribute, storeMayLose } from '../../sim/live/run.js';
import { StoreWatcher } from '../../sim/live/watcher.js';
import {
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
  redisUrl,
} from '../support/redis.js';

describeWithRedis('the store watcher', await realRedis(), () => {
  it('reports a stream that lost entries it had shown, once per job, and nothing for a stream that only grew', async () => {
    const redis = connectRealRedis();
    const prefix = randomPrefix('watch');
    const lost = jobKeys(prefix, 'job-lost').events;
    const kept = jobKeys(prefix, 'job-kept').events;
    for (const seq of [1, 2, 3]) for (const key of [lost, kept]) await redis.xadd(key, String(seq), 'event', 'x');
    const watcher = new StoreWatcher(redisUrl, prefix, () => ['job-lost', 'job-kept', 'job-never']);
    await watcher.sampleOnce();
    expect(watcher.losses()).toEqual([]);
    await redis.del(lost);
    await redis.xadd(kept, '4', 'event', 'x');
    await watcher.sampleOnce();
    await redis.xadd(lost, '1', 'event', 'x');
    const losses = await watcher.stop();
    expect(losses).toEqual([expect.objectContaining({ job: 'job-lost', seenSeq: 3, nowSeq: -1 })]);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it('takes no quarantine for a loss: a stream set aside and restarted is the engine at work', async () => {
    const redis = connectRealRedis();
    const prefix = randomPrefix('watch');
    const events = jobKeys(prefix, 'job-q').events;
    for (const seq of [1, 2, 3]) await redis.xadd(events, String(seq), 'event', 'x');
    const watcher = new StoreWatcher(redisUrl, prefix, () => ['job-q']);
    await watcher.sampleOnce();
    await redis.rename(events, asideKeys(prefix, 'job-q').events);
    await redis.xadd(events, '1', 'event', 'job_failed');
    expect(await watcher.stop()).toEqual([]);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
});

describeWithRedis('the store watcher on rewritten entries', await realRedis(), () => {
  it('reports an entry lost and its seq written again between two samples (a failover, then new writes)', async () => {
    const redis = connectRealRedis();
    const prefix = randomPrefix('watch-rewrite');
    const rewritten = jobKeys(prefix, 'job-rewritten').events;
    const grown = jobKeys(prefix, 'job-grown').events;
    for (const seq of [1, 2, 3]) for (const key of [rewritten, grown]) await redis.xadd(key, String(seq), 'event', 'x');
    const watcher = new StoreWatcher(redisUrl, prefix, () => ['job-rewritten', 'job-grown']);
    await watcher.sampleOnce();
    // Seq 3 lost, then 3 and 4 written again with other fields before the next sample; the other stream only grew.
    await redis.del(rewritten);
    for (const seq of [1, 2]) await redis.xadd(rewritten, String(seq), 'event', 'x');
    await redis.xadd(rewritten, '3', 'event', 'y');
    await redis.xadd(rewritten, '4', 'event', 'y');
    await redis.xadd(grown, '4', 'event', 'x');
    const losses = await watcher.stop();
    expect(losses).toEqual([expect.objectContaining({ job: 'job-rewritten', seenSeq: 3, nowSeq: 4 })]);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
});

describe('which runs let the store lose acknowledged writes', () => {
  it('a redis-server without fsync before every reply, and a cluster that does not wait for a replica', () => {
    expect(storeMayLose({})).toBe(false);
    expect(storeMayLose({ persistence: 'always' })).toBe(false);
    expect(storeMayLose({ persistence: 'everysec' })).toBe(true);
    expect(storeMayLose({ persistence: 'none' })).toBe(true);
    expect(storeMayLose({ cluster: true })).toBe(true);
    expect(storeMayLose({ cluster: true, waitReplicas: true })).toBe(false);
  });
});

describe('attribution of violations', () => {
  it('gives the store the violations on jobs it lost data of, and the engine every other', () => {
    const violations = [
      { promise: 'P1', job: 'job-a', message: 'job vanished from the store' },
      { promise: 'P3', job: 'job-b', message: 'two commits' },
      { promise: 'P10', message: 'a worker loop hit an unexpected error' },
    ] as const;
    const { engine, store } = attribute(violations, [{ atMs: 0, job: 'job-a', seenSeq: 5, nowSeq: -1 }]);
    expect(store.map((violation) => violation.job)).toEqual(['job-a']);
    expect(engine.map((violation) => violation.promise)).toEqual(['P3', 'P10']);
    expect(attribute(violations, []).engine).toHaveLength(3);
  });
});
