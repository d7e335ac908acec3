/**
 * One simulated world: a virtual clock, the reference store, chunk files and sources in memory,
 * worker slots whose incarnations crash, pause and restart, and the fault plan that drives them.
 * A run has a fault phase, then a liveness phase with every fault off in which each job must reach
 * a terminal state. Everything is derived from the scenario, so the same scenario gives the same
 * history byte for byte.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sha256Bytes } from '../src/adapters/sha256.js';
import { MemoryJobStore } from '../src/adapters/memory/store.js';
import type { JobEvent } from '../src/core/events.js';
import type { Limits } from '../src/core/limits.js';
import { isStoreOperationName, storeOperations } from '../src/core/store-operations.js';
import { isTerminal, type Job } from '../src/core/types.js';
import {
  StoreUnavailableError,
  type ChunkStore,
  type Clock,
  type JobStore,
  type TranscribeRequest,
  type Transcriber,
  type WorkSignal,
} from '../src/ports.js';
import type { PromiseSpec } from './checkers/types.js';
import { Worker } from '../src/runtime/worker.js';
import { simulationLimits, type JobSpec, type Scenario } from './faults.js';
import {
  actingAt,
  faultDefinition,
  faultLabel,
  resolveFault,
  type CallActions,
  type ClockSkew,
  type CallTarget,
  type Fault,
  type FaultHost,
  type FaultKindDefinition,
  type PoisonKind,
  type PortCall,
} from './faults/index.js';
import { simChunkFiles, type ChunkFilesKind, type SimChunkFiles } from './fs-files.js';
import { History } from './history.js';
import { livenessBudget, type LivenessBudget } from './liveness.js';
import { mulberry32 } from './random.js';
import { Scheduler, type WakeableSleep } from './scheduler.js';
import {
  audioDigest,
  SimChunkStore,
  SimMedia,
  simStore,
  SimTranscriber,
  chunkContent,
  expectedTranscript,
  type PortCallSpec,
  type TwinHost,
} from './twins.js';

/**
 * Builds the store a world uses; the memory reference unless a variant is asked for. A store that
 * does real I/O sends each round trip through `host.roundTrip`, which makes it a scheduling point
 * of the calling actor (and says so with `interleaved`).
 */
export type StoreFactory = (clock: { now(): number }, host: RoundTripHost) => BuiltStore | Promise<BuiltStore>;

/** Where a store's round trips become scheduling points. */
export interface RoundTripHost {
  /**
   * Runs `send` (one round trip: a command and its reply) as a scheduled step of the actor whose
   * store call issued it; directly when no actor's call is running (the world's own reads).
   */
  roundTrip<T>(label: string, send: () => Promise<T>): Promise<T>;
  /** The actor whose store call is running, if any (a seam for tests that plant clock bugs). */
  caller(): string | undefined;
}

/** A store built for one world. */
export interface BuiltStore {
  readonly store: JobStore;
  readonly inspect: StoreInspector;
  /** True when the store's round trips go through the world's RoundTripHost (each a scheduling point). */
  readonly interleaved?: boolean;
  close?(): Promise<void>;
}

/** Views of the store for checkers and the done-condition; `job` is synchronous (a cache where needed). */
export interface StoreInspector {
  job(jobId: string): Job | undefined;
  events(jobId: string): readonly JobEvent[] | Promise<readonly JobEvent[]>;
  /** Reloads the cached state of a job after a store call touched it (stores with real I/O). */
  refresh?(jobId: string): Promise<void>;
  /** Hand-edits a stored job (state_corrupt faults); a store without it is never tampered with. */
  tamper?(jobId: string, change: (job: Job) => Job): void | Promise<void>;
  /** Writes poison data (stores with real keys only); resolves false when this store cannot hold it. */
  poison?(jobId: string, what: PoisonKind): Promise<boolean>;
}

/** Options beyond the scenario. */
export interface WorldOptions {
  readonly limits?: Limits;
  /** Replaces the reference store (planted bugs, other implementations). */
  readonly store?: StoreFactory;
  /**
   * Makes a transcriber of the caller's own: one for each run, called by the simulated transcriber whenever no
   * fault is injected into a call, so it runs in virtual time behind the same fault kinds (errors, outages,
   * timeouts) and latencies; and one more, after the run, for the crash-free transcript each chunk must end with
   * (P7). It must not wait on real time.
   */
  readonly transcriber?: () => Transcriber;
  /** Promises of the caller's own, checked beside the registry's (the world plays the run; the campaign checks). */
  readonly promises?: readonly PromiseSpec[];
  /** Wraps each worker's ports (planted bugs in tests). */
  readonly workerFactory?: (options: ConstructorParameters<typeof Worker>[0]) => Worker;
  /**
   * Scheduling steps of each phase (default: 200,000 in the fault phase, derived from the workload in the liveness
   * phase).
   */
  readonly stepsMax?: number;
  /** Delay before a crashed worker's replacements start (default 1 s). */
  readonly restartDelayMs?: number;
  /** Workers started, all at once, to replace each crashed one (default 1; more = concurrent recoverers). */
  readonly replacementsPerCrash?: number;
  /** Where chunk files live: the memory reference (default) or FsChunkStore on a temporary directory. */
  readonly chunkFiles?: ChunkFilesKind;
  /** End the fault phase early once every job is settled and every paused worker woke (hand-written scenarios). */
  readonly endWhenSettled?: boolean;
  /**
   * Workers poll for work every idlePollIntervalMs instead of waiting on a work signal (the
   * engine's behaviour for a worker built without one).
   */
  readonly polling?: boolean;
}

/** What a finished run leaves for the checkers. */
export interface RunRecord {
  readonly scenario: Scenario;
  readonly limits: Limits;
  readonly history: History;
  readonly jobs: ReadonlyMap<string, Job | undefined>;
  readonly events: ReadonlyMap<string, readonly JobEvent[]>;
  readonly files: ReadonlyMap<string, readonly string[]>;
  readonly deletedSources: ReadonlySet<string>;
  readonly corruptedStates: ReadonlySet<string>;
  readonly damagedChunks: ReadonlySet<string>;
  readonly workerErrors: readonly string[];
  readonly faultsFired: readonly Fault[];
  /**
   * Why the run ended: every job settled (`done`); nothing progressed for the stall window
   * (`stalled`); the workload cap was passed while jobs still progressed (`cap`); nothing was left
   * to run (`idle`); the step guard (`steps`); a live run's deadline (`time`).
   */
  readonly end: RunEnd;
  /** How the liveness phase went (simulated runs). */
  readonly liveness?: LivenessOutcome;
  readonly simulatedMs: number;
  readonly steps: number;
  /** Choices the scheduler read (decisions among several ready items); later choices are unused. */
  readonly decisions: number;
  readonly wastedTranscriptions: number;
  /**
   * Pairs the world saw as they happened (job phase × store operation, fault kind × job phase): see sim/coverage.ts.
   */
  readonly coverage?: Readonly<Record<string, number>>;
  /** The chunk transcripts a crash-free run of the job produces, in order (for P7). */
  expectedTranscripts(jobId: string): string[];
  /** Promises of the caller's own the run is also judged against (WorldOptions.promises). */
  readonly promises?: readonly PromiseSpec[];
}

