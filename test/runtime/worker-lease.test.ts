/**
 * The worker's lease and the ends of its ownership, on the memory stores in virtual time: it renews before an outside
 * effect exactly when its lease is within the margin of its end and not otherwise, checks the lease again between
 * reading a chunk and transcribing it, stops renewing once the lease is lost or the job is done, treats corrupt state
 * found by a renewal as a quarantine, leaves at once when stopped while the store is down, removes the files of a job
 * it lost that is now terminal, and reports what it cannot handle.
 */
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../src/core/limits.js';
import { CorruptStateError, StoreUnavailableError, type ChunkStore } from '../../src/ports.js';
import {
  Harness,
  latencies,
  sourceOf,
  storeWith,
  testLimits,
  type StartOptions,
  type WorkerHandle,
} from '../support/fakes.js';

const jobId = 'job-l';

describe('renewing before effects outside the store', () => {
  it('needs no renewal for a job shorter than the renew interval, and renews nothing once the job is done', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, 3_000);
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => harness.isIn(jobId, 'completed'));
    await harness.runFor(2 * testLimits.leaseRenewIntervalMs);
    expect(harness.storeCalls.filter((call) => call.actor === 'w1' && call.operation === 'renewLease')).toEqual([]);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'claimed', jobId, detail: 'new' });
  });

  it('renews first, and without a pause, when an effect comes exactly at leaseDurationMs minus a tenth after the claim was sent', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, 3_000);
    const marginMs = testLimits.leaseDurationMs / 10;
    // The claim is sent after the first look (one store latency) and applied one latency later.
    const claimSentMs = latencies.storeMs;
    const resumeAtMs = claimSentMs + testLimits.leaseDurationMs - marginMs;
    harness.storeFaults.delayReply = (operation, actor) =>
      operation === 'claimJob' && actor === 'w1' ? resumeAtMs - 2 * latencies.storeMs : 0;
    harness.startWorker('w1');
    await harness.runUntil(() => harness.media.calls.length > 0);
    const renewals = harness.storeCalls.filter((call) => call.operation === 'renewLease');
    expect(renewals.map((call) => [call.atMs, call.outcome])).toEqual([[resumeAtMs + latencies.storeMs, 'ok']]);
    expect(harness.media.calls[0]).toMatchObject({
      operation: 'probe',
      atMs: resumeAtMs + latencies.storeMs + latencies.probeMs,
    });
  });

  it('reports an unexpected error of a renewal instead of treating it as an outage', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, 3_000);
    const resumeAtMs = latencies.storeMs + testLimits.leaseDurationMs - testLimits.leaseDurationMs / 10;
    harness.storeFaults.delayReply = (operation) => (operation === 'claimJob' ? resumeAtMs - 2 * latencies.storeMs : 0);
    let renewals = 0;
    const w1 = harness.startWorker('w1', {
      store: (scheduled) =>
        storeWith(scheduled, {
          renewLease: async (request) => {
            renewals += 1;
            if (renewals === 1) throw new Error('renewal bug');
            return scheduled.renewLease(request);
          },
        }),
    });
    await harness.runUntil(() => w1.log.some((entry) => entry.what === 'error'));
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([
      { workerId: 'w1', what: 'error', detail: 'Error: renewal bug' },
    ]);
    expect(harness.scheduler.now()).toBe(resumeAtMs);
    expect(harness.media.calls).toEqual([]);
  });
});

