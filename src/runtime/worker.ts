/**
 * The worker: the imperative shell around the pure machine of src/core/transition.ts. It looks for
 * claimable jobs, claims one (a recovery when the job was started before), then loops: decide
 * (pure) → perform the effect through a port → feed the result back. It renews its lease in the
 * background, checks the lease before every effect outside the store (so a paused worker does not
 * transcribe a chunk someone else committed), retries operating errors with capped backoff, stops
 * touching a job the moment a write is refused, and never lets one job's failure stop its loop.
 */
import { AssertionError, assert, unreachable } from '../core/assert.js';
import { backoffDelayMs } from '../core/backoff.js';
import { defaultLimits, validateLimits, type Limits } from '../core/limits.js';
import { jobInvariantProblems } from '../core/invariants.js';
import { plannedChunk } from '../core/planner.js';
import { isStoreEffect, storeWriteRequest } from '../core/store-operations.js';
import * as machine from '../core/transition.js';
import { isTerminal, validateWorkerId, type ChunkSpec, type Job } from '../core/types.js';
import {
  CorruptStateError,
  StoreUnavailableError,
  type ChunkStore,
  type Clock,
  type JobStore,
  type Media,
  type Random,
  type Transcriber,
  type WorkSignal,
  type WriteResult,
  WorkerUnfitError,
} from '../ports.js';

/** Everything a worker needs. */
export interface WorkerOptions {
  readonly workerId: string;
  readonly store: JobStore;
  readonly chunkStore: ChunkStore;
  readonly media: Media;
  readonly transcriber: Transcriber;
  readonly clock: Clock;
  readonly random: Random;
  /**
   * Wakes the worker when work may have appeared, so that an idle worker waits instead of polling
   * every idlePollIntervalMs (e.g. `RedisJobStore.workSignal()`, `MemoryJobStore.workSignal(clock)`).
   */
  readonly workSignal?: WorkSignal;
  readonly limits?: Partial<Limits>;
  /**
   * How long (ms) a stopping worker waits for the transcriptions in flight to return, to commit them before it hands
   * its job over; past it, it aborts them (TranscribeRequest.signal) and hands the job over without them. Default: no
   * limit (each call ends by the transcriber's own timeout).
   */
  readonly stopGraceMs?: number;
  /** Structured progress notes (claims, stops, retries); never required for correctness. */
  readonly log?: (entry: WorkerLogEntry) => void;
}

/** One structured log line of a worker. */
export interface WorkerLogEntry {
  readonly workerId: string;
  readonly what: 'claimed' | 'stopped' | 'retry' | 'quarantined' | 'swept' | 'released' | 'skipped' | 'error';
  readonly jobId?: string;
  /** What happened, in words: the outcome, the reason, the error. */
  readonly detail: string;
}

/** How processing one claimed job ended. */
export type JobRunOutcome = machine.StopOutcome | 'released';

/** A worker: call {@link Worker.run} to loop until {@link Worker.stop}. */
export class Worker {
  readonly workerId: string;
  readonly limits: Limits;
  private stopping = false;
  /** Aborted by {@link stop}: cuts every sleep and wait of this worker short. */
  private readonly stopSignal = new AbortController();
  private requestCounter = 0;
  private lastSweepMs = Number.NEGATIVE_INFINITY;
  /** When a stopping worker stops waiting for its transcriptions in flight (its clock; set by the first stop). */
  private graceEndsMs: number | undefined;
  /** Jobs whose claim failed with an error of their own, skipped until a time (ms), with the failures so far. */
  private readonly skipped = new Map<string, { untilMs: number; failures: number }>();

  constructor(private readonly options: WorkerOptions) {
    this.workerId = validateWorkerId(options.workerId);
    this.limits = validateLimits({ ...defaultLimits, ...options.limits });
    const graceMs = options.stopGraceMs;
    if (graceMs !== undefined && (!Number.isSafeInteger(graceMs) || graceMs < 0))
      throw new RangeError(`stopGraceMs must be a non-negative integer of ms, got ${String(graceMs)}`);
  }

