/**
 * Progress (P6): committed chunks over total, as a percentage that reaches 100 only when the job
 * has completed, so that it is monotone over a job's whole event history.
 */
import type { Chunk } from './types.js';

/** Percentage of `completed` of `total`, floored, and capped at 99 until `jobCompleted`. */
export function progressPercent(completed: number, total: number, jobCompleted: boolean): number {
  if (jobCompleted) return 100;
  if (total <= 0) return 0;
  return Math.min(99, Math.floor((100 * completed) / total));
}

/** Number of chunks with a committed transcript. */
export function committedCount(chunks: readonly Chunk[]): number {
  let count = 0;
  for (const chunk of chunks) if (chunk.transcript !== null) count += 1;
  return count;
}

/** The final transcript: chunk texts in index order, joined by one space. */
export function assembleTranscript(chunks: readonly Chunk[]): string {
  return chunks.map((chunk) => chunk.transcript ?? '').join(' ');
}
