/**
 * The world's work signals (sim/world.ts) behave as the memory adapter's (src/adapters/memory/work-signal.ts) step for
 * step: the same stories of waits, notifications, stop signals and lease ends, driven by the same scheduler and
 * choices, resume the same actors at the same virtual times in the same order.
 */
import { describe, expect, it } from 'vitest';
import { WorkSignals } from '../../src/adapters/memory/work-signal.js';
import type { WorkSignal } from '../../src/ports.js';
import { mulberry32 } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';
import { SimWorkSignals } from '../../sim/world.js';

type Kind = 'adapter' | 'world';

/** Plays one story with `kind`'s signals; returns what happened, in order, with the scheduler's counts. */
async function story(kind: Kind, seed: number): Promise<string[]> {
  const random = mulberry32(seed);
  const draw = (count: number) => Math.floor(random() * count);
  const choices = Array.from({ length: 400 }, () => draw(4));
  const scheduler = new Scheduler(choices);
  let leaseEndAtMs: number | undefined;
  const untilLeaseEndMs = () =>
    leaseEndAtMs === undefined || leaseEndAtMs <= scheduler.now() ? undefined : leaseEndAtMs - scheduler.now();
  const adapter = new WorkSignals(untilLeaseEndMs);
  const world = new SimWorkSignals(untilLeaseEndMs);
  const notify = () => (kind === 'adapter' ? adapter.notify() : world.notify());
  const signalOf = (actor: string): WorkSignal =>
    kind === 'adapter'
      ? adapter.signal({ sleep: (ms, signal) => scheduler.sleep(actor, ms, 'sleep', signal) })
      : world.signal((ms) => scheduler.wakeableSleep(actor, ms, 'sleep'));
  const seen: string[] = [];
  const stops: AbortController[] = [];
  const workers = 2 + draw(3);
  for (let index = 0; index < workers; index += 1) {
    const actor = `w${index}`;
    const signal = signalOf(actor);
    const stop = new AbortController();
    stops.push(stop);
    void (async () => {
      for (let round = 0; round < 12; round += 1) {
        const timeoutMs = 500 + draw(4) * 500;
        const fromMs = scheduler.now();
        await signal.wait(timeoutMs, stop.signal);
        const how = stop.signal.aborted ? 'stopped' : scheduler.now() - fromMs < timeoutMs ? 'early' : 'timed out';
        seen.push(`${scheduler.now()} ${actor} woke ${how}`);
        await scheduler.call(actor, 'look', draw(3) * 50, () => undefined);
      }
    })();
  }
  void (async () => {
    for (let round = 0; round < 30; round += 1) {
      await scheduler.sleep('world', draw(4) * 100, 'tick');
      const what = draw(6);
      if (what <= 2) notify();
      else if (what === 3) leaseEndAtMs = scheduler.now() + 50 + draw(10) * 100;
      else if (what === 4) stops[draw(stops.length)]?.abort();
      seen.push(`${scheduler.now()} world ${['notify', 'notify', 'notify', 'lease', 'stop', 'nothing'][what]}`);
    }
  })();
  const outcome = await scheduler.runUntil({ untilMs: 60_000, stepsMax: 2_000 });
  return [...seen, `${outcome} at ${scheduler.now()}: ${scheduler.stats.steps} steps, ${scheduler.stats.decisions}`];
}

describe("the world's work signals", () => {
  it('resume the same actors at the same times as the memory adapter, story by story', async () => {
    let stopped = 0;
    let early = 0;
    for (let seed = 1; seed <= 40; seed += 1) {
      const expected = await story('adapter', seed);
      expect(await story('world', seed), `seed ${seed}`).toEqual(expected);
      stopped += expected.filter((line) => line.endsWith('woke stopped')).length;
      // Before its timeout: a notification or a lease end ended the wait.
      early += expected.filter((line) => line.endsWith('woke early')).length;
    }
    // The stories reach every way a wait ends.
    expect(stopped).toBeGreaterThan(0);
    expect(early).toBeGreaterThan(0);
  });
});
