/**
 * The Clock contract, run against the system clock and the simulator's virtual clock: time never goes back,
 * sleep(ms) returns no earlier than ms later, and a sleep whose signal aborts ends at once (at once, too, for a signal
 * already aborted), without an error.
 */
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/ports.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Scheduler } from '../../sim/scheduler.js';

function clockContract(name: string, make: () => { clock: Clock; drive(work: Promise<void>): Promise<void> }): void {
  describe(`Clock contract: ${name}`, () => {
    it('never goes back, and sleep(ms) returns at least ms later', async () => {
      const { clock, drive } = make();
      const seen: number[] = [];
      await drive(
        (async () => {
          for (const ms of [0, 5, 20]) {
            const before = clock.now();
            await clock.sleep(ms);
            const after = clock.now();
            seen.push(before, after);
            expect(after - before).toBeGreaterThanOrEqual(ms);
          }
        })(),
      );
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen).toHaveLength(6);
    });

    it('ends a sleep when its signal aborts, and one whose signal already aborted at once', async () => {
      const { clock, drive } = make();
      const lasted: number[] = [];
      const abort = new AbortController();
      await drive(
        (async () => {
          const before = clock.now();
          const sleeping = clock.sleep(60_000, abort.signal);
          await clock.sleep(10);
          abort.abort();
          await sleeping;
          lasted.push(clock.now() - before);
          const again = clock.now();
          await clock.sleep(60_000, abort.signal);
          lasted.push(clock.now() - again);
        })(),
      );
      expect(lasted).toHaveLength(2);
      expect(lasted[0]).toBeLessThan(5_000);
      expect(lasted[1]).toBeLessThan(5_000);
    });
  });
}

clockContract('systemClock', () => ({ clock: systemClock, drive: (work) => work }));

clockContract('simulator clock', () => {
  const scheduler = new Scheduler([]);
  return {
    clock: { now: () => scheduler.now(), sleep: (ms, signal) => scheduler.sleep('w', ms, 'sleep', signal) },
    drive: async (work) => {
      let done = false;
      void work.finally(() => (done = true));
      await scheduler.runUntil({ untilMs: 120_000, stepsMax: 100, done: () => done });
      await work;
    },
  };
});
