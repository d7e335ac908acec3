/**
 * P5 Events: per job, seq is gapless from 1; every event validates against its schema; each
 * recovery attempt is recovery_started, then at most one processing_resumed, then exactly one of
 * recovery_completed / recovery_failed; and the events agree with the stored state (outbox).
 */
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import { isTerminal, type Job } from '../../src/core/types.js';
import type { Checker, Violation } from './types.js';

export const checkEvents: Checker = (record) => {
  const violations: Violation[] = [];
  for (const [jobId, events] of record.events) {
    const add = (message: string) => violations.push({ promise: 'P5', job: jobId, message });
    events.forEach((event, position) => {
      if (event.seq !== position + 1) add(`event ${position + 1} has seq ${event.seq}`);
      try {
        parseEvent(event);
      } catch (error) {
        add((error as Error).message);
      }
    });
    checkAttempts(events, record.jobs.get(jobId), add);
    checkAgreement(events, record.jobs.get(jobId), add);
  }
  return violations;
};

function checkAttempts(events: readonly JobEvent[], job: Job | undefined, add: (message: string) => void): void {
  let open: { attempt: number; resumed: boolean } | null = null;
  let last = 0;
  for (const event of events) {
    switch (event.event) {
      case 'recovery_started':
        if (open !== null) add(`recovery attempt ${event.attempt} started while attempt ${open.attempt} was open`);
        if (event.attempt !== last + 1) add(`recovery attempt ${event.attempt} follows attempt ${last}`);
        open = { attempt: event.attempt, resumed: false };
        last = event.attempt;
        break;
      case 'processing_resumed':
        if (open === null) add('processing_resumed outside a recovery attempt');
        else if (open.resumed) add(`processing_resumed twice in attempt ${open.attempt}`);
        else open.resumed = true;
        break;
      case 'recovery_completed':
      case 'recovery_failed':
        if (open === null || open.attempt !== event.attempt) add(`${event.event} for attempt ${event.attempt}, which is not open`);
        open = null;
        break;
      default:
        break;
    }
  }
  if (open !== null && job !== undefined && isTerminal(job.phase)) add(`recovery attempt ${open.attempt} never ended`);
}

function checkAgreement(events: readonly JobEvent[], job: Job | undefined, add: (message: string) => void): void {
  if (job === undefined) return;
  const committed = new Set(events.flatMap((event) => (event.event === 'chunk_transcribed' ? [event.chunk_index] : [])));
  for (const chunk of job.chunks) {
    if ((chunk.transcript !== null) !== committed.has(chunk.index)) {
      add(`chunk ${chunk.index} is ${chunk.transcript === null ? 'pending' : 'committed'} in state but ${committed.has(chunk.index) ? 'committed' : 'not'} in events`);
    }
  }
  const completed = events.some((event) => event.event === 'transcription_completed');
  const failed = events.some((event) => event.event === 'job_failed');
  if (completed !== (job.phase === 'completed')) add(`phase ${job.phase} but transcription_completed ${completed ? 'present' : 'absent'}`);
  if (failed !== (job.phase === 'failed')) add(`phase ${job.phase} but job_failed ${failed ? 'present' : 'absent'}`);
  const created = events.find((event) => event.event === 'chunks_created');
  if (created !== undefined && job.chunks.length > 0 && created.total_chunks !== job.chunks.length) {
    add(`chunks_created says ${created.total_chunks} chunks, state has ${job.chunks.length}`);
  }
  if (events.length + 1 !== job.nextSeq) add(`state expects next seq ${job.nextSeq}, stream has ${events.length} events`);
}
