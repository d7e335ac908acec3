/**
 * Simple fakes for worker tests: the memory reference stores behind ports whose every call is a
 * scheduled call of sim/scheduler.ts, so a test runs workers in virtual time and can kill, pause or
 * starve one of them at any port call. Media writes deterministic bytes per chunk into the
 * MemoryChunkStore; the transcriber derives its text from job id, index and bytes and can be told
 * to fail. Every fake keeps a log of its calls for the assertions.
 */
import { createHash } from 'node:crypto';
import { MemoryChunkStore, MemoryJobStore } from '../../src/adapters/memory/index.js';
import type { JobEvent } from '../../src/core/events.js';
import type { Limits } from '../../src/core/limits.js';
import type { StoreOperationName } from '../../src/core/store-operations.js';
import type { ChunkSpec, Job } from '../../src/core/types.js';
import {
  StoreUnavailableError,
  type ChunkStore,
  type ExtractResult,
  type JobStore,
  type Media,
  type MediaRetryable,
  type ProbeResult,
  type TranscribeRequest,
  type TranscribeResult,
  type Transcriber,
} from '../../src/ports.js';
import { decorateStore } from '../../src/runtime/decorate-store.js';
import { Worker, type WorkerLogEntry } from '../../src/runtime/worker.js';
import { mulberry32 } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';

/** Limits small enough that leases expire and retries happen within seconds of virtual time. */
export const testLimits: Limits = Object.freeze({
  leaseDurationMs: 10_000,
  leaseRenewIntervalMs: 3_000,
  recoveryAttemptsMax: 3,
  transcriptionAttemptsMax: 4,
  // The attempts alone decide in most tests; test/runtime/transcription.test.ts sets a window.
  transcriptionOutageMs: 1,
  retryAfterMsMax: 5_000,
  mediaAttemptsMax: 3,
  retryDelayBaseMs: 100,
  retryDelayMaxMs: 2_000,
  idlePollIntervalMs: 500,
  sweepIntervalMs: 5_000,
  recoverableJobsPageMax: 16,
  chunkConcurrency: 1,
});

/** Virtual latency of each kind of port call, in ms. */
export const latencies = Object.freeze({ storeMs: 5, probeMs: 20, extractMs: 50, transcribeMs: 400 });

/** The deterministic bytes of one chunk of a source: the same spec always gives the same bytes. */
export function chunkBytes(source: string, chunk: ChunkSpec): Uint8Array {
  const seed = createHash('sha256').update(`${source}|${chunk.index}|${chunk.startMs}|${chunk.durationMs}`).digest();
  const data = new Uint8Array(48 + chunk.index);
  for (let offset = 0; offset < data.length; offset += 1) data[offset] = seed[offset % seed.length] ?? 0;
  return data;
}

/** The text the fake transcriber returns: derived from job id, chunk index and audio bytes. */
export function transcriptOf(jobId: string, index: number, audio: Uint8Array): string {
  return `${jobId}#${index}:${createHash('sha256').update(audio).digest('hex').slice(0, 10)}`;
}

/** The store operations a test can hook, by JobStore method name. */
export type StoreOperation = StoreOperationName;

/** One call through a {@link scheduledJobStore}, as logged. */
export interface StoreCall {
  readonly actor: string;
  readonly operation: StoreOperation;
  readonly request: unknown;
  readonly atMs: number;
  /** The reply, `unavailable` when the store was down, `reply_lost` when applied but the reply was dropped. */
  readonly outcome: string;
}

/** Faults and hooks shared by every worker's view of the store. */
export interface StoreFaults {
  /** True while the store is down for this call: it throws StoreUnavailableError without applying. */
  unavailable?: (operation: StoreOperation, actor: string, nowMs: number) => boolean;
  /** True when this call's reply is lost after the operation was applied. */
  loseReply?: (operation: StoreOperation, actor: string, request: unknown) => boolean;
  /**
   * Virtual ms by which this call's reply reaches the worker late, after it was applied (a slow network or a pause).
   */
  delayReply?: (operation: StoreOperation, actor: string, request: unknown) => number;
  /** Runs just before a call is scheduled (the worker has sent it). */
  beforeCall?: (operation: StoreOperation, actor: string, request: unknown) => void;
  /** Runs right after a call was applied, before its reply reaches the worker. */
  afterCall?: (operation: StoreOperation, actor: string, request: unknown, result: unknown) => void;
}

