/**
 * P5 Events: per job, seq is gapless from 1; every event validates against its schema; each
 * recovery attempt is recovery_started, then at most one processing_resumed, then exactly one of
 * recovery_completed / recovery_failed; and the events agree with the stored state (outbox).
 *
 * Replayed in order, every event must say what the events before it imply: chunk counts,
 * committed counts, remaining chunks, attempt numbers (attempt n is epoch n + 1), the previous
 * owner, the phase a recovery found, whether the previous owner released the job, recreated
 * chunks and durations of an attempt, transcript lengths, the recovery flag. The events of one
 * write come together (chunks_created + transcription_started, chunk_transcribed +
 * progress_update, chunk_failed + job_failed, transcription_completed + recovery_completed,
 * job_failed + recovery_failed, recovery_failed owner_lost + the claim's next event), nothing
 * follows a job's end but the closing of its attempt, each epoch has one writer (the holder its
 * grant names), every epoch from the second on opens with the claim that took it, and a recovery
 * attempt that commits a chunk wrote processing_resumed before it (the worker resumes before
 * its first commit: src/core/transition.ts).
 */
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import { isTerminal, type Job } from '../../src/core/types.js';
import { grantedAt, grantsOf, timesOf, type Grant } from './owners.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkEvents: Checker = (record) => {
  const violations: Violation[] = [];
  const grants = grantsOf(record.history);
  const releases = timesOf(record.history, 'release');
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
    const job = record.jobs.get(jobId);
    checkAttempts(events, job, add);
    checkAgreement(events, job, add);
    checkReplay(events, {
      jobId,
      job,
      corrupted: record.corruptedStates.has(jobId),
      grants,
      releases,
      simulated: record.liveness !== undefined,
      add,
    });
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
        if (open === null || open.attempt !== event.attempt)
          add(`${event.event} for attempt ${event.attempt}, which is not open`);
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
  const committed = new Set(
    events.flatMap((event) => (event.event === 'chunk_transcribed' ? [event.chunk_index] : [])),
  );
  for (const chunk of job.chunks) {
    if ((chunk.transcript !== null) !== committed.has(chunk.index)) {
      add(
        `chunk ${chunk.index} is ${chunk.transcript === null ? 'pending' : 'committed'} in state but ${committed.has(chunk.index) ? 'committed' : 'not'} in events`,
      );
    }
  }
  const completed = events.some((event) => event.event === 'transcription_completed');
  const failed = events.some((event) => event.event === 'job_failed');
  if (completed !== (job.phase === 'completed'))
    add(`phase ${job.phase} but transcription_completed ${completed ? 'present' : 'absent'}`);
  if (failed !== (job.phase === 'failed')) add(`phase ${job.phase} but job_failed ${failed ? 'present' : 'absent'}`);
  const created = events.find((event) => event.event === 'chunks_created');
  if (created !== undefined && job.chunks.length > 0 && created.total_chunks !== job.chunks.length) {
    add(`chunks_created says ${created.total_chunks} chunks, state has ${job.chunks.length}`);
  }
  if (events.length + 1 !== job.nextSeq)
    add(`state expects next seq ${job.nextSeq}, stream has ${events.length} events`);
}

/** What the replay of one job reads besides its events. */
interface ReplayContext {
  readonly jobId: string;
  readonly job: Job | undefined;
  /**
   * The fault plan hand-edited the job's stored state: the final state and the phase a recovery saw are not the
   * engine's.
   */
  readonly corrupted: boolean;
  readonly grants: ReadonlyMap<string, Grant>;
  readonly releases: ReadonlyMap<string, readonly number[]>;
  /**
   * A simulated run records a release when the store applied it (with an interleaved store, when it was sent, as a
   * live run does): a release sent is never applied after a claim that bumped the epoch, so either way a recorded
   * release came before any later claim.
   */
  readonly simulated: boolean;
  readonly add: (message: string) => void;
}

/** The recovery attempt open at a point of the replay. */
interface OpenAttempt {
  readonly number: number;
  readonly epoch: number;
  readonly startedAtMs: number;
  resumed: boolean;
  recreated: number;
}

