/**
 * The store operations as pure functions: `(job, request, nowMs) → outcome`. This file is the
 * executable specification every JobStore implements. The memory store applies these functions
 * under a lock; the Redis store's Lua scripts check the same preconditions in the same order and
 * write the same state and events, and a differential test holds them to it.
 *
 * Order of checks in every write: existence → duplicate request → fencing (epoch and owner) →
 * terminal phase → operation-specific preconditions. Nothing is written unless all pass.
 */
import { produce, type Draft } from './immer.js';
import { assert } from './assert.js';
import { unvalidatedEvent, type EventBody, type JobEvent } from './events.js';
import { assembleTranscript, committedCount, progressPercent } from './progress.js';
import {
  isTerminal,
  isSha256Hex,
  clipMessage,
  type ExtractedChunk,
  type FailureReason,
  type Job,
  type Phase,
  type RecoveryState,
} from './types.js';

/** An operation that was applied (or recognised as already applied, `duplicate`). */
export interface Applied {
  readonly kind: 'ok';
  readonly job: Job;
  readonly events: readonly JobEvent[];
  /** True when the request id matched the last applied write: nothing new was written. */
  readonly duplicate: boolean;
}

/** Why an operation was refused; nothing was written. */
export type Refusal =
  | { readonly kind: 'not_found' }
  | { readonly kind: 'already_exists' }
  | { readonly kind: 'stale_epoch'; readonly epoch: number }
  | { readonly kind: 'terminal'; readonly phase: Phase }
  | { readonly kind: 'invalid_state'; readonly phase: Phase; readonly detail: string }
  | { readonly kind: 'already_committed'; readonly index: number }
  | { readonly kind: 'not_claimable'; readonly reason: 'leased' | 'terminal' };

/** A claim that found the job out of recovery attempts: the job was failed by the claim itself. */
export interface Exhausted {
  readonly kind: 'exhausted';
  readonly job: Job;
  readonly events: readonly JobEvent[];
}

export type Outcome = Applied | Refusal;
export type ClaimOutcome = Applied | Exhausted | Refusal;

/** Fields common to every fenced write. */
export interface Fenced {
  readonly jobId: string;
  readonly workerId: string;
  readonly epoch: number;
  /** Unique per logical write; a retry of the same write reuses it. */
  readonly requestId: string;
}

export interface CreateRequest {
  readonly jobId: string;
  readonly source: string;
  readonly chunkLengthMs: number;
}
export interface ClaimRequest {
  readonly jobId: string;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly recoveryAttemptsMax: number;
  readonly requestId: string;
}
export interface RenewRequest {
  readonly jobId: string;
  readonly workerId: string;
  readonly epoch: number;
  readonly leaseMs: number;
}
export interface PlanRequest extends Fenced {
  readonly durationMs: number;
  readonly chunks: readonly ExtractedChunk[];
}
export interface RecreatedRequest extends Fenced {
  readonly index: number;
  readonly reason: 'missing' | 'corrupt';
  readonly bytes: number;
  readonly sha256: string;
}
export interface CommitRequest extends Fenced {
  readonly index: number;
  readonly transcript: string;
}
export interface FailRequest extends Fenced {
  readonly reason: FailureReason;
  readonly message: string;
  /** The chunk whose failure failed the job, if any: a `chunk_failed` event is emitted first. */
  readonly chunkIndex?: number | undefined;
  readonly retryable?: boolean | undefined;
}
export interface QuarantineRequest {
  readonly jobId: string;
  readonly workerId: string;
  readonly message: string;
}

/** A job as created: queued, never leased. */
export function newJob(request: CreateRequest, nowMs: number): Job {
  return {
    id: request.jobId,
    source: request.source,
    chunkLengthMs: request.chunkLengthMs,
    durationMs: null,
    phase: 'queued',
    epoch: 0,
    owner: null,
    leaseExpiresAtMs: 0,
    chunks: [],
    recovery: { attempts: 0, handovers: 0, open: false, startedAtMs: 0, resumed: false, recreatedChunks: 0 },
    failure: null,
    transcript: null,
    nextSeq: 1,
    lastRequestId: null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  };
}

/**
 * `{ ...job, ...changes[0], ...changes[1], … }`, with the job's fields named one by one (in {@link newJob}'s
 * order): on Node 20, V8 copies a spread of an object this size several times slower than a literal that names each
 * field, and commits and renewals copy the job on every write. The type makes a field missing here a compile error.
 */
