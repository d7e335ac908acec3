/**
 * The choice-sequence scheduler. Every port call and every timer of a simulated worker becomes a
 * pending item; the scheduler alone decides which ready item resumes next, reading each decision
 * from a choice sequence (choice 0 = the oldest ready item), and it alone advances virtual time,
 * jumping to the next timer when nothing is ready. A sequence that runs out reads as zeros, so
 * fast-check shrinks any failing interleaving toward oldest-first, the simplest story.
 *
 * Nothing here reads Date.now, Math.random or real timers; between two decisions the scheduler
 * lets promise continuations run (a macrotask turn), which is deterministic for a given program.
 */
import { assert } from '../src/core/assert.js';

/** Who owns a pending item: a worker incarnation, or the world itself. */
export type Actor = string;

interface Pending {
  readonly id: number;
  readonly actor: Actor;
  readonly label: string;
  readonly readyAtMs: number;
  /** Runs the item; a returned promise (a port operation's body) is awaited before the next decision. */
  readonly run: () => void | Promise<void>;
}

/** Counters a run reports. */
export interface SchedulerStats {
  steps: number;
  decisions: number;
  nonZeroChoices: number;
}

/** Drives simulated tasks in virtual time from a choice sequence. */
export class Scheduler {
  private nowMs = 0;
  private nextId = 1;
  private pending: Pending[] = [];
  private cursor = 0;
  private readonly dead = new Set<Actor>();
  private readonly pausedUntil = new Map<Actor, number>();
  readonly stats: SchedulerStats = { steps: 0, decisions: 0, nonZeroChoices: 0 };
  /** How many items were ready at each decision, in order (what an exhaustive search branches on). */
  readonly branching: number[] = [];

  constructor(
    private readonly choices: readonly number[],
    startMs = 0,
  ) {
    this.nowMs = startMs;
  }

  /** Virtual now, in ms. */
  now(): number {
    return this.nowMs;
  }

  /** A promise that resolves after `ms` of virtual time, for `actor`. */
  sleep(actor: Actor, ms: number, label = 'sleep'): Promise<void> {
    assert(Number.isFinite(ms) && ms >= 0, `sleep of ${ms} ms`);
    return new Promise((resolve) => this.enqueue(actor, label, this.nowMs + ms, () => resolve()));
  }

  /**
   * Schedules `body` to run for `actor` once `latencyMs` has passed and the scheduler picks it;
   * the returned promise settles with its result. The scheduler waits for `body` to finish before
   * its next decision, so an operation is atomic in virtual time even when it does real I/O.
   * A dead actor's calls never run, and an actor killed while its call runs never gets the reply.
   */
  call<T>(actor: Actor, label: string, latencyMs: number, body: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(actor, label, this.nowMs + latencyMs, async () => {
        let outcome: { value: T } | { error: unknown };
        try {
          outcome = { value: await body() };
        } catch (error) {
          outcome = { error };
        }
        // An actor killed while its call ran (a crash after the effect) never sees the reply.
        if (this.dead.has(actor)) return;
        if ('value' in outcome) resolve(outcome.value);
        else reject(outcome.error);
      });
    });
  }

  /** Kills `actor`: its pending items are dropped and its future calls never run. */
  kill(actor: Actor): void {
    this.dead.add(actor);
    this.pending = this.pending.filter((item) => item.actor !== actor);
  }

  /** True once `actor` was killed. */
  isDead(actor: Actor): boolean {
    return this.dead.has(actor);
  }

  /** Holds every item of `actor` until virtual time `untilMs`. */
  pause(actor: Actor, untilMs: number): void {
    this.pausedUntil.set(actor, Math.max(untilMs, this.pausedUntil.get(actor) ?? 0));
  }

  /** True while `actor` is paused. */
  isPaused(actor: Actor): boolean {
    return (this.pausedUntil.get(actor) ?? 0) > this.nowMs;
  }

  /** Number of pending items. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Runs until `done()` holds, nothing is pending, virtual time would pass `untilMs` (a number, or
   * a function read whenever time would advance: a deadline that moves), or `stepsMax` decisions
   * were made. Returns why it stopped.
   */
  async runUntil(options: {
    untilMs: number | (() => number);
    stepsMax: number;
    done?: () => boolean;
  }): Promise<'done' | 'idle' | 'time' | 'steps'> {
    const { untilMs } = options;
    const deadline = typeof untilMs === 'number' ? () => untilMs : untilMs;
    for (;;) {
      await settle();
      if (options.done?.() === true) return 'done';
      if (this.stats.steps >= options.stepsMax) return 'steps';
      const ready = this.ready();
      if (ready.length === 0) {
        const next = this.nextWakeMs();
        if (next === undefined) return 'idle';
        const untilNowMs = deadline();
        if (next > untilNowMs) {
          this.nowMs = Math.max(this.nowMs, untilNowMs);
          return 'time';
        }
        this.nowMs = Math.max(this.nowMs, next);
        continue;
      }
      const item = this.pick(ready);
      this.pending = this.pending.filter((entry) => entry.id !== item.id);
      this.stats.steps += 1;
      await item.run();
    }
  }

  private enqueue(actor: Actor, label: string, readyAtMs: number, run: () => void | Promise<void>): void {
    if (this.dead.has(actor)) return;
    this.pending.push({ id: this.nextId++, actor, label, readyAtMs, run });
  }

  private ready(): Pending[] {
    return this.pending.filter((item) => item.readyAtMs <= this.nowMs && !this.isPaused(item.actor));
  }

  private nextWakeMs(): number | undefined {
    let next: number | undefined;
    for (const item of this.pending) {
      const at = Math.max(item.readyAtMs, this.pausedUntil.get(item.actor) ?? 0);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  private pick(ready: Pending[]): Pending {
    if (ready.length === 1) return ready[0] as Pending;
    const choice = this.choices[this.cursor] ?? 0;
    this.cursor += 1;
    this.stats.decisions += 1;
    this.branching.push(ready.length);
    if (choice !== 0) this.stats.nonZeroChoices += 1;
    const item = ready[choice % ready.length];
    assert(item !== undefined, 'choice within ready items');
    return item;
  }
}

/** Lets every pending promise continuation run: one macrotask turn. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