/** Why a run ended. */
export type RunEnd = 'done' | 'stalled' | 'cap' | 'idle' | 'steps' | 'time';

/** The liveness phase of a simulated run: its derived bounds and the last progress seen. */
export interface LivenessOutcome extends LivenessBudget {
  /** Virtual time the liveness phase began. */
  readonly startMs: number;
  /** Virtual time of the last progress (an event appended, a chunk file written), or the phase's start. */
  readonly lastProgressMs: number;
  /** What that progress was, as a short story line. */
  readonly lastProgress: string;
  /** When the last pause of a worker ended (the stall clock does not run before it). */
  readonly pausesEndMs: number;
}

/**
 * A worker process: its worker loops (the worker command's `--concurrency`, the scenario's `concurrency`), one actor
 * each, `w<slot>#<incarnation>` for a single loop and `w<slot>#<incarnation>.<loop>` for several. The loops of a
 * process crash, pause and stop together.
 */
interface Slot {
  readonly index: number;
  incarnation: number;
  /** The actors of this incarnation's loops. */
  actors: readonly string[];
  workers: Worker[];
  /** Loops of the incarnation told to stop that have exited. */
  exits: number;
  readonly calls: Map<CallTarget, number>;
  /** When the slot's machine first started (its skewed clock counts drift from there). */
  clockOriginMs?: number;
  /** The incarnation told to stop gracefully, until every loop of it exited. */
  stopping?: number | undefined;
}

const worldActor = 'world';
/** The actor that submits jobs while the workers run. */
const submitterActor = 'submitter';

/** A world built from a scenario; {@link run} plays it once. */
export class World implements TwinHost {
  readonly scheduler: Scheduler;
  readonly history = new History();
  readonly limits: Limits;
  private store!: JobStore;
  private inspect!: StoreInspector;
  private closeStore: (() => Promise<void>) | undefined;
  private readonly files: SimChunkFiles;
  private readonly slots: Slot[] = [];
  private readonly random: () => number;
  private readonly deletedSources = new Set<string>();
  private readonly corruptedStates = new Set<string>();
  private readonly damagedChunks = new Set<string>();
  private readonly workerErrors: string[] = [];
  private readonly fired = new Set<Fault>();
  /** Each fault's own counter (calls it counted, crashes it caused): see FaultHost.tally. */
  private readonly faultCounters = new Map<Fault, number>();
  /** What the fault kinds may see and do (sim/faults/kind.ts). */
  private readonly faultHost: FaultHost;
  private faultsOn = true;
  /** The actor whose store call is running (for round trips of an interleaved store). */
  private readonly callingActor = new AsyncLocalStorage<string>();
  private interleaved = false;
  /** The actor whose store call body is starting (synchronous part only). */
  private syncCaller: string | undefined;
  private polls = 0;
  private storeCalls = 0;
  private transcriberCalls = 0;
  private transcriptions = 0;
  private readonly eventCounts = new Map<string, number>();
  /** The last progress: when, and what (its text is built only when the run's record asks for it). */
  private lastProgress: { readonly atMs: number; readonly what: () => string } = {
    atMs: 0,
    what: () => 'the fault phase',
  };
  private pausesEndMs = 0;
  private mediaCalls = 0;
  private readonly coverage: Record<string, number> = {};
  /** The caller's own transcriber for this run (WorldOptions.transcriber), shared by every worker. */
  private readonly ownTranscriber: Transcriber | undefined;
  /** Actors that crash before their next call (a fault armed by their grant). */
  private readonly armedCrashes = new Map<string, Fault>();
  /** Wakes idle workers when a job is created or released, or at the next lease end (the store's clock). */
  private readonly work = new SimWorkSignals(() => this.untilLeaseEndMs());
  /** When each job's lease ends, as the store's acknowledged grants, renewals and releases said (0: none runs). */
  private readonly leaseEnds = new Map<string, number>();
  /** The newest epoch the history holds a grant (or revocation) of, by job. */
  private readonly recordedEpochs = new Map<string, number>();
  /** Chunks (`job/index`) the history holds a commit of. */
  private readonly recordedCommits = new Set<string>();
  /**
   * Store calls of an interleaved store under way, by caller: a caller killed between two round trips never gets
   * the reply, so what its call did in the store (perhaps all of it) is read back once it is dead.
   */
  private readonly callsUnderWay = new Map<string, UnansweredCall>();
  /** The scenario's faults by the places they act, taken once (see {@link planHooks}). */
  private readonly hooks: PlanHooks;
  /** The slot each actor of a current incarnation is a loop of. */
  private readonly slotByActor = new Map<string, Slot>();

  constructor(
    readonly scenario: Scenario,
    private readonly options: WorldOptions = {},
  ) {
    const limits = options.limits ?? simulationLimits;
    this.limits =
      scenario.chunkConcurrency === undefined ? limits : { ...limits, chunkConcurrency: scenario.chunkConcurrency };
    this.files = simChunkFiles(options.chunkFiles);
    this.scheduler = new Scheduler(scenario.choices);
    this.random = mulberry32(scenario.seed);
    this.faultHost = this.buildFaultHost();
    this.hooks = planHooks(scenario.faults);
    this.ownTranscriber = options.transcriber?.();
  }

  private buildFaultHost(): FaultHost {
    const files = this.files;
    return {
      shape: this.scenario,
      now: () => this.scheduler.now(),
      fired: (fault) => this.fired.has(fault as Fault),
      fire: (fault, subject) => this.fire(fault as Fault, subject),
      arm: (fault, subject) => {
        this.fired.add(fault as Fault);
        this.count(`fault|${(fault as Fault).kind}|${this.phaseOf(subject)}`);
      },
      tallyOf: (fault) => this.faultCounters.get(fault as Fault) ?? 0,
      tally: (fault) => {
        const count = (this.faultCounters.get(fault as Fault) ?? 0) + 1;
        this.faultCounters.set(fault as Fault, count);
        return count;
      },
      files: {
        peek: (jobId, index) => files.peek(jobId, index),
        deleteFile: (jobId, index) => files.deleteFile(jobId, index),
        overwrite: (jobId, index, data) => files.overwrite(jobId, index, data),
      },
      fileDamaged: (jobId, index, op) =>
        this.history.add({ t: this.scheduler.now(), kind: 'file', actor: worldActor, job: jobId, op, index }),
      markDamagedChunk: (jobId, index) => this.damagedChunks.add(`${jobId}/${index}`),
      markDeletedSource: (jobId) => this.deletedSources.add(jobId),
      markCorruptedState: (jobId) => this.corruptedStates.add(jobId),
      phaseOf: (subject) => this.inspect.job(jobOf(subject))?.phase,
      freshJob: async (jobId) => {
        await this.inspect.refresh?.(jobId);
        return this.inspect.job(jobId);
      },
      canTamper: () => this.inspect.tamper !== undefined,
      tamper: async (jobId, change) => {
        await this.inspect.tamper?.(jobId, change);
      },
      canPoison: () => this.inspect.poison !== undefined,
      poison: async (jobId, what) => (await this.inspect.poison?.(jobId, what)) ?? false,
      startWorker: () => this.startSlot(this.slots.length),
      crashBeforeNextCall: (actor, fault) => this.armedCrashes.set(actor, fault as Fault),
    };
  }

