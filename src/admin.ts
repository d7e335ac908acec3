/**
 * The operator's port: what `chunkwise list|counts|result|retry|cancel|remove` need from a job store, beside the
 * JobStore port the workers use. Reads summarise stored state; each write is atomic and appends its events in the
 * same step, like every store operation.
 *
 * Retry and cancel are specified here as pure functions of the stored job ({@link retryJob}, {@link cancelJob}), as
 * the store operations are in src/core/operations.ts: the memory store applies them, the Redis adapter's scripts
 * (src/adapters/redis/lua-admin/) do the same checks and writes. Both take a new epoch, so that a worker still
 * holding an older one finds its next fenced write refused (`stale_epoch`) and never writes over the change.
 *
 * Cancelling: a cancelled job is `failed` with reason {@link cancelledFailureReason} (`cancelled`) and a message that
 * says who cancelled it; its `job_cancelled` event, written before its `job_failed`, says from which phase and from
 * which owner.
 */
import { stamp, type EventBody, type JobEvent } from './core/events.js';
import { clipMessage, isTerminal, type FailureReason, type Job, type Phase } from './core/types.js';

/** One line of `chunkwise list`: what the state of a job says, without its chunks. */
export interface JobSummary {
  readonly jobId: string;
  readonly phase: Phase;
  readonly source: string;
  readonly epoch: number;
  readonly owner: string | null;
  /** Store-clock instant the lease ends (0: none, or released). */
  readonly leaseExpiresAtMs: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly totalChunks: number;
  readonly committedChunks: number;
  readonly recoveries: number;
  readonly failure: { readonly reason: FailureReason; readonly message: string } | null;
}

/** A job whose stored state could not be read as a summary (`chunkwise list` shows it as corrupt). */
export interface CorruptSummary {
  readonly jobId: string;
  readonly phase: 'corrupt';
  readonly problem: string;
}

/** Options of {@link JobAdmin.list}. */
export interface ListOptions {
  /** Only jobs in this phase (or only corrupt ones). */
  readonly state?: Phase | 'corrupt';
  /** Most jobs returned, newest first (default {@link listLimitDefault}). */
  readonly limit?: number;
}

/** Jobs `list` returns when no limit is given. */
export const listLimitDefault = 100;

/** How many jobs are in each phase, and how many could not be read. */
export type PhaseCounts = Readonly<Record<Phase | 'corrupt', number>>;

/** One committed chunk of a completed job's result. */
export interface ResultChunk {
  readonly index: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly text: string;
}

/** The transcript of a job, or why there is none. */
export type JobResult =
  | {
      readonly kind: 'ok';
      readonly jobId: string;
      readonly transcript: string;
      readonly chunks: readonly ResultChunk[];
    }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'not_completed'; readonly phase: Phase };

/** Who acts, and the request id that makes a retried write apply once. */
export interface AdminRequest {
  readonly jobId: string;
  /** The operator, written as the events' `worker_id` and the job's owner (1–128 characters). */
  readonly actor: string;
  readonly requestId: string;
  /** Words for the event (clipped to 1000 characters). */
  readonly message?: string;
}

/** Result of retry or cancel. */
export type AdminWriteResult =
  | {
      readonly kind: 'ok';
      /** The retry of a request already applied: nothing was written. */
      readonly duplicate: boolean;
      readonly job: Job;
      /** The lease the job had before (a cancel of a leased job fences its holder out). */
      readonly previousOwner: string | null;
      readonly previousLeaseExpiresAtMs: number;
    }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'invalid_state'; readonly phase: Phase; readonly detail: string };

/** Result of remove. */
export type RemoveResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'leased'; readonly owner: string; readonly leaseExpiresAtMs: number };

/** The operator's view of a job store. */
export interface JobAdmin {
  /** The store's notion of now (ms), the clock leases are measured by. */
  now(): Promise<number>;
  /** Summaries of jobs, newest first, at most `limit`. */
  list(options?: ListOptions): Promise<(JobSummary | CorruptSummary)[]>;
  /** Jobs per phase. */
  counts(): Promise<PhaseCounts>;
  /** The transcript of a completed job, assembled in chunk order. */
  result(jobId: string): Promise<JobResult>;
  /** A failed job back to work as a new attempt ({@link retryJob}). */
  retry(request: AdminRequest): Promise<AdminWriteResult>;
  /** An unfinished job to `failed`, its holder fenced out ({@link cancelJob}). */
  cancel(request: AdminRequest): Promise<AdminWriteResult>;
  /** Deletes every key of a job; a job whose lease is valid is refused unless `force`. */
  remove(request: { readonly jobId: string; readonly force?: boolean }): Promise<RemoveResult>;
}

