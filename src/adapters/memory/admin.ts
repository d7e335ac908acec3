/**
 * The operator's port (src/admin.ts) on the memory store: reads go through the store's accessors (every job id,
 * the stored job as it is), retry and cancel apply the pure functions of src/admin.ts in one step of the store, and
 * remove deletes the job and its events.
 */
import {
  cancelJob,
  countPhases,
  resultOf,
  retryJob,
  selectSummaries,
  summarise,
  validateAdminRequest,
  type AdminOutcome,
  type AdminRequest,
  type AdminWriteResult,
  type CorruptSummary,
  type JobAdmin,
  type JobResult,
  type JobSummary,
  type ListOptions,
  type PhaseCounts,
  type RemoveResult,
} from '../../admin.js';
import { jobInvariantProblems } from '../../core/invariants.js';
import { isLeased } from '../../core/operations.js';
import { isTerminal, validateJobId, type Job } from '../../core/types.js';
import { CorruptStateError } from '../../ports.js';
import type { MemoryJobStore } from './store.js';

/** {@link JobAdmin} on a {@link MemoryJobStore}. */
export class MemoryJobAdmin implements JobAdmin {
  constructor(private readonly store: MemoryJobStore) {}

  async now(): Promise<number> {
    return this.store.now();
  }

  async list(options: ListOptions = {}): Promise<(JobSummary | CorruptSummary)[]> {
    return selectSummaries(this.summaries(), options);
  }

  async counts(): Promise<PhaseCounts> {
    return countPhases(this.summaries());
  }

  async result(jobId: string): Promise<JobResult> {
    return resultOf(await this.store.getJob(validateJobId(jobId)));
  }

  async retry(request: AdminRequest): Promise<AdminWriteResult> {
    return this.write(request, retryJob);
  }

  async cancel(request: AdminRequest): Promise<AdminWriteResult> {
    return this.write(request, cancelJob);
  }

  async remove(request: { readonly jobId: string; readonly force?: boolean }): Promise<RemoveResult> {
    const job = this.store.peek(validateJobId(request.jobId));
    if (job === undefined) return { kind: 'not_found' };
    if (request.force !== true && !isTerminal(job.phase) && isLeased(job, this.store.now()))
      return { kind: 'leased', owner: job.owner ?? '', leaseExpiresAtMs: job.leaseExpiresAtMs };
    this.store.deleteJob(request.jobId);
    return { kind: 'ok' };
  }

  private summaries(): (JobSummary | CorruptSummary)[] {
    return this.store.jobIds().flatMap((jobId): (JobSummary | CorruptSummary)[] => {
      const job = this.store.peek(jobId);
      if (job === undefined) return [];
      const problems = jobInvariantProblems(job);
      return problems.length === 0 ? [summarise(job)] : [{ jobId, phase: 'corrupt', problem: problems.join('; ') }];
    });
  }

  private async write(
    request: AdminRequest,
    operation: (job: Job | null, request: AdminRequest, nowMs: number) => AdminOutcome,
  ): Promise<AdminWriteResult> {
    validateJobId(request.jobId);
    validateAdminRequest(request);
    const before = this.store.peek(request.jobId);
    if (before !== undefined) {
      const problems = jobInvariantProblems(before);
      if (problems.length > 0) throw new CorruptStateError(request.jobId, problems);
    }
    const outcome = this.store.applyAdmin(request.jobId, (job, now) => operation(job, request, now));
    if (outcome.kind !== 'ok') return outcome;
    return {
      kind: 'ok',
      duplicate: outcome.duplicate,
      job: outcome.job,
      previousOwner: before?.owner ?? null,
      previousLeaseExpiresAtMs: before?.leaseExpiresAtMs ?? 0,
    };
  }
}