  /**
   * Loops: take work, or sweep and wait when there is none, until {@link stop} is called. Rejects with the
   * WorkerUnfitError a port threw (a tool that cannot run, rejected credentials), after handing its job over.
   */
  async run(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = (await this.runOnce()) !== 'idle';
      } catch (error) {
        if (error instanceof StopRequested) break;
        if (error instanceof WorkerUnfitError) {
          this.stop();
          throw error;
        }
        this.note('error', undefined, String(error));
      }
      if (!worked && !this.stopping) {
        await this.sweepIfDue();
        if (!this.stopping) await this.idle();
      }
    }
  }

  /** Waits for work: on the work signal when there is one, else one poll interval. */
  private idle(): Promise<void> {
    const { workSignal, clock } = this.options;
    if (workSignal === undefined) return clock.sleep(this.limits.idlePollIntervalMs, this.stopSignal.signal);
    return workSignal.wait(this.idleWaitMs(), this.stopSignal.signal);
  }

  /** How long an idle worker may wait for its signal: until its next sweep, or a skipped job's next try. */
  private idleWaitMs(): number {
    const nowMs = this.options.clock.now();
    let untilMs = this.lastSweepMs + this.limits.sweepIntervalMs;
    for (const entry of this.skipped.values()) if (entry.untilMs > nowMs) untilMs = Math.min(untilMs, entry.untilMs);
    return Math.max(1, untilMs - nowMs);
  }

  /** Asks the worker to finish its current step, release its lease and leave {@link run}; cuts its waits short. */
  stop(): void {
    if (!this.stopping && this.options.stopGraceMs !== undefined)
      this.graceEndsMs = this.options.clock.now() + this.options.stopGraceMs;
    this.stopping = true;
    this.stopSignal.abort(ownAbortReason);
  }

  /** Aborted once {@link stop} was called (its reason an `AbortError`). */
  get stopRequested(): AbortSignal {
    return this.stopSignal.signal;
  }

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** One look for work: claims the first claimable job and processes it to its end. */
  async runOnce(): Promise<'idle' | JobRunOutcome> {
    const ids = await this.storeCall(() => this.options.store.listRecoverableJobs(this.limits.recoverableJobsPageMax));
    for (const jobId of ids) {
      if (this.isSkipped(jobId)) continue;
      let claimed;
      try {
        claimed = await this.claim(jobId);
      } catch (error) {
        // One job's bad data (an id that is not one, keys a quarantine cannot write) must not
        // stop the worker from claiming the others: skip it for a while, say so, go on.
        if (error instanceof StopRequested || error instanceof AssertionError) throw error;
        this.skip(jobId, error);
        continue;
      }
      if (claimed === undefined) continue;
      this.skipped.delete(jobId);
      return this.process(claimed.job, claimed.recovery, claimed.sentMs);
    }
    return 'idle';
  }

  private isSkipped(jobId: string): boolean {
    const entry = this.skipped.get(jobId);
    return entry !== undefined && this.options.clock.now() < entry.untilMs;
  }

  /** Skips `jobId` for a backoff that doubles with each failure, up to the sweep interval. */
  private skip(jobId: string, error: unknown): void {
    const failures = (this.skipped.get(jobId)?.failures ?? 0) + 1;
    const delayMs = Math.min(this.limits.sweepIntervalMs, this.limits.idlePollIntervalMs * 2 ** Math.min(failures, 20));
    this.skipped.delete(jobId);
    this.skipped.set(jobId, { untilMs: this.options.clock.now() + delayMs, failures });
    // Bounded: the oldest entry goes first (a Map keeps insertion order).
    if (this.skipped.size > skippedJobsMax) this.skipped.delete(this.skipped.keys().next().value as string);
    this.note('skipped', jobId, `for ${delayMs} ms after failure ${failures}: ${String(error)}`);
  }

  /** Removes chunk files of jobs that are terminal or unknown (orphans of crashed workers, P8). */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const jobId of await this.options.chunkStore.listJobIds()) {
      let job: Job | null;
      try {
        job = await this.storeCall(() => this.options.store.getJob(jobId));
      } catch (error) {
        if (error instanceof CorruptStateError) continue;
        throw error;
      }
      if (job === null || isTerminal(job.phase)) {
        await this.options.chunkStore.removeJob(jobId);
        removed.push(jobId);
      }
    }
    if (removed.length > 0) this.note('swept', undefined, removed.join(','));
    return removed;
  }

  private async sweepIfDue(): Promise<void> {
    const now = this.options.clock.now();
    if (now - this.lastSweepMs < this.limits.sweepIntervalMs) return;
    this.lastSweepMs = now;
    try {
      await this.sweep();
    } catch (error) {
      // A stop requested while the sweep waited out a store outage ends the sweep, not run().
      if (error instanceof StopRequested) return;
      this.note('error', undefined, `sweep: ${String(error)}`);
    }
  }

  private async claim(jobId: string): Promise<{ job: Job; recovery: boolean; sentMs: number } | undefined> {
    const requestId = this.nextRequestId();
    // The grant lasts leaseDurationMs from when the store applied it, which is after this instant
    // (a retried claim whose first reply was lost was applied after its first sending, too).
    const sentMs = this.options.clock.now();
    const { store } = this.options;
    let result;
    try {
      result = await this.storeCall(() =>
        store.claimJob({
          jobId,
          workerId: this.workerId,
          leaseMs: this.limits.leaseDurationMs,
          recoveryAttemptsMax: this.limits.recoveryAttemptsMax,
          requestId,
        }),
      );
    } catch (error) {
      if (error instanceof CorruptStateError) {
        await this.quarantine(jobId, error);
        return undefined;
      }
      throw error;
    }
    if (result.kind === 'exhausted') {
      await this.options.chunkStore.removeJob(jobId);
      this.note('stopped', jobId, 'recovery attempts exhausted');
      return undefined;
    }
    if (result.kind !== 'ok') return undefined;
    const problems = jobInvariantProblems(result.job);
    if (problems.length > 0) {
      await this.quarantine(jobId, new CorruptStateError(jobId, problems));
      return undefined;
    }
    this.note('claimed', jobId, result.recovery ? `recovery attempt ${result.job.recovery.attempts}` : 'new');
    return { job: result.job, recovery: result.recovery, sentMs };
  }

  private async quarantine(jobId: string, error: CorruptStateError): Promise<void> {
    const requestId = this.nextRequestId();
    await this.storeCall(() =>
      this.options.store.quarantineJob({ jobId, workerId: this.workerId, message: error.message, requestId }),
    );
    await this.options.chunkStore.removeJob(jobId);
    this.note('quarantined', jobId, error.problems.join('; '));
  }

  /** Drives the machine for one owned job until it stops. */
  private async process(job: Job, recovering: boolean, claimSentMs: number): Promise<JobRunOutcome> {
    const lease = new LeaseKeeper(this, job, claimSentMs);
    lease.start();
    const calls = new InFlight();
    // Aborted when a stopping worker's grace ran out: the transcriptions in flight are given up.
    const giveUp = new AbortController();
    let { state, effect } = machine.initialTransition(job, this.workerId, recovering, this.limits);
    // Why the job stopped being ours, when a write or the lease was refused: for the log.
    let refusal: string | undefined;
    try {
      while (effect.type !== 'stop') {
        // A stopping worker still writes what it holds (a transcript in hand, a plan, a decided failure), lets the
        // transcriptions in flight return and commits them, and cleans up a finished job; it hands the job over
        // before any new work outside the store.
        const finishing = this.stopping && !isStoreEffect(effect) && effect.type !== 'cleanup';
        if (finishing && calls.size === 0) {
          await this.release(job, state.job.epoch);
          return 'released';
        }
        let input: machine.Input;
        try {
          const next =
            finishing || effect.type === 'await'
              ? await this.inFlightWithinGrace(calls)
              : await this.perform(state, effect, lease, calls, giveUp.signal);
          if (next === undefined) {
            giveUp.abort();
            const why = `the stop's grace ran out with ${calls.size} transcription(s) in flight, given up`;
            await this.release(job, state.job.epoch, why);
            return 'released';
          }
          input = next;
        } catch (error) {
          // The worker cannot do this work (a tool, its credentials): the job is not at fault, hand it over.
          if (error instanceof WorkerUnfitError) await this.release(job, state.job.epoch);
          throw error;
        }
        if (input.type === 'refused') refusal = input.kind;
        ({ state, effect } = machine.transition(state, input));
      }
    } finally {
      lease.stop();
      // Transcriptions still in flight when the job stopped being worked on are let finish, their results unused.
      for (const error of await calls.settled())
        this.note('error', job.id, `transcription after stop: ${String(error)}`);
    }
    if (lease.corruption !== undefined) await this.quarantine(job.id, lease.corruption);
    else if (effect.outcome === 'lost') await this.afterLoss(job.id);
    this.note('stopped', job.id, refusal === undefined ? effect.outcome : `${effect.outcome} (${refusal})`);
    return effect.outcome;
  }

  /**
   * The next result of a call in flight; with a grace period (stopGraceMs), undefined when a stop came and its grace
   * ran out first.
   */
  private async inFlightWithinGrace(calls: InFlight): Promise<machine.Input | undefined> {
    const next = calls.next();
    if (this.options.stopGraceMs === undefined) return next;
    // A result that comes after the grace is not used; an error it ends with must not go unhandled.
    next.catch(() => undefined);
    if (!this.stopping) {
      const stop = this.stopSignal.signal;
      let onStop = (): void => {};
      const stopped = new Promise<'stopped'>((resolve) => {
        onStop = () => resolve('stopped');
        stop.addEventListener('abort', onStop, { once: true });
      });
      try {
        const first = await Promise.race([next, stopped]);
        if (first !== 'stopped') return first;
      } finally {
        stop.removeEventListener('abort', onStop);
      }
    }
    const { clock } = this.options;
    const graceEndsMs = this.graceEndsMs ?? clock.now();
    const timer = new AbortController();
    const graceOver = clock.sleep(Math.max(0, graceEndsMs - clock.now()), timer.signal).then(() => undefined);
    try {
      return await Promise.race([next, graceOver]);
    } finally {
      timer.abort(ownAbortReason);
    }
  }

  private async perform(
    state: machine.MachineState,
    effect: Exclude<machine.Effect, { type: 'stop' | 'await' }>,
    lease: LeaseKeeper,
    calls: InFlight,
    giveUp: AbortSignal,
  ): Promise<machine.Input> {
    if (isStoreEffect(effect)) return this.performStore(state, effect);
    if (effect.type === 'transcribe') {
      calls.start(() => this.transcribe(state, effect, lease, giveUp));
      return { type: 'started', index: effect.index };
    }
    if (effect.type === 'wait') {
      await this.options.clock.sleep(
        Math.max(backoffDelayMs(effect.attempt, this.limits, this.options.random()), effect.delayMsMin ?? 0),
        this.stopSignal.signal,
      );
      return { type: 'waited' };
    }
    if (effect.type === 'cleanup') {
      await this.options.chunkStore.removeJob(state.job.id);
      return { type: 'cleaned' };
    }
    const held = await lease.ensure();
    if (held !== 'valid') return { type: 'refused', kind: held };
    return this.performOutside(state, effect);
  }

  private async performOutside(
    state: machine.MachineState,
    effect: Extract<machine.Effect, { type: 'probe' | 'extract' | 'check_chunks' }>,
  ): Promise<machine.Input> {
    const { job } = state;
    const { media, chunkStore } = this.options;
    switch (effect.type) {
      case 'probe': {
        const probed = await media.probe(job.source);
        if (probed.kind === 'ok') return { type: 'probed', durationMs: probed.durationMs };
        if (probed.kind === 'error') return { type: 'media_retry', message: probed.message };
        return {
          type: 'media_failed',
          reason: probed.kind === 'source_missing' ? 'source_missing' : 'media_invalid',
          message: probed.message,
        };
      }
      case 'extract': {
        const chunk = chunkSpecOf(state, effect.index);
        const extracted = await media.extractChunk({ jobId: job.id, source: job.source, chunk });
        if (extracted.kind === 'ok')
          return { type: 'extracted', index: effect.index, bytes: extracted.bytes, sha256: extracted.sha256 };
        if (extracted.kind === 'error') return { type: 'media_retry', message: extracted.message };
        return {
          type: 'media_failed',
          reason: extracted.kind === 'source_missing' ? 'source_missing' : 'media_invalid',
          message: extracted.message,
        };
      }
      case 'check_chunks': {
        const results = [];
        for (const index of effect.indices) {
          const chunk = job.chunks[index];
          assert(chunk !== undefined, `check of unknown chunk ${index}`);
          results.push({ index, status: await chunkStore.check(job.id, index, chunk) });
        }
        return { type: 'chunks_checked', results };
      }
      default:
        return unreachable(effect, 'effect');
    }
  }

  /** One transcription, run beside the machine's other steps: the lease is checked before the read and the call. */
  private async transcribe(
    state: machine.MachineState,
    effect: Extract<machine.Effect, { type: 'transcribe' }>,
    lease: LeaseKeeper,
    giveUp: AbortSignal,
  ): Promise<machine.Input> {
    const { job } = state;
    const { chunkStore, transcriber } = this.options;
    const leased = await lease.ensure();
    if (leased !== 'valid') return { type: 'refused', kind: leased };
    const chunk = job.chunks[effect.index];
    assert(chunk !== undefined, `transcription of unknown chunk ${effect.index}`);
    const read = await chunkStore.read(job.id, effect.index, chunk);
    if (read.kind !== 'ok') return { type: 'chunk_unreadable', index: effect.index, status: read.kind };
    const held = await lease.ensure();
    if (held !== 'valid') return { type: 'refused', kind: held };
    const result = await transcriber.transcribe({
      jobId: job.id,
      index: effect.index,
      audio: read.data,
      prompt: effect.prompt,
      signal: giveUp,
    });
    if (result.kind === 'ok') return { type: 'transcribed', index: effect.index, text: result.text };
    return {
      type: 'transcribe_failed',
      index: effect.index,
      retryable: result.retryable,
      message: result.message,
      atMs: this.options.clock.now(),
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
    };
  }

  private async performStore(state: machine.MachineState, effect: machine.StoreEffect): Promise<machine.Input> {
    const { store } = this.options;
    const fencing = {
      jobId: state.job.id,
      workerId: this.workerId,
      epoch: state.job.epoch,
      requestId: this.nextRequestId(),
    };
    const { op, request } = storeWriteRequest(effect, fencing);
    let result: WriteResult;
    try {
      result = await this.storeCall(() => store[op](request as never));
    } catch (error) {
      if (!(error instanceof CorruptStateError)) throw error;
      await this.quarantine(state.job.id, error);
      return { type: 'refused', kind: 'corrupt' };
    }
    if (result.kind === 'ok') return { type: 'stored', nowMs: this.options.clock.now() };
    return { type: 'refused', kind: result.kind };
  }

  private async release(job: Job, epoch: number, why?: string): Promise<void> {
    const requestId = this.nextRequestId();
    const released = await this.options.store
      .releaseJob({ jobId: job.id, workerId: this.workerId, epoch, requestId })
      .catch(() => undefined);
    this.note('released', job.id, `${released?.kind ?? 'store unavailable'}${why === undefined ? '' : ` (${why})`}`);
  }

  /** After losing a job: if it is terminal now, the files this worker may have written are orphans. */
  private async afterLoss(jobId: string): Promise<void> {
    try {
      const job = await this.options.store.getJob(jobId);
      if (job === null || isTerminal(job.phase)) await this.options.chunkStore.removeJob(jobId);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError || error instanceof CorruptStateError)) throw error;
    }
  }

  /** Calls the store, retrying while it is unavailable with capped backoff; gives up only on stop. */
  async storeCall<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        if (this.stopping) throw new StopRequested();
        this.note('retry', undefined, `store unavailable (attempt ${attempt}): ${error.message}`);
        await this.options.clock.sleep(
          backoffDelayMs(attempt, this.limits, this.options.random()),
          this.stopSignal.signal,
        );
      }
    }
  }

  /** A request id unique to this worker, for one logical write and all its retries. */
  nextRequestId(): string {
    this.requestCounter += 1;
    return `${this.workerId}/${this.requestCounter}`;
  }

  /** The options the worker was built with. */
  get ports(): WorkerOptions {
    return this.options;
  }

  private note(what: WorkerLogEntry['what'], jobId: string | undefined, detail: string): void {
    this.options.log?.({ workerId: this.workerId, what, ...(jobId === undefined ? {} : { jobId }), detail });
  }
}

