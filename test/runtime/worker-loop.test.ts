/**
 * The worker's outer loop, on the memory stores with a hand-driven clock or in virtual time: it sweeps orphaned chunk
 * files at first idle and then every sweepIntervalMs, waits idlePollIntervalMs after an idle look or an error but not
 * after a job, survives errors of a look or a sweep, logs structured entries, and a stop during a store outage ends
 * run() cleanly, even mid-sweep.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChunkStore, MemoryJobStore } from '../../src/adapters/memory/index.js';
import { backoffDelayMs } from '../../src/core/backoff.js';
import { defaultLimits, type Limits } from '../../src/core/limits.js';
import { StoreUnavailableError, type ChunkStore, type JobStore } from '../../src/ports.js';
import { Worker, type WorkerLogEntry } from '../../src/runtime/worker.js';
import { Harness, storeWith, testLimits } from '../support/fakes.js';

interface Rig {
  readonly worker: Worker;
  readonly store: MemoryJobStore;
  readonly chunkStore: MemoryChunkStore;
  readonly log: WorkerLogEntry[];
  now(): number;
}

/**
 * A worker whose clock moves only when it sleeps; `onSleep` runs after each sleep (to stop it).
 * A guard stops it after 1000 sleeps, so a loop that never ends shows up as a failed assertion.
 */
function rig(options: {
  limits?: Partial<Limits>;
  store?: (inner: MemoryJobStore) => JobStore;
  chunkStore?: (inner: MemoryChunkStore) => ChunkStore;
  onSleep?: (rig: Rig) => void;
}): Rig {
  let nowMs = 0;
  let sleeps = 0;
  const store = new MemoryJobStore({ now: () => nowMs });
  const chunkStore = new MemoryChunkStore();
  const log: WorkerLogEntry[] = [];
  const self: Rig = {
    worker: undefined as unknown as Worker,
    store,
    chunkStore,
    log,
    now: () => nowMs,
  };
  const worker = new Worker({
    workerId: 'w1',
    store: options.store?.(store) ?? store,
    chunkStore: options.chunkStore?.(chunkStore) ?? chunkStore,
    media: {
      probe: async () => ({ kind: 'invalid', message: 'unused' }),
      extractChunk: async () => ({ kind: 'invalid', message: 'unused' }),
    },
    transcriber: { transcribe: async () => ({ kind: 'error', retryable: false, status: 400, message: 'unused' }) },
    clock: {
      now: () => nowMs,
      sleep: async (ms: number) => {
        nowMs += ms;
        sleeps += 1;
        if (sleeps >= 1_000) worker.stop();
        options.onSleep?.(self);
      },
    },
    random: () => 0.5,
    limits: options.limits ?? {},
    log: (entry) => log.push(entry),
  });
  Object.assign(self, { worker });
  return self;
}

async function completedJob(store: MemoryJobStore, jobId: string): Promise<void> {
  await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
  const claimed = await store.claimJob({
    jobId,
    workerId: 'w0',
    leaseMs: 10_000,
    recoveryAttemptsMax: 3,
    requestId: `${jobId}-claim`,
  });
  if (claimed.kind !== 'ok') throw new Error(claimed.kind);
  const fence = { jobId, workerId: 'w0', epoch: claimed.job.epoch };
  await store.failJob({ ...fence, requestId: `${jobId}-fail`, reason: 'source_missing', message: 'gone' });
}