  private async buildStore(): Promise<void> {
    const clock = { now: () => this.scheduler.now() };
    const host: RoundTripHost = {
      roundTrip: (label, send) => {
        const actor = this.callingActor.getStore();
        // Each round trip takes its own share of the store's latency, so that operations of
        // different actors overlap in virtual time and their round trips interleave.
        return actor === undefined
          ? send()
          : this.scheduler.call(
              actor,
              label,
              Math.floor(this.random() * (this.scenario.latencies.storeMaxMs + 1)),
              send,
            );
      },
      caller: () => this.syncCaller ?? (this.interleaved ? this.callingActor.getStore() : undefined),
    };
    const built: BuiltStore =
      this.options.store === undefined ? memoryStore(clock) : await this.options.store(clock, host);
    this.store = built.store;
    this.inspect = built.inspect;
    this.interleaved = built.interleaved === true;
    this.closeStore = built.close === undefined ? undefined : () => built.close?.() ?? Promise.resolve();
  }

  /** Plays the scenario: fault phase, then liveness phase; returns the record for the checkers. */
  async run(): Promise<RunRecord> {
    const { scenario } = this;
    await this.buildStore();
    for (const job of scenario.jobs) {
      if (submittedLater(job)) continue;
      await this.store.createJob({ jobId: job.id, source: sourceOf(job.id), chunkLengthMs: job.chunkLengthMs });
      await this.inspect.refresh?.(job.id);
    }
    for (const job of scenario.jobs) if ((job.submitAtMs ?? 0) > 0) void this.submitLater(job);
    for (let index = 0; index < scenario.workers; index += 1) this.startSlot(index);
    for (const fault of scenario.faults) this.scheduleTimedFault(fault);
    const stepsMax = this.options.stepsMax ?? 200_000;
    await this.scheduler.runUntil({
      untilMs: scenario.faultPhaseMs,
      stepsMax,
      ...(this.options.endWhenSettled === true
        ? { done: () => this.settled() && this.scheduler.now() > this.pausesEndMs }
        : {}),
    });
    this.faultsOn = false;
    this.history.add({ t: this.scheduler.now(), kind: 'phase', what: 'liveness' });
    // A job due on a look for work that never came (idle workers wait for work rather than look) comes now.
    for (const job of scenario.jobs)
      if (job.submitOnPoll !== undefined && job.submitOnPoll > this.polls) void this.submitNow(job);
    const liveness = await this.livenessPhase();
    for (const slot of this.slots) for (const worker of slot.workers) worker.stop();
    const record = await this.record(liveness);
    await this.closeStore?.();
    this.files.close?.();
    return record;
  }

  /**
   * Faults off: runs while jobs progress. Ends when every job settled, when nothing progressed
   * for the stall window (counted from the last progress, and not before the last pause ended),
   * or at the workload cap; both bounds are derived from the run (sim/liveness.ts).
   */
  private async livenessPhase(): Promise<LivenessOutcome & { readonly end: RunEnd }> {
    const startMs = this.scheduler.now();
    const budget = livenessBudget(this.scenario, this.limits);
    this.lastProgress = { atMs: startMs, what: () => 'the liveness phase began' };
    const capAtMs = startMs + budget.capMs;
    const stallAtMs = () => Math.max(this.lastProgress.atMs, this.pausesEndMs) + budget.stallWindowMs;
    const stepsMax = this.scheduler.stats.steps + (this.options.stepsMax ?? budget.stepsMax);
    const ended = await this.scheduler.runUntil({
      untilMs: () => Math.min(stallAtMs(), capAtMs),
      stepsMax,
      done: () => this.settled(),
    });
    const end: RunEnd = ended !== 'time' ? ended : stallAtMs() > capAtMs ? 'cap' : 'stalled';
    return {
      ...budget,
      end,
      startMs,
      lastProgressMs: this.lastProgress.atMs,
      lastProgress: this.lastProgress.what(),
      pausesEndMs: this.pausesEndMs,
    };
  }

  /** Notes progress when a store call appended an event to `jobId`'s outbox. */
  private noteEvents(actor: string, op: string, jobId: string): void {
    const job = this.inspect.job(jobId);
    if (job === undefined) return;
    const before = this.eventCounts.get(jobId) ?? 0;
    if (job.nextSeq <= before) return;
    this.eventCounts.set(jobId, job.nextSeq);
    const { phase, nextSeq } = job;
    this.lastProgress = {
      atMs: this.scheduler.now(),
      what: () => `${op} ${jobId} by ${actor} (${phase}, ${nextSeq - 1} events)`,
    };
  }

  /** True when every job is terminal and no terminal job has a file left. */
  settled(): boolean {
    return this.scenario.jobs.every((spec) => {
      const job = this.inspect.job(spec.id);
      return job !== undefined && isTerminal(job.phase) && this.files.fileNames(spec.id).length === 0;
    });
  }

  portCall<T>(actor: string, call: PortCallSpec<T>): Promise<T> {
    const slot = this.slotOf(actor);
    const armed = this.armedCrashes.get(actor);
    if (armed !== undefined && this.faultsOn) {
      this.armedCrashes.delete(actor);
      this.history.add({ t: this.scheduler.now(), kind: 'fault', label: faultLabel(this.resolved(armed)) });
      this.crash(actor, armed);
      return new Promise<T>(() => {});
    }
    let crashAfter: Fault | undefined;
    if (slot !== undefined) {
      const struck = this.callFaults(slot, actor, call);
      if (struck === true) return new Promise<T>(() => {});
      if (struck !== false) crashAfter = struck;
    }
    call.onIssue?.();
    if (call.port === 'store' && call.subject !== '*') this.countPhaseOp(this.phaseOf(call.subject), call.op);
    if (call.port === 'store' && call.op === 'listRecoverableJobs') this.onPoll();
    if (call.port === 'store' && this.interleaved) return this.interleavedStoreCall(actor, call, crashAfter);
    return this.scheduler.call(actor, callLabel(call.port, call.op), call.latencyMs, async () => {
      if (call.port === 'store' && this.storeDown()) {
        this.history.call(this.scheduler.now(), actor, call.op, call.subject, 'unavailable');
        throw unavailable('store is down');
      }
      const storeCall = call.port === 'store' ? this.countStoreCall() : 0;
      // The caller is known while the body starts (a store that reads its clock at once sees it):
      // a plain field, not the AsyncLocalStorage of interleaved stores, which slows every promise.
      this.syncCaller = actor;
      let pending: Promise<T>;
      try {
        pending = call.body();
      } finally {
        this.syncCaller = undefined;
      }
      const result = await pending;
      if (call.port === 'store' && call.subject !== '*') {
        const subjectJob = jobOf(call.subject);
        // No await when there is nothing to refresh (the memory store): a microtask turn saved per store call.
        const { refresh } = this.inspect;
        if (refresh !== undefined) await refresh(subjectJob);
        this.noteEvents(actor, call.op, subjectJob);
      }
      this.history.call(this.scheduler.now(), actor, call.op, call.subject, call.describe(result));
      if (call.port === 'store') this.recordApplied(actor, call.op, call.subject, result, call.epoch);
      // A crash after the effect: the call was applied, the scheduler never delivers its reply.
      if (crashAfter !== undefined) this.crash(actor, crashAfter);
      if (call.port === 'store' && this.replyLost(storeCall, call.subject))
        throw unavailable('reply lost after the write was applied');
      return result;
    });
  }