/** Thrown inside a worker to unwind when a stop was requested during a store outage. */
class StopRequested extends Error {}

/** A job's transcriptions in flight: started beside the machine's steps, their results taken in arrival order. */
class InFlight {
  private running = 0;
  private readonly arrived: ({ readonly input: machine.Input } | { readonly error: unknown })[] = [];
  private readonly all: Promise<void>[] = [];
  private wake: (() => void) | undefined;

  /** Calls started and not yet taken by {@link next}. */
  get size(): number {
    return this.running + this.arrived.length;
  }

  start(call: () => Promise<machine.Input>): void {
    this.running += 1;
    const done = call().then(
      (input) => this.arrive({ input }),
      (error: unknown) => this.arrive({ error }),
    );
    this.all.push(done);
  }

  /** The result of the first call that returned and was not taken yet (waits for one); rethrows a call's error. */
  async next(): Promise<machine.Input> {
    assert(this.size > 0, 'a transcription result awaited with none in flight');
    while (this.arrived.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    const outcome = this.arrived.shift() as { input: machine.Input } | { error: unknown };
    if ('error' in outcome) throw outcome.error;
    return outcome.input;
  }

  /** Waits until every call returned; the errors of those never taken. */
  async settled(): Promise<unknown[]> {
    await Promise.all(this.all);
    return this.arrived.flatMap((outcome) => ('error' in outcome ? [outcome.error] : []));
  }

  private arrive(outcome: { readonly input: machine.Input } | { readonly error: unknown }): void {
    this.running -= 1;
    this.arrived.push(outcome);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Most jobs a worker remembers as skipped (their claims failed with errors of their own). */
export const skippedJobsMax = 1_000;

function chunkSpecOf(state: machine.MachineState, index: number): ChunkSpec {
  const recorded = state.job.chunks[index];
  if (recorded !== undefined) return { index, startMs: recorded.startMs, durationMs: recorded.durationMs };
  assert(state.durationMs !== null, 'extraction before the duration is known');
  const planned = plannedChunk(state.durationMs, state.job.chunkLengthMs, index);
  assert(planned !== undefined, `chunk ${index} is not in the plan`);
  return planned;
}

/**
 * The reason of the worker's own aborts (its stop, a lease keeper's end, a grace timer's): an `AbortError` like the
 * default reason, but made once; the default is a new DOMException, with a stack trace, on every abort.
 */
const ownAbortReason = new DOMException('the worker stopped this', 'AbortError');

/**
 * Keeps one job's lease: renews it in the background every leaseRenewIntervalMs, and tells the
 * worker, before each effect outside the store, whether the lease is surely still valid. The
 * deadline is counted from when a grant or renewal was *sent*, so it is never later than the
 * store's own expiry.
 */
class LeaseKeeper {
  private deadlineMs: number;
  private lost = false;
  /** Set when a renewal found the job's stored state corrupt. */
  corruption: CorruptStateError | undefined;
  private ended = false;
  /** Aborted when the keeper stops: ends the renewal loop's sleep at once. */
  private readonly ending = new AbortController();

  constructor(
    private readonly worker: Worker,
    private readonly job: Job,
    claimSentMs: number,
  ) {
    this.deadlineMs = claimSentMs + worker.limits.leaseDurationMs - this.marginMs;
  }

  private get marginMs(): number {
    return Math.ceil(this.worker.limits.leaseDurationMs / 10);
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.ended = true;
    this.ending.abort(ownAbortReason);
  }

  /**
   * `valid` when the lease is surely valid now, renewing first when it is close to its end;
   * otherwise why the job must be left: the lease is lost, or a stop came while renewing it.
   */
  ensure(): Promise<'valid' | 'lease_lost' | 'stop_requested'> {
    // Transcriptions in flight side by side share one renewal instead of each sending its own.
    this.ensuring ??= this.check().finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  private ensuring: Promise<'valid' | 'lease_lost' | 'stop_requested'> | undefined;

  private async check(): Promise<'valid' | 'lease_lost' | 'stop_requested'> {
    const { clock, random } = this.worker.ports;
    for (let attempt = 1; !this.lost && clock.now() >= this.deadlineMs; attempt += 1) {
      if (this.worker.stopped) return 'stop_requested';
      const renewed = await this.renew();
      if (renewed === 'unavailable')
        await clock.sleep(backoffDelayMs(attempt, this.worker.limits, random()), this.worker.stopRequested);
    }
    return this.lost ? 'lease_lost' : 'valid';
  }

  private async loop(): Promise<void> {
    const { clock } = this.worker.ports;
    while (!this.ended && !this.lost) {
      await clock.sleep(this.worker.limits.leaseRenewIntervalMs, this.ending.signal);
      if (this.ended) return;
      await this.renew();
    }
  }

  private async renew(): Promise<'ok' | 'lost' | 'unavailable'> {
    const { clock, store } = this.worker.ports;
    const sentMs = clock.now();
    try {
      const renewed = await store.renewLease({
        jobId: this.job.id,
        workerId: this.worker.workerId,
        epoch: this.job.epoch,
        leaseMs: this.worker.limits.leaseDurationMs,
      });
      if (renewed.kind !== 'ok') {
        this.lost = true;
        return 'lost';
      }
      this.deadlineMs = Math.max(this.deadlineMs, sentMs + this.worker.limits.leaseDurationMs - this.marginMs);
      return 'ok';
    } catch (error) {
      if (error instanceof CorruptStateError) {
        this.corruption = error;
        this.lost = true;
        return 'lost';
      }
      if (error instanceof StoreUnavailableError) return 'unavailable';
      throw error;
    }
  }
}