describe('sweeping orphaned chunk files', () => {
  it('removes the files of terminal and unknown jobs, keeps live and untrusted ones, and logs one entry per sweep that removed any', async () => {
    const { worker, store, chunkStore, log } = rig({});
    await completedJob(store, 'job-done');
    await store.createJob({ jobId: 'job-live', source: '/media/live.wav', chunkLengthMs: 1_000 });
    await store.createJob({ jobId: 'job-bad', source: '/media/bad.wav', chunkLengthMs: 1_000 });
    store.tamper('job-bad', (job) => ({ ...job, nextSeq: 0 }));
    for (const jobId of ['job-done', 'job-live', 'job-gone', 'job-bad']) chunkStore.put(jobId, 0, new Uint8Array([1]));

    expect(await worker.sweep()).toEqual(['job-done', 'job-gone']);
    expect(await chunkStore.listJobIds()).toEqual(['job-live', 'job-bad']);
    expect(log).toStrictEqual([{ workerId: 'w1', what: 'swept', detail: 'job-done,job-gone' }]);
    expect(await worker.sweep()).toEqual([]);
    expect(log).toHaveLength(1);
  });

  it('lets an unexpected error of the store end the sweep', async () => {
    const { worker, chunkStore } = rig({
      store: (inner) => storeWith(inner, { getJob: async () => Promise.reject(new Error('decoder bug')) }),
    });
    chunkStore.put('job-x', 0, new Uint8Array([1]));
    await expect(worker.sweep()).rejects.toThrow('decoder bug');
    expect(await chunkStore.listJobIds()).toEqual(['job-x']);
  });

  it('sweeps at the first idle look, then once every sweepIntervalMs', async () => {
    const sweptAtMs: number[] = [];
    const setup = rig({
      limits: { idlePollIntervalMs: 500, sweepIntervalMs: 2_000 },
      chunkStore: (inner) =>
        Object.assign(Object.create(inner) as MemoryChunkStore, {
          listJobIds: async () => {
            sweptAtMs.push(setup.now());
            return inner.listJobIds();
          },
        }),
      onSleep: ({ worker, now }) => {
        if (now() >= 5_000) worker.stop();
      },
    });
    await setup.worker.run();
    expect(sweptAtMs).toEqual([0, 2_000, 4_000]);
  });

  it('logs an error of a sweep and goes on looking for work', async () => {
    const looksAtMs: number[] = [];
    const setup = rig({
      limits: { idlePollIntervalMs: 500, sweepIntervalMs: 1_000 },
      store: (inner) =>
        storeWith(inner, {
          listRecoverableJobs: async (limit: number) => {
            looksAtMs.push(setup.now());
            return inner.listRecoverableJobs(limit);
          },
        }),
      chunkStore: (inner) =>
        Object.assign(Object.create(inner) as MemoryChunkStore, {
          listJobIds: async () => Promise.reject(new Error('disk gone')),
        }),
      onSleep: ({ worker, now }) => {
        if (now() >= 1_500) worker.stop();
      },
    });
    await setup.worker.run();
    expect(setup.log).toStrictEqual([
      { workerId: 'w1', what: 'error', detail: 'sweep: Error: disk gone' },
      { workerId: 'w1', what: 'error', detail: 'sweep: Error: disk gone' },
    ]);
    expect(looksAtMs).toEqual([0, 500, 1_000]);
  });

  // Regression: a stop requested while the idle sweep was waiting out a store outage made run()
  // reject with the worker's internal stop signal instead of returning.
  it('returns from run() when stopped while a sweep waits for the store', async () => {
    const setup = rig({
      store: (inner) =>
        storeWith(inner, { getJob: async () => Promise.reject(new StoreUnavailableError('store down')) }),
      onSleep: ({ worker }) => worker.stop(),
    });
    setup.chunkStore.put('job-x', 0, new Uint8Array([1]));
    await expect(setup.worker.run()).resolves.toBeUndefined();
    expect(setup.log.map((entry) => entry.what)).toEqual(['retry']);
    expect(await setup.chunkStore.listJobIds()).toEqual(['job-x']);
    // The one wait was the retry's backoff: no idle wait after the stop.
    expect(setup.now()).toBe(backoffDelayMs(1, setup.worker.limits, 0.5));
  });
});

