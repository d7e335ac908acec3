/**
 * One bad job never stops a fleet: a worker whose claim of one listed job fails with that job's own
 * error (an index entry that is no job id, a quarantine the store cannot write) skips it for a
 * backoff, says so in its log, and claims and finishes the other jobs; the Redis store removes
 * index entries that can never name a job, and reads an absurd chunk count as corrupt state at
 * once (no loop over it); on a real server a job whose keys have the wrong type cannot hold up the
 * others.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { AssertionError } from '../../src/core/assert.js';
import { CorruptStateError } from '../../src/ports.js';
import { Harness, storeWith } from '../support/fakes.js';
import { deleteKeysWithPrefix, describeOnMockAndReal, randomPrefix, realRedis } from '../support/redis.js';

describe('a worker skips a job that fails on its own and goes on', () => {
  for (const [name, failure] of [
    [
      'an index entry that is no job id',
      () => new TypeError('jobId must match [A-Za-z0-9_-]{1,128}, got "../../etc/passwd"'),
    ],
    [
      'a corrupt job whose quarantine the store cannot write',
      () => new CorruptStateError('poison', ['WRONGTYPE Operation against a key holding the wrong kind of value']),
    ],
  ] as const) {
    it(`claims and finishes the other jobs past ${name}`, async () => {
      const harness = new Harness();
      await harness.createJob('poison', 2_000);
      await harness.createJob('good', 2_000);
      let poisonClaims = 0;
      const handle = harness.startWorker('w1', {
        store: (inner) =>
          storeWith(inner, {
            listRecoverableJobs: async (limit) => [
              'poison',
              ...(await inner.listRecoverableJobs(limit)).filter((id) => id !== 'poison'),
            ],
            claimJob: async (request) => {
              if (request.jobId !== 'poison') return inner.claimJob(request);
              poisonClaims += 1;
              throw failure();
            },
            // The quarantine of such a job fails too (on Redis: WRONGTYPE inside the script).
            quarantineJob: async (request) => {
              if (request.jobId !== 'poison') return inner.quarantineJob(request);
              throw new CorruptStateError('poison', [
                'WRONGTYPE Operation against a key holding the wrong kind of value',
              ]);
            },
          }),
      });
      await harness.runUntil(() => harness.isIn('good', 'completed'));
      const skips = handle.log.filter((entry) => entry.what === 'skipped' && entry.jobId === 'poison');
      expect(skips.length).toBeGreaterThanOrEqual(1);
      expect(skips[0]?.detail).toMatch(/^for \d+ ms after failure 1: /);
      expect(handle.log.filter((entry) => entry.what === 'error')).toEqual([]);
      // Skipped with a backoff: far fewer attempts than polls.
      await harness.runFor(60_000);
      expect(poisonClaims).toBeLessThan(60_000 / harness.limits.idlePollIntervalMs / 4);
      expect(handle.error).toBeUndefined();
      handle.worker.stop();
    });
  }
});

describe('the backoff of a skipped job', () => {
  /** A worker whose claims of job `poison` fail with the job's own error; the times of those claims. */
  async function poisonClaims(workSignal: boolean): Promise<{ attempts: number[]; harness: Harness }> {
    const harness = new Harness();
    await harness.createJob('poison', 2_000);
    const attempts: number[] = [];
    harness.startWorker('w1', {
      workSignal,
      store: (inner) =>
        storeWith(inner, {
          claimJob: async (request) => {
            if (request.jobId !== 'poison') return inner.claimJob(request);
            attempts.push(harness.scheduler.now());
            throw new TypeError('jobId must match [A-Za-z0-9_-]{1,128}');
          },
        }),
    });
    await harness.runFor(30_000);
    return { attempts, harness };
  }

  for (const workSignal of [false, true]) {
    it(`doubles from twice the poll interval up to the sweep interval (${workSignal ? 'waiting' : 'polling'})`, async () => {
      const { attempts, harness } = await poisonClaims(workSignal);
      const { idlePollIntervalMs: pollMs, sweepIntervalMs: sweepMs } = harness.limits;
      const gaps = attempts.slice(1).map((at, index) => at - (attempts[index] ?? 0));
      const expected = [2 * pollMs, 4 * pollMs, 8 * pollMs, sweepMs, sweepMs].map((ms) => Math.min(ms, sweepMs));
      expect(gaps.length).toBeGreaterThanOrEqual(expected.length);
      // Each retry comes once its backoff has passed, and (a worker waiting for work is woken for it) soon after.
      expected.forEach((delayMs, index) => {
        expect(gaps[index]).toBeGreaterThanOrEqual(delayMs);
        expect(gaps[index]).toBeLessThan(delayMs + pollMs + 50);
      });
    });
  }

  it('does not skip a job whose claim broke an assertion: that is a bug, logged as an error', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 2_000);
    const handle = harness.startWorker('w1', {
      store: (inner) =>
        storeWith(inner, {
          claimJob: async () => Promise.reject(new AssertionError('claim of a job with no owner')),
        }),
    });
    await harness.runFor(2_000);
    expect(handle.log.filter((entry) => entry.what === 'skipped')).toEqual([]);
    expect(handle.log.find((entry) => entry.what === 'error')?.detail).toMatch(/claim of a job with no owner/);
  });
});

function redisPoisonSuite(connect: () => Redis): void {
  it('removes index entries that can never name a job, and says so', async () => {
    const redis = connect();
    const keyPrefix = randomPrefix('poison');
    const notes: string[] = [];
    const store = new RedisJobStore({
      redis,
      keyPrefix,
      clock: { now: () => 1_000 },
      log: (message) => notes.push(message),
    });
    await store.createJob({ jobId: 'real', source: '/a.wav', chunkLengthMs: 1_000 });
    await redis.zadd(store.recoverableIndexKey(), 0, '../../etc/passwd', 0, 'with space');
    expect(await store.listRecoverableJobs(16)).toEqual(['real']);
    expect(await redis.zrange(store.recoverableIndexKey(), 0, -1)).toEqual(['real']);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/not a job id/);
    await deleteKeysWithPrefix(redis, keyPrefix);
  });

  it('reads a chunk count of 2^53 − 1 as corrupt state, without a loop over it', async () => {
    const redis = connect();
    const keyPrefix = randomPrefix('poison');
    const store = new RedisJobStore({ redis, keyPrefix, clock: { now: () => 1_000 } });
    await store.createJob({ jobId: 'huge', source: '/a.wav', chunkLengthMs: 1_000 });
    await redis.hset(store.keys('huge').state, 'chunkCount', String(Number.MAX_SAFE_INTEGER));
    const error = await store.getJob('huge').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(CorruptStateError);
    expect(String(error)).toMatch(/chunkCount \d+ is above chunksPerJobMax/);
    const claim = await store
      .claimJob({ jobId: 'huge', workerId: 'w1', leaseMs: 10_000, recoveryAttemptsMax: 3, requestId: 'c' })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(claim).toBeInstanceOf(CorruptStateError);
    expect(
      (await store.quarantineJob({ jobId: 'huge', workerId: 'doctor', message: 'absurd size', requestId: 'q' })).kind,
    ).toBe('ok');
    // Quarantined, the job is readable again: failed, with no chunks.
    expect(await store.getJob('huge')).toMatchObject({
      phase: 'failed',
      chunks: [],
      failure: { reason: 'state_corrupt' },
    });
    await deleteKeysWithPrefix(redis, keyPrefix);
  });
}

describeOnMockAndReal('poison data', await realRedis(), redisPoisonSuite);
