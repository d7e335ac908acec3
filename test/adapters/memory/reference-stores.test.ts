/**
 * The memory reference stores beyond the JobStore contract: the order in which claimable jobs are handed out, argument
 * checks with their messages, the outbox's own guard against events that break the stream, and chunk files verified,
 * published and listed exactly as the file-system store does.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChunkStore, MemoryJobStore, sha256Hex } from '../../../src/adapters/memory/index.js';
import { AssertionError } from '../../../src/core/assert.js';
import { EventSchemaError } from '../../../src/core/events.js';
import * as operations from '../../../src/core/operations.js';
import { chunkPlan, manualClock } from '../../contracts/job-store.contract.js';

const leaseMs = 1_000;

async function create(store: MemoryJobStore, jobId: string): Promise<void> {
  const created = await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
  expect(created.kind).toBe('ok');
}

async function claim(
  store: MemoryJobStore,
  jobId: string,
  workerId = 'w1',
  requestId = `${jobId}-${workerId}`,
): Promise<number> {
  const claimed = await store.claimJob({ jobId, workerId, leaseMs, recoveryAttemptsMax: 3, requestId });
  if (claimed.kind !== 'ok') throw new Error(`claim of ${jobId}: ${claimed.kind}`);
  return claimed.job.epoch;
}

describe('MemoryJobStore.listRecoverableJobs', () => {
  it('hands out jobs without a lease first, then the oldest lease end first, ties by id, up to the limit', async () => {
    const clock = manualClock(0);
    const store = new MemoryJobStore(clock);
    for (const jobId of ['job-d', 'job-b', 'job-c', 'job-a']) await create(store, jobId);
    expect(await store.listRecoverableJobs(10)).toEqual(['job-a', 'job-b', 'job-c', 'job-d']);
    await claim(store, 'job-d');
    clock.advance(300);
    await claim(store, 'job-a');
    expect(await store.listRecoverableJobs(10)).toEqual(['job-b', 'job-c']);
    clock.advance(leaseMs);
    expect(await store.listRecoverableJobs(10)).toEqual(['job-b', 'job-c', 'job-d', 'job-a']);
    expect(await store.listRecoverableJobs(3)).toEqual(['job-b', 'job-c', 'job-d']);
  });

  it('orders jobs whose leases ended at the same instant by id', async () => {
    const clock = manualClock(0);
    const store = new MemoryJobStore(clock);
    for (const jobId of ['job-z', 'job-y', 'job-x']) {
      await create(store, jobId);
      await claim(store, jobId);
    }
    clock.advance(leaseMs);
    expect(await store.listRecoverableJobs(10)).toEqual(['job-x', 'job-y', 'job-z']);
  });

  it('refuses a limit that is not a positive integer', async () => {
    const store = new MemoryJobStore(manualClock(0));
    await expect(store.listRecoverableJobs(0)).rejects.toThrow(
      new RangeError('limit must be a positive integer, got 0'),
    );
    await expect(store.listRecoverableJobs(1.5)).rejects.toThrow(RangeError);
  });
});

describe('MemoryJobStore reads and test hooks', () => {
  it('readEvents reads from a positive integer seq and refuses anything else', async () => {
    const store = new MemoryJobStore(manualClock(0));
    await create(store, 'job-1');
    const epoch = await claim(store, 'job-1');
    await store.recordChunkPlan({
      jobId: 'job-1',
      workerId: 'w1',
      epoch,
      requestId: 'plan',
      durationMs: 2_000,
      chunks: chunkPlan(2),
    });
    expect((await store.readEvents('job-1', 2)).map((event) => event.seq)).toEqual([2]);
    await expect(store.readEvents('job-1', 0)).rejects.toThrow(
      new RangeError('fromSeq must be a positive integer, got 0'),
    );
    await expect(store.readEvents('job-1', 1.5)).rejects.toThrow(
      new RangeError('fromSeq must be a positive integer, got 1.5'),
    );
  });

  it('jobIds lists jobs in creation order; tamper refuses a job it does not have', async () => {
    const store = new MemoryJobStore(manualClock(0));
    for (const jobId of ['job-b', 'job-a']) await create(store, jobId);
    expect(store.jobIds()).toEqual(['job-b', 'job-a']);
    expect(() => store.tamper('job-x', (job) => job)).toThrow(new AssertionError('tamper: no job job-x'));
  });
});

describe('MemoryJobStore guards its outbox', () => {
  /** A store whose commit emits what `change` makes of the specification's events. */
  function storeWithCommit(
    change: (events: operations.Applied['events']) => operations.Applied['events'],
  ): MemoryJobStore {
    return new MemoryJobStore(manualClock(0), {
      commit: (job, request, nowMs) => {
        const outcome = operations.commit(job, request, nowMs);
        return outcome.kind === 'ok' ? { ...outcome, events: change(outcome.events) } : outcome;
      },
    });
  }

  async function planned(store: MemoryJobStore): Promise<number> {
    await create(store, 'job-1');
    const epoch = await claim(store, 'job-1');
    await store.recordChunkPlan({
      jobId: 'job-1',
      workerId: 'w1',
      epoch,
      requestId: 'plan',
      durationMs: 2_000,
      chunks: chunkPlan(2),
    });
    return epoch;
  }

  it('refuses a write whose events break the seq of the stream, naming where, and writes nothing', async () => {
    const store = storeWithCommit((events) =>
      events.map((event, offset) => (offset === 1 ? { ...event, seq: event.seq + 5 } : event)),
    );
    const epoch = await planned(store);
    const before = store.peek('job-1');
    await expect(
      store.commitChunk({ jobId: 'job-1', workerId: 'w1', epoch, requestId: 'c0', index: 0, transcript: 'a' }),
    ).rejects.toThrow(new AssertionError('event seq 9 breaks the stream of job-1 at 4'));
    expect(store.peek('job-1')).toBe(before);
    expect(store.peekEvents('job-1').map((event) => event.event)).toEqual(['chunks_created', 'transcription_started']);
  });

  it('refuses a write whose events do not match their schemas, and writes nothing', async () => {
    const store = storeWithCommit((events) => events.map((event) => ({ ...event, worker_id: '' })));
    const epoch = await planned(store);
    await expect(
      store.commitChunk({ jobId: 'job-1', workerId: 'w1', epoch, requestId: 'c0', index: 0, transcript: 'a' }),
    ).rejects.toThrow(EventSchemaError);
    expect(store.peekEvents('job-1')).toHaveLength(2);
    expect(store.peek('job-1')?.chunks[0]?.transcript).toBeNull();
  });
});