  /**
   * A store call of an interleaved store: the request is one scheduling point (latency, outage),
   * each round trip of the body is one more (so another actor may run between a read and a write
   * of one operation), and the reply is the last (where a crash after the effect lands).
   */
  private async interleavedStoreCall<T>(
    actor: string,
    call: PortCallSpec<T>,
    crashAfter: Fault | undefined,
  ): Promise<T> {
    // The latency is the round trips' (each draws its own), not the request's.
    const down = await this.scheduler.call(actor, `store.${call.op}`, 0, () => this.storeDown());
    if (down) {
      this.history.call(this.scheduler.now(), actor, call.op, call.subject, 'unavailable');
      throw unavailable('store is down');
    }
    const storeCall = this.countStoreCall();
    // The operation took effect at one of its round trips, between now and its reply.
    const sentMs = this.scheduler.now();
    // Under way until its reply is delivered: a caller killed after the last round trip, before the reply, is one
    // whose call took effect in full.
    this.callsUnderWay.set(actor, { op: call.op, subject: call.subject, epoch: call.epoch, sentMs });
    let result: T;
    try {
      result = await this.callingActor.run(actor, () => call.body());
    } catch (error) {
      this.callsUnderWay.delete(actor);
      throw error;
    }
    return this.scheduler.call(actor, `store.${call.op}.reply`, 0, async () => {
      this.callsUnderWay.delete(actor);
      if (call.subject !== '*') {
        const subjectJob = jobOf(call.subject);
        await this.inspect.refresh?.(subjectJob);
        this.noteEvents(actor, call.op, subjectJob);
      }
      this.history.call(this.scheduler.now(), actor, call.op, call.subject, call.describe(result));
      this.recordApplied(actor, call.op, call.subject, result, call.epoch, sentMs);
      if (crashAfter !== undefined) this.crash(actor, crashAfter);
      if (this.replyLost(storeCall, call.subject)) throw unavailable('reply lost after the write was applied');
      return result;
    });
  }

  /** A worker killed in the middle of extracting chunk `subject` (`job/index`) leaves half a partial file behind. */
  private leavePartial(actor: string, subject: string): void {
    const [jobId = subject, indexText = '0'] = subject.split('/');
    const index = Number(indexText);
    const data = chunkContent(jobId, index);
    // A step of the world, awaited whole by the scheduler (real file I/O included), so that the history stays
    // deterministic.
    void this.scheduler.call(worldActor, `partial ${subject}`, 0, async () => {
      await this.files.putPart(jobId, index, data.slice(0, data.length >> 1));
      this.history.add({ t: this.scheduler.now(), kind: 'file', actor, job: jobId, op: 'partial', index });
    });
  }

  /** Counts a worker's look for work; submits the jobs that wait for this one. */
  private onPoll(): void {
    this.polls += 1;
    for (const job of this.scenario.jobs) if (job.submitOnPoll === this.polls) void this.submitNow(job);
  }

  /** Submits a job at its time while the workers run. */
  private async submitLater(job: JobSpec): Promise<void> {
    await this.scheduler.sleep(submitterActor, job.submitAtMs ?? 0, `submit ${job.id}`);
    await this.submitNow(job);
  }

  /** Submits a job as the submitter actor would (retrying while the store is down). */
  private async submitNow(job: JobSpec): Promise<void> {
    const store = simStore(this, submitterActor, this.store, () => 0);
    for (;;) {
      try {
        await store.createJob({ jobId: job.id, source: sourceOf(job.id), chunkLengthMs: job.chunkLengthMs });
        return;
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        await this.scheduler.sleep(submitterActor, this.limits.retryDelayMaxMs, 'submit retry');
      }
    }
  }

  /** The process `actor` is a loop of. */
  private slotOf(actor: string): Slot | undefined {
    return this.slotByActor.get(actor);
  }

  /** Starts a new incarnation of slot `index` (a new slot past the last): one worker per loop of the process. */
  private startSlot(index: number): void {
    let slot = this.slots[index];
    if (slot === undefined) {
      slot = { index, incarnation: 0, actors: [], workers: [], exits: 0, calls: new Map() };
      this.slots[index] = slot;
    }
    slot.incarnation += 1;
    const loops = this.scenario.concurrency ?? 1;
    const name = `w${index}#${slot.incarnation}`;
    for (const actor of slot.actors) this.slotByActor.delete(actor);
    slot.actors = loops === 1 ? [name] : Array.from({ length: loops }, (_, loop) => `${name}.${loop + 1}`);
    for (const actor of slot.actors) this.slotByActor.set(actor, slot);
    slot.workers = [];
    slot.exits = 0;
    for (const actor of slot.actors) this.startLoop(slot, actor);
  }

  private startLoop(slot: Slot, actor: string): void {
    const latency = (maxMs: number) => () => Math.floor(this.random() * (maxMs + 1));
    const { clock, sleepMs } = this.clockOf(slot, actor);
    const options = {
      workerId: actor,
      store: simStore(this, actor, this.store, latency(this.scenario.latencies.storeMaxMs)),
      chunkStore: new SimChunkStore(this, actor, this.files as ChunkStore),
      media: new SimMedia(this, actor, this.mediaWorld(), () =>
        Math.max(1, Math.floor(this.scenario.latencies.mediaMs * (0.5 + this.random()))),
      ),
      transcriber: new SimTranscriber(this, actor, this.transcriberWorld(), this.ownTranscriber, () =>
        Math.max(1, Math.floor(this.scenario.latencies.transcribeMs * (0.5 + this.random()))),
      ),
      clock,
      ...(this.options.polling === true
        ? {}
        : { workSignal: this.work.signal((ms) => this.scheduler.wakeableSleep(actor, sleepMs(ms), 'sleep')) }),
      random: mulberry32(hashSeed(this.scenario.seed, actor)),
      limits: this.limits,
      log: (entry: { what: string; detail?: string }) => {
        if (entry.what !== 'error') return;
        this.workerErrors.push(`${actor}: ${entry.detail ?? ''}`);
        this.history.add({ t: this.scheduler.now(), kind: 'worker', actor, what: 'error', detail: entry.detail ?? '' });
      },
    };
    const worker = this.options.workerFactory?.(options) ?? new Worker(options);
    slot.workers.push(worker);
    this.history.add({ t: this.scheduler.now(), kind: 'worker', actor, what: 'start' });
    const incarnation = slot.incarnation;
    void worker.run().then(() => this.exited(slot, incarnation));
  }

