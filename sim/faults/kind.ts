/**
 * What a fault kind is: one value that says everything the simulator needs to know about it, so that a new kind
 * is one new file under sim/faults/ and one line in sim/faults/index.ts (docs/DESIGN.md, "Add a fault kind").
 *
 * A kind has a label (how a shrunk counterexample prints it), an arbitrary (how campaigns draw it), a resolver
 * (its indices read modulo the run's own counts), a glyph (its mark in the HTML report), and the places it acts:
 * hooks the world calls at a worker's port call, at a time of its own, at a store call, at a media or transcriber
 * call, at a lease grant, or when it builds a machine's clock. A hook acts only through the {@link FaultHost}
 * the world hands it.
 */
import fc from 'fast-check';
import { z } from 'zod';
import type { Job, Phase } from '../../src/core/types.js';

/** Which of a worker's calls a crash, pause or stop fault counts. */
export type CallTarget = 'any' | 'claim' | 'extract' | 'transcribe' | 'commit' | 'complete';

/** What a poison fault writes. */
export type PoisonKind = 'absurd_size' | 'index_member';

/** The counts of the run a fault resolves its indices against. */
export interface RunShape {
  readonly workers: number;
  readonly jobs: readonly { readonly id: string; readonly chunks: number }[];
}

/** The bounds a fault kind's arbitrary draws within. */
export interface DrawBounds {
  readonly jobsMax: number;
  readonly chunksMax: number;
  readonly workersMax: number;
  readonly faultPhaseMs: number;
}

/** A transcriber failure injected into one call: a status, a timeout or a reset, and the wait asked for. */
export interface InjectedTranscriberFault {
  readonly error: 429 | 500 | 503 | 400 | 'timeout' | 'reset';
  readonly retryAfterMs?: number;
}

/** One port call of a worker, as a fault that acts at calls sees it. */
export interface PortCall {
  /** The worker slot making the call. */
  readonly slot: number;
  readonly target: CallTarget | 'other';
  /** `store`, `media` or `transcriber`, and the operation. */
  readonly port: string;
  readonly op: string;
  /** The job (or `job/index`) the call is about. */
  readonly subject: string;
}

/** What a fault may do to a port call it strikes. */
export interface CallActions {
  /** Kills the worker before its call is issued (the call never happens). */
  crashBefore(): void;
  /** Kills the worker once the call took effect: its reply is never delivered. */
  crashAfter(): void;
  /** Tells the worker to stop gracefully: it releases what it holds; a new incarnation takes its slot. */
  stop(): void;
  /** Freezes the worker for `durationMs` before its call is issued. */
  pause(durationMs: number): void;
}

/** The chunk files as a fault may damage them. */
export interface DamageableFiles {
  peek(jobId: string, index: number): Uint8Array | undefined;
  deleteFile(jobId: string, index: number): void;
  overwrite(jobId: string, index: number, data: Uint8Array): void;
}

/** What the world lets a fault see and do. */
export interface FaultHost {
  readonly shape: RunShape;
  now(): number;
  /** True once `fault` fired. */
  fired(fault: object): boolean;
  /** Records `fault` as fired: a history entry, and a coverage count against the phase of `subject`'s job. */
  fire(fault: object, subject?: string): void;
  /** Marks `fault` fired and counts it for coverage, without a history entry (its effect will write one). */
  arm(fault: object, subject: string): void;
  /** A counter of the fault's own (calls it counted, crashes it caused); `tally` adds one and returns the count. */
  tallyOf(fault: object): number;
  tally(fault: object): number;
  // Timed faults act on the world through these.
  readonly files: DamageableFiles;
  /** A history entry for a file the world damaged. */
  fileDamaged(jobId: string, index: number, op: 'delete' | 'truncate' | 'corrupt'): void;
  markDamagedChunk(jobId: string, index: number): void;
  markDeletedSource(jobId: string): void;
  markCorruptedState(jobId: string): void;
  /** The phase the store's last known state of `subject`'s job (`job` or `job/index`) is in, if any. */
  phaseOf(subject: string): Phase | undefined;
  /** The stored job, read afresh. */
  freshJob(jobId: string): Promise<Job | undefined>;
  /** True when the store lets the world hand-edit a job's state. */
  canTamper(): boolean;
  tamper(jobId: string, change: (job: Job) => Job): Promise<void>;
  /** True when the store has real keys that poison data can be written into. */
  canPoison(): boolean;
  /** Writes poison data (stores with real keys only); resolves false when this store cannot hold it. */
  poison(jobId: string, what: PoisonKind): Promise<boolean>;
  /** Starts one more worker in a new slot (a concurrent recoverer). */
  startWorker(): void;
  /** Makes `actor` crash before its next call, as `fault`. */
  crashBeforeNextCall(actor: string, fault: object): void;
}

/** A call of a port, numbered from 1 among the port's calls made while faults are on. */
export interface NumberedCall {
  readonly number: number;
  /** The job (or `job/index`) the call is about, when one is known. */
  readonly subject: string | undefined;
}

/** A worker machine's clock against the store's: ahead by `offsetMs`, fast or slow by `driftPpm`. */
export interface ClockSkew {
  readonly offsetMs: number;
  readonly driftPpm: number;
}