/** The failure reason a cancelled job is stored with (see the module's comment). */
export const cancelledFailureReason: FailureReason = 'cancelled';

/** The stored failure message of a job `actor` cancelled. */
export function cancelledMessage(actor: string, message: string | undefined): string {
  return clipMessage(`cancelled by ${actor}${message === undefined || message === '' ? '' : `: ${message}`}`);
}

/** The phase a retried job resumes in: what its chunks imply. */
export function resumePhase(job: Job): Phase {
  if (job.chunks.length === 0) return 'chunking';
  return job.chunks.some((chunk) => chunk.transcript === null) ? 'transcribing' : 'finalizing';
}

/** The summary of a job. */
export function summarise(job: Job): JobSummary {
  return {
    jobId: job.id,
    phase: job.phase,
    source: job.source,
    epoch: job.epoch,
    owner: job.owner,
    leaseExpiresAtMs: job.leaseExpiresAtMs,
    createdAtMs: job.createdAtMs,
    updatedAtMs: job.updatedAtMs,
    totalChunks: job.chunks.length,
    committedChunks: job.chunks.filter((chunk) => chunk.transcript !== null).length,
    recoveries: job.recovery.attempts,
    failure: job.failure,
  };
}

/** The result of a job as stored (null: no such job). */
export function resultOf(job: Job | null): JobResult {
  if (job === null) return { kind: 'not_found' };
  if (job.phase !== 'completed' || job.transcript === null) return { kind: 'not_completed', phase: job.phase };
  return {
    kind: 'ok',
    jobId: job.id,
    transcript: job.transcript,
    chunks: job.chunks.map((chunk) => ({
      index: chunk.index,
      startMs: chunk.startMs,
      durationMs: chunk.durationMs,
      text: chunk.transcript ?? '',
    })),
  };
}

/** Newest first (by creation, then id), filtered by state, cut at the limit: the order of every `list`. */
export function selectSummaries(
  summaries: readonly (JobSummary | CorruptSummary)[],
  options: ListOptions = {},
): (JobSummary | CorruptSummary)[] {
  const limit = validateListLimit(options.limit);
  const created = (summary: JobSummary | CorruptSummary) => ('createdAtMs' in summary ? summary.createdAtMs : 0);
  return summaries
    .filter((summary) => options.state === undefined || summary.phase === options.state)
    .sort((a, b) => created(b) - created(a) || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0))
    .slice(0, limit);
}

/** Throws a RangeError naming `limit` unless it is a positive integer (undefined: the default). */
export function validateListLimit(limit: number | undefined): number {
  if (limit === undefined) return listLimitDefault;
  if (!Number.isSafeInteger(limit) || limit <= 0)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}

/** Counts summaries per phase. */
export function countPhases(summaries: readonly (JobSummary | CorruptSummary)[]): PhaseCounts {
  const counts: Record<Phase | 'corrupt', number> = {
    queued: 0,
    chunking: 0,
    transcribing: 0,
    finalizing: 0,
    completed: 0,
    failed: 0,
    corrupt: 0,
  };
  for (const summary of summaries) counts[summary.phase] += 1;
  return counts;
}

/** Throws a TypeError unless `request` is a well-formed {@link AdminRequest}. */
export function validateAdminRequest(request: AdminRequest): AdminRequest {
  if (typeof request.actor !== 'string' || request.actor.length === 0 || request.actor.length > 128)
    throw new TypeError(`actor must be 1-128 characters, got ${JSON.stringify(request.actor)}`);
  if (typeof request.requestId !== 'string' || request.requestId.length === 0 || request.requestId.length > 128)
    throw new TypeError(`requestId must be 1-128 characters, got ${JSON.stringify(request.requestId)}`);
  if (request.message !== undefined && typeof request.message !== 'string')
    throw new TypeError('message must be a string');
  return request;
}

