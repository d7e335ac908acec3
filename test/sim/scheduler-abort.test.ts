/**
 * The scheduler's abortable sleep: an aborted sleep becomes ready at once but resumes only when the choice sequence
 * picks it, in its place among the ready items (by id: choice 0 is the oldest), and a signal carries one listener of
 * the scheduler however many sleeps wait on it, which wakes none of those that ended.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../sim/scheduler.js';

async function order(choices: number[]): Promise<string[]> {
  const scheduler = new Scheduler(choices);
  const resumed: string[] = [];
  const abort = new AbortController();
  void scheduler.sleep('a', 1_000, 'long', abort.signal).then(() => resumed.push(`a@${scheduler.now()}`));
  void scheduler.sleep('b', 0).then(() => resumed.push(`b@${scheduler.now()}`));
  abort.abort();
  expect(resumed).toEqual([]);
  await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 });
  return resumed;
}

describe('an aborted sleep', () => {
  it('resumes at once, in its place among the ready items: the oldest first, or as the choices say', async () => {
    expect(await order([])).toEqual(['a@0', 'b@0']);
    expect(await order([1])).toEqual(['b@0', 'a@0']);
  });

  it('resumes at once when its signal had already aborted, and an unaborted one waits its time', async () => {
    const scheduler = new Scheduler([]);
    const resumed: string[] = [];
    void scheduler.sleep('a', 500, 'sleep', AbortSignal.abort()).then(() => resumed.push(`a@${scheduler.now()}`));
    void scheduler
      .sleep('b', 500, 'sleep', new AbortController().signal)
      .then(() => resumed.push(`b@${scheduler.now()}`));
    await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 });
    expect(resumed).toEqual(['a@0', 'b@500']);
  });

  it('adds one listener to a signal however many sleeps wait on it, and an abort after they ended wakes nothing', async () => {
    const scheduler = new Scheduler([]);
    const abort = new AbortController();
    let listeners = 0;
    const { signal } = abort;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners += 1;
      add(...args);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners -= 1;
      remove(...args);
    }) as typeof signal.removeEventListener;
    for (let round = 0; round < 5; round += 1) void scheduler.sleep('a', 100 * round, 'sleep', signal);
    expect(listeners).toBe(1);
    await scheduler.runUntil({ untilMs: 10_000, stepsMax: 10 });
    expect(scheduler.stats.steps).toBe(5);
    for (let round = 0; round < 5; round += 1) void scheduler.sleep('a', 100 * round, 'sleep', signal);
    expect(listeners).toBe(1);
    await scheduler.runUntil({ untilMs: 20_000, stepsMax: 20 });
    abort.abort();
    expect(scheduler.size).toBe(0);
    expect(await scheduler.runUntil({ untilMs: 30_000, stepsMax: 30 })).toBe('idle');
    expect(scheduler.stats.steps).toBe(10);
  });
});
