/**
 * The reference JobStore: the executable specification of every store operation, in memory.
 * Each operation applies one pure function of src/core/operations.ts to the current state at the
 * current clock reading and appends its events, all in one synchronous step, so it is atomic.
 * Deterministic: it reads time only from the injected clock and iterates in creation order.
 * Stored state is checked against the invariants where a worker loads it, in getJob and claimJob
 * (CorruptStateError); other writes rely on their own preconditions, as the Redis scripts do, so
 * that both stores answer a hand-edited record the same way.
 */
import type { AdminOutcome } from '../../admin.js';
import { assert } from '../../core/assert.js';
import { parseEvent, type JobEvent } from '../../core/events.js';
import { jobInvariantProblems } from '../../core/invariants.js';
import * as operations from '../../core/operations.js';
import { isTerminal, validateJobId, type Job } from '../../core/types.js';
import {
  CorruptStateError,
  type ClaimResult,
  type Clock,
  type CreateResult,
  type JobStore,
  type RenewResult,
  type WorkSignal,
  type WriteResult,
} from '../../ports.js';
import { untilLeaseEndMs, WorkSignals } from './work-signal.js';
import {
  validateQuarantine,
  validateClaim,
  validateCommit,
  validateCreate,
  validateFail,
  validateFenced,
  validatePlan,
  validateRecreated,
  validateRenew,
} from '../../core/requests.js';

/** The pure operations a memory store applies (src/core/operations.ts). */
export type Specification = Pick<
  typeof operations,
  | 'create'
  | 'claim'
  | 'renew'
  | 'recordPlan'
  | 'recordRecreated'
  | 'markResumed'
  | 'commit'
  | 'complete'
  | 'fail'
  | 'release'
  | 'quarantine'
>;

const specification: Specification = {
  create: operations.create,
  claim: operations.claim,
  renew: operations.renew,
  recordPlan: operations.recordPlan,
  recordRecreated: operations.recordRecreated,
  markResumed: operations.markResumed,
  commit: operations.commit,
  complete: operations.complete,
  fail: operations.fail,
  release: operations.release,
  quarantine: operations.quarantine,
};

/** Reads the store's notion of now. */
export interface StoreClock {
  now(): number;
}

