/**
 * The scenario API for hand-written chaos tests (the counterpart of the earlier service's
 * ChaosTestFramework): create test jobs of a given size, crash a worker at a named phase or after
 * N chunks, damage chunk files, take the store down, recover with one or several workers, then
 * read a structured verdict of every validation check. Each scenario runs in its own simulated
 * world in virtual time: deterministic, isolated, and gone when the run ends.
 */
import type { JobEvent } from '../src/core/events.js';
import { chunkConcurrencyMax } from '../src/core/limits.js';
import type { Job } from '../src/core/types.js';
import { simulate } from './campaign.js';
import type { PromiseId, Violation } from './checkers/index.js';
import { simulationLimits, type CallTarget, type Fault, type JobSpec, type Scenario } from './faults.js';
import { decodeReplay, parseScenarioFile } from './scenario-file.js';
import type { RunRecord, WorldOptions } from './world.js';

/** Bytes per second of the transcription audio format (16 kHz mono s16 WAV). */
export const audioBytesPerSecond = 32_000;

/** A test job's size: a duration, or a size in MB of 16 kHz mono audio. */
export type JobSize = { readonly durationMs: number } | { readonly sizeMb: number };

/** Named crash points of the seed document. */
export type CrashPoint =
  | 'before_chunk_creation'
  | 'during_chunking'
  | 'early_transcription'
  | 'mid_transcription'
  | 'late_transcription'
  | 'during_finalization';

/** Every crash point, in life order. */
export const crashPoints: readonly CrashPoint[] = [
  'before_chunk_creation',
  'during_chunking',
  'early_transcription',
  'mid_transcription',
  'late_transcription',
  'during_finalization',
];

/** The seven validation checks of the seed document, each backed by promises of DESIGN.md. */
export const validationChecks = {
  stateTransitions: ['P1', 'P4', 'P9'],
  idempotency: ['P2', 'P3'],
  recoveryEvents: ['P5'],
  progress: ['P6'],
  finalResults: ['P7'],
  cleanup: ['P8'],
  errorHandling: ['P10', 'P11'],
} as const satisfies Record<string, readonly PromiseId[]>;

export type ValidationCheck = keyof typeof validationChecks;

/** One check's verdict. */
export interface CheckResult {
  readonly passed: boolean;
  readonly violations: readonly Violation[];
}

/** The structured result of a scenario. */
export interface ScenarioResult {
  readonly passed: boolean;
  readonly checks: Readonly<Record<ValidationCheck, CheckResult>>;
  readonly violations: readonly Violation[];
  readonly record: RunRecord;
  /** How many crashes and pauses the plan asked for actually happened. */
  readonly crashes: number;
  readonly pauses: number;
  job(id?: string): Job;
  events(id?: string): readonly JobEvent[];
  /** Transcriber calls per chunk of a job. */
  transcriberCalls(id?: string): Map<number, number>;
  /** Workers that were granted a lease on the job (in order, with repeats). */
  leaseHolders(id?: string): string[];
}

/** Builder of one chaos scenario. */
export class ChaosScenario {
  private readonly jobs: JobSpec[] = [];
  private readonly faults: Fault[] = [];
  private workerCount = 1;
  private loops = 1;
  private inFlight: number | undefined;
  private recoverers = 1;
  private choices: number[] = [];
  private seed = 1;
  private latencies = { storeMaxMs: 2, mediaMs: 200, transcribeMs: 2_000 };
  private world: WorldOptions = {};
  private loaded: Scenario | undefined;

  /**
   * Adds a job of the given size, cut into chunks of `chunkLengthMs` (default 10 s). Jobs are named
   * `job0`, `job1`, … in the order they are added. Returns the scenario, so calls chain.
   */
  job(size: JobSize, chunkLengthMs = 10_000): this {
    const durationMs =
      'durationMs' in size ? size.durationMs : Math.round(((size.sizeMb * 1_000_000) / audioBytesPerSecond) * 1_000);
    if (!Number.isFinite(durationMs) || durationMs < 1_000)
      throw new RangeError(`job size must be at least 1 s of audio, got ${durationMs} ms`);
    if (!Number.isInteger(chunkLengthMs) || chunkLengthMs < 1_000)
      throw new RangeError(`chunkLengthMs must be an integer >= 1000, got ${chunkLengthMs}`);
    const whole = Math.floor(durationMs / chunkLengthMs);
    const tail = durationMs - whole * chunkLengthMs;
    const id = `job${this.jobs.length}`;
    const [chunks, lastChunkMs] =
      tail === 0 ? [whole, chunkLengthMs] : tail < 1_000 ? [whole, chunkLengthMs + tail] : [whole + 1, tail];
    this.jobs.push({ id, chunks, chunkLengthMs, lastChunkMs });
    return this;
  }

