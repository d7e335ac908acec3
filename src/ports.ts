/**
 * The interfaces the runtime needs. Every real port has a simulated twin behind the same
 * interface (sim/world). Operating errors come back as typed values or as the typed errors
 * below; a thrown AssertionError is a bug.
 */
import type { JobEvent } from './core/events.js';
import type {
  ClaimRequest,
  CommitRequest,
  CreateRequest,
  FailRequest,
  Fenced,
  PlanRequest,
  QuarantineRequest,
  RecreatedRequest,
  Refusal,
  RenewRequest,
} from './core/operations.js';
import type { ChunkFileStatus } from './core/planner.js';
import type { ChunkSpec, Job } from './core/types.js';

export type {
  ClaimRequest,
  CommitRequest,
  CreateRequest,
  FailRequest,
  Fenced,
  PlanRequest,
  QuarantineRequest,
  RecreatedRequest,
  Refusal,
  RenewRequest,
} from './core/operations.js';

/** A write that was applied, or recognised as the retry of one already applied (`duplicate`). */
export interface WriteOk {
  readonly kind: 'ok';
  readonly duplicate: boolean;
}
/** Result of a fenced write: applied, or refused with nothing written. */
export type WriteResult = WriteOk | Refusal;
/** Result of creating a job. */
export type CreateResult =
  { readonly kind: 'ok'; readonly job: Job; readonly created: boolean } | { readonly kind: 'already_exists' };
/** Result of a claim: a lease (and whether it began a recovery), or why not. */
export type ClaimResult =
  | { readonly kind: 'ok'; readonly job: Job; readonly recovery: boolean; readonly duplicate: boolean }
  | { readonly kind: 'exhausted'; readonly job: Job }
  | Refusal;
/** Result of a lease renewal. */
export type RenewResult = { readonly kind: 'ok'; readonly leaseExpiresAtMs: number } | Refusal;

/** The store could not be reached or did not answer; the operation may or may not have been applied. Retry it. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The worker itself cannot do this kind of work: a tool it was given cannot be run, the API rejects its
 * credentials. Not the job's fault, so a port throws it rather than returning an error result (which could fail the
 * job): the worker hands the job it holds over, uncharged, and its run() stops with this error instead of claiming
 * more work it cannot do. `unavailable` when something cannot be reached or run, `configuration` when what it was
 * given does not work.
 */