function outcomeOf(result: unknown): string {
  if (Array.isArray(result)) return `list(${result.length})`;
  if (result === null) return 'null';
  if (typeof result === 'object' && 'kind' in result) return String((result as { kind: unknown }).kind);
  if (typeof result === 'object' && 'id' in result) return 'job';
  return String(result);
}

/** One worker's view of the shared store: every call is a scheduled call of that worker's actor. */
export function scheduledJobStore(
  scheduler: Scheduler,
  actor: string,
  inner: JobStore,
  faults: StoreFaults,
  log: StoreCall[],
): JobStore {
  return decorateStore(inner, async (operation, args, proceed) => {
    const request: unknown = args[0];
    faults.beforeCall?.(operation, actor, request);
    const result = await scheduler.call(actor, `store.${operation}`, latencies.storeMs, async () => {
      const atMs = scheduler.now();
      if (faults.unavailable?.(operation, actor, atMs) === true) {
        log.push({ actor, operation, request, atMs, outcome: 'unavailable' });
        throw new StoreUnavailableError(`store down for ${operation}`);
      }
      const applied = await proceed();
      faults.afterCall?.(operation, actor, request, applied);
      if (faults.loseReply?.(operation, actor, request) === true) {
        log.push({ actor, operation, request, atMs, outcome: 'reply_lost' });
        throw new StoreUnavailableError(`reply of ${operation} lost`);
      }
      log.push({ actor, operation, request, atMs, outcome: outcomeOf(applied) });
      return applied;
    });
    // A late reply is a scheduled wait of the worker after the call: the scheduler finishes a call before its next
    // decision.
    const delayMs = faults.delayReply?.(operation, actor, request) ?? 0;
    if (delayMs > 0) await scheduler.sleep(actor, delayMs, `store.${operation}.reply`);
    return result;
  });
}

/** One media call, as logged. */
export interface MediaCall {
  readonly actor: string;
  readonly operation: 'probe' | 'extract';
  readonly source: string;
  readonly index: number | null;
  readonly atMs: number;
  readonly outcome: string;
}

/** Sources the fake media knows, and the log of its calls. */
export class MediaWorld {
  readonly durations = new Map<string, number>();
  readonly missing = new Set<string>();
  readonly calls: MediaCall[] = [];
  /** Decides a retryable failure of one call (`index` null for a probe), or undefined to proceed. */
  script: (operation: 'probe' | 'extract', source: string, index: number | null) => MediaRetryable | undefined = () =>
    undefined;
  constructor(readonly chunkStore: MemoryChunkStore) {}

  /** Extract calls of `actor` (all actors when omitted), as chunk indices in order. */
  extracted(actor?: string): number[] {
    return this.calls
      .filter((call) => call.operation === 'extract' && (actor === undefined || call.actor === actor))
      .map((call) => call.index ?? -1);
  }
}

/** Media of one worker: probe reads the known duration, extract puts deterministic bytes. */
export class FakeMedia implements Media {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly actor: string,
    private readonly world: MediaWorld,
  ) {}

  probe(source: string): Promise<ProbeResult> {
    return this.scheduler.call(this.actor, 'media.probe', latencies.probeMs, (): ProbeResult => {
      const result = this.probeNow(source);
      this.world.calls.push({
        actor: this.actor,
        operation: 'probe',
        source,
        index: null,
        atMs: this.scheduler.now(),
        outcome: result.kind,
      });
      return result;
    });
  }

  extractChunk(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): Promise<ExtractResult> {
    return this.scheduler.call(this.actor, 'media.extract', latencies.extractMs, (): ExtractResult => {
      const result = this.extractNow(request);
      this.world.calls.push({
        actor: this.actor,
        operation: 'extract',
        source: request.source,
        index: request.chunk.index,
        atMs: this.scheduler.now(),
        outcome: result.kind,
      });
      return result;
    });
  }

  private probeNow(source: string): ProbeResult {
    const scripted = this.world.script('probe', source, null);
    if (scripted !== undefined) return scripted;
    const durationMs = this.world.durations.get(source);
    if (this.world.missing.has(source) || durationMs === undefined)
      return { kind: 'source_missing', message: `no source ${source}` };
    return { kind: 'ok', durationMs };
  }

  private extractNow(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): ExtractResult {
    const scripted = this.world.script('extract', request.source, request.chunk.index);
    if (scripted !== undefined) return scripted;
    if (this.world.missing.has(request.source) || !this.world.durations.has(request.source)) {
      return { kind: 'source_missing', message: `no source ${request.source}` };
    }
    const digest = this.world.chunkStore.put(
      request.jobId,
      request.chunk.index,
      chunkBytes(request.source, request.chunk),
    );
    return { kind: 'ok', bytes: digest.bytes, sha256: digest.sha256 };
  }
}

