/**
 * Deliberately broken variants of the engine, each planted through a seam the simulator offers
 * (a store specification variant, or wrapped worker ports). They live only in test/: the
 * simulator must find each one and shrink it to a short story.
 */
import * as operations from '../../src/core/operations.js';
import { MemoryJobStore } from '../../src/adapters/memory/store.js';
import type { Specification, StoreClock } from '../../src/adapters/memory/store.js';
import type { ChunkStore, JobStore, TranscribeRequest } from '../../src/ports.js';
import { Worker } from '../../src/runtime/worker.js';
import type { PromiseId } from '../../sim/checkers/index.js';
import type { StoreFactory, WorldOptions } from '../../sim/world.js';

/** A planted bug: how to build the broken world, and which promises should catch it. */
export interface PlantedBug {
  readonly name: string;
  readonly world: WorldOptions;
  readonly caughtBy: readonly PromiseId[];
}

/** The memory store with `variant` replacing some operations; `clockFor` may give it another clock than the world's. */
function memoryVariant(
  variant: Partial<Specification>,
  clockFor?: (...args: Parameters<StoreFactory>) => StoreClock,
): WorldOptions['store'] {
  return (clock, host) => {
    const store = new MemoryJobStore(clockFor?.(clock, host) ?? clock, variant);
    return {
      store,
      inspect: {
        job: (id) => store.peek(id),
        events: (id) => store.peekEvents(id),
        tamper: (id, change) => store.tamper(id, change),
      },
    };
  };
}

type WorkerOptions = ConstructorParameters<typeof Worker>[0];

function withPorts(change: (options: WorkerOptions) => Partial<WorkerOptions>): WorldOptions['workerFactory'] {
  return (options) => new Worker({ ...options, ...change(options) });
}

/** The store accepts a commit whatever epoch it carries (no fencing on commit). */
export const unfencedCommit: PlantedBug = {
  name: 'store skips the fencing check on commit',
  caughtBy: ['P2', 'P3'],
  world: {
    store: memoryVariant({
      commit: (job, request, nowMs) =>
        operations.commit(
          job,
          job === null ? request : { ...request, epoch: job.epoch, workerId: job.owner ?? request.workerId },
          nowMs,
        ),
    }),
  },
};

/** A recovery loads a snapshot that forgets the last committed chunk, so it transcribes it again. */
export const forgetfulRecovery: PlantedBug = {
  name: 'recovery re-transcribes a committed chunk',
  caughtBy: ['P2', 'P9', 'P10'],
  world: {
    workerFactory: withPorts((options) => {
      const store: JobStore = Object.create(options.store) as JobStore;
      store.claimJob = async (request) => {
        const result = await options.store.claimJob(request);
        if (result.kind !== 'ok' || !result.recovery) return result;
        const last = result.job.chunks.findLastIndex((chunk) => chunk.transcript !== null);
        if (last < 0 || result.job.phase !== 'transcribing') return result;
        const chunks = result.job.chunks.map((chunk, index) =>
          index === last ? { ...chunk, transcript: null } : chunk,
        );
        return { ...result, job: { ...result.job, chunks } };
      };
      return { store };
    }),
  },
};

/** Completing a recovered job forgets to emit recovery_completed. */
export const silentFinalizer: PlantedBug = {
  name: 'finalizer forgets recovery_completed',
  caughtBy: ['P5'],
  world: {
    store: memoryVariant({
      complete: (job, request, nowMs) => {
        const outcome = operations.complete(job, request, nowMs);
        if (outcome.kind !== 'ok' || outcome.events.at(-1)?.event !== 'recovery_completed') return outcome;
        return {
          ...outcome,
          events: outcome.events.slice(0, -1),
          job: { ...outcome.job, nextSeq: outcome.job.nextSeq - 1 },
        };
      },
    }),
  },
};

/** The worker trusts chunk files without verifying their checksum. */
export const trustingReader: PlantedBug = {
  name: 'worker ignores a corrupt checksum',
  caughtBy: ['P7'],
  world: {
    workerFactory: withPorts((options) => {
      const inner = options.chunkStore;
      const chunkStore: ChunkStore = {
        check: async (jobId, index, expected) =>
          (await inner.check(jobId, index, expected)) === 'missing' ? 'missing' : 'ok',
        read: async (jobId, index, expected) => {
          const read = await inner.read(jobId, index, expected);
          return read.kind === 'corrupt' ? { kind: 'ok', data: new Uint8Array(expected.bytes) } : read;
        },
        removeJob: (jobId) => inner.removeJob(jobId),
        listJobIds: () => inner.listJobIds(),
      };
      return { chunkStore };
    }),
  },
};

/** The worker never removes chunk files. */
export const forgetfulCleanup: PlantedBug = {
  name: 'worker forgets to remove chunk files',
  caughtBy: ['P8'],
  world: {
    workerFactory: withPorts((options) => ({ chunkStore: { ...bind(options.chunkStore), removeJob: async () => {} } })),
  },
};

function bind(store: ChunkStore): ChunkStore {
  return {
    check: (jobId, index, expected) => store.check(jobId, index, expected),
    read: (jobId, index, expected) => store.read(jobId, index, expected),
    removeJob: (jobId) => store.removeJob(jobId),
    listJobIds: () => store.listJobIds(),
  };
}

/** The store grants a lease on a job whose lease is still valid. */
export const leaseIgnoringClaim: PlantedBug = {
  name: 'store grants a lease that is still held',
  caughtBy: ['P4'],
  world: {
    store: memoryVariant({
      claim: (job, request, nowMs) =>
        operations.claim(
          job === null ? null : { ...job, leaseExpiresAtMs: Math.min(job.leaseExpiresAtMs, nowMs) },
          request,
          nowMs,
        ),
    }),
  },
};

