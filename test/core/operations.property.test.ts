/**
 * No sequence of store operations breaks a job: random sequences of every operation of operations.ts, by several
 * workers with random epochs, request ids, indices and clock advances, are applied as a store applies them, and every
 * step is checked (invariants, gapless schema-valid events, epochs, committed text, refusals, leases, progress,
 * recovery brackets).
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import { jobInvariantProblems } from '../../src/core/invariants.js';
import * as operations from '../../src/core/operations.js';
import { planChunks } from '../../src/core/planner.js';
import * as requests from '../../src/core/requests.js';
import {
  failureReasons,
  validateJobId,
  type ExtractedChunk,
  type FailureReason,
  type Job,
} from '../../src/core/types.js';
import { sha } from './support.js';

const jobId = 'job-p';
const workers = ['w1', 'w2', 'w3'] as const;
type Who = 'owner' | (typeof workers)[number];
/** `current` = the job's epoch, `previous`/`next` = one off, a number = that epoch. */
type EpochChoice = 'current' | 'previous' | 'next' | number;
/** A request id from a small shared pool (so retries and collisions happen), or a fresh one. */
type RequestChoice = 'r1' | 'r2' | 'fresh';

interface Fencing {
  readonly who: Who;
  readonly epoch: EpochChoice;
  readonly request: RequestChoice;
}

type Command =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'create'; readonly source: 'a' | 'b'; readonly chunkLengthMs: number }
  | {
      readonly kind: 'claim';
      readonly worker: (typeof workers)[number];
      readonly leaseMs: number;
      readonly attemptsMax: number;
      readonly request: RequestChoice;
    }
  | { readonly kind: 'renew'; readonly fencing: Fencing; readonly leaseMs: number }
  | {
      readonly kind: 'plan';
      readonly fencing: Fencing;
      readonly durationMs: number;
      readonly broken: 'none' | 'gap' | 'index' | 'sha' | 'short' | 'empty';
    }
  | {
      readonly kind: 'recreate';
      readonly fencing: Fencing;
      readonly index: number;
      readonly reason: 'missing' | 'corrupt';
      readonly bytes: number;
    }
  | { readonly kind: 'resume'; readonly fencing: Fencing }
  | { readonly kind: 'commit'; readonly fencing: Fencing; readonly index: number; readonly transcript: string }
  | { readonly kind: 'complete'; readonly fencing: Fencing }
  | {
      readonly kind: 'fail';
      readonly fencing: Fencing;
      readonly reason: FailureReason;
      readonly message: string;
      readonly chunkIndex: number | undefined;
      readonly retryable: boolean | undefined;
    }
  | { readonly kind: 'release'; readonly fencing: Fencing }
  | {
      readonly kind: 'quarantine';
      readonly worker: (typeof workers)[number];
      readonly request: RequestChoice;
      readonly message: string;
    };

const workerArbitrary = fc.constantFrom(...workers);
const requestArbitrary = fc.constantFrom<RequestChoice>('fresh', 'fresh', 'fresh', 'r1', 'r2');
const fencingArbitrary: fc.Arbitrary<Fencing> = fc.record({
  who: fc.oneof({ arbitrary: fc.constant<Who>('owner'), weight: 8 }, { arbitrary: workerArbitrary, weight: 2 }),
  epoch: fc.oneof(
    { arbitrary: fc.constant<EpochChoice>('current'), weight: 8 },
    { arbitrary: fc.constantFrom<EpochChoice>('previous', 'next'), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 1 },
  ),
  request: requestArbitrary,
});
const indexArbitrary = fc.integer({ min: 0, max: 7 });

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 500, max: 15_000 })),
    }),
    weight: 9,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      source: fc.constantFrom('a' as const, 'b' as const),
      chunkLengthMs: fc.constantFrom(1_000, 2_000, 3_000),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      worker: workerArbitrary,
      leaseMs: fc.integer({ min: 1, max: 10_000 }),
      attemptsMax: fc.integer({ min: 1, max: 4 }),
      request: requestArbitrary,
    }),
    weight: 9,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('renew' as const),
      fencing: fencingArbitrary,
      leaseMs: fc.integer({ min: 1, max: 10_000 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      fencing: fencingArbitrary,
      durationMs: fc.integer({ min: 1, max: 9_000 }),
      broken: fc.oneof(
        { arbitrary: fc.constant('none' as const), weight: 6 },
        {
          arbitrary: fc.constantFrom(
            'gap' as const,
            'index' as const,
            'sha' as const,
            'short' as const,
            'empty' as const,
          ),
          weight: 1,
        },
      ),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('recreate' as const),
      fencing: fencingArbitrary,
      index: indexArbitrary,
      reason: fc.constantFrom('missing' as const, 'corrupt' as const),
      bytes: fc.nat({ max: 100_000 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('resume' as const), fencing: fencingArbitrary }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      fencing: fencingArbitrary,
      index: indexArbitrary,
      transcript: fc.string({ maxLength: 12 }),
    }),
    weight: 18,
  },
  { arbitrary: fc.record({ kind: fc.constant('complete' as const), fencing: fencingArbitrary }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      fencing: fencingArbitrary,
      reason: fc.constantFrom(...failureReasons),
      message: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 990, maxLength: 1_100 })),
      chunkIndex: fc.option(indexArbitrary, { nil: undefined }),
      retryable: fc.option(fc.boolean(), { nil: undefined }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), fencing: fencingArbitrary }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('quarantine' as const),
      worker: workerArbitrary,
      request: requestArbitrary,
      message: fc.string({ maxLength: 30 }),
    }),
    weight: 1,
  },
);