/** One transcriber call, as logged. */
export interface TranscribeCall {
  readonly actor: string;
  readonly jobId: string;
  readonly index: number;
  readonly prompt: string | null;
  readonly atMs: number;
  /** True when the store already held a committed transcript for this chunk as the call ran (P2). */
  readonly alreadyCommitted: boolean;
  readonly outcome: 'ok' | 'retryable' | 'rejected';
}

/** Decides a scripted failure for one call (`attempt` counts calls for this chunk, from 1), or undefined to succeed. */
export type TranscriberScript = (request: TranscribeRequest, attempt: number) => TranscribeResult | undefined;

/** The transcriber's shared state: the failure script, the log, and a view of committed chunks. */
export class TranscriberWorld {
  readonly calls: TranscribeCall[] = [];
  script: TranscriberScript = () => undefined;
  /** Runs after each call, before its reply reaches the worker. */
  afterCall: (call: TranscribeCall) => void = () => {};
  constructor(private readonly store: MemoryJobStore) {}

  committed(jobId: string, index: number): boolean {
    return (this.store.peek(jobId)?.chunks[index]?.transcript ?? null) !== null;
  }

  /** Calls per chunk index of `jobId`. */
  callsPerChunk(jobId: string): Map<number, number> {
    const counts = new Map<number, number>();
    for (const call of this.calls) if (call.jobId === jobId) counts.set(call.index, (counts.get(call.index) ?? 0) + 1);
    return counts;
  }
}

/** The transcriber of one worker. */
export class FakeTranscriber implements Transcriber {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly actor: string,
    private readonly world: TranscriberWorld,
  ) {}

  transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    return this.scheduler.call(this.actor, 'transcriber.transcribe', latencies.transcribeMs, (): TranscribeResult => {
      const { world } = this;
      const attempt =
        world.calls.filter((call) => call.jobId === request.jobId && call.index === request.index).length + 1;
      const alreadyCommitted = world.committed(request.jobId, request.index);
      const scripted = world.script(request, attempt);
      const result: TranscribeResult = scripted ?? {
        kind: 'ok',
        text: transcriptOf(request.jobId, request.index, request.audio),
      };
      const outcome = result.kind === 'ok' ? 'ok' : result.retryable ? 'retryable' : 'rejected';
      const call: TranscribeCall = {
        actor: this.actor,
        jobId: request.jobId,
        index: request.index,
        prompt: request.prompt,
        atMs: this.scheduler.now(),
        alreadyCommitted,
        outcome,
      };
      world.calls.push(call);
      world.afterCall(call);
      return result;
    });
  }
}

/** A running worker and how its run ended. */
export interface WorkerHandle {
  readonly actor: string;
  readonly worker: Worker;
  readonly log: WorkerLogEntry[];
  /** True once `run()` returned. */
  finished: boolean;
  /** What `run()` threw, if anything. */
  error: unknown;
}

/** How {@link Harness.startWorker} may change a worker's ports. */
export interface StartOptions {
  readonly store?: (scheduled: JobStore) => JobStore;
  readonly chunkStore?: (inner: ChunkStore) => ChunkStore;
  readonly media?: (inner: Media) => Media;
  readonly transcriber?: (inner: Transcriber) => Transcriber;
  readonly limits?: Limits;
  readonly random?: () => number;
  /** Wait for work on the memory store's work signal instead of polling every idlePollIntervalMs. */
  readonly workSignal?: boolean;
  /** The worker's stopGraceMs. */
  readonly stopGraceMs?: number;
}

/** A store that answers every method of `inner` except those in `overrides`. */
export function storeWith(inner: JobStore, overrides: Partial<JobStore>): JobStore {
  return decorateStore(inner, (operation, args, proceed) => {
    const override = overrides[operation] as ((...args: unknown[]) => ReturnType<typeof proceed>) | undefined;
    return override === undefined ? proceed() : override(...args);
  });
}