function jobWith(job: Job, ...changes: Partial<Job>[]): Job {
  const copy: { -readonly [K in keyof Job]: Job[K] } = {
    id: job.id,
    source: job.source,
    chunkLengthMs: job.chunkLengthMs,
    durationMs: job.durationMs,
    phase: job.phase,
    epoch: job.epoch,
    owner: job.owner,
    leaseExpiresAtMs: job.leaseExpiresAtMs,
    chunks: job.chunks,
    recovery: job.recovery,
    failure: job.failure,
    transcript: job.transcript,
    nextSeq: job.nextSeq,
    lastRequestId: job.lastRequestId,
    createdAtMs: job.createdAtMs,
    updatedAtMs: job.updatedAtMs,
  };
  for (const change of changes)
    for (const key in change) (copy as Record<string, unknown>)[key] = (change as Record<string, unknown>)[key];
  return copy;
}

/** `recovery` with its attempt closed, its fields in their usual order. */
function closed(recovery: RecoveryState): RecoveryState {
  const { attempts, handovers, startedAtMs, resumed, recreatedChunks } = recovery;
  return { attempts, handovers, open: false, startedAtMs, resumed, recreatedChunks };
}

/** Create: a new queued job, or `ok` (duplicate) for the same job created again. */
export function create(existing: Job | null, request: CreateRequest, nowMs: number): Outcome {
  if (existing !== null) {
    const same = existing.source === request.source && existing.chunkLengthMs === request.chunkLengthMs;
    return same ? { kind: 'ok', job: existing, events: [], duplicate: true } : { kind: 'already_exists' };
  }
  return { kind: 'ok', job: newJob(request, nowMs), events: [], duplicate: false };
}

/** True when `job` has a lease that is valid at `nowMs`. */
export function isLeased(job: Job, nowMs: number): boolean {
  return job.owner !== null && job.leaseExpiresAtMs > nowMs;
}

/**
 * Claim: grant a lease on a queued job, or on a started job whose lease ran out or was released
 * (a recovery). Every grant increments the epoch. A recovery closes the previous attempt if it
 * was left open (`recovery_failed`, owner_lost), then opens a new one (`recovery_started`). A
 * claim after a release is a hand-over (`recovery_type` released): it counts as an attempt but
 * not toward `recoveryAttemptsMax`. A claim after a lease ran out (lease_expired, a crash) past
 * `recoveryAttemptsMax` such recoveries fails the job instead.
 */
export function claim(job: Job | null, request: ClaimRequest, nowMs: number): ClaimOutcome {
  if (job === null) return { kind: 'not_found' };
  if (job.lastRequestId === request.requestId && job.owner === request.workerId) {
    return { kind: 'ok', job, events: [], duplicate: true };
  }
  if (isTerminal(job.phase)) return { kind: 'not_claimable', reason: 'terminal' };
  if (isLeased(job, nowMs)) return { kind: 'not_claimable', reason: 'leased' };
  const epoch = job.epoch + 1;
  if (job.phase === 'queued') {
    const claimed = jobWith(job, {
      phase: 'chunking',
      epoch,
      owner: request.workerId,
      leaseExpiresAtMs: nowMs + request.leaseMs,
      lastRequestId: request.requestId,
      updatedAtMs: nowMs,
    });
    return { kind: 'ok', job: claimed, events: [], duplicate: false };
  }
  const previousOwner = job.owner;
  assert(previousOwner !== null, `job ${job.id} in phase ${job.phase} has no previous owner`);
  const writer = new EventWriter(job, request.workerId, epoch, nowMs, true);
  if (job.recovery.open) {
    writer.add({
      event: 'recovery_failed',
      recovery_result: 'owner_lost',
      attempt: job.recovery.attempts,
      reason: 'owner_lost',
      message: `owner ${previousOwner} stopped before finishing recovery attempt ${job.recovery.attempts}`,
    });
  }
  const handover = job.leaseExpiresAtMs === 0;
  const { attempts, handovers } = job.recovery;
  const crashRecoveries = attempts - handovers;
  if (!handover && crashRecoveries >= request.recoveryAttemptsMax) {
    const message = `job abandoned by its owner after ${crashRecoveries} crash recoveries and ${handovers} hand-overs (max ${request.recoveryAttemptsMax} crash recoveries)`;
    writer.add({ event: 'job_failed', reason: 'recovery_attempts_exhausted', message });
    const failed = writer.finishWith({
      phase: 'failed',
      epoch,
      owner: request.workerId,
      leaseExpiresAtMs: 0,
      failure: { reason: 'recovery_attempts_exhausted', message },
      recovery: closed(job.recovery),
      lastRequestId: request.requestId,
    });
    return { kind: 'exhausted', job: failed.job, events: failed.events };
  }
  const attempt = attempts + 1;
  const recoveryType = handover ? 'released' : 'lease_expired';
  writer.add({
    event: 'recovery_started',
    attempt,
    recovery_type: recoveryType,
    previous_owner: previousOwner,
    phase: job.phase,
    message: `recovering job ${job.id} from phase ${job.phase}: ${recoveryType === 'released' ? 'released by' : 'lease expired for'} ${previousOwner}`,
  });
  return writer.finishWith({
    epoch,
    owner: request.workerId,
    leaseExpiresAtMs: nowMs + request.leaseMs,
    lastRequestId: request.requestId,
    recovery: {
      attempts: attempt,
      handovers: handover ? handovers + 1 : handovers,
      open: true,
      startedAtMs: nowMs,
      resumed: false,
      recreatedChunks: 0,
    },
  });
}