describe('MemoryChunkStore', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);

  it('publishes a partial file under its final name and leaves no partial file behind', () => {
    const chunks = new MemoryChunkStore();
    chunks.putPart('job-1', 3, bytes(1, 2));
    expect(chunks.fileNames('job-1')).toEqual(['3.part']);
    expect(chunks.publish('job-1', 3)).toEqual({ bytes: 2, sha256: sha256Hex(bytes(1, 2)) });
    expect(chunks.fileNames('job-1')).toEqual(['3']);
    expect(() => chunks.publish('job-1', 4)).toThrow(new Error('no partial file for chunk 4 of job job-1'));
  });

  it('says how a chunk file is corrupt: its size, or the first digits of both checksums', async () => {
    const chunks = new MemoryChunkStore();
    const digest = chunks.put('job-1', 0, bytes(1, 2, 3));
    expect(await chunks.read('job-1', 0, { ...digest, bytes: 4 })).toEqual({
      kind: 'corrupt',
      detail: 'size 3, expected 4',
    });
    chunks.overwrite('job-1', 0, bytes(1, 2, 4));
    const actual = sha256Hex(bytes(1, 2, 4));
    expect(await chunks.read('job-1', 0, digest)).toEqual({
      kind: 'corrupt',
      detail: `sha256 ${actual.slice(0, 12)}…, expected ${digest.sha256.slice(0, 12)}…`,
    });
    expect(await chunks.check('job-1', 0, digest)).toBe('corrupt');
    expect(await chunks.check('job-1', 1, digest)).toBe('missing');
    chunks.overwrite('job-1', 0, bytes(1, 2, 3));
    expect(await chunks.check('job-1', 0, digest)).toBe('ok');
  });

  it('lists only jobs that still have a file, partial files included', async () => {
    const chunks = new MemoryChunkStore();
    chunks.put('job-a', 0, bytes(1));
    chunks.putPart('job-b', 0, bytes(2));
    chunks.put('job-c', 0, bytes(3));
    chunks.deleteFile('job-c', 0);
    expect(await chunks.listJobIds()).toEqual(['job-a', 'job-b']);
    await chunks.removeJob('job-a');
    expect(await chunks.listJobIds()).toEqual(['job-b']);
  });
});