describe('checking the lease between reading a chunk and transcribing it', () => {
  it('does not transcribe a chunk it read before a pause that outlasted its lease', async () => {
    const harness = new Harness();
    await harness.createJob(jobId, 5_000);
    let resumeAtMs = 0;
    const w1 = harness.startWorker('w1', {
      chunkStore: (inner) =>
        Object.assign(Object.create(inner) as ChunkStore, {
          read: async (...args: Parameters<ChunkStore['read']>) => {
            const result = await inner.read(...args);
            if (args[1] === 2 && resumeAtMs === 0) {
              resumeAtMs = (harness.job(jobId)?.leaseExpiresAtMs ?? 0) + 1_200;
              harness.scheduler.pause('w1', resumeAtMs);
              await harness.scheduler.sleep('w1', 1, 'chunks.read');
            }
            return result;
          },
        }),
    });
    const w2 = harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'completed') && w1.log.some((entry) => entry.what === 'stopped'));
    expect(resumeAtMs).toBeGreaterThan(0);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w1').map((call) => call.index)).toEqual([0, 1]);
    expect(harness.transcriber.calls.some((call) => call.alreadyCommitted)).toBe(false);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'stopped', jobId, detail: 'lost (lease_lost)' });
    expect(w2.log).toContainEqual({ workerId: 'w2', what: 'claimed', jobId, detail: 'recovery attempt 1' });
  });
});

describe('a lease lost or untrusted during a long wait', () => {
  const longWaits: Limits = { ...testLimits, retryDelayBaseMs: 8_000, retryDelayMaxMs: 8_000 };

  /** w1 fails its first transcription retryably and waits 6 s (random 0.5); `during` runs once, as that call ends. */
  async function waitingWorker(
    harness: Harness,
    during: () => void,
    options: StartOptions = {},
  ): Promise<WorkerHandle> {
    await harness.createJob(jobId, 2_000);
    harness.transcriber.script = (_request, attempt) =>
      attempt === 1 ? { kind: 'error', retryable: true, status: 503, message: 'busy' } : undefined;
    let fired = false;
    harness.transcriber.afterCall = (call) => {
      if (call.actor !== 'w1' || call.outcome !== 'retryable' || fired) return;
      fired = true;
      during();
    };
    return harness.startWorker('w1', { limits: longWaits, random: () => 0.5, ...options });
  }

  it('renews no more once a renewal found the lease lost', async () => {
    const harness = new Harness(longWaits);
    const w1 = await waitingWorker(harness, () =>
      harness.store.tamper(jobId, (job) => ({ ...job, epoch: job.epoch + 1 })),
    );
    await harness.runUntil(() => w1.log.some((entry) => entry.what === 'stopped'));
    // Renewals of the first ownership (epoch 1); w1 may claim the job again later, as a recovery.
    const renewals = harness.storeCalls.filter(
      (call) =>
        call.actor === 'w1' && call.operation === 'renewLease' && (call.request as { epoch: number }).epoch === 1,
    );
    expect(renewals.map((call) => call.outcome)).toEqual(['stale_epoch']);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'stopped', jobId, detail: 'lost (lease_lost)' });
  });

  it('quarantines the job when a renewal finds its state corrupt, and transcribes nothing more', async () => {
    const harness = new Harness(longWaits);
    let corrupt = false;
    const w1 = await waitingWorker(
      harness,
      () => {
        corrupt = true;
      },
      {
        store: (scheduled) =>
          storeWith(scheduled, {
            renewLease: async (request) => {
              if (corrupt) throw new CorruptStateError(request.jobId, ['tampered record']);
              return scheduled.renewLease(request);
            },
          }),
      },
    );
    await harness.runUntil(() => harness.isIn(jobId, 'failed'));
    expect(harness.job(jobId)?.failure).toEqual({
      reason: 'state_corrupt',
      message: 'job job-l has corrupt stored state: tampered record',
    });
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w1')).toHaveLength(1);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'quarantined', jobId, detail: 'tampered record' });
  });
});

