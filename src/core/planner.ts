/**
 * Planning: how a job's media is cut into chunks, and what a recovery must do given the result
 * of checking each pending chunk's file.
 */
import { chunkTailMsMin, chunksPerJobMax } from './limits.js';
import { validateChunkLengthMs, validateDurationMs, type ChunkSpec, type Job } from './types.js';

/** Result of checking one chunk file against its recorded size and sha256. */
export type ChunkFileStatus = 'ok' | 'missing' | 'corrupt';

/**
 * Cuts `durationMs` (rounded to whole ms) into chunks of `chunkLengthMs`. The last may be shorter;
 * a last piece under chunkTailMsMin is merged into the chunk before it, so no chunk is too short
 * for a speech API (the merged chunk is at most chunkLengthMs + chunkTailMsMin - 1 long).
 */
export function planChunks(durationMs: number, chunkLengthMs: number): ChunkSpec[] {
  const count = chunkCount(durationMs, chunkLengthMs);
  return Array.from({ length: count }, (_, index) => chunkAt(durationMs, chunkLengthMs, count, index));
}

/** How many chunks {@link planChunks} cuts `durationMs` into, with the same checks, without building them. */
export function chunkCount(durationMs: number, chunkLengthMs: number): number {
  validateDurationMs(durationMs);
  validateChunkLengthMs(chunkLengthMs);
  const totalMs = Math.max(1, Math.round(durationMs));
  const tailMs = totalMs % chunkLengthMs;
  const count = Math.max(1, Math.ceil(totalMs / chunkLengthMs) - (tailMs > 0 && tailMs < chunkTailMsMin ? 1 : 0));
  if (count > chunksPerJobMax) {
    throw new RangeError(
      `durationMs ${durationMs} at chunkLengthMs ${chunkLengthMs} needs ${count} chunks, more than ${chunksPerJobMax}`,
    );
  }
  return count;
}

/** Chunk `index` of {@link planChunks}, or undefined past the last: one chunk without the whole plan. */
export function plannedChunk(durationMs: number, chunkLengthMs: number, index: number): ChunkSpec | undefined {
  const count = chunkCount(durationMs, chunkLengthMs);
  return Number.isInteger(index) && index >= 0 && index < count
    ? chunkAt(durationMs, chunkLengthMs, count, index)
    : undefined;
}

function chunkAt(durationMs: number, chunkLengthMs: number, count: number, index: number): ChunkSpec {
  const totalMs = Math.max(1, Math.round(durationMs));
  const startMs = index * chunkLengthMs;
  return { index, startMs, durationMs: index === count - 1 ? totalMs - startMs : chunkLengthMs };
}

/** What a recovery does next. */
export type RecoveryPlan =
  | { readonly kind: 'rechunk' }
  | {
      readonly kind: 'resume';
      readonly reextract: readonly { index: number; reason: 'missing' | 'corrupt' }[];
      readonly transcribe: readonly number[];
    }
  | { readonly kind: 'finalize' }
  | { readonly kind: 'fail'; readonly reason: 'state_corrupt'; readonly message: string }
  | { readonly kind: 'nothing'; readonly why: 'terminal' };

/**
 * Plans a recovery from a job snapshot and the checks of its pending chunk files. Committed
 * chunks are never scheduled (P2); only missing or corrupt pending chunks are re-extracted (P10).
 */
export function planRecovery(job: Job, checks: ReadonlyMap<number, ChunkFileStatus>): RecoveryPlan {
  switch (job.phase) {
    case 'completed':
    case 'failed':
      return { kind: 'nothing', why: 'terminal' };
    case 'queued':
    case 'chunking':
      return { kind: 'rechunk' };
    case 'finalizing':
      return { kind: 'finalize' };
    case 'transcribing':
      return planResume(job, checks);
  }
}

/** A transcribing job goes on with its pending chunks, re-extracting the missing or corrupt ones first. */
function planResume(job: Job, checks: ReadonlyMap<number, ChunkFileStatus>): RecoveryPlan {
  const pending = job.chunks.filter((chunk) => chunk.transcript === null).map((chunk) => chunk.index);
  if (pending.length === 0) return { kind: 'finalize' };
  const reextract: { index: number; reason: 'missing' | 'corrupt' }[] = [];
  for (const index of pending) {
    const status = checks.get(index);
    if (status === undefined)
      return { kind: 'fail', reason: 'state_corrupt', message: `chunk ${index} was not checked` };
    if (status !== 'ok') reextract.push({ index, reason: status });
  }
  return { kind: 'resume', reextract, transcribe: pending };
}
