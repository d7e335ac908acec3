/**
 * RedisJobStore behaves exactly like the memory reference: fast-check generates sequences of every
 * store operation over two jobs (several workers, concurrent claims, stale and future epochs,
 * repeated request ids, broken plans, clock advances), applies each step to the memory store and
 * to RedisJobStore on ioredis-mock and on a real server, and requires identical results, thrown
 * errors, getJob snapshots, event streams (readEvents) and recoverable-job sets after every step.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/memory/store.js';
import { RedisJobStore } from '../../../src/adapters/redis/index.js';
import { planChunks } from '../../../src/core/planner.js';
import { failureReasons, type ExtractedChunk, type FailureReason, type Job } from '../../../src/core/types.js';
import type { JobStore } from '../../../src/ports.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  randomPrefix,
  realRedis,
} from '../../support/redis.js';

const jobIds = ['a', 'b'] as const;
const workers = ['w1', 'w2', 'w3'] as const;
type JobChoice = (typeof jobIds)[number];
type Worker = (typeof workers)[number];
type Who = 'owner' | Worker;
/** `current` = the job's epoch (at least 1), `previous`/`next` = one off, a number = that epoch. */
type EpochChoice = 'current' | 'previous' | 'next' | number;
/** `pending` = the reference job's first chunk without text (progress), a number = that chunk. */
type IndexChoice = 'pending' | number;
type RequestChoice = 'fresh' | 'last';

interface Fencing {
  readonly job: JobChoice;
  readonly who: Who;
  readonly epoch: EpochChoice;
  readonly request: RequestChoice;
}

type Command =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'create'; readonly job: JobChoice; readonly source: 'x' | 'y'; readonly chunkLengthMs: number }
  | {
      readonly kind: 'claim';
      readonly job: JobChoice;
      readonly worker: Worker;
      readonly leaseMs: number;
      readonly attemptsMax: number;
      readonly request: RequestChoice;
    }
  | {
      readonly kind: 'claims';
      readonly job: JobChoice;
      readonly first: Worker;
      readonly second: Worker;
      readonly leaseMs: number;
    }
  | { readonly kind: 'renew'; readonly fencing: Fencing; readonly leaseMs: number }
  | { readonly kind: 'plan'; readonly fencing: Fencing; readonly durationMs: number; readonly broken: boolean }
  | {
      readonly kind: 'recreate';
      readonly fencing: Fencing;
      readonly index: IndexChoice;
      readonly reason: 'missing' | 'corrupt';
      readonly bytes: number;
    }
  | { readonly kind: 'resume'; readonly fencing: Fencing }
  | { readonly kind: 'commit'; readonly fencing: Fencing; readonly index: IndexChoice; readonly transcript: string }
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
      readonly job: JobChoice;
      readonly worker: Worker;
      readonly request: RequestChoice;
      readonly message: string;
    };

const jobArbitrary = fc.constantFrom(...jobIds);
const workerArbitrary = fc.constantFrom(...workers);
const requestArbitrary = fc.constantFrom<RequestChoice>('fresh', 'fresh', 'fresh', 'last');
const fencingArbitrary: fc.Arbitrary<Fencing> = fc.record({
  job: jobArbitrary,
  who: fc.oneof({ arbitrary: fc.constant<Who>('owner'), weight: 8 }, { arbitrary: workerArbitrary, weight: 2 }),
  epoch: fc.oneof(
    { arbitrary: fc.constant<EpochChoice>('current'), weight: 8 },
    { arbitrary: fc.constantFrom<EpochChoice>('previous', 'next'), weight: 1 },
    { arbitrary: fc.integer({ min: 1, max: 5 }), weight: 1 },
  ),
  request: requestArbitrary,
});
const indexArbitrary = fc.oneof(
  { arbitrary: fc.constant<IndexChoice>('pending'), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 1 },
);
const textArbitrary = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('', 'héllo wörld', '日本語のテキスト', 'emoji 😀 ok', 'nul\u0000byte'),
);
const leaseArbitrary = fc.constantFrom(1_000, 3_000, 8_000);

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(1, 500, 2_000, 9_000) }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      job: jobArbitrary,
      source: fc.constantFrom('x' as const, 'y' as const),
      chunkLengthMs: fc.constantFrom(1_000, 2_000),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      job: jobArbitrary,
      worker: workerArbitrary,
      leaseMs: leaseArbitrary,
      attemptsMax: fc.integer({ min: 1, max: 3 }),
      request: requestArbitrary,
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('claims' as const),
      job: jobArbitrary,
      first: workerArbitrary,
      second: workerArbitrary,
      leaseMs: leaseArbitrary,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('renew' as const), fencing: fencingArbitrary, leaseMs: leaseArbitrary }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      fencing: fencingArbitrary,
      durationMs: fc.oneof(fc.integer({ min: 1, max: 4_000 }), fc.constantFrom(2_500.5, 1_000.25)),
      broken: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 6 }),
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
  { arbitrary: fc.record({ kind: fc.constant('resume' as const), fencing: fencingArbitrary }), weight: 4 },
  {
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      fencing: fencingArbitrary,
      index: indexArbitrary,
      transcript: textArbitrary,
    }),
    weight: 24,
  },
  { arbitrary: fc.record({ kind: fc.constant('complete' as const), fencing: fencingArbitrary }), weight: 6 },
  {
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      fencing: fencingArbitrary,
      reason: fc.constantFrom(...failureReasons),
      message: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 995, maxLength: 1_010 })),
      chunkIndex: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      retryable: fc.option(fc.boolean(), { nil: undefined }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), fencing: fencingArbitrary }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('quarantine' as const),
      job: jobArbitrary,
      worker: workerArbitrary,
      request: requestArbitrary,
      message: fc.string({ maxLength: 30 }),
    }),
    weight: 1,
  },
);