/** A world of workers on the memory stores, in the virtual time of one scheduler. */
export class Harness {
  readonly scheduler = new Scheduler([]);
  readonly store = new MemoryJobStore({ now: () => this.scheduler.now() });
  readonly chunkStore = new MemoryChunkStore();
  readonly media = new MediaWorld(this.chunkStore);
  readonly transcriber = new TranscriberWorld(this.store);
  readonly storeFaults: StoreFaults = {};
  readonly storeCalls: StoreCall[] = [];
  readonly workers = new Map<string, WorkerHandle>();

  constructor(readonly limits: Limits = testLimits) {}

  /** Registers a source of `durationMs` and creates a queued job for it (not a scheduling point). */
  async createJob(jobId: string, durationMs: number, chunkLengthMs = 1_000): Promise<void> {
    const source = sourceOf(jobId);
    this.media.durations.set(source, durationMs);
    const created = await this.store.createJob({ jobId, source, chunkLengthMs });
    if (created.kind !== 'ok') throw new Error(`createJob ${jobId}: ${created.kind}`);
  }

  /**
   * Builds a worker whose every port call is a scheduled call of actor `actor`, and starts its loop;
   * `options` may wrap its ports or replace its limits and random numbers.
   */
  startWorker(actor: string, options: StartOptions = {}): WorkerHandle {
    const log: WorkerLogEntry[] = [];
    const store = scheduledJobStore(this.scheduler, actor, this.store, this.storeFaults, this.storeCalls);
    const media = new FakeMedia(this.scheduler, actor, this.media);
    const clock = {
      now: () => this.scheduler.now(),
      sleep: (ms: number, signal?: AbortSignal) => this.scheduler.sleep(actor, ms, 'sleep', signal),
    };
    const worker = new Worker({
      workerId: actor,
      store: options.store?.(store) ?? store,
      chunkStore: options.chunkStore?.(this.chunkStore) ?? this.chunkStore,
      media: options.media?.(media) ?? media,
      transcriber:
        options.transcriber?.(new FakeTranscriber(this.scheduler, actor, this.transcriber)) ??
        new FakeTranscriber(this.scheduler, actor, this.transcriber),
      clock,
      ...(options.workSignal === true ? { workSignal: this.store.workSignal(clock) } : {}),
      random: options.random ?? mulberry32(7),
      limits: options.limits ?? this.limits,
      ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
      log: (entry) => log.push(entry),
    });
    const handle: WorkerHandle = { actor, worker, log, finished: false, error: undefined };
    this.workers.set(actor, handle);
    void worker.run().then(
      () => {
        handle.finished = true;
      },
      (error: unknown) => {
        handle.finished = true;
        handle.error = error;
      },
    );
    return handle;
  }

  /** Runs the scheduler until `done` holds; throws when it stops for any other reason. */
  async runUntil(done: () => boolean, untilMs = 600_000, stepsMax = 50_000): Promise<void> {
    const end = await this.scheduler.runUntil({ untilMs, stepsMax, done });
    if (end !== 'done')
      throw new Error(`scheduler stopped (${end}) at ${this.scheduler.now()} ms before the condition held`);
  }

  /** Advances virtual time by `ms` while every live worker runs. */
  async runFor(ms: number): Promise<void> {
    const untilMs = this.scheduler.now() + ms;
    let woken = false;
    void this.scheduler.sleep('harness', ms).then(() => {
      woken = true;
    });
    await this.runUntil(() => woken, untilMs + 1);
  }

  /** The stored job (no checks). */
  job(jobId: string): Job | undefined {
    return this.store.peek(jobId);
  }

  /** The stored events of a job. */
  events(jobId: string): readonly JobEvent[] {
    return this.store.peekEvents(jobId);
  }

  /** True once the job is in `phase`. */
  isIn(jobId: string, phase: Job['phase']): boolean {
    return this.job(jobId)?.phase === phase;
  }
}

/** The source path of a job's media. */
export function sourceOf(jobId: string): string {
  return `/media/${jobId}.wav`;
}

/** The transcript a crash-free run of `jobId` over `durationMs` produces, from a fresh harness. */
export async function crashFreeTranscript(jobId: string, durationMs: number, chunkLengthMs = 1_000): Promise<string> {
  const harness = new Harness();
  await harness.createJob(jobId, durationMs, chunkLengthMs);
  const handle = harness.startWorker('reference');
  await harness.runUntil(() => harness.isIn(jobId, 'completed'));
  handle.worker.stop();
  const transcript = harness.job(jobId)?.transcript;
  if (typeof transcript !== 'string') throw new Error(`reference run of ${jobId} left no transcript`);
  return transcript;
}