/** The model: the stored job, its event stream and the store clock. */
interface Model {
  job: Job | null;
  events: JobEvent[];
  nowMs: number;
  requests: number;
}

function requestIdOf(model: Model, choice: RequestChoice): string {
  if (choice !== 'fresh') return choice;
  model.requests += 1;
  return `fresh-${model.requests}`;
}

function fenceOf(model: Model, fencing: Fencing): operations.Fenced {
  const job = model.job;
  const current = job?.epoch ?? 0;
  const epoch =
    fencing.epoch === 'current'
      ? current
      : fencing.epoch === 'previous'
        ? current - 1
        : fencing.epoch === 'next'
          ? current + 1
          : fencing.epoch;
  const workerId = fencing.who === 'owner' ? (job?.owner ?? 'w1') : fencing.who;
  return { jobId, workerId, epoch, requestId: requestIdOf(model, fencing.request) };
}

function planOf(
  model: Model,
  durationMs: number,
  broken: Extract<Command, { kind: 'plan' }>['broken'],
): ExtractedChunk[] {
  const chunks = planChunks(durationMs, model.job?.chunkLengthMs ?? 1_000).map((spec) => ({
    ...spec,
    bytes: 100 + spec.index,
    sha256: sha(spec.index),
  }));
  const last = chunks.length - 1;
  switch (broken) {
    case 'none':
      return chunks;
    case 'empty':
      return [];
    case 'gap':
      return chunks.map((chunk, position) => (position === last ? { ...chunk, startMs: chunk.startMs + 1 } : chunk));
    case 'index':
      return chunks.map((chunk, position) => (position === last ? { ...chunk, index: chunk.index + 1 } : chunk));
    case 'sha':
      return chunks.map((chunk, position) => (position === 0 ? { ...chunk, sha256: chunk.sha256.slice(1) } : chunk));
    case 'short':
      return chunks.slice(0, -1).length === 0
        ? chunks.map((chunk) => ({ ...chunk, durationMs: chunk.durationMs + 5 }))
        : chunks.slice(0, -1);
  }
}