/** Replays a job's events in order and checks every payload against the state they imply. */
function checkReplay(events: readonly JobEvent[], context: ReplayContext): void {
  const { job, corrupted, add } = context;
  let total: number | null = null;
  const committed = new Set<number>();
  let textChars = 0;
  let attempt: OpenAttempt | null = null;
  let ended: JobEvent | null = null;
  events.forEach((event, position) => {
    const previous = events[position - 1];
    const next = events[position + 1];
    const say = (text: string) => add(`seq ${event.seq} ${event.event}: ${text}`);
    const sameWrite = (other: JobEvent | undefined, name: JobEvent['event']) =>
      other?.event === name && other.epoch === event.epoch;
    const afterEnd = ended !== null && !(previous === ended && closesEnd(ended, event));
    if (afterEnd && ended !== null) say(`written after the job ended with ${ended.event}`);
    checkEpoch(event, previous, context, say);
    const expectedRecovery =
      attempt !== null ||
      event.event === 'recovery_started' ||
      (event.event === 'job_failed' && event.reason === 'recovery_attempts_exhausted');
    if (!afterEnd && event.recovery !== expectedRecovery)
      say(
        `recovery is ${event.recovery} while ${attempt === null ? 'no recovery attempt is open' : `recovery attempt ${attempt.number} is open`}`,
      );
    const chunkKnown = (index: number): boolean => {
      if (total === null) say('no chunks_created before it');
      else if (index >= total) say(`chunk ${index} is not one of the ${total} chunks`);
      else return true;
      return false;
    };
    switch (event.event) {
      case 'chunks_created':
        if (total !== null) say(`chunks planned again (${total} chunks before)`);
        total = event.total_chunks;
        if (!sameWrite(next, 'transcription_started')) say('not followed by transcription_started');
        if (job !== undefined && !corrupted) {
          if (event.chunk_length_ms !== job.chunkLengthMs)
            say(`chunk_length_ms ${event.chunk_length_ms}, the job's is ${job.chunkLengthMs}`);
          if (job.durationMs !== null && Math.abs(event.duration_ms - job.durationMs) > 1)
            say(`duration_ms ${event.duration_ms}, the job's is ${job.durationMs}`);
        }
        break;
      case 'transcription_started':
        if (previous?.event !== 'chunks_created' || previous.epoch !== event.epoch)
          say('not right after chunks_created');
        else if (previous.total_chunks !== event.total_chunks)
          say(`total_chunks ${event.total_chunks}, chunks_created says ${previous.total_chunks}`);
        break;
      case 'chunk_transcribed':
        if (chunkKnown(event.chunk_index) && !committed.has(event.chunk_index)) {
          committed.add(event.chunk_index);
          textChars += event.text_length;
        }
        if (attempt !== null && !attempt.resumed)
          say(
            `chunk ${event.chunk_index} committed in recovery attempt ${attempt.number} before its processing_resumed`,
          );
        if (!sameWrite(next, 'progress_update')) say('not followed by progress_update');
        if (job !== undefined && !corrupted) {
          const text = job.chunks[event.chunk_index]?.transcript;
          if (typeof text === 'string' && text.length !== event.text_length)
            say(`text_length ${event.text_length}, the stored transcript has ${text.length} characters`);
        }
        break;
      case 'progress_update':
        if (sameWrite(previous, 'chunk_transcribed')) {
          if (event.completed_chunks !== committed.size)
            say(`completed_chunks ${event.completed_chunks}, the events before it commit ${committed.size}`);
          if (event.total_chunks !== total)
            say(`total_chunks ${event.total_chunks}, chunks_created says ${total ?? 'nothing'}`);
        } else if (sameWrite(next, 'transcription_completed')) {
          if (event.completed_chunks !== total || event.total_chunks !== total)
            say(
              `completes ${event.completed_chunks}/${event.total_chunks} chunks, chunks_created says ${total ?? 'nothing'}`,
            );
        } else {
          say('neither follows a chunk_transcribed nor precedes transcription_completed');
        }
        break;
      case 'transcription_completed': {
        ended = event;
        if (total === null) {
          say('no chunks_created before it');
          break;
        }
        if (committed.size !== total) say(`${committed.size} of ${total} chunks committed before it`);
        if (event.total_chunks !== total) say(`total_chunks ${event.total_chunks}, chunks_created says ${total}`);
        const expectedLength = textChars + Math.max(0, total - 1);
        if (event.transcript_length !== expectedLength)
          say(
            `transcript_length ${event.transcript_length}, the committed texts joined by spaces make ${expectedLength}`,
          );
        if (
          job?.phase === 'completed' &&
          job.transcript !== null &&
          !corrupted &&
          job.transcript.length !== event.transcript_length
        ) {
          say(
            `transcript_length ${event.transcript_length}, the stored transcript has ${job.transcript.length} characters`,
          );
        }
        break;
      }
      case 'chunk_failed':
        if (chunkKnown(event.chunk_index) && committed.has(event.chunk_index))
          say(`chunk ${event.chunk_index} was already committed`);
        if (!sameWrite(next, 'job_failed')) say('not followed by job_failed');
        break;
      case 'chunk_recreated':
        if (chunkKnown(event.chunk_index) && committed.has(event.chunk_index))
          say(`chunk ${event.chunk_index} was already committed`);
        if (attempt !== null) attempt.recreated += 1;
        break;
      case 'job_failed':
        ended = event;
        if (job !== undefined && job.failure !== null && job.failure.reason !== event.reason)
          say(`reason ${event.reason}, the stored failure is ${job.failure.reason}`);
        if (
          event.reason === 'recovery_attempts_exhausted' &&
          !(
            sameWrite(previous, 'recovery_failed') &&
            previous?.event === 'recovery_failed' &&
            previous.recovery_result === 'owner_lost'
          )
        ) {
          say('the claim that exhausted the job did not close the attempt its previous owner left open');
        }
        if (
          attempt !== null &&
          !(
            sameWrite(next, 'recovery_failed') &&
            next?.event === 'recovery_failed' &&
            next.recovery_result === 'job_failed' &&
            next.reason === event.reason
          )
        ) {
          say(
            `recovery attempt ${attempt.number} is open but not closed by recovery_failed (job_failed, ${event.reason}) right after`,
          );
        }
        break;
      case 'recovery_started':
        checkRecoveryStarted(event, events, { total, committed: committed.size }, context, say);
        attempt = {
          number: event.attempt,
          epoch: event.epoch,
          startedAtMs: event.timestamp,
          resumed: false,
          recreated: 0,
        };
        break;
      case 'processing_resumed':
        if (attempt !== null) {
          if (attempt.epoch !== event.epoch)
            say(`written under epoch ${event.epoch}, recovery attempt ${attempt.number} holds epoch ${attempt.epoch}`);
          attempt.resumed = true;
        }
        if (total === null) say('no chunks_created before it');
        else if (event.completed_chunks !== committed.size || event.remaining_chunks !== total - committed.size) {
          say(
            `${event.completed_chunks} done, ${event.remaining_chunks} remaining; the events before it make ${committed.size} done, ${total - committed.size} remaining`,
          );
        }
        break;
      case 'recovery_completed':
        if (!sameWrite(previous, 'transcription_completed')) say('not right after transcription_completed');
        if (attempt !== null) {
          if (event.recreated_chunks !== attempt.recreated)
            say(`recreated_chunks ${event.recreated_chunks}, the attempt recreated ${attempt.recreated}`);
          const durationMs = Math.max(0, event.timestamp - attempt.startedAtMs);
          if (event.duration_ms !== durationMs)
            say(`duration_ms ${event.duration_ms}, the attempt started ${durationMs} ms before`);
          if (attempt.epoch !== event.epoch)
            say(`written under epoch ${event.epoch}, recovery attempt ${attempt.number} holds epoch ${attempt.epoch}`);
        }
        attempt = null;
        break;
      case 'recovery_failed':
        if (event.recovery_result === 'owner_lost') {
          if (event.reason !== 'owner_lost') say(`reason ${event.reason} for an owner lost`);
          if (attempt !== null && event.epoch !== attempt.epoch + 1)
            say(
              `written under epoch ${event.epoch}; the claim after epoch ${attempt.epoch} takes epoch ${attempt.epoch + 1}`,
            );
          const claimGoesOn =
            sameWrite(next, 'recovery_started') ||
            (next?.event === 'job_failed' &&
              next.epoch === event.epoch &&
              next.reason === 'recovery_attempts_exhausted');
          if (!claimGoesOn)
            say('the claim that closed the attempt neither started a recovery nor failed the job as exhausted');
        } else if (!(
          previous?.event === 'job_failed' &&
          previous.epoch === event.epoch &&
          previous.reason === event.reason
        )) {
          say(`not right after job_failed with reason ${event.reason}`);
        }
        attempt = null;
        break;
    }
  });
}

