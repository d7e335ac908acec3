/**
 * The WorkSignal contract: every implementation, on its own store, in real time. A wait with no work
 * lasts its timeout; a creation or a release during a wait ends it early; work that appeared before
 * the wait ends the next wait at once and only that one; an abort ends a wait at once; a running
 * lease ends a wait when it runs out. Bounds are generous: the machine is shared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStore, WorkSignal } from '../../src/ports.js';
import { extractedPlan } from '../core/support.js';

/** A store, a signal on it (for one worker) and how to clean up after a test. */
export interface WorkSignalFixture {
  readonly store: JobStore;
  readonly signal: () => WorkSignal;
  readonly cleanup: () => Promise<void>;
}

/** Real ms `wait` took. */
async function timed(wait: Promise<void>): Promise<number> {
  const startMs = performance.now();
  await wait;
  return performance.now() - startMs;
}

let jobs = 0;
function nextJobId(): string {
  jobs += 1;
  return `job-${jobs}`;
}

/** Runs the WorkSignal contract on the fixtures `make` builds. */
export function workSignalContract(name: string, make: () => Promise<WorkSignalFixture>): void {
  describe(`WorkSignal contract: ${name}`, () => {
    let fixture: WorkSignalFixture | undefined;
    const open = async (): Promise<WorkSignalFixture> => (fixture = await make());
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('waits out its timeout when no work appears', async () => {
      const { signal } = await open();
      expect(await timed(signal().wait(300))).toBeGreaterThanOrEqual(250);
    });

    it('ends a wait early when a job is created, and the next wait waits again', async () => {
      const { store, signal } = await open();
      const waiting = signal();
      const ended = timed(waiting.wait(10_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.createJob({ jobId: nextJobId(), source: '/a', chunkLengthMs: 1_000 });
      expect(await ended).toBeLessThan(5_000);
      expect(await timed(waiting.wait(300))).toBeGreaterThanOrEqual(250);
    });

    it('ends the next wait at once for work that appeared before it, and only that one', async () => {
      const { store, signal } = await open();
      const waiting = signal();
      await store.createJob({ jobId: nextJobId(), source: '/a', chunkLengthMs: 1_000 });
      expect(await timed(waiting.wait(10_000))).toBeLessThan(5_000);
      expect(await timed(waiting.wait(300))).toBeGreaterThanOrEqual(250);
    });

    it('ends a wait when a job is released, and when a lease runs out', async () => {
      const { store, signal } = await open();
      const waiting = signal();
      const jobId = nextJobId();
      await store.createJob({ jobId, source: '/a', chunkLengthMs: 1_000 });
      await waiting.wait(10_000);
      const claim = { jobId, workerId: 'w1', leaseMs: 600, recoveryAttemptsMax: 5, requestId: `${jobId}-1` };
      const claimed = await store.claimJob(claim);
      expect(claimed.kind).toBe('ok');
      // The lease runs 600 ms: a wait of 10 s ends when it runs out.
      const leaseEnd = await timed(waiting.wait(10_000));
      expect(leaseEnd).toBeLessThan(5_000);
      const reclaimed = await store.claimJob({ ...claim, workerId: 'w2', leaseMs: 60_000, requestId: `${jobId}-2` });
      expect(reclaimed).toMatchObject({ kind: 'ok', recovery: true });
      const epoch = reclaimed.kind === 'ok' ? reclaimed.job.epoch : 0;
      const released = timed(waiting.wait(10_000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store.releaseJob({ jobId, workerId: 'w2', epoch, requestId: `${jobId}-3` })).toMatchObject({
        kind: 'ok',
      });
      expect(await released).toBeLessThan(5_000);
    });

    it('does not wake for writes that make no work (a plan, a commit)', async () => {
      const { store, signal } = await open();
      const waiting = signal();
      const jobId = nextJobId();
      await store.createJob({ jobId, source: '/a', chunkLengthMs: 1_000 });
      await waiting.wait(10_000);
      const claim = { jobId, workerId: 'w1', leaseMs: 60_000, recoveryAttemptsMax: 5, requestId: `${jobId}-1` };
      expect((await store.claimJob(claim)).kind).toBe('ok');
      const quiet = timed(waiting.wait(400));
      const fencing = { jobId, workerId: 'w1', epoch: 1 };
      const chunks = extractedPlan(1_000, 1_000);
      await store.recordChunkPlan({ ...fencing, requestId: `${jobId}-2`, durationMs: 1_000, chunks });
      await store.commitChunk({ ...fencing, requestId: `${jobId}-3`, index: 0, transcript: 'a' });
      expect(await quiet).toBeGreaterThanOrEqual(350);
    });

    it('ends a wait at once when its signal aborts, and returns at once for one already aborted', async () => {
      const { signal } = await open();
      const waiting = signal();
      const abort = new AbortController();
      const ended = timed(waiting.wait(10_000, abort.signal));
      await new Promise((resolve) => setTimeout(resolve, 50));
      abort.abort();
      expect(await ended).toBeLessThan(5_000);
      expect(await timed(waiting.wait(10_000, abort.signal))).toBeLessThan(1_000);
      expect(await timed(waiting.wait(300))).toBeGreaterThanOrEqual(250);
    });
  });
}
