/**
 * Hand-edited Redis data is detected on load and can be quarantined (P10): on ioredis-mock and on
 * a real server a job's keys are edited by hand (a field deleted, a non-number epoch, a chunk marked
 * committed without text, an unknown phase, disagreeing counters, a bogus event, a key of the wrong
 * type), then getJob, claimJob and the writes throw CorruptStateError, and quarantineJob still fails
 * the job with state_corrupt, a bumped epoch and a valid job_failed event that continues the stream.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { asideKeys, RedisJobStore } from '../../../src/adapters/redis/index.js';
import { CorruptStateError } from '../../../src/ports.js';
import { deleteKeysWithPrefix, describeOnMockAndReal, randomPrefix, realRedis } from '../../support/redis.js';

const leaseMs = 10_000;
const chunks = [0, 1, 2].map((index) => ({
  index,
  startMs: index * 1_000,
  durationMs: 1_000,
  bytes: 100,
  sha256: createHash('sha256').update(String(index)).digest('hex'),
}));

/**
 * A store on `redis` with a manual clock, and a job claimed by w1 (epoch 1), planned with 3 chunks and chunk 0
 * committed: 4 events.
 */
async function setUp(redis: Redis, jobId: string) {
  let nowMs = 1_700_000_000_000;
  const keyPrefix = randomPrefix('corrupt');
  const store = new RedisJobStore({ redis, keyPrefix, clock: { now: () => nowMs } });
  await store.createJob({ jobId, source: '/a.wav', chunkLengthMs: 1_000 });
  await store.claimJob({ jobId, workerId: 'w1', leaseMs, recoveryAttemptsMax: 3, requestId: 'claim' });
  await store.recordChunkPlan({ jobId, workerId: 'w1', epoch: 1, requestId: 'plan', durationMs: 3_000, chunks });
  await store.commitChunk({ jobId, workerId: 'w1', epoch: 1, requestId: 'commit-0', index: 0, transcript: 'zero' });
  expect(await store.readEvents(jobId)).toHaveLength(4);
  const advance = (ms: number) => {
    nowMs += ms;
  };
  return { store, keys: store.keys(jobId), keyPrefix, advance };
}

type Subject = Awaited<ReturnType<typeof setUp>>;

async function expectCorrupt(action: Promise<unknown>, problem: RegExp): Promise<void> {
  const error = await action.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CorruptStateError);
  expect((error as CorruptStateError).problems.join('; ')).toMatch(problem);
}

/** Loads and claims must refuse the job; quarantine must fail it with a valid job_failed (seq 5, the given epoch). */
async function expectDetectedThenQuarantined(
  redis: Redis,
  subject: Subject,
  jobId: string,
  problem: RegExp,
  epochAfter: number,
): Promise<void> {
  const { store, keys, advance } = subject;
  await expectCorrupt(store.getJob(jobId), problem);
  advance(leaseMs + 1);
  await expectCorrupt(
    store.claimJob({ jobId, workerId: 'w2', leaseMs, recoveryAttemptsMax: 3, requestId: 'claim-2' }),
    problem,
  );
  const request = { jobId, workerId: 'doctor', message: `quarantined: ${problem.source}`, requestId: 'quarantine' };
  expect(await store.quarantineJob(request)).toEqual({ kind: 'ok', duplicate: false });
  expect(await store.quarantineJob(request)).toEqual({ kind: 'ok', duplicate: true });
  expect(await redis.hgetall(keys.state)).toMatchObject({
    phase: 'failed',
    failureReason: 'state_corrupt',
    owner: 'doctor',
    epoch: String(epochAfter),
    leaseExpiresAtMs: '0',
    nextSeq: '6',
  });
  const events = await store.readEvents(jobId);
  expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
  expect(events.at(-1)).toMatchObject({
    event: 'job_failed',
    reason: 'state_corrupt',
    worker_id: 'doctor',
    epoch: epochAfter,
    recovery: false,
  });
  for (const key of [keys.state, keys.events]) expect(await redis.pttl(key)).toBeGreaterThan(0);
  expect(await store.listRecoverableJobs(10)).not.toContain(jobId);
  expect(
    await store.commitChunk({ jobId, workerId: 'w1', epoch: 1, requestId: 'late', index: 1, transcript: 'x' }),
  ).toMatchObject({ kind: 'stale_epoch' });
}