  /**
   * The clock of a slot's machine: the store's, unless a clock_skew fault names the slot; then
   * offset and drifting from when the machine first started (a skew stays for the whole run:
   * it is the machine's, not a passing fault). Sleeps last the machine's own milliseconds: `sleepMs` turns them
   * into the store's.
   */
  private clockOf(slot: Slot, actor: string): { readonly clock: Clock; readonly sleepMs: (ms: number) => number } {
    let skew: ClockSkew | undefined;
    for (const fault of this.scenario.faults) {
      skew = faultDefinition(fault.kind).acts.clock?.(fault, slot.index, this.scenario);
      if (skew === undefined) continue;
      if (!this.fired.has(fault)) this.fire(fault);
      break;
    }
    if (skew === undefined)
      return {
        clock: {
          now: () => this.scheduler.now(),
          sleep: (ms: number, signal?: AbortSignal) => this.scheduler.sleep(actor, ms, 'sleep', signal),
        },
        sleepMs: (ms) => ms,
      };
    const originMs = (slot.clockOriginMs ??= this.scheduler.now());
    const rate = 1 + skew.driftPpm / 1_000_000;
    const { offsetMs } = skew;
    return {
      clock: {
        now: () => Math.round(originMs + offsetMs + (this.scheduler.now() - originMs) * rate),
        sleep: (ms: number, signal?: AbortSignal) => this.scheduler.sleep(actor, Math.ceil(ms / rate), 'sleep', signal),
      },
      sleepMs: (ms) => Math.ceil(ms / rate),
    };
  }

  /**
   * Tells a worker to stop (a graceful stop: it releases what it holds); a new incarnation takes the slot once it
   * exited.
   */
  private gracefulStop(slot: Slot, fault: Fault): void {
    const detail = faultLabel(this.resolved(fault));
    for (const actor of slot.actors)
      this.history.add({ t: this.scheduler.now(), kind: 'worker', actor, what: 'stop', detail });
    slot.stopping = slot.incarnation;
    for (const worker of slot.workers) worker.stop();
  }

  /**
   * A loop's run() returned: once every loop of an incarnation told to stop has, the slot gets a new incarnation (as
   * after a crash).
   */
  private exited(slot: Slot, incarnation: number): void {
    if (slot.stopping !== incarnation || slot.incarnation !== incarnation) return;
    slot.exits += 1;
    if (slot.exits < slot.actors.length) return;
    slot.stopping = undefined;
    void this.scheduler.sleep(worldActor, this.options.restartDelayMs ?? 1_000, 'restart').then(() => {
      if (slot.incarnation === incarnation) this.startSlot(slot.index);
    });
  }

  /** Kills the process `actor` is a loop of: every loop of it. */
  private crash(actor: string, fault: Fault): void {
    const slot = this.slotOf(actor);
    for (const loop of slot?.actors ?? [actor]) {
      this.scheduler.kill(loop);
      this.history.add({
        t: this.scheduler.now(),
        kind: 'worker',
        actor: loop,
        what: 'crash',
        detail: faultLabel(fault),
      });
      const unanswered = this.callsUnderWay.get(loop);
      if (unanswered !== undefined) {
        this.callsUnderWay.delete(loop);
        // A step of the world's own, at once: no time passes before it, so no lease the call took can run out first.
        void this.scheduler.call(worldActor, 'store.unanswered', 0, () => this.recordUnanswered(loop, unanswered));
      }
    }
    if (slot === undefined) return;
    const restartDelayMs = this.options.restartDelayMs ?? 1_000;
    const replacements = this.options.replacementsPerCrash ?? 1;
    void this.scheduler.sleep(worldActor, restartDelayMs, 'restart').then(() => {
      if (replacements >= 1) this.startSlot(slot.index);
      for (let extra = 1; extra < replacements; extra += 1) this.startSlot(this.slots.length);
    });
  }

  /**
   * The faults that act at a worker's port call (sim/faults/kind.ts, `acts.call`): each kind counts the call
   * against its faults in plan order until one strikes (it fires), then the struck faults act in their kinds'
   * `actRank` order. True when the worker was killed before its call; else the fault of a crash that is to land once
   * the call took effect (the last one a struck fault asked for), or false.
   */
  private callFaults<T>(slot: Slot, actor: string, spec: PortCallSpec<T>): boolean | Fault {
    if (!this.faultsOn || this.hooks.call.length === 0) return false;
    const call: PortCall = {
      slot: slot.index,
      target: spec.target,
      port: spec.port,
      op: spec.op,
      subject: spec.subject,
    };
    // Made when a fault strikes: most calls meet none.
    let struck: { fault: Fault; rank: number; act: (actions: CallActions) => void }[] | undefined;
    for (const { definition, faults } of this.hooks.call) {
      for (const fault of faults) {
        if (!definition.acts.call.strikes(fault, call, this.faultHost)) continue;
        this.fire(fault, spec.subject);
        (struck ??= []).push({
          fault,
          rank: definition.acts.call.actRank,
          act: (actions) => definition.acts.call.act(fault, call, actions),
        });
        break;
      }
    }
    if (struck === undefined) return false;
    let halted = false;
    let crashAfter: Fault | undefined;
    for (const { fault, act } of struck.sort((left, right) => left.rank - right.rank)) {
      if (halted) break;
      act({
        crashBefore: () => {
          if (spec.port === 'media' && spec.op === 'extractChunk') this.leavePartial(actor, spec.subject);
          this.crash(actor, fault);
          halted = true;
        },
        crashAfter: () => {
          crashAfter = fault;
        },
        stop: () => this.gracefulStop(slot, fault),
        pause: (durationMs) => this.pause(actor, durationMs, fault),
      });
    }
    return halted || (crashAfter ?? false);
  }

  /** Freezes `actor` for `durationMs` (a pause fault); it wakes as it was, its lease perhaps gone. */
  private pause(actor: string, durationMs: number, fault: Fault): void {
    const untilMs = this.scheduler.now() + durationMs;
    this.pausesEndMs = Math.max(this.pausesEndMs, untilMs);
    // The whole process stops: every loop of it.
    const loops = this.slotOf(actor)?.actors ?? [actor];
    for (const loop of loops) {
      this.scheduler.pause(loop, untilMs);
      this.history.add({
        t: this.scheduler.now(),
        kind: 'worker',
        actor: loop,
        what: 'pause',
        detail: faultLabel(fault),
      });
    }
    void this.scheduler.sleep(worldActor, durationMs).then(() => {
      for (const loop of loops)
        this.history.add({ t: this.scheduler.now(), kind: 'worker', actor: loop, what: 'resume' });
    });
  }