/** The in-memory reference implementation of {@link JobStore}. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Job>();
  /**
   * Stored jobs already held to the invariants on a load. A stored job is never changed in place (each write stores
   * a new object, and tamper forgets the one it edits), so one found consistent stays so until it is replaced.
   */
  private readonly trusted = new WeakSet<Job>();
  private readonly events = new Map<string, JobEvent[]>();

  private readonly spec: Specification;
  /** True when some operation is not the specification's (a planted bug): its events are validated on write. */
  /** Woken by creations and releases; waits end at the next lease expiry at the latest. */
  private readonly work = new WorkSignals(() => this.untilLeaseEndMs());

  /**
   * @param clock the store's notion of now (lease expiry, event timestamps)
   * @param variant replaces some operations of the specification; for tests that plant a bug
   */
  constructor(
    private readonly clock: StoreClock,
    variant: Partial<Specification> = {},
  ) {
    this.spec = { ...specification, ...variant };
  }

  async createJob(request: operations.CreateRequest): Promise<CreateResult> {
    validateCreate(request);
    const outcome = this.apply(request.jobId, (job, now) => this.spec.create(job, request, now));
    if (outcome.kind !== 'ok') return outcome as CreateResult;
    if (!outcome.duplicate) this.work.notify();
    return { kind: 'ok', job: outcome.job, created: !outcome.duplicate };
  }

  async claimJob(request: operations.ClaimRequest): Promise<ClaimResult> {
    validateClaim(request);
    const outcome = this.apply(request.jobId, (job, now) => this.spec.claim(job, request, now), true);
    if (outcome.kind === 'ok') {
      return { kind: 'ok', job: outcome.job, recovery: outcome.job.recovery.open, duplicate: outcome.duplicate };
    }
    if (outcome.kind === 'exhausted') return { kind: 'exhausted', job: outcome.job };
    return outcome;
  }

  async renewLease(request: operations.RenewRequest): Promise<RenewResult> {
    validateRenew(request);
    const outcome = this.apply(request.jobId, (job, now) => this.spec.renew(job, request, now));
    return outcome.kind === 'ok' ? { kind: 'ok', leaseExpiresAtMs: outcome.job.leaseExpiresAtMs } : outcome;
  }

  async recordChunkPlan(request: operations.PlanRequest): Promise<WriteResult> {
    validatePlan(request);
    return this.write(request.jobId, (job, now) => this.spec.recordPlan(job, request, now));
  }

  async recordChunkRecreated(request: operations.RecreatedRequest): Promise<WriteResult> {
    validateRecreated(request);
    return this.write(request.jobId, (job, now) => this.spec.recordRecreated(job, request, now));
  }

  async markResumed(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    return this.write(request.jobId, (job, now) => this.spec.markResumed(job, request, now));
  }

  async commitChunk(request: operations.CommitRequest): Promise<WriteResult> {
    validateCommit(request);
    return this.write(request.jobId, (job, now) => this.spec.commit(job, request, now));
  }

  async completeJob(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    return this.write(request.jobId, (job, now) => this.spec.complete(job, request, now));
  }

  async failJob(request: operations.FailRequest): Promise<WriteResult> {
    validateFail(request);
    return this.write(request.jobId, (job, now) => this.spec.fail(job, request, now));
  }

  async releaseJob(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    const result = this.write(request.jobId, (job, now) => this.spec.release(job, request, now));
    if (result.kind === 'ok' && !result.duplicate) this.work.notify();
    return result;
  }

  async quarantineJob(request: operations.QuarantineRequest & { readonly requestId: string }): Promise<WriteResult> {
    validateQuarantine(request);
    return this.write(request.jobId, (job, now) => this.spec.quarantine(job, request, now));
  }

  async listRecoverableJobs(limit: number): Promise<string[]> {
    if (!Number.isInteger(limit) || limit <= 0)
      throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
    const now = this.clock.now();
    const claimable = [...this.jobs.values()].filter((job) => !isTerminal(job.phase) && !operations.isLeased(job, now));
    // Oldest lease end first (queued and released jobs have none), then by id (ids are unique, never
    // equal): the order of the Redis store's index, so that both stores hand out work in the same order.
    claimable.sort((a, b) => a.leaseExpiresAtMs - b.leaseExpiresAtMs || (a.id < b.id ? -1 : 1));
    return claimable.slice(0, limit).map((job) => job.id);
  }

  /**
   * A work signal for one worker of this store, waiting with `clock`: woken by every creation and
   * release, and at the next lease expiry at the latest.
   */
  workSignal(clock: Pick<Clock, 'sleep'>): WorkSignal {
    return this.work.signal(clock);
  }

  /** Ms until the earliest running lease of an unfinished job runs out, if any is running. */
  private untilLeaseEndMs(): number | undefined {
    return untilLeaseEndMs(this.jobs.values(), this.clock.now());
  }

  async getJob(jobId: string): Promise<Job | null> {
    validateJobId(jobId);
    const job = this.jobs.get(jobId) ?? null;
    if (job !== null) this.assertTrusted(job);
    return job;
  }

  async readEvents(jobId: string, fromSeq = 1): Promise<JobEvent[]> {
    validateJobId(jobId);
    if (!Number.isInteger(fromSeq) || fromSeq < 1)
      throw new RangeError(`fromSeq must be a positive integer, got ${String(fromSeq)}`);
    return (this.events.get(jobId) ?? []).filter((event) => event.seq >= fromSeq);
  }

  /** The stored state of a job without any check, synchronously (for checkers and the simulator). */
  peek(jobId: string): Job | undefined {
    return this.jobs.get(jobId);
  }

  /** The stored events of a job, synchronously (for checkers and the simulator). */
  peekEvents(jobId: string): readonly JobEvent[] {
    return this.events.get(jobId) ?? [];
  }

  /** Every job id, in creation order (for checkers and tests). */
  jobIds(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * Replaces a job's stored state without any check: the stand-in for a hand-edited or
   * half-written record, used by tests and the simulator to inject state corruption.
   */
  tamper(jobId: string, change: (job: Job) => Job): void {
    const job = this.jobs.get(jobId);
    assert(job !== undefined, `tamper: no job ${jobId}`);
    // `change` may have edited the object in place: it is checked again on its next load, whichever it returned.
    this.trusted.delete(job);
    const changed = change(job);
    this.trusted.delete(changed);
    this.jobs.set(jobId, changed);
  }

  /**
   * The store's notion of now, the clock its leases are measured by (for the operator's tools, which show whether a
   * lease ran out).
   */
  now(): number {
    return this.clock.now();
  }

  /**
   * Applies an operator's write (src/admin.ts: retry, cancel) to a job in one step, as every operation is applied:
   * `step` sees the stored job and now; an applied outcome's job is stored and its events appended, and a job it
   * leaves unfinished (a retried one) wakes the idle workers' signals.
   */
  applyAdmin(jobId: string, step: (job: Job | null, now: number) => AdminOutcome): AdminOutcome {
    validateJobId(jobId);
    const outcome = this.apply(jobId, step);
    // A job the operator handed back (a retry) is work, like a released one: wake the idle workers.
    if (outcome.kind === 'ok' && !outcome.duplicate && !isTerminal(outcome.job.phase)) this.work.notify();
    return outcome;
  }

  /** Deletes a job and its events (an operator's remove); false when there was none. */
  deleteJob(jobId: string): boolean {
    validateJobId(jobId);
    this.events.delete(jobId);
    return this.jobs.delete(jobId);
  }

  private assertTrusted(job: Job): void {
    if (this.trusted.has(job)) return;
    const problems = jobInvariantProblems(job);
    if (problems.length > 0) throw new CorruptStateError(job.id, problems);
    this.trusted.add(job);
  }

  private write(jobId: string, step: (job: Job | null, now: number) => operations.Outcome): WriteResult {
    const outcome = this.apply(jobId, step);
    return outcome.kind === 'ok' ? { kind: 'ok', duplicate: outcome.duplicate } : outcome;
  }

  private apply<O extends operations.Outcome | operations.ClaimOutcome>(
    jobId: string,
    step: (job: Job | null, now: number) => O,
    loading = false,
  ): O {
    const before = this.jobs.get(jobId) ?? null;
    if (before !== null && loading) this.assertTrusted(before);
    const outcome = step(before, this.clock.now());
    if (outcome.kind !== 'ok' && outcome.kind !== 'exhausted') return outcome;
    const applied = outcome as operations.Applied | operations.Exhausted;
    const stream = this.events.get(jobId) ?? [];
    const expectedSeq = (stream.at(-1)?.seq ?? 0) + 1;
    // Each event is validated here, once, as it enters the store (the operations build them unvalidated), and kept
    // frozen: readers share the stored objects, and parsing one again (as the checkers do) costs nothing.
    const events = applied.events.map((event, offset) => {
      assert(
        event.seq === expectedSeq + offset,
        `event seq ${event.seq} breaks the stream of ${jobId} at ${expectedSeq + offset}`,
      );
      return Object.freeze(parseEvent(event));
    });
    this.jobs.set(jobId, applied.job);
    stream.push(...events);
    this.events.set(jobId, stream);
    return outcome;
  }
}