const startMs = 1_700_000_000_000;
/** Every run starts with both jobs created and job a planned, so that the random steps reach deep states. */
const preamble: readonly Command[] = [
  ...jobIds.map((job): Command => ({ kind: 'create', job, source: 'x', chunkLengthMs: 1_000 })),
  { kind: 'claim', job: 'a', worker: 'w1', leaseMs: 8_000, attemptsMax: 3, request: 'fresh' },
  {
    kind: 'plan',
    fencing: { job: 'a', who: 'owner', epoch: 'current', request: 'fresh' },
    durationMs: 2_500.5,
    broken: false,
  },
];
const sha = (seed: string | number): string => createHash('sha256').update(String(seed)).digest('hex');

interface Subject {
  readonly name: string;
  readonly store: JobStore;
  cleanup(): Promise<void>;
}

/** A step's outcome as compared: the value, or the thrown error's class and message. */
type Observed = { readonly value: unknown } | { readonly thrown: string; readonly message: string };

async function observe(action: () => Promise<unknown>): Promise<Observed> {
  try {
    return { value: await action() };
  } catch (error) {
    return error instanceof Error
      ? { thrown: error.constructor.name, message: error.message }
      : { thrown: typeof error, message: String(error) };
  }
}

/** Resolves the choices of a command against the reference's state, so that every store gets the same request. */
class Requests {
  private count = 0;
  private last = 'r0';

  requestId(choice: RequestChoice): string {
    if (choice === 'last') return this.last;
    this.count += 1;
    this.last = `r${this.count}`;
    return this.last;
  }

  fenced(job: Job | null, fencing: Fencing): { jobId: string; workerId: string; epoch: number; requestId: string } {
    const current = Math.max(1, job?.epoch ?? 0);
    const epoch =
      fencing.epoch === 'current'
        ? current
        : fencing.epoch === 'previous'
          ? current - 1
          : fencing.epoch === 'next'
            ? current + 1
            : fencing.epoch;
    const workerId = fencing.who === 'owner' ? (job?.owner ?? 'w1') : fencing.who;
    return { jobId: fencing.job, workerId, epoch, requestId: this.requestId(fencing.request) };
  }
}

function indexOf(job: Job | null, choice: IndexChoice): number {
  if (choice !== 'pending') return choice;
  return job?.chunks.find((chunk) => chunk.transcript === null)?.index ?? 0;
}

function planOf(job: Job | null, durationMs: number, broken: boolean): ExtractedChunk[] {
  const chunks = planChunks(durationMs, job?.chunkLengthMs ?? 1_000).map((spec) => ({
    ...spec,
    bytes: 100 + spec.index,
    sha256: sha(spec.index),
  }));
  return broken
    ? chunks.map((chunk, position) =>
        position === chunks.length - 1 ? { ...chunk, startMs: chunk.startMs + 1 } : chunk,
      )
    : chunks;
}