/** A write of the operator's: the job after it and its events, or why not. */
export type AdminOutcome =
  | { readonly kind: 'ok'; readonly job: Job; readonly events: readonly JobEvent[]; readonly duplicate: boolean }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'invalid_state'; readonly phase: Phase; readonly detail: string };

function written(job: Job, request: AdminRequest, epoch: number, nowMs: number, recovery: boolean) {
  const events: JobEvent[] = [];
  return {
    events,
    add(body: EventBody) {
      events.push(
        stamp(body, {
          jobId: job.id,
          seq: job.nextSeq + events.length,
          timestampMs: nowMs,
          workerId: request.actor,
          epoch,
          recovery,
        }),
      );
    },
  };
}

/**
 * Retry: a `failed` job leaves `failed` for the phase its chunks imply ({@link resumePhase}), released (lease 0)
 * under a new epoch with the operator as its last owner, its failure cleared and its recovery count reset to 0; it
 * writes `job_retried`. Committed chunks stay committed: the next claim is a recovery (`released`) that re-extracts
 * the chunk files the sweep removed and transcribes only what is pending. Any other phase is `invalid_state`.
 */
export function retryJob(job: Job | null, request: AdminRequest, nowMs: number): AdminOutcome {
  if (job === null) return { kind: 'not_found' };
  if (job.lastRequestId === request.requestId) return { kind: 'ok', job, events: [], duplicate: true };
  if (job.phase !== 'failed' || job.failure === null)
    return { kind: 'invalid_state', phase: job.phase, detail: 'only a failed job can be retried' };
  const epoch = job.epoch + 1;
  const phase = resumePhase(job);
  const writer = written(job, request, epoch, nowMs, false);
  writer.add({
    event: 'job_retried',
    previous_reason: job.failure.reason,
    phase,
    message: clipMessage(request.message ?? ''),
  });
  const retried: Job = {
    ...job,
    phase,
    epoch,
    owner: request.actor,
    leaseExpiresAtMs: 0,
    failure: null,
    transcript: null,
    recovery: { attempts: 0, handovers: 0, open: false, startedAtMs: 0, resumed: false, recreatedChunks: 0 },
    nextSeq: job.nextSeq + writer.events.length,
    lastRequestId: request.requestId,
    updatedAtMs: nowMs,
  };
  return { kind: 'ok', job: retried, events: writer.events, duplicate: false };
}

/**
 * Cancel: an unfinished job becomes `failed` (reason {@link cancelledFailureReason}, message
 * {@link cancelledMessage}) under a new epoch with the operator as owner and no lease; it writes `job_cancelled`,
 * `job_failed`, and `recovery_failed` (job_failed) when a recovery attempt was open. A finished job is
 * `invalid_state`.
 */
export function cancelJob(job: Job | null, request: AdminRequest, nowMs: number): AdminOutcome {
  if (job === null) return { kind: 'not_found' };
  if (job.lastRequestId === request.requestId) return { kind: 'ok', job, events: [], duplicate: true };
  if (isTerminal(job.phase))
    return { kind: 'invalid_state', phase: job.phase, detail: 'a finished job cannot be cancelled' };
  const epoch = job.epoch + 1;
  const message = cancelledMessage(request.actor, request.message);
  const writer = written(job, request, epoch, nowMs, job.recovery.open);
  writer.add({ event: 'job_cancelled', phase: job.phase, previous_owner: job.owner ?? '', message });
  writer.add({ event: 'job_failed', reason: cancelledFailureReason, message });
  if (job.recovery.open)
    writer.add({
      event: 'recovery_failed',
      recovery_result: 'job_failed',
      attempt: job.recovery.attempts,
      reason: 'cancelled',
      message,
    });
  const cancelled: Job = {
    ...job,
    phase: 'failed',
    epoch,
    owner: request.actor,
    leaseExpiresAtMs: 0,
    failure: { reason: cancelledFailureReason, message },
    recovery: { ...job.recovery, open: false },
    nextSeq: job.nextSeq + writer.events.length,
    lastRequestId: request.requestId,
    updatedAtMs: nowMs,
  };
  return { kind: 'ok', job: cancelled, events: writer.events, duplicate: false };
}