/** Completing a job forgets its final progress_update (100 %). */
export const silentProgress: PlantedBug = {
  name: 'completion forgets progress 100',
  caughtBy: ['P6'],
  world: {
    store: memoryVariant({
      complete: (job, request, nowMs) => {
        const outcome = operations.complete(job, request, nowMs);
        if (outcome.kind !== 'ok' || outcome.duplicate) return outcome;
        const events = outcome.events.slice(1).map((event) => ({ ...event, seq: event.seq - 1 }));
        return { ...outcome, events, job: { ...outcome.job, nextSeq: outcome.job.nextSeq - 1 } };
      },
    }),
  },
};

/** The store never runs out of recovery attempts. */
export const unboundedRecoveries: PlantedBug = {
  name: 'store ignores the recovery attempts limit',
  caughtBy: ['P11'],
  world: {
    store: memoryVariant({
      claim: (job, request, nowMs) => operations.claim(job, { ...request, recoveryAttemptsMax: 1_000 }, nowMs),
    }),
  },
};

/**
 * A claim after a graceful release records the recovery as an expired lease (recovery_type lease_expired, not
 * released).
 */
export const mislabelledHandOver: PlantedBug = {
  name: 'claim after a release says the lease expired',
  caughtBy: ['P5'],
  world: {
    store: memoryVariant({
      claim: (job, request, nowMs) => {
        const outcome = operations.claim(job, request, nowMs);
        if (outcome.kind !== 'ok') return outcome;
        const events = outcome.events.map((event) =>
          event.event === 'recovery_started' && event.recovery_type === 'released'
            ? { ...event, recovery_type: 'lease_expired' as const }
            : event,
        );
        return { ...outcome, events };
      },
    }),
  },
};

/**
 * The store reads time from the calling worker's clock instead of its own (a store adapter handed
 * the client's clock): a worker whose clock runs ahead sees other workers' leases as expired.
 */
export const clientClockStore: PlantedBug = (() => {
  const clocks = new Map<string, () => number>();
  return {
    name: "store reads the calling worker's clock",
    caughtBy: ['P2', 'P3', 'P4'],
    world: {
      store: memoryVariant({}, (clock, host) => ({
        now: () => (clocks.get(host.caller() ?? '') ?? (() => clock.now()))(),
      })),
      workerFactory: (options) => {
        clocks.set(options.workerId, () => options.clock.now());
        return new Worker(options);
      },
    },
  };
})();

/** The worker takes a retryable media error (a timeout) for a broken source and fails the job at once. */
export const impatientMedia: PlantedBug = {
  name: 'worker fails a job on a retryable media error',
  caughtBy: ['P9'],
  world: {
    workerFactory: withPorts((options) => {
      const inner = options.media;
      const permanent = <T extends { kind: string }>(result: T): T | { kind: 'invalid'; message: string } =>
        result.kind === 'error' ? { kind: 'invalid', message: 'media tool failed' } : result;
      return {
        media: {
          probe: async (source) => permanent(await inner.probe(source)) as Awaited<ReturnType<typeof inner.probe>>,
          extractChunk: async (request) =>
            permanent(await inner.extractChunk(request)) as Awaited<ReturnType<typeof inner.extractChunk>>,
        },
      };
    }),
  },
};

/** The store allows one recovery more than the limit (an off-by-one in the attempts check). */
export const offByOneRecoveries: PlantedBug = {
  name: 'store allows one recovery past the limit',
  caughtBy: ['P11'],
  world: {
    store: memoryVariant({
      claim: (job, request, nowMs) =>
        operations.claim(job, { ...request, recoveryAttemptsMax: request.recoveryAttemptsMax + 1 }, nowMs),
    }),
  },
};

/**
 * A recoverer that finds the job finalizing (every chunk committed, the completion not yet written) takes it for a
 * transcribing job whose transcripts it cannot see, and transcribes every chunk again.
 */
export const finalizingRedone: PlantedBug = {
  name: 'recovery of a finalizing job transcribes it again',
  caughtBy: ['P2', 'P3', 'P9'],
  world: {
    workerFactory: withPorts((options) => {
      const inner = options.store;
      const store = Object.create(inner) as typeof inner;
      store.claimJob = async (request) => {
        const result = await inner.claimJob(request);
        if (result.kind !== 'ok' || !result.recovery || result.job.phase !== 'finalizing') return result;
        const chunks = result.job.chunks.map((chunk) => ({ ...chunk, transcript: null }));
        return { ...result, job: { ...result.job, phase: 'transcribing', chunks } };
      };
      return { store };
    }),
  },
};

/**
 * The transcriber client keeps the request in flight in one field, as a client written for one call at a time would:
 * a reply that comes back after another call started is taken for that other call's chunk (asked again for it), so the
 * text lands on the wrong chunk. Harmless with one transcription at a time; wrong with several (chunkConcurrency).
 */
export const sharedRequestField: PlantedBug = {
  name: 'transcriber client keeps the request in one shared field',
  caughtBy: ['P2', 'P7'],
  world: {
    workerFactory: withPorts((options) => {
      const inner = options.transcriber;
      let current: TranscribeRequest | undefined;
      return {
        transcriber: {
          transcribe: async (request) => {
            current = request;
            const result = await inner.transcribe(request);
            if (current === request) return result;
            return inner.transcribe({ ...current, prompt: request.prompt });
          },
        },
      };
    }),
  },
};

/** Every planted bug the fuzzer must find. */
export const plantedBugs: readonly PlantedBug[] = [
  unfencedCommit,
  forgetfulRecovery,
  silentFinalizer,
  trustingReader,
  forgetfulCleanup,
  leaseIgnoringClaim,
  silentProgress,
];
