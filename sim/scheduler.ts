/**
 * The choice-sequence scheduler. Every port call and every timer of a simulated worker becomes a
 * pending item; the scheduler alone decides which ready item resumes next, reading each decision
 * from a choice sequence (choice 0 = the oldest ready item), and it alone advances virtual time,
 * jumping to the next timer when nothing is ready. A sequence that runs out reads as zeros, so
 * fast-check shrinks any failing interleaving toward oldest-first, the simplest story.
 *
 * Nothing here reads Date.now, Math.random or real timers. Between two decisions the scheduler
 * lets every promise continuation run, without a turn of the event loop: it waits for the
 * microtask queue to be empty (see {@link drainer}). The simulated path is made of promises only:
 * a body that does real I/O (a Redis round trip, a file) runs inside a scheduled step, and the
 * scheduler awaits that body itself before it drains. So the ready set a decision reads is the
 * one every continuation of the last step left, and a run is deterministic for a given program.
 *
 * Ready items are kept in id order (the order choices index), timers in wake order; a decision
 * neither scans nor copies the whole pending list unless an actor is paused.
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

/** A sleep another party may end early: see {@link Scheduler.wakeableSleep}. */
export interface WakeableSleep {
  /** Resolves when the scheduler resumes the sleep. */
  readonly done: Promise<void>;
  /** Makes the sleep ready now, if it still waits. */
  wake(): void;
}

/** Counters a run reports. */
export interface SchedulerStats {
  steps: number;
  decisions: number;
  nonZeroChoices: number;
}

/** How the scheduler lets continuations run between two decisions. */
export type Settling = 'microtask' | 'macrotask';

let defaultSettling: Settling = 'microtask';

/**
 * Chooses how schedulers created from now on settle between decisions: `microtask` (the default:
 * the microtask queue drained, no event-loop turn) or `macrotask` (one `setImmediate` turn per
 * step, the former way, kept so that tests and the bench can compare both). Returns the previous one.
 */
export function setSettling(mode: Settling): Settling {
  const previous = defaultSettling;
  defaultSettling = mode;
  return previous;
}

/** Why {@link Scheduler.runUntil} stopped. */
export type RunOutcome = 'done' | 'idle' | 'time' | 'steps';

/** Drives simulated tasks in virtual time from a choice sequence. */
export class Scheduler {
  private nowMs = 0;
  private nextId = 1;
  /** Items whose time has come, in id order (paused actors' included). */
  private ready: Pending[] = [];
  /** Items waiting for their time, in (readyAtMs, id) order. */
  private timers: Pending[] = [];
  private cursor = 0;
  private readonly dead = new Set<Actor>();
  /** Sleeps waiting on each abort signal (see {@link sleepersOf}). */
  private readonly sleepers = new WeakMap<AbortSignal, Set<Pending>>();
  private readonly pausedUntil = new Map<Actor, number>();
  /** The latest end of any pause: no actor is paused once virtual time reaches it. */
  private pausesEndMs = 0;
  private readonly settling = defaultSettling;
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

  /**
   * A promise that resolves after `ms` of virtual time, for `actor`. When `signal` aborts first, the
   * sleep becomes ready at once and resumes when the choice sequence picks it, like any ready item
   * (it keeps its id, so its place among them): an abort never resumes an actor by itself.
   */
  sleep(actor: Actor, ms: number, label = 'sleep', signal?: AbortSignal): Promise<void> {
    // The message only when it fails: a template string per sleep costs more than the sleep's own bookkeeping.
    if (!(Number.isFinite(ms) && ms >= 0)) assert(false, `sleep of ${ms} ms`);
    if (signal === undefined) return new Promise((resolve) => this.enqueue(actor, label, this.nowMs + ms, resolve));
    return new Promise((resolve) => {
      if (signal.aborted) {
        this.readyNow(this.enqueue(actor, label, this.nowMs + ms, resolve));
        return;
      }
      const sleeping = this.sleepersOf(signal);
      const item = this.enqueue(actor, label, this.nowMs + ms, () => {
        if (item !== undefined) sleeping.delete(item);
        resolve();
      });
      if (item !== undefined) sleeping.add(item);
    });
  }

  /**
   * The sleeps waiting on `signal`; the first sleep on a signal gives it the one listener that makes them all ready
   * when it aborts (a worker's stop signal serves thousands of sleeps: no listener added and removed for each).
   */
  private sleepersOf(signal: AbortSignal): Set<Pending> {
    let sleeping = this.sleepers.get(signal);
    if (sleeping === undefined) {
      const waiting = new Set<Pending>();
      this.sleepers.set(signal, waiting);
      signal.addEventListener(
        'abort',
        () => {
          for (const item of waiting) this.readyNow(item);
          waiting.clear();
        },
        { once: true },
      );
      sleeping = waiting;
    }
    return sleeping;
  }

