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

describe('Scheduler settling without the event loop', () => {
  /** Actor `a` wakes, awaits `depth` continuations, then sleeps again; `b` has an item ready all along. */
  async function chain(depth: number, choices: number[]): Promise<{ seen: string[]; branching: number[] }> {
    const scheduler = new Scheduler(choices);
    const seen: string[] = [];
    const deep = async (left: number): Promise<void> => {
      if (left > 0) await deep(left - 1);
    };
    void (async () => {
      await scheduler.sleep('a', 0, 'a1');
      seen.push('a1');
      for (let index = 0; index < depth; index += 1) await Promise.resolve();
      await deep(Math.min(depth, 2_000));
      await scheduler.sleep('a', 0, 'a2');
      seen.push('a2');
    })();
    void scheduler.sleep('b', 0, 'b1').then(() => seen.push('b1'));
    await scheduler.runUntil({ untilMs: 1_000, stepsMax: 100 });
    return { seen, branching: scheduler.branching };
  }

  it('lets a long chain of awaits between two scheduler calls finish before the next decision', async () => {
    // After a1, the ready items are b1 (older) and a2: choice 1 picks a2, which exists only if the chain ran whole.
    for (const depth of [1, 10, 1_000, 20_000]) {
      const { seen, branching } = await chain(depth, [0, 1]);
      expect(seen).toEqual(['a1', 'a2', 'b1']);
      expect(branching).toEqual([2, 2]);
    }
  });

  it('awaits a body that does real I/O before deciding, and delivers its reply to the caller first', async () => {
    const scheduler = new Scheduler([]);
    const seen: string[] = [];
    void scheduler
      .call('a', 'io', 0, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setImmediate(resolve));
        seen.push('body done');
        return 'reply';
      })
      .then(async (reply) => {
        seen.push(reply);
        await scheduler.sleep('a', 0);
        seen.push('a again');
      });
    void scheduler.call('b', 'b', 0, () => seen.push('b'));
    // Oldest first: the body, then b (older than a's next sleep, which the reply's continuation enqueued).
    await scheduler.runUntil({ untilMs: 1_000, stepsMax: 100 });
    expect(seen).toEqual(['body done', 'reply', 'b', 'a again']);
    expect(scheduler.branching).toEqual([2, 2]);
  });

  it('takes the same decisions as the former event-loop settling', async () => {
    const { setSettling } = await import('../../sim/scheduler.js');
    const story = async (): Promise<string[]> => {
      const scheduler = new Scheduler([1, 2, 0, 1, 3, 1, 2]);
      const seen: string[] = [];
      for (const actor of ['a', 'b', 'c'])
        void (async () => {
          for (let round = 0; round < 4; round += 1) {
            await scheduler.call(actor, 'call', round, async () => {
              await Promise.resolve();
              seen.push(`${actor}${round}@${scheduler.now()}`);
            });
            for (let index = 0; index < round * 3; index += 1) await Promise.resolve();
            await scheduler.sleep(actor, 5 - round);
          }
        })();
      await scheduler.runUntil({ untilMs: 1_000, stepsMax: 1_000 });
      return seen;
    };
    const previous = setSettling('macrotask');
    let former: string[];
    try {
      former = await story();
    } finally {
      setSettling(previous);
    }
    expect(await story()).toEqual(former);
  });
});
