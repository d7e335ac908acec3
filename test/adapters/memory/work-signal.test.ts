/**
 * The memory store's work signals, on a clock that records each sleep: which writes wake idle workers (a creation, a
 * release, a retry; not a duplicate, a refusal or a plan), a notification while nobody waits ends the next wait at once
 * and only that one, a wait sleeps until its timeout or the next running lease's end, an abort ends it, and a wait
 * leaves no listener on the caller's signal.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobAdmin, MemoryJobStore, untilLeaseEndMs, WorkSignals } from '../../../src/adapters/memory/index.js';
import type { Job } from '../../../src/core/types.js';
import { chunkingJob, transcribingJob } from '../../core/support.js';

/** A clock whose sleeps are recorded and end when the test says (or at once when their signal aborts). */
function recordingClock() {
  const sleeps: { ms: number; signal: AbortSignal | undefined; end: () => void }[] = [];
  return {
    sleeps,
    now: () => 1_000,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        sleeps.push({ ms, signal, end: resolve });
        if (signal?.aborted === true) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
}

describe('untilLeaseEndMs', () => {
  it('is the time to the earliest running lease of an unfinished job, and undefined when none runs', () => {
    const running = (leaseExpiresAtMs: number): Job => ({ ...transcribingJob(2), leaseExpiresAtMs });
    const finished = { ...running(1_200), phase: 'completed' } as Job;
    expect(untilLeaseEndMs([running(5_000), running(3_000), running(4_000)], 1_000)).toBe(2_000);
    expect(untilLeaseEndMs([running(3_000), running(5_000)], 1_000)).toBe(2_000);
    expect(untilLeaseEndMs([finished, running(1_000), running(900), running(2_500)], 1_000)).toBe(1_500);
    expect(untilLeaseEndMs([finished, running(1_000), { ...chunkingJob(), leaseExpiresAtMs: 0 }], 1_000)).toBe(
      undefined,
    );
    expect(untilLeaseEndMs([], 1_000)).toBeUndefined();
  });
});

describe('a work signal of the hub', () => {
  it('sleeps for its timeout, or until the next lease ends when that comes first', async () => {
    let leaseEndMs: number | undefined;
    const hub = new WorkSignals(() => leaseEndMs);
    const clock = recordingClock();
    const signal = hub.signal(clock);
    const first = signal.wait(5_000);
    expect(clock.sleeps.map((sleep) => sleep.ms)).toEqual([5_000]);
    clock.sleeps[0]?.end();
    await first;
    leaseEndMs = 700;
    const second = signal.wait(5_000);
    leaseEndMs = 9_000;
    const third = hub.signal(clock).wait(5_000);
    expect(clock.sleeps.map((sleep) => sleep.ms)).toEqual([5_000, 700, 5_000]);
    for (const sleep of clock.sleeps) sleep.end();
    await Promise.all([second, third]);
  });

  it('ends a wait when notified, and a notification while nobody waits ends the next wait at once, once', async () => {
    const hub = new WorkSignals();
    const clock = recordingClock();
    const signal = hub.signal(clock);
    const waiting = signal.wait(60_000);
    hub.notify();
    await waiting;
    expect(clock.sleeps[0]?.signal?.aborted).toBe(true);
    hub.notify();
    await signal.wait(60_000);
    expect(clock.sleeps).toHaveLength(1);
    const again = signal.wait(60_000);
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[1]?.signal?.aborted).toBe(false);
    clock.sleeps[1]?.end();
    await again;
  });

  it('ends a wait when its caller aborts, returns at once for an aborted caller, and leaves no listener', async () => {
    const hub = new WorkSignals();
    const clock = recordingClock();
    const signal = hub.signal(clock);
    const abort = new AbortController();
    let listeners = 0;
    const { signal: caller } = abort;
    const add = caller.addEventListener.bind(caller);
    const remove = caller.removeEventListener.bind(caller);
    caller.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof caller.addEventListener;
    caller.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    }) as typeof caller.removeEventListener;
    const ended = signal.wait(60_000, caller);
    expect(listeners).toBe(1);
    clock.sleeps[0]?.end();
    await ended;
    expect(listeners).toBe(0);
    const waiting = signal.wait(60_000, caller);
    abort.abort();
    await waiting;
    expect(clock.sleeps[1]?.signal?.aborted).toBe(true);
    await signal.wait(60_000, caller);
    expect(clock.sleeps).toHaveLength(2);
  });
});

describe('the memory store wakes its workers', () => {
  /** A store and whether its signal was notified since the last look (a wait that returns without sleeping). */
  function rig() {
    const store = new MemoryJobStore({ now: () => 1_000 });
    const clock = recordingClock();
    const signal = store.workSignal(clock);
    const woken = async (): Promise<boolean> => {
      const before = clock.sleeps.length;
      const waiting = signal.wait(60_000);
      const slept = clock.sleeps.length > before;
      clock.sleeps.at(-1)?.end();
      await waiting;
      return !slept;
    };
    return { store, woken };
  }

  it('on a creation and a release, not on a duplicate, a refusal, a claim or a plan', async () => {
    const { store, woken } = rig();
    expect(await woken()).toBe(false);
    await store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 });
    expect(await woken()).toBe(true);
    await store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 });
    expect(await woken()).toBe(false);
    const claim = { jobId: 'job-1', workerId: 'w1', leaseMs: 5_000, recoveryAttemptsMax: 3, requestId: 'r1' };
    expect((await store.claimJob(claim)).kind).toBe('ok');
    expect(await woken()).toBe(false);
    const fence = { jobId: 'job-1', workerId: 'w1', epoch: 1 };
    expect(await store.releaseJob({ ...fence, epoch: 9, requestId: 'r2' })).toMatchObject({ kind: 'stale_epoch' });
    expect(await woken()).toBe(false);
    expect(await store.releaseJob({ ...fence, requestId: 'r3' })).toMatchObject({ kind: 'ok', duplicate: false });
    expect(await woken()).toBe(true);
    expect(await store.releaseJob({ ...fence, requestId: 'r3' })).toMatchObject({ kind: 'ok', duplicate: true });
    expect(await woken()).toBe(false);
  });

  it('on an operator retry of a failed job, not on its failure', async () => {
    const { store, woken } = rig();
    await store.createJob({ jobId: 'job-1', source: '/a', chunkLengthMs: 1_000 });
    expect(await woken()).toBe(true);
    const claim = { jobId: 'job-1', workerId: 'w1', leaseMs: 5_000, recoveryAttemptsMax: 3, requestId: 'r1' };
    expect((await store.claimJob(claim)).kind).toBe('ok');
    const fence = { jobId: 'job-1', workerId: 'w1', epoch: 1, requestId: 'r2' };
    expect(await store.failJob({ ...fence, reason: 'media_invalid', message: 'unreadable' })).toMatchObject({
      kind: 'ok',
    });
    expect(await woken()).toBe(false);
    const admin = new MemoryJobAdmin(store);
    expect((await admin.retry({ jobId: 'job-1', actor: 'op', requestId: 'retry-1' })).kind).toBe('ok');
    expect(await woken()).toBe(true);
  });
});