  /** Records a fault as fired; `subject` (a job id, or `job/index`) names the job it struck, for coverage. */
  private fire(fault: Fault, subject?: string): void {
    this.fired.add(fault);
    this.history.add({ t: this.scheduler.now(), kind: 'fault', label: faultLabel(this.resolved(fault)) });
    this.count(`fault|${fault.kind}|${subject === undefined ? '—' : this.phaseOf(subject)}`);
  }

  private count(key: string): void {
    this.coverage[key] = (this.coverage[key] ?? 0) + 1;
  }

  /** Counts `phase-op|<phase>|<op>`, each key built once per process and not once per store call. */
  private countPhaseOp(phase: string, op: string): void {
    let keys = phaseOpKeys.get(phase);
    if (keys === undefined) phaseOpKeys.set(phase, (keys = new Map()));
    let key = keys.get(op);
    if (key === undefined) keys.set(op, (key = `phase-op|${phase}|${op}`));
    this.count(key);
  }

  /** The stored phase of the job `subject` names (`job` or `job/index`), or `—` for no known job. */
  private phaseOf(subject: string): string {
    return this.inspect.job(jobOf(subject))?.phase ?? '—';
  }

  /** `fault` with its job, worker and chunk indices read modulo this run's counts, as it acts. */
  private resolved(fault: Fault): Fault {
    return resolveFault(fault, this.scenario);
  }

  private countStoreCall(): number {
    if (!this.faultsOn) return 0;
    this.storeCalls += 1;
    return this.storeCalls;
  }

  /** True while a fault makes the store unreachable. */
  private storeDown(): boolean {
    if (!this.faultsOn) return false;
    for (const { fault, act } of this.hooks.storeDown) if (act(fault, this.faultHost)) return true;
    return false;
  }

  /** True when a fault loses the reply of store call number `storeCall` (0: counted while faults were off). */
  private replyLost(storeCall: number, subject: string): boolean {
    if (!this.faultsOn || storeCall === 0 || this.hooks.replyLost.length === 0) return false;
    const call = { number: storeCall, subject };
    for (const { fault, act } of this.hooks.replyLost) if (act(fault, this.faultHost, call)) return true;
    return false;
  }

  private recordApplied(
    actor: string,
    op: string,
    subject: string,
    result: unknown,
    requestEpoch: number | undefined,
    /**
     * For an operation of several round trips (an interleaved store), when it was sent: it took effect between then
     * and now. A release is dated then, so that a claim that came after it in the store but replied before it did is
     * not read as a second lease (a grant is dated at its reply, the later bound, for the same reason).
     */
    sentMs?: number,
  ): void {
    const t = this.scheduler.now();
    const outcome = result as { kind?: string; duplicate?: boolean; job?: Job; leaseExpiresAtMs?: number };
    if (outcome.kind !== 'ok' && outcome.kind !== 'exhausted') return;
    const job = jobOf(subject);
    if (outcome.duplicate === true || !isStoreOperationName(op)) return;
    // A creation or release: idle workers wake (a create of an existing job is no new work).
    if (storeOperations[op].wakes && (outcome as { created?: boolean }).created !== false) this.work.notify();
    switch (storeOperations[op].ownership) {
      case 'grant': {
        if (outcome.job === undefined) return;
        const leaseUntilMs = outcome.kind === 'ok' ? outcome.job.leaseExpiresAtMs : 0;
        this.leaseEnds.set(job, leaseUntilMs);
        const { epoch } = outcome.job;
        this.recordedEpochs.set(job, Math.max(epoch, this.recordedEpochs.get(job) ?? 0));
        this.history.add({ t, kind: 'grant', actor, job, epoch, leaseUntilMs, recovery: outcome.job.recovery.open });
        if (outcome.kind === 'ok') this.onGrant(actor, job);
        return;
      }
      case 'revoke': {
        const stored = this.inspect.job(job);
        if (outcome.kind === 'ok') this.leaseEnds.set(job, 0);
        if (stored !== undefined && outcome.kind === 'ok') {
          this.recordedEpochs.set(job, Math.max(stored.epoch, this.recordedEpochs.get(job) ?? 0));
          this.history.add({ t, kind: 'grant', actor, job, epoch: stored.epoch, leaseUntilMs: 0, recovery: false });
        }
        return;
      }
      case 'renew': {
        if (outcome.kind !== 'ok') return;
        this.leaseEnds.set(job, outcome.leaseExpiresAtMs ?? 0);
        // The renewing request's epoch: in an interleaved store the view may already hold a newer one.
        const epoch = requestEpoch ?? this.inspect.job(job)?.epoch ?? 0;
        this.history.add({ t, kind: 'renew', actor, job, epoch, leaseUntilMs: outcome.leaseExpiresAtMs ?? 0 });
        return;
      }
      case 'end':
        if (outcome.kind !== 'ok') return;
        this.leaseEnds.set(job, 0);
        this.history.add({
          t: sentMs ?? t,
          kind: 'release',
          actor,
          job,
          epoch: requestEpoch ?? this.inspect.job(job)?.epoch ?? 0,
        });
        return;
      case 'commit':
        if (outcome.kind === 'ok') {
          this.recordedCommits.add(subject);
          this.history.add({ t, kind: 'commit', actor, job, index: indexOf(subject), epoch: requestEpoch ?? -1 });
        }
        return;
      default:
        return;
    }
  }

  /**
   * Records what the interleaved store call `call` of `actor`, killed before its reply, did in the store, read back
   * from the job as the store holds it now (no round trip of the call is left to run): a lease it took, revoked or
   * ended, a chunk it committed. Without this, a claim that took effect would be a gap in the job's epochs and a
   * release that did would leave its lease running in the history. Renewals are not read back: a shorter lease in the
   * history only makes the checks stricter.
   */
  private async recordUnanswered(actor: string, call: UnansweredCall): Promise<void> {
    if (call.subject === '*' || !isStoreOperationName(call.op)) return;
    const job = jobOf(call.subject);
    await this.inspect.refresh?.(job);
    const stored = this.inspect.job(job);
    if (stored === undefined) return;
    const t = this.scheduler.now();
    const newEpoch = stored.epoch > (this.recordedEpochs.get(job) ?? 0);
    switch (storeOperations[call.op].ownership) {
      case 'grant':
        if (!newEpoch || stored.owner !== actor) return;
        this.recordedEpochs.set(job, stored.epoch);
        this.leaseEnds.set(job, stored.leaseExpiresAtMs);
        this.history.add({
          t,
          kind: 'grant',
          actor,
          job,
          epoch: stored.epoch,
          leaseUntilMs: stored.leaseExpiresAtMs,
          recovery: stored.recovery.open,
        });
        return;
      case 'revoke':
        if (!newEpoch) return;
        this.recordedEpochs.set(job, stored.epoch);
        this.leaseEnds.set(job, 0);
        this.history.add({ t, kind: 'grant', actor, job, epoch: stored.epoch, leaseUntilMs: 0, recovery: false });
        return;
      case 'end': {
        const ended = stored.leaseExpiresAtMs === 0 || isTerminal(stored.phase);
        if (stored.epoch !== call.epoch || stored.owner !== actor || !ended) return;
        this.leaseEnds.set(job, 0);
        this.history.add({ t: call.sentMs, kind: 'release', actor, job, epoch: stored.epoch });
        return;
      }
      case 'commit': {
        const index = indexOf(call.subject);
        const committed = stored.chunks[index]?.transcript != null;
        if (!committed || this.recordedCommits.has(call.subject)) return;
        this.recordedCommits.add(call.subject);
        this.history.add({ t, kind: 'commit', actor, job, index, epoch: call.epoch ?? -1 });
        return;
      }
      default:
        return;
    }
  }

