/**
 * The Clock contract, run against the system clock and the simulator's virtual clock: time never goes back, and
 * sleep(ms) returns no earlier than ms later.
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
  });
}

clockContract('systemClock', () => ({ clock: systemClock, drive: (work) => work }));

clockContract('simulator clock', () => {
  const scheduler = new Scheduler([]);
  return {
    clock: { now: () => scheduler.now(), sleep: (ms) => scheduler.sleep('w', ms) },
    drive: async (work) => {
      await scheduler.runUntil({ untilMs: 1_000, stepsMax: 100 });
      await work;
    },
  };
});