describe('a write that finds the stored job corrupt', () => {
  it('quarantines the job, removes its files, stops as lost and says why', async () => {
    const harness = new Harness(testLimits);
    await harness.createJob(jobId, 3_000);
    const w1 = harness.startWorker('w1', {
      store: (scheduled) =>
        storeWith(scheduled, {
          commitChunk: async (request) => {
            if (request.index === 1) throw new CorruptStateError(request.jobId, ['chunk 1 has two transcripts']);
            return scheduled.commitChunk(request);
          },
        }),
    });
    await harness.runUntil(() => harness.isIn(jobId, 'failed') && w1.log.some((entry) => entry.what === 'stopped'));
    expect(harness.job(jobId)?.failure).toEqual({
      reason: 'state_corrupt',
      message: 'job job-l has corrupt stored state: chunk 1 has two transcripts',
    });
    expect(harness.chunkStore.fileNames(jobId)).toEqual([]);
    expect(harness.transcriber.calls.filter((call) => call.actor === 'w1').map((call) => call.index)).toEqual([0, 1]);
    expect(w1.log.slice(-2)).toEqual([
      { workerId: 'w1', what: 'quarantined', jobId, detail: 'chunk 1 has two transcripts' },
      { workerId: 'w1', what: 'stopped', jobId, detail: 'lost (corrupt)' },
    ]);
    expect(w1.error).toBeUndefined();
  });
});

describe('stopping while the store is down', () => {
  const patient: Limits = { ...testLimits, transcriptionAttemptsMax: 1_000 };

  it('leaves at once from a lease check waiting for the store, without touching the job again', async () => {
    const harness = new Harness(patient);
    await harness.createJob(jobId, 2_000);
    harness.transcriber.script = () => ({ kind: 'error', retryable: true, status: 503, message: 'busy' });
    harness.storeFaults.unavailable = (_operation, _actor, nowMs) => nowMs >= 1_000;
    const w1 = harness.startWorker('w1');
    await harness.runFor(20_000);
    const stoppedAtMs = harness.scheduler.now();
    const lastCallMs = Math.max(...harness.transcriber.calls.map((call) => call.atMs));
    expect(stoppedAtMs - lastCallMs).toBeGreaterThan(testLimits.leaseDurationMs / 2);
    w1.worker.stop();
    await harness.runUntil(() => w1.finished, stoppedAtMs + testLimits.retryDelayMaxMs + 100);
    expect(w1.error).toBeUndefined();
    expect(harness.transcriber.calls.filter((call) => call.atMs > stoppedAtMs)).toEqual([]);
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([]);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'stopped', jobId, detail: 'lost (stop_requested)' });
  });

  it('logs that the lease could not be released when stopped between two effects', async () => {
    const harness = new Harness(patient);
    await harness.createJob(jobId, 2_000);
    harness.transcriber.script = () => ({ kind: 'error', retryable: true, status: 503, message: 'busy' });
    harness.storeFaults.unavailable = (_operation, _actor, nowMs) => nowMs >= 1_000;
    harness.transcriber.afterCall = (call) => {
      if (call.atMs >= 1_000) harness.workers.get('w1')?.worker.stop();
    };
    const w1 = harness.startWorker('w1');
    await harness.runUntil(() => w1.finished);
    expect(w1.error).toBeUndefined();
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'released', jobId, detail: 'store unavailable' });
  });
});