/** Runs one command as a store runs it: boundary validation first (a throw writes nothing), then the pure operation. */
function run(
  model: Model,
  command: Command,
): { outcome: operations.Outcome | operations.ClaimOutcome; requester: string } | 'advanced' | 'rejected' {
  const { job, nowMs } = model;
  const attempt = (
    validate: () => void,
    apply: () => operations.Outcome | operations.ClaimOutcome,
    requester: string,
  ) => {
    try {
      validate();
    } catch (error) {
      expect(error).toSatisfy((thrown: unknown) => thrown instanceof TypeError || thrown instanceof RangeError);
      return 'rejected' as const;
    }
    return { outcome: apply(), requester };
  };
  switch (command.kind) {
    case 'advance':
      model.nowMs += command.ms;
      return 'advanced';
    case 'create': {
      const request = { jobId, source: `/media/${command.source}.wav`, chunkLengthMs: command.chunkLengthMs };
      return attempt(
        () => requests.validateCreate(request),
        () => operations.create(job, request, nowMs),
        'creator',
      );
    }
    case 'claim': {
      const request = {
        jobId,
        workerId: command.worker,
        leaseMs: command.leaseMs,
        recoveryAttemptsMax: command.attemptsMax,
        requestId: requestIdOf(model, command.request),
      };
      return attempt(
        () => requests.validateClaim(request),
        () => operations.claim(job, request, nowMs),
        command.worker,
      );
    }
    case 'renew': {
      const { jobId: id, workerId, epoch } = fenceOf(model, command.fencing);
      const request = { jobId: id, workerId, epoch, leaseMs: command.leaseMs };
      return attempt(
        () => requests.validateRenew(request),
        () => operations.renew(job, request, nowMs),
        workerId,
      );
    }
    case 'plan': {
      const request = {
        ...fenceOf(model, command.fencing),
        durationMs: command.durationMs,
        chunks: planOf(model, command.durationMs, command.broken),
      };
      return attempt(
        () => requests.validatePlan(request),
        () => operations.recordPlan(job, request, nowMs),
        request.workerId,
      );
    }
    case 'recreate': {
      const request = {
        ...fenceOf(model, command.fencing),
        index: command.index,
        reason: command.reason,
        bytes: command.bytes,
        sha256: sha(`re-${command.bytes}`),
      };
      return attempt(
        () => requests.validateRecreated(request),
        () => operations.recordRecreated(job, request, nowMs),
        request.workerId,
      );
    }
    case 'resume': {
      const request = fenceOf(model, command.fencing);
      return attempt(
        () => requests.validateFenced(request),
        () => operations.markResumed(job, request, nowMs),
        request.workerId,
      );
    }
    case 'commit': {
      const request = { ...fenceOf(model, command.fencing), index: command.index, transcript: command.transcript };
      return attempt(
        () => requests.validateCommit(request),
        () => operations.commit(job, request, nowMs),
        request.workerId,
      );
    }
    case 'complete': {
      const request = fenceOf(model, command.fencing);
      return attempt(
        () => requests.validateFenced(request),
        () => operations.complete(job, request, nowMs),
        request.workerId,
      );
    }
    case 'fail': {
      const request = {
        ...fenceOf(model, command.fencing),
        reason: command.reason,
        message: command.message,
        chunkIndex: command.chunkIndex,
        retryable: command.retryable,
      };
      return attempt(
        () => requests.validateFail(request),
        () => operations.fail(job, request, nowMs),
        request.workerId,
      );
    }
    case 'release': {
      const request = fenceOf(model, command.fencing);
      return attempt(
        () => requests.validateFenced(request),
        () => operations.release(job, request, nowMs),
        request.workerId,
      );
    }
    case 'quarantine': {
      const request = {
        jobId,
        workerId: command.worker,
        message: command.message,
        requestId: requestIdOf(model, command.request),
      };
      return attempt(
        () => validateJobId(request.jobId),
        () => operations.quarantine(job, request, nowMs),
        command.worker,
      );
    }
  }
}

/** Checks one applied step against every promise a single write makes. */
function checkApplied(
  before: Job | null,
  after: Job,
  events: readonly JobEvent[],
  duplicate: boolean,
  requester: string,
  nowMs: number,
): void {
  if (duplicate) {
    expect(after).toBe(before);
    expect(events).toEqual([]);
    return;
  }
  expect(jobInvariantProblems(after)).toEqual([]);
  const firstSeq = before?.nextSeq ?? 1;
  expect(events.map((event) => event.seq)).toEqual(events.map((_, offset) => firstSeq + offset));
  expect(after.nextSeq).toBe(firstSeq + events.length);
  for (const event of events) {
    expect(parseEvent(event)).toEqual(event);
    expect(event).toMatchObject({ job_id: jobId, timestamp: nowMs, epoch: after.epoch, worker_id: requester });
  }
  if (before === null) return;
  expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
  before.chunks.forEach((chunk, index) => {
    if (chunk.transcript !== null) expect(after.chunks[index]?.transcript).toBe(chunk.transcript);
  });
}