export class WorkerUnfitError extends Error {
  override readonly name: string = 'WorkerUnfitError';
  constructor(
    message: string,
    readonly kind: 'unavailable' | 'configuration',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Stored state of a job could not be decoded or breaks an invariant (P10). */
export class CorruptStateError extends Error {
  override readonly name = 'CorruptStateError';
  constructor(
    readonly jobId: string,
    readonly problems: readonly string[],
  ) {
    super(`job ${jobId} has corrupt stored state: ${problems.join('; ')}`);
  }
}

/**
 * Durable job and chunk state with atomic, idempotent, fenced operations. Each write checks every
 * precondition before writing and appends its events in the same atomic step (outbox). The
 * executable specification of every operation is src/core/operations.ts.
 */
export interface JobStore {
  /** Creates a queued job; the same job created again is `ok` with `created: false`. */
  createJob(request: CreateRequest): Promise<CreateResult>;
  /** Grants a lease on a queued job or on one whose lease expired or was released (a recovery). */
  claimJob(request: ClaimRequest): Promise<ClaimResult>;
  /** Extends the current holder's lease. */
  renewLease(request: RenewRequest): Promise<RenewResult>;
  /** Records the chunk plan: chunking → transcribing. */
  recordChunkPlan(request: PlanRequest): Promise<WriteResult>;
  /** Records a pending chunk's file as re-extracted. */
  recordChunkRecreated(request: RecreatedRequest): Promise<WriteResult>;
  /** Emits `processing_resumed` for the open recovery attempt (once). */
  markResumed(request: Fenced): Promise<WriteResult>;
  /** Commits a chunk's transcript exactly once. */
  commitChunk(request: CommitRequest): Promise<WriteResult>;
  /** Completes a job whose chunks are all committed. */
  completeJob(request: Fenced): Promise<WriteResult>;
  /** Fails a job with a machine-readable reason. */
  failJob(request: FailRequest): Promise<WriteResult>;
  /** Gives the lease back so that another worker may take the job at once. */
  releaseJob(request: Fenced): Promise<WriteResult>;
  /** Fails a job whose stored state is corrupt, whoever holds it. */
  quarantineJob(request: QuarantineRequest & { readonly requestId: string }): Promise<WriteResult>;
  /** Ids of jobs that may be claimable now (queued, or lease expired). A hint: the claim re-checks. */
  listRecoverableJobs(limit: number): Promise<string[]>;
  /** The job's state, or null. Throws CorruptStateError when it cannot be trusted. */
  getJob(jobId: string): Promise<Job | null>;
  /** Every event of the job with seq >= fromSeq, in order (all pages, never only the first). */
  readEvents(jobId: string, fromSeq?: number): Promise<JobEvent[]>;
}

/** The expected size and checksum of a chunk file. */
export interface ChunkDigest {
  readonly bytes: number;
  readonly sha256: string;
}

/** Reading a chunk file: its bytes, verified against the digest, or why not. */
export type ChunkRead =
  | { readonly kind: 'ok'; readonly data: Uint8Array }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly detail: string };

/** Chunk files of jobs. Writers (the Media port) write whole files atomically. */
export interface ChunkStore {
  /** Checks a chunk file against its digest without returning it. */
  check(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkFileStatus>;
  /** Reads a chunk file and verifies it against its digest. */
  read(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkRead>;
  /** Removes every file of a job, partial ones included. Idempotent. */
  removeJob(jobId: string): Promise<void>;
  /** Ids of jobs that have any file (for the orphan sweep). */
  listJobIds(): Promise<string[]>;
}

/**
 * Where a media tool writes chunk files: a partial file at a path of the writer's choosing, then
 * published whole under the chunk's name or discarded, so a crash mid-write never leaves a file
 * that looks whole. A tool that writes to a path (ffmpeg) writes through this port.
 */
export interface ChunkWriter {
  /** A fresh path, unique to this call, where the tool writes a partial file of chunk `index` of `jobId`. */
  partPath(jobId: string, index: number): Promise<string>;
  /**
   * Publishes the partial file at `partPath` (one this writer handed out for the same chunk) as the chunk,
   * whole or not at all, and returns the digest of the published bytes; the partial file is gone after.
   * A path it did not hand out for that chunk is a TypeError.
   */
  publishPart(jobId: string, index: number, partPath: string): Promise<ChunkDigest>;
  /** Removes a partial file (a failed or abandoned write). A file already gone is fine. */
  discardPart(jobId: string, index: number, partPath: string): Promise<void>;
}

/** A media tool failure that may pass (a timeout, a full disk): the runtime retries it with backoff. */
export interface MediaRetryable {
  readonly kind: 'error';
  readonly retryable: true;
  readonly message: string;
}

/** Probing a source. */
export type ProbeResult =
  | { readonly kind: 'ok'; readonly durationMs: number }
  | { readonly kind: 'source_missing'; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string }
  | MediaRetryable;

/** Extracting one chunk of a source into the chunk store. */
export type ExtractResult =
  | { readonly kind: 'ok'; readonly bytes: number; readonly sha256: string }
  | { readonly kind: 'source_missing'; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string }
  | MediaRetryable;

/** Media tools: probe a source, extract one chunk of it into the chunk store. */
export interface Media {
  /** The playable duration of the source's audio. */
  probe(source: string): Promise<ProbeResult>;
  /** Extracts chunk `chunk` of `source` into the chunk store, whole or not at all. Deterministic bytes. */
  extractChunk(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): Promise<ExtractResult>;
}

/** A transcription request for one chunk. */
export interface TranscribeRequest {
  readonly jobId: string;
  readonly index: number;
  readonly audio: Uint8Array;
  /** The previous chunk's committed text, for continuity; null for the first chunk. */
  readonly prompt: string | null;
  /**
   * Aborted when the worker gives the call up (it was told to stop and its grace period ran out): the transcriber
   * should end the call soon after, with an error result or a rejection; its answer is no longer used.
   */
  readonly signal?: AbortSignal;
}

/** A transcription, or an error that is retryable (429, 5xx, timeout, connection) or not (400, 401, 413). */
export type TranscribeResult =
  | { readonly kind: 'ok'; readonly text: string }
  /** `retryAfterMs`: the wait the service asked for before another attempt (HTTP Retry-After), if it said. */
  | {
      readonly kind: 'error';
      readonly retryable: boolean;
      readonly status: number | null;
      readonly message: string;
      readonly retryAfterMs?: number;
    };

/** Speech to text for one chunk. */
export interface Transcriber {
  transcribe(request: TranscribeRequest): Promise<TranscribeResult>;
}

/** Time: read and wait. The simulator's clock is virtual; the system clock is real. */
export interface Clock {
  now(): number;
  /**
   * Resolves after `ms`, or as soon as `signal` aborts (at once when it already has): a sleep is
   * cut short, never failed, so a stopping worker leaves every wait without an error to catch.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Tells an idle worker when work may have appeared, so it waits instead of polling: a job created
 * or released (the store operations whose `wakes` column is set, src/core/store-operations.ts), or
 * a lease running out. Level-triggered: work that appeared while no one waited makes the next wait
 * return at once. A hint, like the listing it precedes: the worker lists and claims after it.
 */
export interface WorkSignal {
  /**
   * Resolves when work may have appeared, at the latest after `timeoutMs` (or sooner, when a lease
   * of the store runs out first), or as soon as `signal` aborts. Never rejects: when its backend is
   * unreachable it waits out the timeout.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
}

/** A uniform random number in [0, 1). Injected so that the simulator is deterministic. */
export type Random = () => number;