  /** Ms until the earliest running lease ends, or undefined when none runs. */
  private untilLeaseEndMs(): number | undefined {
    const nowMs = this.scheduler.now();
    let earliest: number | undefined;
    for (const endMs of this.leaseEnds.values())
      if (endMs > nowMs && (earliest === undefined || endMs < earliest)) earliest = endMs;
    return earliest === undefined ? undefined : earliest - nowMs;
  }

  /** A lease of `jobId` was granted to `actor`: the faults that act at grants (the first that acts wins). */
  private onGrant(actor: string, jobId: string): void {
    if (!this.faultsOn || this.hooks.grant.length === 0) return;
    const position = this.scenario.jobs.findIndex((spec) => spec.id === jobId);
    for (const { fault, act } of this.hooks.grant) if (act(fault, this.faultHost, actor, position, jobId)) return;
  }

  /** A fault that acts at a time of its own becomes a step of the world at `atMs`. */
  private scheduleTimedFault(fault: Fault): void {
    const atTime = faultDefinition(fault.kind).acts.atTime;
    if (atTime === undefined || !('atMs' in fault)) return;
    void this.scheduler.call(worldActor, faultLabel(fault), fault.atMs, async () => {
      if (this.faultsOn) await atTime(fault, this.faultHost);
    });
  }

  private mediaWorld() {
    return {
      nextMediaFault: (jobId: string | undefined) => {
        if (!this.faultsOn) return undefined;
        this.mediaCalls += 1;
        for (const { fault, act } of this.hooks.media) {
          const failure = act(fault, this.faultHost, { number: this.mediaCalls, subject: jobId });
          if (failure !== undefined) return failure;
        }
        return undefined;
      },
      sourceExists: (jobId: string) => !this.deletedSources.has(jobId),
      jobIdOf: (source: string) => this.scenario.jobs.find((job) => sourceOf(job.id) === source)?.id,
      durationMsOf: (source: string) => {
        const job = this.scenario.jobs.find((spec) => sourceOf(spec.id) === source);
        return job === undefined ? undefined : (job.chunks - 1) * job.chunkLengthMs + job.lastChunkMs;
      },
      writeChunk: async (actor: string, jobId: string, index: number, data: Uint8Array) => {
        const digest = await this.files.put(jobId, index, data);
        this.history.add({ t: this.scheduler.now(), kind: 'file', actor, job: jobId, op: 'write', index });
        if (!this.faultsOn)
          this.lastProgress = {
            atMs: this.scheduler.now(),
            what: () => `chunk file ${jobId}/${index} written by ${actor}`,
          };
        return digest;
      },
    };
  }

  private transcriberWorld() {
    return {
      nextTranscriberFault: (jobId: string) => {
        if (!this.faultsOn) return undefined;
        this.transcriberCalls += 1;
        const call = { number: this.transcriberCalls, subject: jobId };
        for (const { fault, act } of this.hooks.transcriber) {
          const injected = act.inject(fault, this.faultHost, call);
          if (injected !== undefined) return injected;
        }
        return undefined;
      },
      recordTranscription: (actor: string, request: TranscribeRequest) => {
        this.transcriptions += 1;
        const digest = audioDigest(request.audio);
        this.history.add({
          t: this.scheduler.now(),
          kind: 'transcribe',
          actor,
          job: request.jobId,
          index: request.index,
          digest,
        });
        return digest;
      },
    };
  }

  /**
   * Each job's chunk transcripts in a crash-free run: the simulated transcriber's, or those of the caller's own
   * transcriber for the chunks' true audio (asked once per chunk, after the run, outside its schedule).
   */
  private async expectedTranscripts(): Promise<Map<string, string[]>> {
    const expected = new Map<string, string[]>();
    const own = this.options.transcriber?.();
    for (const spec of this.scenario.jobs) {
      const texts: string[] = [];
      for (let index = 0; index < spec.chunks; index += 1) {
        if (own === undefined) {
          texts.push(expectedTranscript(spec.id, index));
          continue;
        }
        const audio = chunkContent(spec.id, index);
        const result = await own.transcribe({ jobId: spec.id, index, audio, prompt: texts[index - 1] ?? null });
        texts.push(result.kind === 'ok' ? result.text : `(no transcript: ${result.message})`);
      }
      expected.set(spec.id, texts);
    }
    return expected;
  }

  private async record(liveness: LivenessOutcome & { readonly end: RunEnd }): Promise<RunRecord> {
    const { end, ...outcome } = liveness;
    const jobs = new Map<string, Job | undefined>();
    const events = new Map<string, readonly JobEvent[]>();
    const files = new Map<string, readonly string[]>();
    for (const spec of this.scenario.jobs) {
      await this.inspect.refresh?.(spec.id);
      jobs.set(spec.id, this.inspect.job(spec.id));
      events.set(spec.id, await this.inspect.events(spec.id));
      files.set(spec.id, this.files.fileNames(spec.id));
    }
    const chunksTotal = this.scenario.jobs.reduce((sum, job) => sum + job.chunks, 0);
    const expected = await this.expectedTranscripts();
    return {
      scenario: this.scenario,
      limits: this.limits,
      history: this.history,
      jobs,
      events,
      files,
      deletedSources: this.deletedSources,
      corruptedStates: this.corruptedStates,
      damagedChunks: this.damagedChunks,
      workerErrors: this.workerErrors,
      coverage: this.coverage,
      faultsFired: [...this.fired].map((fault) => this.resolved(fault)),
      end,
      liveness: outcome,
      simulatedMs: this.scheduler.now(),
      steps: this.scheduler.stats.steps,
      decisions: this.scheduler.stats.decisions,
      wastedTranscriptions: Math.max(0, this.transcriptions - chunksTotal),
      expectedTranscripts: (jobId) => expected.get(jobId) ?? [],
      promises: this.options.promises ?? [],
    };
  }
}

/** True for a job submitted while the workers run (at a time, or on a look for work). */
function submittedLater(job: JobSpec): boolean {
  return (job.submitAtMs ?? 0) > 0 || job.submitOnPoll !== undefined;
}