function corruptStateSuite(connect: () => Redis, checksKeyTypes: boolean): void {
  it('a deleted field: loads and writes refuse the job; quarantine restores a readable failed job', async () => {
    const redis = connect();
    const subject = await setUp(redis, 'missing-field');
    await redis.hdel(subject.keys.state, 'nextSeq');
    await expectCorrupt(
      subject.store.commitChunk({
        jobId: 'missing-field',
        workerId: 'w1',
        epoch: 1,
        requestId: 'c1',
        index: 1,
        transcript: 'one',
      }),
      /nextSeq/,
    );
    await expectDetectedThenQuarantined(redis, subject, 'missing-field', /nextSeq/, 2);
    expect(await subject.store.getJob('missing-field')).toMatchObject({
      phase: 'failed',
      epoch: 2,
      failure: { reason: 'state_corrupt' },
    });
    await deleteKeysWithPrefix(redis, subject.keyPrefix);
  });

  it('a non-number epoch: the quarantine takes the last event’s epoch + 1', async () => {
    const redis = connect();
    const subject = await setUp(redis, 'bad-epoch');
    await redis.hset(subject.keys.state, 'epoch', 'abc');
    await expectCorrupt(subject.store.renewLease({ jobId: 'bad-epoch', workerId: 'w1', epoch: 1, leaseMs }), /epoch/);
    await expectDetectedThenQuarantined(redis, subject, 'bad-epoch', /epoch "abc"/, 2);
    await deleteKeysWithPrefix(redis, subject.keyPrefix);
  });

  it('a chunk marked committed without text: detected on load; quarantined, it stays unreadable', async () => {
    const redis = connect();
    const subject = await setUp(redis, 'no-text');
    await redis.hset(subject.keys.chunks, '1:status', 'committed');
    await expectDetectedThenQuarantined(redis, subject, 'no-text', /chunk 1 is committed without text/, 2);
    await expectCorrupt(subject.store.getJob('no-text'), /chunk 1 is committed without text/);
    await deleteKeysWithPrefix(redis, subject.keyPrefix);
  });

  it('an unknown phase: loads and writes refuse the job; quarantine fails it', async () => {
    const redis = connect();
    const subject = await setUp(redis, 'bad-phase');
    await redis.hset(subject.keys.state, 'phase', 'paused');
    await expectCorrupt(
      subject.store.commitChunk({
        jobId: 'bad-phase',
        workerId: 'w1',
        epoch: 1,
        requestId: 'c1',
        index: 1,
        transcript: 'one',
      }),
      /unknown phase/,
    );
    await expectDetectedThenQuarantined(redis, subject, 'bad-phase', /unknown phase "paused"/, 2);
    await deleteKeysWithPrefix(redis, subject.keyPrefix);
  });

  it('counters that disagree with the chunks, and a bogus event, are corrupt state', async () => {
    const redis = connect();
    const subject = await setUp(redis, 'counters');
    await redis.hset(subject.keys.state, 'committedCount', '2');
    await expectCorrupt(subject.store.getJob('counters'), /committedCount 2 but 1 chunks are committed/);
    await redis.hset(subject.keys.state, 'committedCount', '1');
    expect((await subject.store.getJob('counters'))?.chunks[0]?.transcript).toBe('zero');
    await redis.xadd(
      subject.keys.events,
      '5',
      'event',
      'chunk_transcribed',
      'job_id',
      'counters',
      'seq',
      '5',
      'timestamp',
      'soon',
    );
    await expectCorrupt(subject.store.readEvents('counters'), /event 5-0/);
    await expectCorrupt(subject.store.getJob('counters'), /event stream ends at seq 5 but nextSeq is 5/);
    await deleteKeysWithPrefix(redis, subject.keyPrefix);
  });

  // ioredis-mock does not check key types in stream commands (it fails with a TypeError of its own).
  it.skipIf(!checksKeyTypes)(
    'a key of the wrong type is corrupt state, not a crash; the quarantine sets it aside and fails the job',
    async () => {
      const redis = connect();
      const subject = await setUp(redis, 'wrong-type');
      await redis.del(subject.keys.events);
      await redis.set(subject.keys.events, 'not a stream');
      await expectCorrupt(subject.store.getJob('wrong-type'), /wrong type/);
      await expectCorrupt(subject.store.readEvents('wrong-type'), /wrong type/);
      expect(
        (await subject.store.quarantineJob({ jobId: 'wrong-type', workerId: 'doctor', message: 'x', requestId: 'q' }))
          .kind,
      ).toBe('ok');
      expect(await redis.get(asideKeys(subject.keyPrefix, 'wrong-type').events)).toBe('not a stream');
      const failed = await subject.store.getJob('wrong-type');
      expect(failed?.phase).toBe('failed');
      expect(failed?.failure?.reason).toBe('state_corrupt');
      expect((await subject.store.readEvents('wrong-type')).map((event) => event.event)).toEqual(['job_failed']);
      await deleteKeysWithPrefix(redis, subject.keyPrefix);
    },
  );

  it.skipIf(!checksKeyTypes)(
    'a state key of the wrong type: the quarantine sets it aside and leaves a whole failed job',
    async () => {
      const redis = connect();
      const subject = await setUp(redis, 'wrong-state');
      await redis.del(subject.keys.state);
      await redis.rpush(subject.keys.state, 'not', 'a', 'hash');
      await expectCorrupt(subject.store.getJob('wrong-state'), /wrong type/);
      expect(
        (await subject.store.quarantineJob({ jobId: 'wrong-state', workerId: 'doctor', message: 'x', requestId: 'q' }))
          .kind,
      ).toBe('ok');
      expect(await redis.lrange(asideKeys(subject.keyPrefix, 'wrong-state').state, 0, -1)).toEqual([
        'not',
        'a',
        'hash',
      ]);
      const failed = await subject.store.getJob('wrong-state');
      expect(failed).toMatchObject({ phase: 'failed', failure: { reason: 'state_corrupt' } });
      const events = await subject.store.readEvents('wrong-state');
      expect(events.at(-1)?.event).toBe('job_failed');
      expect(events.at(-1)?.seq).toBe((failed?.nextSeq ?? 0) - 1);
      await deleteKeysWithPrefix(redis, subject.keyPrefix);
    },
  );

  it.skipIf(!checksKeyTypes)(
    'a state key of the wrong type during a recovery: the outbox says the attempt was open, and it ends with recovery_failed',
    async () => {
      const redis = connect();
      const subject = await setUp(redis, 'wrong-recovering');
      subject.advance(leaseMs + 1);
      expect(
        (
          await subject.store.claimJob({
            jobId: 'wrong-recovering',
            workerId: 'w2',
            leaseMs,
            recoveryAttemptsMax: 3,
            requestId: 'claim-2',
          })
        ).kind,
      ).toBe('ok');
      await redis.del(subject.keys.state);
      await redis.rpush(subject.keys.state, 'not a hash');
      expect(
        (
          await subject.store.quarantineJob({
            jobId: 'wrong-recovering',
            workerId: 'doctor',
            message: 'x',
            requestId: 'q',
          })
        ).kind,
      ).toBe('ok');
      const events = await subject.store.readEvents('wrong-recovering');
      expect(events.slice(-3).map((event) => event.event)).toEqual([
        'recovery_started',
        'job_failed',
        'recovery_failed',
      ]);
      expect(events.at(-1)).toMatchObject({ attempt: 1, recovery_result: 'job_failed', reason: 'state_corrupt' });
      expect(events.at(-1)?.seq).toBe(events.length);
      await deleteKeysWithPrefix(redis, subject.keyPrefix);
    },
  );

  it.skipIf(!checksKeyTypes)(
    'a chunks key of the wrong type: the quarantine sets it aside and leaves a readable failed job with no chunks',
    async () => {
      const redis = connect();
      const subject = await setUp(redis, 'wrong-chunks');
      await redis.del(subject.keys.chunks);
      await redis.set(subject.keys.chunks, 'not a hash');
      await expectCorrupt(subject.store.getJob('wrong-chunks'), /wrong type/);
      await expectCorrupt(
        subject.store.commitChunk({
          jobId: 'wrong-chunks',
          workerId: 'w1',
          epoch: 1,
          requestId: 'c1',
          index: 1,
          transcript: 'one',
        }),
        /wrong type/,
      );
      expect(
        (await subject.store.quarantineJob({ jobId: 'wrong-chunks', workerId: 'doctor', message: 'x', requestId: 'q' }))
          .kind,
      ).toBe('ok');
      expect(await redis.get(asideKeys(subject.keyPrefix, 'wrong-chunks').chunks)).toBe('not a hash');
      const failed = await subject.store.getJob('wrong-chunks');
      expect(failed).toMatchObject({ phase: 'failed', failure: { reason: 'state_corrupt' }, chunks: [] });
      expect((await subject.store.readEvents('wrong-chunks')).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
      await deleteKeysWithPrefix(redis, subject.keyPrefix);
    },
  );
}

describeOnMockAndReal('corrupt state', await realRedis(), corruptStateSuite);
