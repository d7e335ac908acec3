/**
 * Helpers shared by the core tests: digests, chunk plans, a check that a validator names the field it refuses, and
 * jobs built by applying the pure store operations of src/core/operations.ts (never by hand), so every fixture is a
 * reachable state.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { JobEvent } from '../../src/core/events.js';
import * as operations from '../../src/core/operations.js';
import { planChunks } from '../../src/core/planner.js';
import type { ExtractedChunk, Job } from '../../src/core/types.js';

/** A valid sha256 (64 lowercase hex digits) derived from `seed`. */
export function sha(seed: string | number): string {
  return createHash('sha256').update(String(seed)).digest('hex');
}

/** The chunk plan of `durationMs` at `chunkLengthMs`, with sizes and digests derived from the index. */
export function extractedPlan(durationMs: number, chunkLengthMs: number): ExtractedChunk[] {
  return planChunks(durationMs, chunkLengthMs).map((spec) => ({
    ...spec,
    bytes: 1_000 + spec.index,
    sha256: sha(`chunk-${spec.index}`),
  }));
}

/** The applied result of an operation; fails the test when it was refused. */
export function applied(outcome: operations.Outcome | operations.ClaimOutcome): {
  job: Job;
  events: readonly JobEvent[];
} {
  if (outcome.kind !== 'ok' && outcome.kind !== 'exhausted')
    throw new Error(`expected the operation to apply, got ${JSON.stringify(outcome)}`);
  return { job: outcome.job, events: outcome.events };
}

let counter = 0;
/** A request id no other call of this helper returns. */
export function freshRequestId(prefix = 'req'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export const jobId = 'job-1';
export const leaseMs = 1_000;
export const attemptsMax = 3;

/** The fencing fields of the job's current owner. */
export function ownerFence(job: Job): operations.Fenced {
  expect(job.owner).not.toBeNull();
  return { jobId: job.id, workerId: job.owner ?? '', epoch: job.epoch, requestId: freshRequestId() };
}

/** A queued job. */
export function queuedJob(chunkLengthMs = 1_000, nowMs = 0): Job {
  return applied(operations.create(null, { jobId, source: '/media/a.wav', chunkLengthMs }, nowMs)).job;
}

/** A job claimed by `workerId` at `nowMs` (chunking). */
export function chunkingJob(workerId = 'w1', nowMs = 0): Job {
  return applied(
    operations.claim(
      queuedJob(),
      { jobId, workerId, leaseMs, recoveryAttemptsMax: attemptsMax, requestId: freshRequestId() },
      nowMs,
    ),
  ).job;
}

/** A job of `chunks` chunks of 1 s, planned by w1 at epoch 1, with the chunks of `committed` committed. */
export function transcribingJob(chunks: number, committed: readonly number[] = [], nowMs = 0): Job {
  const claimed = chunkingJob('w1', nowMs);
  const plan = { ...ownerFence(claimed), durationMs: chunks * 1_000, chunks: extractedPlan(chunks * 1_000, 1_000) };
  let job = applied(operations.recordPlan(claimed, plan, nowMs)).job;
  for (const index of committed)
    job = applied(operations.commit(job, { ...ownerFence(job), index, transcript: `text ${index}` }, nowMs)).job;
  return job;
}

/** `job` claimed again by `workerId` once its lease ran out: a recovery. */
export function recovered(job: Job, workerId = 'w2', recoveryAttemptsMax = attemptsMax): Job {
  const nowMs = Math.max(job.leaseExpiresAtMs, job.updatedAtMs) + 1;
  return applied(
    operations.claim(
      job,
      { jobId: job.id, workerId, leaseMs, recoveryAttemptsMax, requestId: freshRequestId() },
      nowMs,
    ),
  ).job;
}

/** The error types a boundary validator throws. */
export type ErrorType = typeof TypeError | typeof RangeError;

/** Expects `call` to throw an error of `type` whose message names `field`. */
export function expectNamed(call: () => unknown, type: ErrorType, field: string): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toContain(field);
}
