/**
 * P3 One commit per chunk: each chunk is committed at most once, exactly once in a completed job,
 * and every applied commit carries the job's current epoch (a stale one is refused by the store).
 */
import { definePromise, type Checker, type Violation } from './types.js';

export const checkOneCommit: Checker = (record) => {
  const violations: Violation[] = [];
  const commits = new Map<string, number>();
  const epochs = new Map<string, number>();
  const { history } = record;
  for (const position of history.positionsOf('grant', 'commit')) {
    const entry = history.entries[position];
    if (entry?.kind === 'grant') epochs.set(entry.job, entry.epoch);
    if (entry?.kind !== 'commit') continue;
    const key = `${entry.job}/${entry.index}`;
    const count = (commits.get(key) ?? 0) + 1;
    commits.set(key, count);
    if (count > 1)
      violations.push({
        promise: 'P3',
        job: entry.job,
        entry: position,
        message: `chunk ${entry.index} committed ${count} times`,
      });
    const current = epochs.get(entry.job);
    if (current !== entry.epoch) {
      violations.push({
        promise: 'P3',
        job: entry.job,
        entry: position,
        message: `chunk ${entry.index} committed with epoch ${entry.epoch} while the job's epoch was ${current}`,
      });
    }
  }
  for (const [jobId, events] of record.events) {
    const seen = new Map<number, number>();
    for (const event of events) {
      if (event.event === 'chunk_transcribed') seen.set(event.chunk_index, (seen.get(event.chunk_index) ?? 0) + 1);
    }
    for (const [index, count] of seen) {
      if (count > 1)
        violations.push({ promise: 'P3', job: jobId, message: `${count} chunk_transcribed events for chunk ${index}` });
    }
    const job = record.jobs.get(jobId);
    if (job?.phase === 'completed' && seen.size !== job.chunks.length) {
      violations.push({
        promise: 'P3',
        job: jobId,
        message: `completed with ${seen.size} of ${job.chunks.length} chunks committed`,
      });
    }
  }
  return violations;
};

/** P3 One commit per chunk, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({
  id: 'P3',
  title: 'One commit per chunk',
  liveness: false,
  check: checkOneCommit,
});