/** Renew: extend the lease of its current holder. Writes no event and no request id. */
export function renew(job: Job | null, request: RenewRequest, nowMs: number): Outcome {
  if (job === null) return { kind: 'not_found' };
  if (job.epoch !== request.epoch || job.owner !== request.workerId || job.leaseExpiresAtMs === 0) {
    return { kind: 'stale_epoch', epoch: job.epoch };
  }
  if (isTerminal(job.phase)) return { kind: 'terminal', phase: job.phase };
  // A plain update, as in commit: renewals are among the most frequent writes.
  const renewed = jobWith(job, { leaseExpiresAtMs: Math.max(job.leaseExpiresAtMs, nowMs + request.leaseMs) });
  return { kind: 'ok', job: renewed, events: [], duplicate: false };
}

/** The checks every fenced write makes first; undefined when the write may go on. */
function fence(job: Job | null, request: Fenced): Refusal | 'duplicate' | undefined {
  if (job === null) return { kind: 'not_found' };
  if (job.lastRequestId === request.requestId) return 'duplicate';
  if (job.epoch !== request.epoch || job.owner !== request.workerId) return { kind: 'stale_epoch', epoch: job.epoch };
  if (isTerminal(job.phase)) return { kind: 'terminal', phase: job.phase };
  return undefined;
}

/** Runs `body` unless the fence refuses; a duplicate request returns the job unchanged. */
function fenced(job: Job | null, request: Fenced, body: (job: Job) => Outcome): Outcome {
  const refusal = fence(job, request);
  if (refusal === 'duplicate') {
    assert(job !== null, 'duplicate implies an existing job');
    return { kind: 'ok', job, events: [], duplicate: true };
  }
  if (refusal !== undefined) return refusal;
  assert(job !== null, 'fence passed implies an existing job');
  return body(job);
}

/** Record the chunk plan: chunking → transcribing, emits `chunks_created`, `transcription_started`. */
export function recordPlan(job: Job | null, request: PlanRequest, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    if (current.phase !== 'chunking') return invalid(current, 'chunks can be planned only while chunking');
    const problem = planProblem(request.chunks, request.durationMs);
    if (problem !== undefined) return invalid(current, problem);
    const writer = writerFor(current, request, nowMs);
    const total = request.chunks.length;
    writer.add({
      event: 'chunks_created',
      total_chunks: total,
      chunk_length_ms: current.chunkLengthMs,
      duration_ms: request.durationMs,
    });
    writer.add({ event: 'transcription_started', total_chunks: total });
    return writer.finishWith({
      phase: 'transcribing',
      durationMs: request.durationMs,
      chunks: request.chunks.map((chunk) => ({ ...chunk, transcript: null })),
      lastRequestId: request.requestId,
    });
  });
}

/** Record a chunk file re-extracted from the source: emits `chunk_recreated`. */
export function recordRecreated(job: Job | null, request: RecreatedRequest, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    if (current.phase !== 'transcribing') return invalid(current, 'chunks can be re-extracted only while transcribing');
    const chunk = current.chunks[request.index];
    if (chunk === undefined) return invalid(current, `chunk ${request.index} does not exist`);
    if (chunk.transcript !== null) return { kind: 'already_committed', index: request.index };
    const writer = writerFor(current, request, nowMs);
    writer.add({ event: 'chunk_recreated', chunk_index: request.index, reason: request.reason });
    return writer.finish((draft) => {
      const target = draft.chunks[request.index];
      assert(target !== undefined, 'chunk checked above');
      target.bytes = request.bytes;
      target.sha256 = request.sha256;
      if (draft.recovery.open) draft.recovery.recreatedChunks += 1;
      draft.lastRequestId = request.requestId;
    });
  });
}

