/**
 * P6 Progress: at every progress_update, the progress is the one the committed count implies at
 * that point (floor of committed over total, capped at 99: src/core/progress.ts), or 100 in the
 * update of the write that completes the job and nowhere else; it never goes down over a job's
 * whole history; and it reaches 100 if and only if the job completed.
 */
import { progressPercent } from '../../src/core/progress.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkProgress: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, events] of record.events) {
    const add = (message: string) => violations.push({ promise: 'P6', job: jobId, message });
    let previous = -1;
    let reached100 = false;
    let total: number | null = null;
    const committed = new Set<number>();
    events.forEach((event, position) => {
      if (event.event === 'chunks_created') total ??= event.total_chunks;
      if (event.event === 'chunk_transcribed') committed.add(event.chunk_index);
      if (event.event !== 'progress_update') return;
      const before = events[position - 1];
      const after = events[position + 1];
      const afterCommit = before?.event === 'chunk_transcribed' && before.epoch === event.epoch;
      const completes = after?.event === 'transcription_completed' && after.epoch === event.epoch;
      if (afterCommit && total !== null) {
        const expected = progressPercent(committed.size, total, false);
        if (event.progress !== expected)
          add(
            `progress ${event.progress} at seq ${event.seq}, ${committed.size} of ${total} chunks committed make ${expected}`,
          );
      } else if (completes && event.progress !== 100) {
        add(`progress ${event.progress} at seq ${event.seq}, where the job completes`);
      } else if (!completes && event.progress === 100) {
        add(`progress 100 at seq ${event.seq}, which does not complete the job`);
      }
      if (event.progress < previous) {
        add(`progress went from ${previous} to ${event.progress} (seq ${event.seq})`);
      }
      previous = Math.max(previous, event.progress);
      if (event.progress === 100) reached100 = true;
    });
    const completed = record.jobs.get(jobId)?.phase === 'completed';
    if (reached100 !== completed) {
      add(reached100 ? 'progress reached 100 but the job did not complete' : 'completed without progress 100');
    }
  }
  return violations;
};

/** P6 Progress, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P6', title: 'Progress', liveness: false, check: checkProgress });
