/**
 * The scheduler resumes ready items in the order its choice sequence says (0 = oldest), owns virtual time, and drops or
 * holds an actor's items on kill and pause.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../sim/scheduler.js';

async function order(choices: number[]): Promise<string[]> {
  const scheduler = new Scheduler(choices);
  const seen: string[] = [];
  for (const name of ['a', 'b', 'c']) void scheduler.call(name, name, 0, () => seen.push(name));
  await scheduler.runUntil({ untilMs: 1_000, stepsMax: 100 });
  return seen;
}

describe('Scheduler', () => {
  it('resumes the oldest ready item when choices are zero or exhausted', async () => {
    expect(await order([])).toEqual(['a', 'b', 'c']);
    expect(await order([0, 0])).toEqual(['a', 'b', 'c']);
  });

  it('picks the ready item the choice names, modulo the number ready', async () => {
    expect(await order([2, 1])).toEqual(['c', 'b', 'a']);
    expect(await order([4])).toEqual(['b', 'a', 'c']);
  });

  it('advances virtual time only by jumping to the next timer', async () => {
    const scheduler = new Scheduler([]);
    const woke: number[] = [];
    void scheduler.sleep('a', 5_000).then(() => woke.push(scheduler.now()));
    void scheduler.sleep('b', 2_000).then(() => woke.push(scheduler.now()));
    const started = Date.now();
    expect(await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 })).toBe('idle');
    expect(woke).toEqual([2_000, 5_000]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops at the time bound without passing it', async () => {
    const scheduler = new Scheduler([]);
    void scheduler.sleep('a', 50_000);
    expect(await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 })).toBe('time');
    expect(scheduler.now()).toBe(10_000);
  });

  it('never resumes a killed actor, and holds a paused one until its pause ends', async () => {
    const scheduler = new Scheduler([]);
    const seen: string[] = [];
    void scheduler.call('dead', 'x', 10, () => seen.push('dead'));
    void scheduler.call('sleepy', 'y', 10, () => seen.push(`sleepy@${scheduler.now()}`));
    scheduler.kill('dead');
    scheduler.pause('sleepy', 3_000);
    void scheduler.call('dead', 'z', 0, () => seen.push('dead again'));
    await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 });
    expect(seen).toEqual(['sleepy@3000']);
    expect(scheduler.isDead('dead')).toBe(true);
  });

  it('stops when the done condition holds or the step budget is spent', async () => {
    const scheduler = new Scheduler([]);
    let count = 0;
    const tick = (): void => {
      count += 1;
      void scheduler.sleep('a', 1).then(tick);
    };
    tick();
    expect(await scheduler.runUntil({ untilMs: 1e9, stepsMax: 1e6, done: () => count >= 5 })).toBe('done');
    expect(await scheduler.runUntil({ untilMs: 1e9, stepsMax: 20 })).toBe('steps');
    expect(scheduler.stats.steps).toBe(20);
  });
});