/** Mark a recovery as resuming work: emits `processing_resumed` once per attempt. */
export function markResumed(job: Job | null, request: Fenced, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    if (current.phase !== 'transcribing') return invalid(current, 'processing resumes only while transcribing');
    if (!current.recovery.open) return invalid(current, 'no recovery attempt is open');
    if (current.recovery.resumed) return { kind: 'ok', job: current, events: [], duplicate: true };
    const completed = committedCount(current.chunks);
    const writer = writerFor(current, request, nowMs);
    writer.add({
      event: 'processing_resumed',
      completed_chunks: completed,
      remaining_chunks: current.chunks.length - completed,
    });
    return writer.finish((draft) => {
      draft.recovery.resumed = true;
      draft.lastRequestId = request.requestId;
    });
  });
}

/** Commit a chunk's transcript once: emits `chunk_transcribed`, `progress_update`. */
export function commit(job: Job | null, request: CommitRequest, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    if (current.phase !== 'transcribing') return invalid(current, 'chunks can be committed only while transcribing');
    const chunk = current.chunks[request.index];
    if (chunk === undefined) return invalid(current, `chunk ${request.index} does not exist`);
    if (chunk.transcript !== null) return { kind: 'already_committed', index: request.index };
    const total = current.chunks.length;
    const completed = committedCount(current.chunks) + 1;
    const writer = writerFor(current, request, nowMs);
    writer.add({ event: 'chunk_transcribed', chunk_index: request.index, text_length: request.transcript.length });
    writer.add({
      event: 'progress_update',
      completed_chunks: completed,
      total_chunks: total,
      progress: progressPercent(completed, total, false),
    });
    // A plain update rather than a draft: a commit is the most frequent write, and it changes one chunk and two fields.
    const chunks = current.chunks.slice();
    const { index, startMs, durationMs, bytes, sha256 } = chunk;
    chunks[request.index] = { index, startMs, durationMs, bytes, sha256, transcript: request.transcript };
    return writer.finishWith({
      chunks,
      phase: completed === total ? 'finalizing' : current.phase,
      lastRequestId: request.requestId,
    });
  });
}

/** Complete a job whose chunks are all committed: emits `progress_update` (100), `transcription_completed`. */
export function complete(job: Job | null, request: Fenced, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    if (current.phase !== 'finalizing') return invalid(current, 'a job completes only from finalizing');
    const total = current.chunks.length;
    const transcript = assembleTranscript(current.chunks);
    const writer = writerFor(current, request, nowMs);
    writer.add({ event: 'progress_update', completed_chunks: total, total_chunks: total, progress: 100 });
    writer.add({ event: 'transcription_completed', total_chunks: total, transcript_length: transcript.length });
    if (current.recovery.open) {
      writer.add({
        event: 'recovery_completed',
        recovery_result: 'job_completed',
        attempt: current.recovery.attempts,
        recreated_chunks: current.recovery.recreatedChunks,
        duration_ms: Math.max(0, nowMs - current.recovery.startedAtMs),
      });
    }
    return writer.finishWith({
      phase: 'completed',
      transcript,
      leaseExpiresAtMs: 0,
      lastRequestId: request.requestId,
      recovery: closed(current.recovery),
    });
  });
}

/** Fail a job with a reason: emits `chunk_failed` (if a chunk caused it), `job_failed`, and closes an open recovery. */
export function fail(job: Job | null, request: FailRequest, nowMs: number): Outcome {
  return fenced(job, request, (current) => failNow(current, request, request.workerId, current.epoch, nowMs));
}

function failNow(
  current: Job,
  request: Omit<FailRequest, 'jobId' | 'workerId' | 'epoch'>,
  workerId: string,
  epoch: number,
  nowMs: number,
): Applied {
  const message = clipMessage(request.message);
  const writer = new EventWriter(current, workerId, epoch, nowMs, current.recovery.open);
  if (request.chunkIndex !== undefined) {
    writer.add({
      event: 'chunk_failed',
      chunk_index: request.chunkIndex,
      error: message,
      retryable: request.retryable ?? false,
    });
  }
  writer.add({ event: 'job_failed', reason: request.reason, message });
  if (current.recovery.open) {
    writer.add({
      event: 'recovery_failed',
      recovery_result: 'job_failed',
      attempt: current.recovery.attempts,
      reason: request.reason,
      message,
    });
  }
  return writer.finishWith({
    phase: 'failed',
    epoch,
    owner: workerId,
    leaseExpiresAtMs: 0,
    lastRequestId: request.requestId,
    failure: { reason: request.reason, message },
    recovery: closed(current.recovery),
  });
}