/** The places a fault kind acts; the world calls each hook while faults are on. */
export interface FaultActs<F> {
  /**
   * At every port call of a worker: `strikes` counts the call against the fault and says whether it strikes
   * now (faults of one kind are asked in plan order until one strikes; kinds in registry order); then `act`
   * does its part, kinds in ascending `actRank` (a crash before the call first, since nothing else happens then).
   */
  readonly call?: {
    readonly actRank: number;
    strikes(fault: F, call: PortCall, host: FaultHost): boolean;
    act(fault: F, call: PortCall, actions: CallActions): void;
  };
  /** At `fault.atMs` of the fault phase, as a step of the world of its own. */
  readonly atTime?: (fault: F, host: FaultHost) => Promise<void>;
  /** At every store call: true while the store is unreachable (the first fault that says so wins). */
  readonly storeDown?: (fault: F, host: FaultHost) => boolean;
  /** After a store call took effect: true when its reply is lost (the first fault that says so wins). */
  readonly replyLost?: (fault: F, host: FaultHost, call: NumberedCall) => boolean;
  /** At every media call: the failure message to inject, if any (the first fault that says so wins). */
  readonly media?: (fault: F, host: FaultHost, call: NumberedCall) => string | undefined;
  /** At every transcriber call, kinds in ascending `rank`: the failure to inject, if any. */
  readonly transcriber?: {
    readonly rank: number;
    inject(fault: F, host: FaultHost, call: NumberedCall): InjectedTranscriberFault | undefined;
  };
  /** When a worker is granted a job's lease (`position`: the job's index in the run). */
  readonly grant?: (fault: F, host: FaultHost, actor: string, position: number, jobId: string) => boolean;
  /** When a machine's clock is built for worker slot `slot`: its skew, if this fault names the slot. */
  readonly clock?: (fault: F, slot: number, shape: RunShape) => ClockSkew | undefined;
}

/** Everything about one fault kind. */
export interface FaultKindDefinition<F extends { readonly kind: string }> {
  readonly kind: F['kind'];
  /** One line for docs and coverage tables. */
  readonly summary: string;
  /** Its mark in the HTML report: one character. */
  readonly glyph: string;
  /** The schema a saved scenario's fault of this kind must match, field by field (replay tokens, scenario files). */
  readonly schema: z.ZodType<F>;
  /** The arbitrary campaigns draw it from. */
  arbitrary(bounds: DrawBounds): fc.Arbitrary<F>;
  /** A short label, as it appears in a shrunk counterexample. */
  label(fault: F): string;
  /** The fault with its job, worker and chunk indices read modulo the run's counts, as it acts. */
  resolve(fault: F, shape: RunShape): F;
  readonly acts: FaultActs<F>;
  /**
   * Simpler versions of a fault for the reduction pass of shrinking, simplest first, beyond the generic ones (a
   * lower call count `nth`, an earlier `atMs`, which every kind with those fields gets).
   */
  simpler?(fault: F): Iterable<F>;
  /**
   * For a fault that starts workers: how many. The reduction pass may trade the fault for as many workers that run
   * from the start, a simpler story when the fault's timing is what holds a shrink back.
   */
  workersAdded?(fault: F): number;
  /** True for kinds that concern no job (the coverage report counts them under `—`, not under a job's phase). */
  readonly jobless?: boolean;
  /**
   * Job phases this kind can never strike in, each with the reason: the coverage report lists those pairs apart,
   * not as gaps of the generator.
   */
  readonly neverIn?: Readonly<Partial<Record<Phase, string>>>;
}

/** Declares a fault kind; its fault type is read from `F`. */
export function defineFaultKind<F extends { readonly kind: string }>(
  definition: FaultKindDefinition<F>,
): FaultKindDefinition<F> {
  if ([...definition.glyph].length !== 1) {
    throw new TypeError(
      `fault kind ${definition.kind}: a glyph is one character, got ${JSON.stringify(definition.glyph)}`,
    );
  }
  return Object.freeze(definition);
}

/** The job a fault names, read modulo the run's jobs. */
export function jobAt(shape: RunShape, job: number): RunShape['jobs'][number] | undefined {
  return shape.jobs[job % shape.jobs.length];
}

/**
 * The call trigger shared by the kinds that act at the n-th call of a worker: counts a call of the fault's worker
 * and target (never once the fault fired) and strikes at the n-th.
 */
export function strikesAtNthCall(
  fault: { readonly worker: number; readonly target: CallTarget; readonly nth: number },
  call: PortCall,
  host: FaultHost,
): boolean {
  if (fault.worker % host.shape.workers !== call.slot || host.fired(fault)) return false;
  if (fault.target !== 'any' && fault.target !== call.target) return false;
  return host.tally(fault) === fault.nth;
}

/** The draws most kinds share: a time in the fault phase, a worker, a job, a call count and a call target. */
export function commonDraws(bounds: DrawBounds) {
  return {
    atMs: fc.integer({ min: 0, max: bounds.faultPhaseMs }),
    worker: fc.integer({ min: 0, max: bounds.workersMax - 1 }),
    job: fc.integer({ min: 0, max: bounds.jobsMax - 1 }),
    nth: fc.integer({ min: 1, max: 30 }),
    // Call faults lean toward the window between an effect and its commit: 'transcribe' and 'commit'.
    target: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<CallTarget>('transcribe', 'commit') },
      { weight: 2, arbitrary: fc.constantFrom<CallTarget>('any', 'claim', 'extract', 'complete') },
    ),
  };
}

/** Schema pieces the kinds share: counts from 0, counts from 1, and call targets. */
export const faultFields = {
  count: z.number().int().nonnegative(),
  positive: z.number().int().positive(),
  callTarget: z.enum(['any', 'claim', 'extract', 'transcribe', 'commit', 'complete']),
};