  /** Starts `count` workers at time 0. */
  workers(count: number): this {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`workers must be a positive integer, got ${count}`);
    this.workerCount = count;
    return this;
  }

  /** Runs `loops` worker loops in each worker process (the worker command's `--concurrency`). */
  concurrency(loops: number): this {
    if (!Number.isInteger(loops) || loops < 1 || loops > 64)
      throw new RangeError(`concurrency must be an integer in [1, 64], got ${loops}`);
    this.loops = loops;
    return this;
  }

  /** Lets each worker transcribe up to `inFlight` chunks of its job at once (`limits.chunkConcurrency`). */
  chunkConcurrency(inFlight: number): this {
    if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > chunkConcurrencyMax)
      throw new RangeError(`chunkConcurrency must be an integer in [1, ${chunkConcurrencyMax}], got ${inFlight}`);
    this.inFlight = inFlight;
    return this;
  }

  /** Crashes worker `worker` at a named crash point of a job with `chunks` chunks. */
  crashAt(point: CrashPoint, options: { worker?: number; chunks?: number } = {}): this {
    const chunks = options.chunks ?? this.jobs[0]?.chunks ?? 1;
    const worker = options.worker ?? 0;
    const crash = (target: CallTarget, nth: number, when: 'before' | 'after'): Fault => ({
      kind: 'crash',
      worker,
      target,
      nth: Math.max(1, nth),
      when,
    });
    const byPoint: Record<CrashPoint, Fault> = {
      before_chunk_creation: crash('claim', 1, 'after'),
      during_chunking: crash('extract', Math.ceil(chunks / 2), 'after'),
      early_transcription: crash('commit', Math.min(2, chunks), 'after'),
      mid_transcription: crash('commit', Math.max(1, Math.floor(chunks / 2)), 'after'),
      late_transcription: crash('commit', Math.max(1, chunks - 1), 'after'),
      during_finalization: crash('complete', 1, 'before'),
    };
    this.faults.push(byPoint[point]);
    return this;
  }

  /** Crashes worker `worker` right after its `n`-th chunk commit (or before it, with `when`). */
  crashAfterChunks(n: number, options: { worker?: number; when?: 'before' | 'after' } = {}): this {
    this.faults.push({
      kind: 'crash',
      worker: options.worker ?? 0,
      target: 'commit',
      nth: n,
      when: options.when ?? 'after',
    });
    return this;
  }

  /** Crashes worker `worker` at its `nth` call of kind `target`. */
  crashOn(target: CallTarget, nth: number, options: { worker?: number; when?: 'before' | 'after' } = {}): this {
    this.faults.push({ kind: 'crash', worker: options.worker ?? 0, target, nth, when: options.when ?? 'before' });
    return this;
  }

  /** Pauses worker `worker` for `durationMs` at its `nth` call of kind `target` (past its lease: a zombie). */
  pauseOn(target: CallTarget, nth: number, durationMs: number, worker = 0): this {
    this.faults.push({ kind: 'pause', worker, target, nth, durationMs });
    return this;
  }

  /** Damages a chunk file at virtual time `atMs`. */
  damageChunk(chunk: number, damage: 'delete' | 'truncate' | 'corrupt', atMs: number, job = 0): this {
    this.faults.push({ kind: 'chunk_file', job, chunk, damage, atMs });
    return this;
  }

  /** Deletes a job's source file at `atMs`. */
  deleteSource(atMs: number, job = 0): this {
    this.faults.push({ kind: 'source_deleted', job, atMs });
    return this;
  }

  /** Takes the store down from `atMs` for `durationMs`. */
  storeDown(atMs: number, durationMs: number): this {
    this.faults.push({ kind: 'store_down', atMs, durationMs });
    return this;
  }

  /** Loses the reply of the `nth` store call after the store applied it. */
  replyLost(nth: number): this {
    this.faults.push({ kind: 'reply_lost', nth });
    return this;
  }

  /** Makes the `nth` transcriber call fail. */
  transcriberError(nth: number, error: 429 | 500 | 'timeout' | 400): this {
    this.faults.push({ kind: 'transcriber_error', nth, error });
    return this;
  }

  /** Hand-edits a job's stored state into an inconsistent one at `atMs`. */
  corruptState(atMs: number, job = 0): this {
    this.faults.push({ kind: 'state_corrupt', job, atMs });
    return this;
  }

  /** Each crashed worker is replaced by `count` workers started at the same instant (concurrent recoverers). */
  recoverWith(count: number): this {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`recoverers must be a positive integer, got ${count}`);
    this.recoverers = count;
    return this;
  }

  /** Sets the interleaving (choice sequence) and the seed of jitter and latencies. */
  interleaving(choices: number[], seed = 1): this {
    this.choices = choices;
    this.seed = seed;
    return this;
  }

  /** Sets port latencies (ms). */
  latency(latencies: Partial<Scenario['latencies']>): this {
    this.latencies = { ...this.latencies, ...latencies };
    return this;
  }

  /** Replaces parts of the world (a planted bug, another store). */
  using(world: WorldOptions): this {
    this.world = world;
    return this;
  }

  /**
   * Replays a saved counterexample: a replay token, a scenario file's content (`{ version,
   * scenario }`), or a report.json written by `npm run sim -- --report DIR`. The run is the very
   * run the campaign found (same world settings), so pasting a counterexample into a test pins it.
   * Throws a ScenarioFormatError naming what is wrong.
   */
  fromScenario(saved: unknown): this {
    this.loaded =
      typeof saved === 'string'
        ? saved.trimStart().startsWith('{')
          ? parseScenarioFile(JSON.parse(saved))
          : decodeReplay(saved)
        : parseScenarioFile(saved);
    return this;
  }

  /** The scenario value this builder describes. */
  scenario(): Scenario {
    if (this.loaded !== undefined) return this.loaded;
    if (this.jobs.length === 0) this.job({ durationMs: 60_000 });
    return {
      jobs: this.jobs,
      workers: this.workerCount,
      ...(this.loops === 1 ? {} : { concurrency: this.loops }),
      ...(this.inFlight === undefined ? {} : { chunkConcurrency: this.inFlight }),
      faults: this.faults,
      latencies: this.latencies,
      faultPhaseMs: 600_000,
      seed: this.seed,
      choices: this.choices,
    };
  }

  /** Runs the scenario in its own world and validates every check. */
  async run(): Promise<ScenarioResult> {
    if (this.loaded !== undefined) {
      const { record, violations } = await simulate(this.loaded, this.world);
      return result(record, violations);
    }
    const { record, violations } = await simulate(this.scenario(), {
      limits: simulationLimits,
      endWhenSettled: true,
      replacementsPerCrash: this.recoverers,
      ...this.world,
    });
    return result(record, violations);
  }
}