/** The memory reference store and its synchronous views. */
function memoryStore(clock: { now(): number }): BuiltStore {
  const memory = new MemoryJobStore(clock);
  return {
    store: memory,
    inspect: {
      job: (id) => memory.peek(id),
      events: (id) => memory.peekEvents(id),
      tamper: (id, change) => memory.tamper(id, change),
    },
  };
}

/**
 * The world's work signals: those of the memory adapter (src/adapters/memory/work-signal.ts), step for step (a
 * notification wakes every waiting worker and marks the next wait of each other one; a wait ends at the next lease
 * end at the latest, or when the worker's stop signal aborts; the same awaits), but a wait is a scheduler sleep that
 * a notification makes ready directly, not through an AbortController of its own and the sleep's abort listener.
 */
export class SimWorkSignals {
  private readonly signals = new Set<SimWorkSignal>();

  constructor(private readonly untilLeaseEndMs: () => number | undefined) {}

  /** A signal for one worker, sleeping with `sleep` (its machine's clock). */
  signal(sleep: (ms: number) => WakeableSleep): WorkSignal {
    const signal = new SimWorkSignal(sleep, this.untilLeaseEndMs);
    this.signals.add(signal);
    return signal;
  }

  notify(): void {
    for (const signal of this.signals) signal.notify();
  }
}

class SimWorkSignal implements WorkSignal {
  private pending = false;
  /** The wait in progress, if any. */
  private sleeping: WakeableSleep | undefined;
  private waiting = false;
  /** The stop signal of the wait in progress. */
  private waitingOn: AbortSignal | undefined;
  /**
   * Stop signals this signal listens to: a worker passes the same one to every wait, so its listener is added once
   * and wakes the wait in progress on that signal, not added and removed around each wait.
   */
  private readonly listening = new WeakSet<AbortSignal>();

  constructor(
    private readonly sleep: (ms: number) => WakeableSleep,
    private readonly untilLeaseEndMs: () => number | undefined,
  ) {}

  notify(): void {
    if (!this.waiting) this.pending = true;
    else this.sleeping?.wake();
  }

  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted === true) {
      this.pending = false;
      return;
    }
    if (signal !== undefined && !this.listening.has(signal)) {
      this.listening.add(signal);
      signal.addEventListener(
        'abort',
        () => {
          if (this.waitingOn === signal) this.sleeping?.wake();
        },
        { once: true },
      );
    }
    this.waiting = true;
    this.waitingOn = signal;
    try {
      const leaseEndMs = this.untilLeaseEndMs();
      this.sleeping = this.sleep(leaseEndMs === undefined ? timeoutMs : Math.min(timeoutMs, leaseEndMs));
      await this.sleeping.done;
    } finally {
      this.waiting = false;
      this.waitingOn = undefined;
      this.sleeping = undefined;
    }
  }
}

/** The scheduler's labels of port calls by port and operation, each built once. */
const callLabels = new Map<string, Map<string, string>>();

/** `port.op`, the label of a port call's scheduled step. */
function callLabel(port: string, op: string): string {
  let labels = callLabels.get(port);
  if (labels === undefined) callLabels.set(port, (labels = new Map()));
  let label = labels.get(op);
  if (label === undefined) labels.set(op, (label = `${port}.${op}`));
  return label;
}

/** The coverage keys of store calls by job phase and operation (a handful of each). */
const phaseOpKeys = new Map<string, Map<string, string>>();

/** A hook of one fault of the plan: the fault and its kind's hook for one place. */
interface Hooked<H> {
  readonly fault: Fault;
  readonly act: H;
}

type Acts = FaultKindDefinition<Fault>['acts'];

/**
 * The faults of a plan by the places they act: the kinds that act at calls (registry order) each with their faults
 * (plan order), and for every other place the faults whose kind acts there with that hook (plan order; the
 * transcriber's kinds in ascending rank first). What the world consults on every call, taken once per run.
 */
interface PlanHooks {
  readonly call: readonly {
    readonly definition: ReturnType<typeof actingAt<'call'>>[number];
    readonly faults: readonly Fault[];
  }[];
  readonly storeDown: readonly Hooked<NonNullable<Acts['storeDown']>>[];
  readonly replyLost: readonly Hooked<NonNullable<Acts['replyLost']>>[];
  readonly media: readonly Hooked<NonNullable<Acts['media']>>[];
  readonly grant: readonly Hooked<NonNullable<Acts['grant']>>[];
  readonly transcriber: readonly Hooked<NonNullable<Acts['transcriber']>>[];
}

function planHooks(faults: readonly Fault[]): PlanHooks {
  const hooked = <P extends 'storeDown' | 'replyLost' | 'media' | 'grant'>(place: P) =>
    faults.flatMap((fault) => {
      const act = faultDefinition(fault.kind).acts[place];
      return act === undefined ? [] : [{ fault, act: act as NonNullable<Acts[P]> }];
    });
  const transcriberKinds = [...actingAt('transcriber')].sort(
    (left, right) => left.acts.transcriber.rank - right.acts.transcriber.rank,
  );
  return {
    call: actingAt('call')
      .map((definition) => ({ definition, faults: faults.filter((fault) => fault.kind === definition.kind) }))
      .filter((entry) => entry.faults.length > 0),
    storeDown: hooked('storeDown'),
    replyLost: hooked('replyLost'),
    media: hooked('media'),
    grant: hooked('grant'),
    transcriber: transcriberKinds.flatMap((definition) =>
      faults
        .filter((fault) => fault.kind === definition.kind)
        .map((fault) => ({ fault, act: definition.acts.transcriber })),
    ),
  };
}

/** The job a call's subject names (`job` or `job/index`). */
function jobOf(subject: string): string {
  const slash = subject.indexOf('/');
  return slash < 0 ? subject : subject.slice(0, slash);
}

/** The chunk index a call's subject names (`job/index`; NaN without one, as `Number(undefined)`). */
function indexOf(subject: string): number {
  const slash = subject.indexOf('/');
  if (slash < 0) return Number.NaN;
  const next = subject.indexOf('/', slash + 1);
  return Number(next < 0 ? subject.slice(slash + 1) : subject.slice(slash + 1, next));
}

/** An interleaved store call whose caller died before its reply: what it asked, under which epoch, and when. */
interface UnansweredCall {
  readonly op: string;
  readonly subject: string;
  readonly epoch: number | undefined;
  readonly sentMs: number;
}

/** The simulated source path of a job. */
export function sourceOf(jobId: string): string {
  return `/media/${jobId}.mp3`;
}

function hashSeed(seed: number, actor: string): number {
  // One-shot: a worker starts often, and a Hash object costs more to make than the digest.
  return sha256Bytes(`${seed}:${actor}`).readUInt32LE(0);
}

/**
 * The store error the world throws for an outage or a lost reply, made without a stack trace: a campaign throws
 * thousands, their handlers read the type and the message, and capturing a stack costs more than the rest of the call.
 */
function unavailable(message: string): StoreUnavailableError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new StoreUnavailableError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