/** The events a job's end may be followed by, in the same write: the closing of its open recovery attempt. */
function closesEnd(ended: JobEvent, event: JobEvent): boolean {
  if (ended.event === 'transcription_completed') return event.event === 'recovery_completed';
  return ended.event === 'job_failed' && event.event === 'recovery_failed' && event.recovery_result === 'job_failed';
}

/**
 * Epochs only go up, one at a time from the first that wrote; each has one writer, the holder its grant names; each
 * from the second on opens with its claim.
 */
function checkEpoch(
  event: JobEvent,
  previous: JobEvent | undefined,
  context: ReplayContext,
  say: (text: string) => void,
): void {
  if (previous !== undefined && event.epoch === previous.epoch) {
    if (event.worker_id !== previous.worker_id)
      say(`written by ${event.worker_id} under epoch ${event.epoch}, which ${previous.worker_id} wrote under`);
    return;
  }
  if (previous !== undefined && event.epoch < previous.epoch) {
    say(`epoch ${event.epoch} after epoch ${previous.epoch}`);
    return;
  }
  // A first owner that crashed while chunking leaves epoch 1 without an event; every later claim writes one.
  const expected = previous === undefined ? [1, 2] : [previous.epoch + 1];
  if (!expected.includes(event.epoch))
    say(`epoch ${event.epoch} follows epoch ${previous?.epoch ?? 'none'}: the claims in between left no event`);
  if (event.epoch >= 2 && !opensEpoch(event))
    say(
      `opens epoch ${event.epoch}, which only a claim (recovery_started, recovery_failed owner_lost, job_failed exhausted) or a quarantine may open`,
    );
  const grant = context.grants.get(`${context.jobId}#${event.epoch}`);
  if (!context.corrupted && grant !== undefined && grant.actor !== 'unseen' && grant.actor !== event.worker_id) {
    say(`written by ${event.worker_id} under epoch ${event.epoch}, which was granted to ${grant.actor}`);
  }
}