/** One step as a function of a store; the same closure runs against every subject. */
function stepOf(
  command: Command,
  reference: MemoryJobStore,
  requests: Requests,
): Promise<(store: JobStore) => Promise<unknown>> | ((store: JobStore) => Promise<unknown>) {
  const jobOf = async (jobId: string) => reference.getJob(jobId);
  switch (command.kind) {
    case 'advance':
      return async () => 'advanced';
    case 'create': {
      const request = {
        jobId: command.job,
        source: `/media/${command.source}.wav`,
        chunkLengthMs: command.chunkLengthMs,
      };
      return (store) => store.createJob(request);
    }
    case 'claim': {
      const request = {
        jobId: command.job,
        workerId: command.worker,
        leaseMs: command.leaseMs,
        recoveryAttemptsMax: command.attemptsMax,
        requestId: requests.requestId(command.request),
      };
      return (store) => store.claimJob(request);
    }
    case 'claims': {
      const first = {
        jobId: command.job,
        workerId: command.first,
        leaseMs: command.leaseMs,
        recoveryAttemptsMax: 3,
        requestId: requests.requestId('fresh'),
      };
      const second = { ...first, workerId: command.second, requestId: requests.requestId('fresh') };
      return (store) => Promise.all([store.claimJob(first), store.claimJob(second)]);
    }
    case 'quarantine': {
      const request = {
        jobId: command.job,
        workerId: command.worker,
        message: command.message,
        requestId: requests.requestId(command.request),
      };
      return (store) => store.quarantineJob(request);
    }
    default:
      return jobOf(command.fencing.job).then((job) => fencedStepOf(command, job, requests));
  }
}

function fencedStepOf(
  command: Extract<Command, { fencing: Fencing }>,
  job: Job | null,
  requests: Requests,
): (store: JobStore) => Promise<unknown> {
  const fence = requests.fenced(job, command.fencing);
  switch (command.kind) {
    case 'renew':
      return (store) =>
        store.renewLease({
          jobId: fence.jobId,
          workerId: fence.workerId,
          epoch: fence.epoch,
          leaseMs: command.leaseMs,
        });
    case 'plan': {
      const request = {
        ...fence,
        durationMs: command.durationMs,
        chunks: planOf(job, command.durationMs, command.broken),
      };
      return (store) => store.recordChunkPlan(request);
    }
    case 'recreate': {
      const request = {
        ...fence,
        index: indexOf(job, command.index),
        reason: command.reason,
        bytes: command.bytes,
        sha256: sha(`re-${command.bytes}`),
      };
      return (store) => store.recordChunkRecreated(request);
    }
    case 'resume':
      return (store) => store.markResumed(fence);
    case 'commit':
      return (store) =>
        store.commitChunk({ ...fence, index: indexOf(job, command.index), transcript: command.transcript });
    case 'complete':
      return (store) => store.completeJob(fence);
    case 'fail': {
      const request = {
        ...fence,
        reason: command.reason,
        message: command.message,
        chunkIndex: command.chunkIndex,
        retryable: command.retryable,
      };
      return (store) => store.failJob(request);
    }
    case 'release':
      return (store) => store.releaseJob(fence);
  }
}

/** Everything a consumer of the store can see, for comparison after a step. */
async function visibleState(store: JobStore): Promise<unknown> {
  const jobs = await Promise.all(jobIds.map((jobId) => observe(() => store.getJob(jobId))));
  const events = await Promise.all(jobIds.map((jobId) => observe(() => store.readEvents(jobId))));
  const recoverable = await observe(async () => (await store.listRecoverableJobs(10)).sort());
  return { jobs, events, recoverable };
}

const probe = await realRedis();
const runsMax = Number(process.env['CHUNKWISE_DIFFERENTIAL_RUNS'] ?? 40);
const clients = { mock: connectMockRedis(), real: probe.available ? connectRealRedis() : null };

afterAll(async () => {
  clients.mock.disconnect();
  await clients.real?.quit();
});

function subjects(clock: { now(): number }): Subject[] {
  const redisSubject = (name: string, redis: NonNullable<(typeof clients)['real']>): Subject => {
    const keyPrefix = randomPrefix(`differential-${name.replace(/\W+/g, '-')}`);
    return {
      name,
      store: new RedisJobStore({ redis, keyPrefix, clock }),
      cleanup: () => deleteKeysWithPrefix(redis, keyPrefix),
    };
  };
  const list = [redisSubject('ioredis-mock', clients.mock)];
  if (clients.real !== null) list.push(redisSubject('real Redis', clients.real));
  return list;
}

it(`matches the memory reference step by step on ioredis-mock${probe.available ? ' and on a real server' : ''}`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 50, size: 'max' }), async (commands) => {
      let nowMs = startMs;
      const clock = { now: () => nowMs };
      const reference = new MemoryJobStore(clock);
      const others = subjects(clock);
      const requests = new Requests();
      try {
        for (const [position, command] of [...preamble, ...commands].entries()) {
          if (command.kind === 'advance') nowMs += command.ms;
          const step = await stepOf(command, reference, requests);
          const expected = await observe(() => step(reference));
          const expectedState = await visibleState(reference);
          for (const subject of others) {
            const where = `step ${position} (${command.kind}) on ${subject.name}`;
            expect(await observe(() => step(subject.store)), where).toEqual(expected);
            expect(await visibleState(subject.store), where).toEqual(expectedState);
          }
        }
      } finally {
        await Promise.all(others.map((subject) => subject.cleanup()));
      }
    }),
    { numRuns: runsMax },
  );
}, 300_000);