  /**
   * A sleep of `ms` for `actor` that `wake()` makes ready at once, as an abort of the signal of {@link sleep} does
   * (it keeps its id; waking it again, or once it ran, does nothing), without an AbortSignal and its listener.
   */
  wakeableSleep(actor: Actor, ms: number, label = 'sleep'): WakeableSleep {
    if (!(Number.isFinite(ms) && ms >= 0)) assert(false, `sleep of ${ms} ms`);
    let item: Pending | undefined;
    const done = new Promise<void>((resolve) => {
      item = this.enqueue(actor, label, this.nowMs + ms, resolve);
    });
    return { done, wake: () => this.readyNow(item) };
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
        let value: T;
        try {
          value = await body();
        } catch (error) {
          // An actor killed while its call ran (a crash after the effect) never sees the reply.
          if (!this.dead.has(actor)) reject(error);
          return;
        }
        if (!this.dead.has(actor)) resolve(value);
      });
    });
  }

  /** Kills `actor`: its pending items are dropped and its future calls never run. */
  kill(actor: Actor): void {
    this.dead.add(actor);
    if (this.ready.some((item) => item.actor === actor)) this.ready = this.ready.filter((item) => item.actor !== actor);
    if (this.timers.some((item) => item.actor === actor))
      this.timers = this.timers.filter((item) => item.actor !== actor);
  }

  /** True once `actor` was killed. */
  isDead(actor: Actor): boolean {
    return this.dead.has(actor);
  }

  /** Holds every item of `actor` until virtual time `untilMs`. */
  pause(actor: Actor, untilMs: number): void {
    const until = Math.max(untilMs, this.pausedUntil.get(actor) ?? 0);
    this.pausedUntil.set(actor, until);
    this.pausesEndMs = Math.max(this.pausesEndMs, until);
  }

  /** True while `actor` is paused. */
  isPaused(actor: Actor): boolean {
    return (this.pausedUntil.get(actor) ?? 0) > this.nowMs;
  }

  /** Number of pending items. */
  get size(): number {
    return this.ready.length + this.timers.length;
  }

  /**
   * Runs until `done()` holds, nothing is pending, virtual time would pass `untilMs` (a number, or
   * a function read whenever time would advance: a deadline that moves), or `stepsMax` decisions
   * were made. Returns why it stopped.
   */
  runUntil(options: { untilMs: number | (() => number); stepsMax: number; done?: () => boolean }): Promise<RunOutcome> {
    const { untilMs, stepsMax, done } = options;
    const deadline = typeof untilMs === 'number' ? () => untilMs : untilMs;
    return new Promise<RunOutcome>((resolve, reject) => {
      // One decision, taken once every continuation of the last step ran; it arms the next.
      const decide = (): void => {
        try {
          for (;;) {
            if (done?.() === true) return resolve('done');
            if (this.stats.steps >= stepsMax) return resolve('steps');
            const item = this.pick();
            if (item === undefined) {
              const next = this.nextWakeMs();
              if (next === undefined) return resolve('idle');
              const untilNowMs = deadline();
              if (next > untilNowMs) {
                this.nowMs = Math.max(this.nowMs, untilNowMs);
                return resolve('time');
              }
              // No continuation runs while time jumps: decide again at once.
              this.nowMs = Math.max(this.nowMs, next);
              continue;
            }
            this.stats.steps += 1;
            const running = item.run();
            // A body (perhaps real I/O) is awaited whole; its continuations then drain like any other.
            if (running === undefined) settle();
            else running.then(settle, reject);
            return;
          }
        } catch (error) {
          reject(error);
        }
      };
      // Every few thousand steps, after a drain, one event-loop turn: the process stays responsive
      // (signals, progress, other pools' messages) during a long run; nothing of the run is left to run then.
      const turn = (): void => {
        setImmediate(decide);
      };
      // The microtasks that call decide (or turn) once the queue drained, made once for the run, not once per step.
      const afterDrain = drainer(decide);
      const turnAfterDrain = drainer(turn);
      // A microtask through a resolved promise, not queueMicrotask: the same queue, in the same order, without the
      // AsyncResource Node makes for every queueMicrotask callback.
      const settle =
        this.settling === 'macrotask'
          ? turn
          : () => {
              if ((this.stats.steps & 4095) === 4095) void resolved.then(turnAfterDrain);
              else void resolved.then(afterDrain);
            };
      settle();
    });
  }

  private enqueue(
    actor: Actor,
    label: string,
    readyAtMs: number,
    run: () => void | Promise<void>,
  ): Pending | undefined {
    if (this.dead.has(actor)) return undefined;
    const item: Pending = { id: this.nextId++, actor, label, readyAtMs, run };
    // The newest id: appended, ready items stay in id order.
    if (readyAtMs <= this.nowMs) this.ready.push(item);
    else insertTimer(this.timers, item);
    return item;
  }

  /** Makes a waiting timer ready now (an aborted sleep); one already ready, run or dropped stays as it is. */
  private readyNow(item: Pending | undefined): void {
    const at = item === undefined ? -1 : this.timers.indexOf(item);
    if (at < 0) return;
    this.timers.splice(at, 1);
    insertById(this.ready, { ...(item as Pending), readyAtMs: this.nowMs });
  }

  /** Moves the timers whose time has come to the ready items, keeping id order. */
  private wakeTimers(): void {
    const { timers } = this;
    let due = 0;
    while (due < timers.length && (timers[due] as Pending).readyAtMs <= this.nowMs) due += 1;
    if (due === 0) return;
    for (const item of timers.splice(0, due)) insertById(this.ready, item);
  }

  /** The item the next decision resumes (reading a choice when several are ready), removed; none when none is ready. */
  private pick(): Pending | undefined {
    this.wakeTimers();
    const { ready } = this;
    if (ready.length === 0) return undefined;
    let position: number;
    if (this.pausesEndMs > this.nowMs) {
      // Some actor may be paused: choices index the items of the others, still in id order.
      const eligible: number[] = [];
      for (let index = 0; index < ready.length; index += 1)
        if (!this.isPaused((ready[index] as Pending).actor)) eligible.push(index);
      if (eligible.length === 0) return undefined;
      position = eligible[this.choose(eligible.length)] as number;
    } else {
      position = this.choose(ready.length);
    }
    const item = ready[position];
    assert(item !== undefined, 'choice within ready items');
    if (position === 0) ready.shift();
    else ready.splice(position, 1);
    return item;
  }

  /** Reads the next choice among `count` ready items (no choice is read for one). */
  private choose(count: number): number {
    if (count === 1) return 0;
    const choice = this.choices[this.cursor] ?? 0;
    this.cursor += 1;
    this.stats.decisions += 1;
    this.branching.push(count);
    if (choice !== 0) this.stats.nonZeroChoices += 1;
    return choice % count;
  }

  /** When the next item can run: its time, or its actor's pause end, whichever is later. */
  private nextWakeMs(): number | undefined {
    if (this.pausesEndMs <= this.nowMs) return this.timers[0]?.readyAtMs;
    let next: number | undefined;
    for (const list of [this.ready, this.timers]) {
      for (const item of list) {
        const at = Math.max(item.readyAtMs, this.pausedUntil.get(item.actor) ?? 0);
        if (next === undefined || at < next) next = at;
      }
    }
    return next;
  }
}