describe('after losing a job', () => {
  it('removes the files it wrote once the job is terminal, before any sweep', async () => {
    const harness = new Harness({ ...testLimits, sweepIntervalMs: 600_000 });
    await harness.createJob(jobId, 3_000);
    let paused = false;
    const w1 = harness.startWorker('w1', {
      media: (inner) => ({
        probe: (source) => inner.probe(source),
        extractChunk: (request) => {
          if (request.chunk.index === 1 && !paused) {
            paused = true;
            harness.scheduler.pause('w1', harness.scheduler.now() + 60_000);
          }
          return inner.extractChunk(request);
        },
      }),
    });
    harness.startWorker('w2');
    await harness.runUntil(() => w1.log.some((entry) => entry.what === 'stopped'));
    expect(harness.job(jobId)?.phase).toBe('completed');
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'stopped', jobId, detail: 'lost (lease_lost)' });
    expect(harness.chunkStore.fileNames(jobId)).toEqual([]);
    await harness.runFor(1_000);
    expect(w1.log.filter((entry) => entry.what === 'swept')).toEqual([]);
  });

  async function lostJob(harness: Harness, getJobError: Error): Promise<WorkerHandle> {
    await harness.createJob(jobId, 3_000);
    let lost = false;
    harness.transcriber.afterCall = (call) => {
      if (call.actor === 'w1' && call.index === 1 && !lost) {
        lost = true;
        harness.store.tamper(jobId, (job) => ({ ...job, epoch: job.epoch + 1 }));
      }
    };
    return harness.startWorker('w1', {
      store: (scheduled) =>
        storeWith(scheduled, {
          getJob: async (id) => {
            if (lost) throw getJobError;
            return scheduled.getJob(id);
          },
        }),
    });
  }

  it('reports an unexpected error while looking at the lost job', async () => {
    const harness = new Harness();
    const w1 = await lostJob(harness, new Error('decoder bug'));
    await harness.runUntil(() => w1.log.some((entry) => entry.what === 'error'));
    expect(w1.log.find((entry) => entry.what === 'error')).toEqual({
      workerId: 'w1',
      what: 'error',
      detail: 'Error: decoder bug',
    });
  });

  it('shrugs off a store outage while looking at the lost job', async () => {
    const harness = new Harness();
    const w1 = await lostJob(harness, new StoreUnavailableError('store down'));
    await harness.runUntil(() => w1.log.some((entry) => entry.what === 'stopped'));
    await harness.runFor(100);
    expect(w1.log.filter((entry) => entry.what === 'error')).toEqual([]);
    expect(w1.log).toContainEqual({ workerId: 'w1', what: 'stopped', jobId, detail: 'lost (stale_epoch)' });
  });
});

describe('claims that end a job', () => {
  it('removes the files of a job it failed for running out of recoveries, at once, and says so', async () => {
    const harness = new Harness({ ...testLimits, recoveryAttemptsMax: 1, sweepIntervalMs: 600_000 });
    await harness.createJob(jobId, 3_000);
    harness.storeFaults.afterCall = (operation, actor) => {
      if (actor === 'w1' && operation === 'commitChunk') harness.scheduler.kill('w1');
    };
    harness.startWorker('w1');
    await harness.runUntil(() => harness.scheduler.isDead('w1'));
    harness.store.tamper(jobId, (job) => ({ ...job, recovery: { ...job.recovery, attempts: 1 } }));
    expect(harness.chunkStore.fileNames(jobId).length).toBeGreaterThan(0);
    const w2 = harness.startWorker('w2');
    await harness.runUntil(() => harness.isIn(jobId, 'failed'));
    await harness.runFor(1_000);
    expect(harness.job(jobId)?.failure?.reason).toBe('recovery_attempts_exhausted');
    expect(w2.log).toContainEqual({ workerId: 'w2', what: 'stopped', jobId, detail: 'recovery attempts exhausted' });
    expect(harness.chunkStore.fileNames(jobId)).toEqual([]);
    expect(w2.log.filter((entry) => entry.what === 'swept')).toEqual([]);
  });

  it.each([
    ['probe', null],
    ['extraction', 1],
  ] as const)(
    'fails a job with media_invalid when the %s finds the source is not valid media',
    async (_label, index) => {
      const harness = new Harness();
      await harness.createJob(jobId, 3_000);
      harness.media.script = (_operation, source, chunk) =>
        source === sourceOf(jobId) && chunk === index
          ? ({ kind: 'invalid', message: 'not audio' } as never)
          : undefined;
      harness.startWorker('w1');
      await harness.runUntil(() => harness.isIn(jobId, 'failed'));
      expect(harness.job(jobId)?.failure).toEqual({ reason: 'media_invalid', message: 'not audio' });
    },
  );
});