/** Checks the whole event stream of the job: progress (P6) and recovery brackets (P5). */
function checkStream(events: readonly JobEvent[], job: Job | null): void {
  let progress = 0;
  let open = false;
  let resumed = false;
  events.forEach((event, position) => {
    expect(event.seq).toBe(position + 1);
    if (event.event === 'progress_update') {
      expect(event.progress).toBeGreaterThanOrEqual(progress);
      progress = event.progress;
      expect(event.progress === 100).toBe(events[position + 1]?.event === 'transcription_completed');
    }
    if (event.event === 'recovery_started') {
      expect(open).toBe(false);
      open = true;
      resumed = false;
    }
    if (event.event === 'processing_resumed') {
      expect(open && !resumed).toBe(true);
      resumed = true;
    }
    if (event.event === 'recovery_completed' || event.event === 'recovery_failed') {
      expect(open).toBe(true);
      open = false;
    }
  });
  if (job !== null) expect(job.recovery.open).toBe(open);
  if (job?.phase === 'completed') expect(progress).toBe(100);
  else expect(progress).toBeLessThan(100);
}

describe('store operations (operations.ts) under random sequences', () => {
  test.prop([fc.array(commandArbitrary, { minLength: 1, maxLength: 80, size: 'max' })], { numRuns: 400 })(
    'never produce a broken job, and keep events, epochs, committed text, refusals and leases sound',
    (commands) => {
      const model: Model = { job: null, events: [], nowMs: 1_000, requests: 0 };
      for (const command of commands) {
        const before = model.job;
        const snapshot = structuredClone(before);
        const wasLeased = before !== null && operations.isLeased(before, model.nowMs);
        const result = run(model, command);
        expect(before).toEqual(snapshot);
        if (result === 'advanced' || result === 'rejected') continue;
        const { outcome, requester } = result;
        if (outcome.kind !== 'ok' && outcome.kind !== 'exhausted') {
          // Refused: nothing is written, and the stored job stays exactly as it was.
          expect(model.job).toBe(before);
          continue;
        }
        const duplicate = outcome.kind === 'ok' && outcome.duplicate;
        checkApplied(before, outcome.job, outcome.events, duplicate, requester, model.nowMs);
        if (command.kind === 'claim' && !duplicate) {
          // P4: a grant never overlaps a valid lease, and takes a new epoch.
          expect(wasLeased).toBe(false);
          expect(outcome.job.epoch).toBe((before?.epoch ?? 0) + 1);
        }
        if (command.kind === 'quarantine' && !duplicate) expect(outcome.job.epoch).toBe((before?.epoch ?? 0) + 1);
        model.job = outcome.job;
        model.events.push(...outcome.events);
        checkStream(model.events, model.job);
      }
    },
  );

  it('reach every phase, recoveries, exhaustion and retried requests (the generator is strong enough to mean something)', () => {
    const seen = new Set<string>();
    for (const commands of fc.sample(fc.array(commandArbitrary, { minLength: 40, maxLength: 80 }), {
      numRuns: 300,
      seed: 20_240_601,
    })) {
      const model: Model = { job: null, events: [], nowMs: 1_000, requests: 0 };
      for (const command of commands) {
        const result = run(model, command);
        if (typeof result === 'string') continue;
        const { outcome } = result;
        seen.add(`${command.kind}:${outcome.kind}${outcome.kind === 'ok' && outcome.duplicate ? ':duplicate' : ''}`);
        if (outcome.kind !== 'ok' && outcome.kind !== 'exhausted') continue;
        model.job = outcome.job;
        seen.add(`phase:${model.job.phase}`);
        for (const event of outcome.events) seen.add(`event:${event.event}`);
      }
    }
    for (const phase of ['queued', 'chunking', 'transcribing', 'finalizing', 'completed', 'failed'])
      expect(seen).toContain(`phase:${phase}`);
    for (const event of [
      'recovery_started',
      'processing_resumed',
      'recovery_completed',
      'recovery_failed',
      'chunk_recreated',
      'chunk_failed',
    ]) {
      expect(seen).toContain(`event:${event}`);
    }
    for (const step of [
      'quarantine:ok',
      'quarantine:terminal',
      'release:ok',
      'renew:ok',
      'resume:ok',
      'recreate:ok',
      'complete:ok',
      'fail:ok',
      'claim:exhausted',
      'commit:ok:duplicate',
      'commit:already_committed',
      'commit:stale_epoch',
      'plan:invalid_state',
      'claim:not_claimable',
    ]) {
      expect(seen).toContain(step);
    }
  });
});