/**
 * A microtask that, queued, calls `then` once the microtask queue is empty: every continuation queued so far, and
 * every one they queue in turn, has run. A callback passed to `process.nextTick` from inside a microtask runs only
 * after V8 drained the whole microtask queue (Node runs the tick queue between two drains), so the microtask
 * hop first makes sure we are inside one. No timer, no I/O, no event-loop turn. The simulated path queues no ticks of
 * its own between two decisions (its I/O runs inside awaited bodies), so nothing of it can run after the tick. One
 * such microtask serves a whole run: it is queued again after each step.
 */
function drainer(then: () => void): () => void {
  return () => process.nextTick(then);
}

/** A settled promise: `resolved.then(callback)` queues `callback` as a microtask. */
const resolved = Promise.resolve();

/** Inserts a timer in (readyAtMs, id) order; a new item has the largest id, so it goes after its equals. */
function insertTimer(timers: Pending[], item: Pending): void {
  let low = 0;
  let high = timers.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((timers[middle] as Pending).readyAtMs <= item.readyAtMs) low = middle + 1;
    else high = middle;
  }
  if (low === timers.length) timers.push(item);
  else timers.splice(low, 0, item);
}

/** Inserts an item in id order. */
function insertById(items: Pending[], item: Pending): void {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((items[middle] as Pending).id < item.id) low = middle + 1;
    else high = middle;
  }
  if (low === items.length) items.push(item);
  else items.splice(low, 0, item);
}