function result(record: RunRecord, violations: Violation[]): ScenarioResult {
  const checks = Object.fromEntries(
    Object.entries(validationChecks).map(([name, promises]) => {
      const mine = violations.filter((violation) => (promises as readonly string[]).includes(violation.promise));
      return [name, { passed: mine.length === 0, violations: mine }];
    }),
  ) as unknown as Record<ValidationCheck, CheckResult>;
  const firstJob = record.scenario.jobs[0]?.id ?? 'job0';
  const entries = record.history.entries;
  return {
    passed: violations.length === 0,
    checks,
    violations,
    record,
    crashes: entries.filter((entry) => entry.kind === 'worker' && entry.what === 'crash').length,
    pauses: entries.filter((entry) => entry.kind === 'worker' && entry.what === 'pause').length,
    job: (id = firstJob) => {
      const job = record.jobs.get(id);
      if (job === undefined) throw new Error(`no job ${id} in this scenario`);
      return job;
    },
    events: (id = firstJob) => record.events.get(id) ?? [],
    transcriberCalls: (id = firstJob) => {
      const calls = new Map<number, number>();
      for (const entry of entries)
        if (entry.kind === 'transcribe' && entry.job === id) calls.set(entry.index, (calls.get(entry.index) ?? 0) + 1);
      return calls;
    },
    leaseHolders: (id = firstJob) =>
      entries.flatMap((entry) =>
        entry.kind === 'grant' && entry.job === id && entry.leaseUntilMs > 0 ? [entry.actor] : [],
      ),
  };
}

/** Starts a scenario. */
export function chaos(): ChaosScenario {
  return new ChaosScenario();
}
