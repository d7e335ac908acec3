/**
 * decorateStore and the store-operations table: every JobStore method goes through `around` with its
 * name and arguments, `proceed` reaches the inner store with `this` intact, and what `around` returns
 * is what the caller gets; the --trace-store wrapper built on it reports acknowledged grants,
 * renewals, commits and releases, and nothing for refusals.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/adapters/memory/index.js';
import { tracingStore, type StoreTraceLine } from '../../src/cli/trace.js';
import { storeCallSubject, storeOperationNames, storeOperations } from '../../src/core/store-operations.js';
import { StoreUnavailableError, type JobStore } from '../../src/ports.js';
import { decorateStore } from '../../src/runtime/decorate-store.js';
import { extractedPlan } from '../core/support.js';

function clockAt(startMs: number) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describe('decorateStore', () => {
  it('wraps every JobStore method, passing name and arguments, and calls the inner store bound to it', async () => {
    const clock = clockAt(1_000);
    const inner = new MemoryJobStore({ now: clock.now });
    const seen: string[] = [];
    const store = decorateStore(inner, (name, args, proceed) => {
      seen.push(`${name}:${storeCallSubject(name, args)}`);
      return proceed();
    });
    expect(Object.keys(store).sort()).toEqual([...storeOperationNames].sort());
    await store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 });
    const claim = await store.claimJob({
      jobId: 'job-1',
      workerId: 'w1',
      leaseMs: 5_000,
      recoveryAttemptsMax: 3,
      requestId: 'r1',
    });
    expect(claim).toMatchObject({ kind: 'ok', recovery: false });
    const fencing = { jobId: 'job-1', workerId: 'w1', epoch: 1 };
    const chunks = extractedPlan(2_000, 1_000);
    expect(await store.recordChunkPlan({ ...fencing, requestId: 'r2', durationMs: 2_000, chunks })).toMatchObject({
      kind: 'ok',
    });
    expect(await store.commitChunk({ ...fencing, requestId: 'r3', index: 1, transcript: 'b' })).toMatchObject({
      kind: 'ok',
    });
    expect(await store.listRecoverableJobs(10)).toEqual([]);
    expect((await store.getJob('job-1'))?.phase).toBe('transcribing');
    expect((await store.readEvents('job-1')).length).toBeGreaterThan(0);
    expect(seen).toEqual([
      'createJob:job-1',
      'claimJob:job-1',
      'recordChunkPlan:job-1',
      'commitChunk:job-1/1',
      'listRecoverableJobs:*',
      'getJob:job-1',
      'readEvents:job-1',
    ]);
  });

  it('returns what around returns: a refusal or an error instead of the call, which then never reaches the store', async () => {
    const inner = new MemoryJobStore({ now: () => 0 });
    const store = decorateStore(inner, (name, _args, proceed) => {
      if (name === 'createJob') return Promise.reject(new StoreUnavailableError('down'));
      return proceed();
    });
    await expect(store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 })).rejects.toThrow(
      StoreUnavailableError,
    );
    expect(await inner.getJob('job-1')).toBeNull();
  });

  it('has a row for every operation, and the rows agree with what the operations are', () => {
    expect(storeOperationNames).toHaveLength(14);
    const fenced = storeOperationNames.filter((name) => storeOperations[name].fenced);
    expect(fenced).toEqual([
      'renewLease',
      'recordChunkPlan',
      'recordChunkRecreated',
      'markResumed',
      'commitChunk',
      'completeJob',
      'failJob',
      'releaseJob',
    ]);
    const reads = storeOperationNames.filter((name) => storeOperations[name].access === 'read');
    expect(reads).toEqual(['listRecoverableJobs', 'getJob', 'readEvents']);
    expect(storeCallSubject('recordChunkRecreated', [{ jobId: 'j', index: 3 }])).toBe('j/3');
  });
});

describe('the --trace-store wrapper', () => {
  it('reports acknowledged grants, renewals and commits, releases before they are sent, and no refusal', async () => {
    const clock = clockAt(10_000);
    const inner: JobStore = new MemoryJobStore({ now: clock.now });
    const lines: StoreTraceLine[] = [];
    const store = tracingStore(inner, (line) => lines.push(line), clock);
    await store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 });
    const claim = { jobId: 'job-1', leaseMs: 5_000, recoveryAttemptsMax: 3 };
    await store.claimJob({ ...claim, workerId: 'w1', requestId: 'r1' });
    await store.claimJob({ ...claim, workerId: 'w2', requestId: 'r2' });
    const fencing = { jobId: 'job-1', workerId: 'w1', epoch: 1 };
    clock.advance(1_000);
    await store.renewLease({ ...fencing, leaseMs: 5_000 });
    await store.renewLease({ ...fencing, epoch: 7, leaseMs: 5_000 });
    await store.recordChunkPlan({
      ...fencing,
      requestId: 'r3',
      durationMs: 1_000,
      chunks: extractedPlan(1_000, 1_000),
    });
    await store.commitChunk({ ...fencing, requestId: 'r4', index: 0, transcript: 'a' });
    await store.commitChunk({ ...fencing, requestId: 'r4', index: 0, transcript: 'a' });
    clock.advance(500);
    await store.releaseJob({ ...fencing, requestId: 'r5' });
    expect(lines).toEqual([
      {
        op: 'claimJob',
        jobId: 'job-1',
        result: 'ok',
        epoch: 1,
        leaseExpiresAtMs: 15_000,
        recovery: false,
        duplicate: false,
      },
      { op: 'renewLease', jobId: 'job-1', epoch: 1, leaseExpiresAtMs: 16_000 },
      { op: 'commitChunk', jobId: 'job-1', index: 0, epoch: 1, duplicate: false },
      { op: 'commitChunk', jobId: 'job-1', index: 0, epoch: 1, duplicate: true },
      { op: 'releaseJob', jobId: 'job-1', epoch: 1, sentAtMs: 11_500 },
    ]);
  });
});