describe('the loop', () => {
  it('logs an error of a look for work and looks again after idlePollIntervalMs', async () => {
    const looksAtMs: number[] = [];
    const setup = rig({
      limits: { idlePollIntervalMs: 500, sweepIntervalMs: 600_000 },
      store: (inner) =>
        storeWith(inner, {
          listRecoverableJobs: async () => {
            looksAtMs.push(setup.now());
            if (looksAtMs.length >= 4) setup.worker.stop();
            throw new Error('boom');
          },
        }),
    });
    await setup.worker.run();
    expect(looksAtMs).toEqual([0, 500, 1_000, 1_500]);
    expect(setup.log.filter((entry) => entry.what === 'error')).toStrictEqual(
      Array.from({ length: 4 }, () => ({ workerId: 'w1', what: 'error', detail: 'Error: boom' })),
    );
  });

  it('looks for the next job at once after finishing one, without an idle wait', async () => {
    const harness = new Harness({ ...testLimits, sweepIntervalMs: 600_000 });
    await harness.createJob('job-a', 2_000);
    await harness.createJob('job-b', 2_000);
    harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn('job-b', 'completed'));
    const completedA = harness.storeCalls.find(
      (call) => call.operation === 'completeJob' && (call.request as { jobId: string }).jobId === 'job-a',
    );
    const claimB = harness.storeCalls.find(
      (call) => call.operation === 'claimJob' && (call.request as { jobId: string }).jobId === 'job-b',
    );
    expect(completedA).toBeDefined();
    expect(claimB).toBeDefined();
    expect((claimB?.atMs ?? 0) - (completedA?.atMs ?? 0)).toBeLessThan(testLimits.idlePollIntervalMs);
  });

  it('retries a store outage with logged, numbered attempts, and leaves run() at once when stopped during it', async () => {
    const harness = new Harness();
    harness.storeFaults.unavailable = () => true;
    const w1 = harness.startWorker('w1');
    await harness.runFor(3_000);
    const retries = w1.log.filter((entry) => entry.what === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.slice(0, 2)).toStrictEqual([
      { workerId: 'w1', what: 'retry', detail: 'store unavailable (attempt 1): store down for listRecoverableJobs' },
      { workerId: 'w1', what: 'retry', detail: 'store unavailable (attempt 2): store down for listRecoverableJobs' },
    ]);
    w1.worker.stop();
    await harness.runUntil(() => w1.finished, harness.scheduler.now() + testLimits.retryDelayMaxMs + 100);
    expect(w1.error).toBeUndefined();
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([]);
  });

  it('numbers its request ids per worker, from 1', () => {
    const { worker } = rig({});
    expect([worker.nextRequestId(), worker.nextRequestId(), worker.nextRequestId()]).toEqual(['w1/1', 'w1/2', 'w1/3']);
  });
});

describe('log entries', () => {
  it('name the job and say whether a claim was new or a recovery, and what a quarantine found', async () => {
    const broken = (inner: MemoryJobStore): JobStore =>
      storeWith(inner, {
        claimJob: async (request) => {
          const result = await inner.claimJob(request);
          return result.kind === 'ok' && request.jobId === 'job-bad'
            ? { ...result, job: { ...result.job, nextSeq: 0, epoch: -1 } }
            : result;
        },
      });
    const setup = rig({ store: broken, limits: { sweepIntervalMs: 600_000 }, onSleep: ({ worker }) => worker.stop() });
    await setup.store.createJob({ jobId: 'job-bad', source: '/media/bad.wav', chunkLengthMs: 1_000 });
    setup.chunkStore.put('job-bad', 0, new Uint8Array([1]));
    await setup.worker.run();
    const claimed = await setup.store.getJob('job-bad');
    expect(claimed).toMatchObject({ phase: 'failed', failure: { reason: 'state_corrupt' } });
    expect(claimed?.failure?.message).toBe(
      'job job-bad has corrupt stored state: epoch -1 is not a non-negative integer; nextSeq 0 is not a positive integer; phase chunking without a lease grant',
    );
    expect(setup.log).toContainEqual({
      workerId: 'w1',
      what: 'quarantined',
      jobId: 'job-bad',
      detail:
        'epoch -1 is not a non-negative integer; nextSeq 0 is not a positive integer; phase chunking without a lease grant',
    });
    expect(setup.log.some((entry) => entry.what === 'claimed')).toBe(false);
    expect(await setup.chunkStore.listJobIds()).toEqual([]);
  });
});

describe('construction defaults', () => {
  it('uses the default limits when none are given', () => {
    expect(rig({}).worker.limits).toEqual(defaultLimits);
  });
});
