/**
 * Job and chunk state, as every store keeps it. Plain, serialisable data: a snapshot can be
 * stored, loaded and stepped again.
 */
import {
  chunkLengthMsMax,
  chunkLengthMsMin,
  chunksPerJobMax,
  mediaDurationMsMax,
  messageCharsMax,
  sourceCharsMax,
  workerIdCharsMax,
} from './limits.js';

/** Where a job is in its life. `completed` and `failed` are terminal. */
export type Phase = 'queued' | 'chunking' | 'transcribing' | 'finalizing' | 'completed' | 'failed';

/** Every phase, in life order. */
export const phases: readonly Phase[] = ['queued', 'chunking', 'transcribing', 'finalizing', 'completed', 'failed'];

/** Machine-readable reasons a job fails. */
export type FailureReason =
  | 'source_missing'
  | 'media_invalid'
  | 'recovery_attempts_exhausted'
  | 'transcription_rejected'
  | 'transcription_failed'
  | 'state_corrupt'
  /** An operator ended the job (`chunkwise cancel`); never written by a worker. */
  | 'cancelled';

/** Every failure reason. */
export const failureReasons: readonly FailureReason[] = [
  'source_missing',
  'media_invalid',
  'recovery_attempts_exhausted',
  'transcription_rejected',
  'transcription_failed',
  'state_corrupt',
  'cancelled',
];

/** One chunk of a job's audio, with the checksum of its file and, once committed, its text. */
export interface Chunk {
  readonly index: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly bytes: number;
  readonly sha256: string;
  /** The committed transcript, or null while pending. */
  readonly transcript: string | null;
}

/** Where a chunk sits in the source, before it is extracted. */
export interface ChunkSpec {
  readonly index: number;
  readonly startMs: number;
  readonly durationMs: number;
}

/** A chunk file as extracted: its spec plus size and checksum. */
export interface ExtractedChunk extends ChunkSpec {
  readonly bytes: number;
  readonly sha256: string;
}

/** The recovery attempt in progress, if any. */
export interface RecoveryState {
  /**
   * Recoveries so far (the attempt number of the latest, as the events' `attempt` says): every claim of a started
   * job, crash recoveries and hand-overs alike.
   */
  readonly attempts: number;
  /**
   * Of those, the hand-overs: claims after the previous owner released the job (a graceful stop), `recovery_type`
   * `released`. They do not count toward `recoveryAttemptsMax`; the crash recoveries (`attempts - handovers`) do.
   */
  readonly handovers: number;
  /** True between `recovery_started` and its `recovery_completed` / `recovery_failed`. */
  readonly open: boolean;
  readonly startedAtMs: number;
  /** True once this attempt emitted `processing_resumed`. */
  readonly resumed: boolean;
  /** Chunks re-extracted during this attempt. */
  readonly recreatedChunks: number;
}

/** A job's whole state. */
export interface Job {
  readonly id: string;
  readonly source: string;
  readonly chunkLengthMs: number;
  /** Media duration, known once chunks are planned. */
  readonly durationMs: number | null;
  readonly phase: Phase;
  /** Fencing token: incremented by every lease grant; every write carries it. */
  readonly epoch: number;
  readonly owner: string | null;
  /** Store-clock instant the current lease ends (0 when none). */
  readonly leaseExpiresAtMs: number;
  readonly chunks: readonly Chunk[];
  readonly recovery: RecoveryState;
  readonly failure: { readonly reason: FailureReason; readonly message: string } | null;
  /** The final transcript, once completed. */
  readonly transcript: string | null;
  /** Seq the next event of this job gets (events start at 1). */
  readonly nextSeq: number;
  /** Request id of the last applied write, so that a retried write is applied once. */
  readonly lastRequestId: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** True for `completed` and `failed`. */
export function isTerminal(phase: Phase): boolean {
  return phase === 'completed' || phase === 'failed';
}

const jobIdPattern = /^[A-Za-z0-9_-]{1,128}$/;
const workerIdPattern = /^[A-Za-z0-9_.:#@-]+$/;

/** Throws a TypeError naming `field` unless `value` is a valid job id ([A-Za-z0-9_-]{1,128}). */
export function validateJobId(value: unknown, field = 'jobId'): string {
  if (typeof value !== 'string' || !jobIdPattern.test(value)) {
    throw new TypeError(`${field} must match [A-Za-z0-9_-]{1,128}, got ${describe(value)}`);
  }
  return value;
}

/** Throws a TypeError naming `field` unless `value` is a valid worker id. */
export function validateWorkerId(value: unknown, field = 'workerId'): string {
  if (typeof value !== 'string' || value.length > workerIdCharsMax || !workerIdPattern.test(value)) {
    throw new TypeError(
      `${field} must be 1-${workerIdCharsMax} characters of [A-Za-z0-9_.:#@-], got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a non-empty source reference of at most sourceCharsMax characters. */
export function validateSource(value: unknown, field = 'source'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > sourceCharsMax || value.includes('\0')) {
    throw new TypeError(
      `${field} must be a non-empty string of at most ${sourceCharsMax} characters without NUL, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws a RangeError unless `value` is a chunk length within the limits. */
export function validateChunkLengthMs(value: unknown, field = 'chunkLengthMs'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < chunkLengthMsMin || value > chunkLengthMsMax) {
    throw new RangeError(
      `${field} must be an integer in [${chunkLengthMsMin}, ${chunkLengthMsMax}] ms, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws a RangeError unless `value` is a positive, finite media duration within the limits. */
export function validateDurationMs(value: unknown, field = 'durationMs'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > mediaDurationMsMax) {
    throw new RangeError(
      `${field} must be a positive finite number of ms up to ${mediaDurationMsMax}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws unless `value` is a positive safe integer (epochs, counts). */
export function validatePositiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${field} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** Throws unless `value` is a chunk index (a non-negative integer below chunksPerJobMax). */
export function validateChunkIndex(value: unknown, field = 'index'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= chunksPerJobMax) {
    throw new RangeError(`${field} must be an integer in [0, ${chunksPerJobMax}), got ${describe(value)}`);
  }
  return value;
}

/** Cuts a message to messageCharsMax characters. */
const sha256HexPattern = /^[0-9a-f]{64}$/;
/** Digests already found well formed; cleared when full, so it stays small (see {@link isSha256Hex}). */
const wellFormedDigests = new Set<string>();
const wellFormedDigestsMax = 4096;

/**
 * True when `value` is a sha256 digest as the stores keep it: 64 lowercase hex digits. A stored job is checked on
 * every load, each of its chunks' digests with it, and the same digests come back again and again: one that passed
 * is remembered, so it costs a set lookup the next time instead of a regular expression.
 */
export function isSha256Hex(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (wellFormedDigests.has(value)) return true;
  if (!sha256HexPattern.test(value)) return false;
  if (wellFormedDigests.size >= wellFormedDigestsMax) wellFormedDigests.clear();
  wellFormedDigests.add(value);
  return true;
}

export function clipMessage(message: string): string {
  return message.length <= messageCharsMax ? message : `${message.slice(0, messageCharsMax - 1)}…`;
}

/** A short printable description of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeof value;
}