/**
 * Quarantine: fail a job whose stored state is inconsistent, whoever holds it (P10). Takes a new
 * epoch so that every other writer is fenced out. A terminal job is left as it is.
 */
export function quarantine(
  job: Job | null,
  request: QuarantineRequest & { requestId: string },
  nowMs: number,
): Outcome {
  if (job === null) return { kind: 'not_found' };
  if (job.lastRequestId === request.requestId) return { kind: 'ok', job, events: [], duplicate: true };
  if (isTerminal(job.phase)) return { kind: 'terminal', phase: job.phase };
  return failNow(
    job,
    { reason: 'state_corrupt', message: request.message, requestId: request.requestId },
    request.workerId,
    job.epoch + 1,
    nowMs,
  );
}

/** Release: the owner gives its lease back so that another worker may take the job at once. */
export function release(job: Job | null, request: Fenced, nowMs: number): Outcome {
  return fenced(job, request, (current) => {
    const released = produce(current, (draft) => {
      Object.assign(draft, { leaseExpiresAtMs: 0, lastRequestId: request.requestId, updatedAtMs: nowMs });
    });
    return { kind: 'ok', job: released, events: [], duplicate: false };
  });
}

/** Why a chunk plan is not contiguous and whole, or undefined when it is. */
export function planProblem(chunks: readonly ExtractedChunk[], durationMs: number): string | undefined {
  if (chunks.length === 0) return 'a chunk plan needs at least one chunk';
  let expectedStartMs = 0;
  for (const [position, chunk] of chunks.entries()) {
    if (chunk.index !== position) return `chunk at position ${position} has index ${chunk.index}`;
    if (chunk.startMs !== expectedStartMs)
      return `chunk ${position} starts at ${chunk.startMs} ms, expected ${expectedStartMs}`;
    if (!(chunk.durationMs > 0)) return `chunk ${position} has a non-positive duration`;
    if (!Number.isInteger(chunk.bytes) || chunk.bytes < 0) return `chunk ${position} has an invalid size`;
    if (!isSha256Hex(chunk.sha256)) return `chunk ${position} has an invalid sha256`;
    expectedStartMs = chunk.startMs + chunk.durationMs;
  }
  if (Math.abs(expectedStartMs - durationMs) > 1) return `chunks cover ${expectedStartMs} ms of ${durationMs} ms`;
  return undefined;
}

function invalid(job: Job, detail: string): Refusal {
  return { kind: 'invalid_state', phase: job.phase, detail };
}

function writerFor(job: Job, request: Fenced, nowMs: number): EventWriter {
  return new EventWriter(job, request.workerId, request.epoch, nowMs, job.recovery.open);
}

/** Collects the events of one write with consecutive seqs, then applies the state change. */
class EventWriter {
  private readonly events: JobEvent[] = [];
  constructor(
    private readonly job: Job,
    private readonly workerId: string,
    private readonly epoch: number,
    private readonly nowMs: number,
    private readonly recovery: boolean,
  ) {}

  add(body: EventBody): void {
    this.events.push(
      unvalidatedEvent(body, {
        jobId: this.job.id,
        seq: this.job.nextSeq + this.events.length,
        timestampMs: this.nowMs,
        workerId: this.workerId,
        epoch: this.epoch,
        recovery: this.recovery,
      }),
    );
  }

  finish(change: (draft: Draft<Job>) => void): Applied {
    const events = this.events;
    const job = produce(this.job, (draft) => {
      change(draft);
      draft.nextSeq = this.job.nextSeq + events.length;
      draft.updatedAtMs = this.nowMs;
    });
    return { kind: 'ok', job, events, duplicate: false };
  }

  /** As {@link finish}, for a write that replaces a few top-level fields (`changed`) without a draft. */
  finishWith(changed: Partial<Job>): Applied {
    const { events } = this;
    const job = jobWith(this.job, changed, { nextSeq: this.job.nextSeq + events.length, updatedAtMs: this.nowMs });
    return { kind: 'ok', job, events, duplicate: false };
  }
}
