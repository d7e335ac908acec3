/**
 * Invariants over one job's state. A store or worker that finds one broken on load treats the
 * state as corrupt (P10): it never steps a job it cannot trust.
 */
import { assembleTranscript } from './progress.js';
import { failureReasons, isSha256Hex, phases, type Job } from './types.js';

/** Every invariant `job` breaks, as short sentences; empty when the state is consistent. */
export function jobInvariantProblems(job: Job): string[] {
  // Each message is built only when its check fails: a job is checked on every load, and nearly always holds.
  const problems: string[] = [];
  const { phase, recovery } = job;
  if (!phases.includes(phase)) problems.push(`unknown phase ${JSON.stringify(phase)}`);
  if (!Number.isSafeInteger(job.epoch) || job.epoch < 0)
    problems.push(`epoch ${job.epoch} is not a non-negative integer`);
  if (!Number.isSafeInteger(job.nextSeq) || job.nextSeq < 1)
    problems.push(`nextSeq ${job.nextSeq} is not a positive integer`);
  if (phase === 'queued') {
    if (job.epoch !== 0) problems.push('a queued job has been leased');
    if (job.owner !== null) problems.push('a queued job has an owner');
  } else if (!(job.epoch >= 1) || job.owner === null) problems.push(`phase ${phase} without a lease grant`);
  if ((phase === 'queued' || phase === 'chunking') && job.chunks.length > 0)
    problems.push(`phase ${phase} with planned chunks`);
  if (phase === 'transcribing' || phase === 'finalizing' || phase === 'completed') {
    if (job.chunks.length === 0) problems.push(`phase ${phase} without chunks`);
    if (job.durationMs === null) problems.push(`phase ${phase} without a duration`);
  }
  let pending = 0;
  for (const [position, chunk] of job.chunks.entries()) {
    if (chunk.index !== position) problems.push(`chunk at position ${position} has index ${chunk.index}`);
    if (!isSha256Hex(chunk.sha256)) problems.push(`chunk ${position} has no valid sha256`);
    if (!Number.isInteger(chunk.bytes) || chunk.bytes < 0) problems.push(`chunk ${position} has no valid size`);
    if (chunk.transcript === null) pending += 1;
    else if (typeof chunk.transcript !== 'string') problems.push(`chunk ${position} transcript is not text`);
  }
  if (phase === 'transcribing' && pending === 0) problems.push('transcribing with every chunk committed');
  if ((phase === 'finalizing' || phase === 'completed') && pending > 0)
    problems.push(`phase ${phase} with ${pending} pending chunks`);
  if (phase === 'completed' && job.transcript !== assembleTranscript(job.chunks))
    problems.push('completed transcript differs from its chunks');
  if (phase !== 'completed' && job.transcript !== null) problems.push(`phase ${phase} with a final transcript`);
  if (phase === 'failed' && (job.failure === null || !failureReasons.includes(job.failure.reason)))
    problems.push('failed without a known reason');
  if (phase !== 'failed' && job.failure !== null) problems.push(`phase ${phase} with a failure`);
  if (recovery.open && !(recovery.attempts >= 1)) problems.push('an open recovery with no attempt counted');
  if (!Number.isSafeInteger(recovery.handovers) || recovery.handovers < 0 || !(recovery.handovers <= recovery.attempts))
    problems.push(`${recovery.handovers} hand-overs is not a count within the ${recovery.attempts} recoveries`);
  if (recovery.open && (phase === 'completed' || phase === 'failed'))
    problems.push('a terminal job with an open recovery');
  return problems;
}
