/**
 * Invariants over one job's state. A store or worker that finds one broken on load treats the
 * state as corrupt (P10): it never steps a job it cannot trust.
 */
import { assembleTranscript } from './progress.js';
import { failureReasons, phases, type Job } from './types.js';

/** Every invariant `job` breaks, as short sentences; empty when the state is consistent. */
export function jobInvariantProblems(job: Job): string[] {
  const problems: string[] = [];
  const check = (holds: boolean, problem: string): void => {
    if (!holds) problems.push(problem);
  };
  check(phases.includes(job.phase), `unknown phase ${JSON.stringify(job.phase)}`);
  check(Number.isSafeInteger(job.epoch) && job.epoch >= 0, `epoch ${job.epoch} is not a non-negative integer`);
  check(Number.isSafeInteger(job.nextSeq) && job.nextSeq >= 1, `nextSeq ${job.nextSeq} is not a positive integer`);
  if (job.phase === 'queued') {
    check(job.epoch === 0, 'a queued job has been leased');
    check(job.owner === null, 'a queued job has an owner');
  }
  if (job.phase !== 'queued') check(job.epoch >= 1 && job.owner !== null, `phase ${job.phase} without a lease grant`);
  const planned = job.phase === 'transcribing' || job.phase === 'finalizing' || job.phase === 'completed';
  if (job.phase === 'queued' || job.phase === 'chunking')
    check(job.chunks.length === 0, `phase ${job.phase} with planned chunks`);
  if (planned) {
    check(job.chunks.length > 0, `phase ${job.phase} without chunks`);
    check(job.durationMs !== null, `phase ${job.phase} without a duration`);
  }
  job.chunks.forEach((chunk, position) => {
    check(chunk.index === position, `chunk at position ${position} has index ${chunk.index}`);
    check(/^[0-9a-f]{64}$/.test(chunk.sha256), `chunk ${position} has no valid sha256`);
    check(Number.isInteger(chunk.bytes) && chunk.bytes >= 0, `chunk ${position} has no valid size`);
    check(
      chunk.transcript === null || typeof chunk.transcript === 'string',
      `chunk ${position} transcript is not text`,
    );
  });
  const pending = job.chunks.filter((chunk) => chunk.transcript === null).length;
  if (job.phase === 'transcribing') check(pending > 0, 'transcribing with every chunk committed');
  if (job.phase === 'finalizing' || job.phase === 'completed')
    check(pending === 0, `phase ${job.phase} with ${pending} pending chunks`);
  if (job.phase === 'completed')
    check(job.transcript === assembleTranscript(job.chunks), 'completed transcript differs from its chunks');
  if (job.phase !== 'completed') check(job.transcript === null, `phase ${job.phase} with a final transcript`);
  if (job.phase === 'failed')
    check(job.failure !== null && failureReasons.includes(job.failure.reason), 'failed without a known reason');
  if (job.phase !== 'failed') check(job.failure === null, `phase ${job.phase} with a failure`);
  check(!job.recovery.open || job.recovery.attempts >= 1, 'an open recovery with no attempt counted');
  check(
    Number.isSafeInteger(job.recovery.handovers) &&
      job.recovery.handovers >= 0 &&
      job.recovery.handovers <= job.recovery.attempts,
    `${job.recovery.handovers} hand-overs is not a count within the ${job.recovery.attempts} recoveries`,
  );
  check(
    !(job.recovery.open && (job.phase === 'completed' || job.phase === 'failed')),
    'a terminal job with an open recovery',
  );
  return problems;
}
