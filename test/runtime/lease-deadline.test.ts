/**
 * A renewal moves the worker's own lease deadline to when it was sent plus leaseDurationMs minus a tenth, never later:
 * with a hand-driven clock, an effect after that point renews first even though the store's lease would still be valid.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChunkStore, MemoryJobStore } from '../../src/adapters/memory/index.js';
import { defaultLimits } from '../../src/core/limits.js';
import type { JobStore } from '../../src/ports.js';
import { Worker } from '../../src/runtime/worker.js';

describe('the lease deadline after a renewal', () => {
  it('is the renewal sending time plus leaseDurationMs minus a tenth of it', async () => {
    const limits = {
      ...defaultLimits,
      leaseDurationMs: 10_000,
      leaseRenewIntervalMs: 3_000,
      idlePollIntervalMs: 1_000,
    };
    let nowMs = 0;
    const store = new MemoryJobStore({ now: () => nowMs });
    const chunkStore = new MemoryChunkStore();
    await store.createJob({ jobId: 'job-1', source: '/media/a.wav', chunkLengthMs: 1_000 });
    const renewalsAtMs: number[] = [];
    const renewing: JobStore = Object.assign(Object.create(store) as MemoryJobStore, {
      renewLease: (request: Parameters<JobStore['renewLease']>[0]) => {
        renewalsAtMs.push(nowMs);
        return store.renewLease(request);
      },
    });
    const renewTimers: (() => void)[] = [];
    const worker: Worker = new Worker({
      workerId: 'w1',
      store: renewing,
      chunkStore,
      limits,
      media: {
        probe: async () => {
          // The background renewal fires while the probe runs, at 5 s.
          nowMs = 5_000;
          renewTimers.shift()?.();
          return { kind: 'ok', durationMs: 2_000 };
        },
        extractChunk: async ({ jobId, chunk }) => {
          if (chunk.index === 0) {
            await new Promise((resolve) => setImmediate(resolve));
            // 14.5 s: past 5 s + 9 s, inside the store's lease (5 s + 10 s).
            nowMs = 14_500;
          }
          const digest = chunkStore.put(jobId, chunk.index, new Uint8Array([chunk.index]));
          return { kind: 'ok', ...digest };
        },
      },
      transcriber: { transcribe: async ({ index }) => ({ kind: 'ok', text: `t${index}` }) },
      clock: {
        now: () => nowMs,
        sleep: (ms: number) => {
          if (ms === limits.leaseRenewIntervalMs) return new Promise<void>((resolve) => renewTimers.push(resolve));
          nowMs += ms;
          worker.stop();
          return Promise.resolve();
        },
      },
      random: () => 0.5,
    });
    await worker.run();
    expect((await store.getJob('job-1'))?.phase).toBe('completed');
    expect(renewalsAtMs).toEqual([5_000, 14_500]);
  });
});