/** True for the first event of a claim of a started job, or of a quarantine. */
function opensEpoch(event: JobEvent): boolean {
  switch (event.event) {
    case 'recovery_started':
      return true;
    case 'recovery_failed':
      return event.recovery_result === 'owner_lost';
    case 'job_failed':
      return event.reason === 'recovery_attempts_exhausted' || event.reason === 'state_corrupt';
    default:
      return false;
  }
}

/**
 * A recovery's own payload: its attempt is its epoch's, its previous owner held the epoch before, it found the phase
 * the events imply, and it was released only if that owner released it.
 */
function checkRecoveryStarted(
  event: Extract<JobEvent, { event: 'recovery_started' }>,
  events: readonly JobEvent[],
  replayed: { total: number | null; committed: number },
  context: ReplayContext,
  say: (text: string) => void,
): void {
  const { jobId, grants } = context;
  if (event.attempt !== event.epoch - 1)
    say(
      `attempt ${event.attempt} under epoch ${event.epoch}: every epoch after the first is a recovery, so attempt n holds epoch n + 1`,
    );
  const grant = grants.get(`${jobId}#${event.epoch - 1}`);
  const holder =
    grant !== undefined && grant.actor !== 'unseen'
      ? grant.actor
      : events.findLast((other) => other.epoch === event.epoch - 1)?.worker_id;
  if (!context.corrupted && holder !== undefined && holder !== event.previous_owner)
    say(`previous_owner ${event.previous_owner}, but epoch ${event.epoch - 1} was held by ${holder}`);
  const phase =
    replayed.total === null ? 'chunking' : replayed.committed < replayed.total ? 'transcribing' : 'finalizing';
  if (!context.corrupted && event.phase !== phase)
    say(`phase ${event.phase}, the events before it leave the job ${phase}`);
  const sinceMs = grantedAt(grants, events, jobId, event.epoch - 1) ?? Number.NEGATIVE_INFINITY;
  const released = (context.releases.get(`${event.previous_owner}|${jobId}`) ?? []).some(
    (t) => t >= sinceMs && t <= event.timestamp,
  );
  if (event.recovery_type === 'released' && !released)
    say(`recovery_type released, but ${event.previous_owner} released no lease on ${jobId} before it`);
  if (event.recovery_type === 'lease_expired' && released && context.simulated)
    say(`recovery_type lease_expired, but ${event.previous_owner} had released the job`);
}

/** P5 Events, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({ id: 'P5', title: 'Events', liveness: false, check: checkEvents });
