/**
 * What a simulated run is made of, and the fast-check arbitraries that generate it: jobs, workers,
 * per-seed fault probabilities ("swarm": each run leans on a few fault kinds), a fault plan, and
 * the scheduler's choice sequence. Every fault has a short label so a shrunk run reads as a story.
 */
import fc from 'fast-check';
import { chunkTailMsMin, type Limits } from '../src/core/limits.js';

/** One job of a run. */
export interface JobSpec {
  readonly id: string;
  readonly chunks: number;
  readonly chunkLengthMs: number;
  /** The last chunk's length (chunkTailMsMin..chunkLengthMs, so the plan has exactly `chunks` chunks). */
  readonly lastChunkMs: number;
  /** When the job is submitted (virtual ms); absent or 0: before the workers start. */
  readonly submitAtMs?: number;
  /**
   * Submitted the moment the n-th look for work of any worker is sent (instead of at a time):
   * a submission racing a worker's look at the index.
   */
  readonly submitOnPoll?: number;
}

/** Which of a worker's calls a crash or pause fault counts. */
export type CallTarget = 'any' | 'claim' | 'extract' | 'transcribe' | 'commit' | 'complete';

/** What a poison fault writes. */
export type PoisonKind = 'absurd_size' | 'index_member';

/** A transcriber error the fault plan can inject. */
export type TranscriberError = 429 | 500 | 'timeout' | 'reset' | 400;

/** One injected fault. */
export type Fault =
  | {
      readonly kind: 'crash';
      readonly worker: number;
      readonly target: CallTarget;
      readonly nth: number;
      readonly when: 'before' | 'after';
    }
  | {
      readonly kind: 'pause';
      readonly worker: number;
      readonly target: CallTarget;
      readonly nth: number;
      readonly durationMs: number;
    }
  | { readonly kind: 'store_down'; readonly atMs: number; readonly durationMs: number }
  | { readonly kind: 'reply_lost'; readonly nth: number }
  | {
      readonly kind: 'chunk_file';
      readonly job: number;
      readonly chunk: number;
      readonly damage: 'delete' | 'truncate' | 'corrupt';
      readonly atMs: number;
    }
  | { readonly kind: 'source_deleted'; readonly job: number; readonly atMs: number }
  | { readonly kind: 'transcriber_error'; readonly nth: number; readonly error: TranscriberError }
  | { readonly kind: 'state_corrupt'; readonly job: number; readonly atMs: number }
  | { readonly kind: 'recoverers'; readonly atMs: number; readonly count: number }
  /**
   * Poison data written straight into the store (Redis stores only): an absurd chunk count of job
   * `job`, or an index entry that is no job id. (Keys of the wrong type, whose quarantine sets the
   * job's history aside, are tested by hand in test/adapters/redis/corrupt-state.test.ts: no
   * checker could hold P5–P7 over a history the fault itself destroyed.)
   */
  | { readonly kind: 'poison'; readonly job: number; readonly atMs: number; readonly what: PoisonKind }
  /** Every transcription started in the window fails with `status` (and asks for `retryAfterMs`, when above 0). */
  | {
      readonly kind: 'api_outage';
      readonly atMs: number;
      readonly durationMs: number;
      readonly status: 429 | 503;
      readonly retryAfterMs: number;
    }
  /**
   * A graceful stop (a rolling deploy): at its nth call of `target`, the worker is told to stop; it
   * releases what it holds and exits, and a new incarnation starts in its slot.
   */
  | { readonly kind: 'stop'; readonly worker: number; readonly target: CallTarget; readonly nth: number }
  /**
   * The clock of a worker's machine (every incarnation of its slot) is `offsetMs` ahead of the
   * store's and runs `driftPpm` parts per million fast (or slow, below 0), for the whole run. The
   * store keeps its own time; the engine must not mix the two.
   */
  | { readonly kind: 'clock_skew'; readonly worker: number; readonly offsetMs: number; readonly driftPpm: number }
  /** The nth media call (probe or extraction) fails with a retryable error (a timeout, a full disk). */
  | { readonly kind: 'media_error'; readonly nth: number }
  /**
   * Triggered by events, not by time: each of the first `count` owners job `job` gets (each grant
   * of its lease in the fault phase) crashes before its next call. With `count` near
   * recoveryAttemptsMax this drives one job through all its recoveries and past the limit (P11).
   */
  | { readonly kind: 'owner_crash'; readonly job: number; readonly count: number };

/** Every fault kind, for coverage counts. */
export const faultKinds = [
  'crash',
  'pause',
  'store_down',
  'reply_lost',
  'chunk_file',
  'source_deleted',
  'transcriber_error',
  'state_corrupt',
  'recoverers',
  'api_outage',
  'poison',
  'stop',
  'clock_skew',
  'media_error',
  'owner_crash',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** Latencies of the simulated ports, drawn per run. */
export interface Latencies {
  readonly storeMaxMs: number;
  readonly mediaMs: number;
  readonly transcribeMs: number;
}

/** Everything one run needs; a pure value, so a run is replayable from it. */
export interface Scenario {
  readonly jobs: readonly JobSpec[];
  readonly workers: number;
  readonly faults: readonly Fault[];
  readonly latencies: Latencies;
  /** Length of the fault phase; the liveness phase after it lasts while jobs progress (see sim/liveness.ts). */
  readonly faultPhaseMs: number;
  /** Seed of the workers' jitter and the ports' latency draws. */
  readonly seed: number;
  readonly choices: readonly number[];
}

/** Limits the simulated workers run with: short leases so that virtual minutes hold many of them. */
export const simulationLimits: Limits = Object.freeze({
  leaseDurationMs: 10_000,
  leaseRenewIntervalMs: 3_000,
  recoveryAttemptsMax: 8,
  transcriptionAttemptsMax: 6,
  transcriptionOutageMs: 20_000,
  retryAfterMsMax: 10_000,
  mediaAttemptsMax: 5,
  retryDelayBaseMs: 100,
  retryDelayMaxMs: 4_000,
  idlePollIntervalMs: 1_000,
  sweepIntervalMs: 5_000,
  recoverableJobsPageMax: 16,
});

/** A short label for a fault, as it appears in a shrunk counterexample. */
export function faultLabel(fault: Fault): string {
  switch (fault.kind) {
    case 'crash':
      return `crash(w${fault.worker} ${fault.when} ${fault.target}#${fault.nth})`;
    case 'pause':
      return `pause(w${fault.worker} at ${fault.target}#${fault.nth} for ${fault.durationMs}ms)`;
    case 'store_down':
      return `store_down(${fault.atMs}ms +${fault.durationMs}ms)`;
    case 'reply_lost':
      return `reply_lost(applied store call #${fault.nth})`;
    case 'chunk_file':
      return `chunk[j${fault.job}/${fault.chunk}].${fault.damage}@${fault.atMs}ms`;
    case 'source_deleted':
      return `source[j${fault.job}].deleted@${fault.atMs}ms`;
    case 'transcriber_error':
      return `transcriber(${fault.error} on call #${fault.nth})`;
    case 'state_corrupt':
      return `state[j${fault.job}].corrupt@${fault.atMs}ms`;
    case 'recoverers':
      return `recoverers(${fault.count}@${fault.atMs}ms)`;
    case 'poison':
      return `poison(${fault.what}${fault.what === 'index_member' ? '' : ` j${fault.job}`}@${fault.atMs}ms)`;
    case 'api_outage':
      return `api_outage(${fault.status} ${fault.atMs}ms +${fault.durationMs}ms${fault.retryAfterMs > 0 ? `, retry-after ${fault.retryAfterMs}ms` : ''})`;
    case 'stop':
      return `stop(w${fault.worker} at ${fault.target}#${fault.nth})`;
    case 'clock_skew':
      return `clock_skew(w${fault.worker} ${fault.offsetMs >= 0 ? '+' : ''}${fault.offsetMs}ms, ${fault.driftPpm >= 0 ? '+' : ''}${fault.driftPpm}ppm)`;
    case 'media_error':
      return `media_error(call #${fault.nth})`;
    case 'owner_crash':
      return `owner_crash(j${fault.job} ×${fault.count})`;
  }
}

/** Bounds of generated runs. */
export interface ScenarioBounds {
  readonly jobsMax: number;
  readonly chunksMax: number;
  readonly workersMax: number;
  readonly faultsMax: number;
  readonly faultPhaseMs: number;
  /** The fault kinds generated (default: every kind). */
  readonly kinds?: readonly FaultKind[];
}

/** The defaults: 1–4 jobs of 1–40 chunks, 1–5 workers, up to 12 faults in a 120 s fault phase. */
export const defaultBounds: ScenarioBounds = {
  jobsMax: 4,
  chunksMax: 40,
  workersMax: 5,
  faultsMax: 12,
  faultPhaseMs: 120_000,
};

/**
 * Version of the scenario format and of the generator's distribution. A replay token or a saved
 * scenario carries it; one made by another version is refused with a clear error, never replayed
 * as a different run.
 */
export const scenarioVersion = 3;

const chunkLengthMs = 10_000;

function jobArbitrary(bounds: ScenarioBounds): fc.Arbitrary<Omit<JobSpec, 'id'>> {
  return fc
    .record({
      chunks: fc.integer({ min: 1, max: bounds.chunksMax }),
      chunkLengthMs: fc.constant(chunkLengthMs),
      lastChunkMs: fc.integer({ min: chunkTailMsMin, max: chunkLengthMs }),
      // Most jobs wait for the workers; some are submitted while they run: at a time, or racing
      // the n-th look of a worker for work.
      submit: fc.oneof(
        { weight: 6, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: fc.record({ submitAtMs: fc.integer({ min: 1, max: bounds.faultPhaseMs }) }) },
        { weight: 1, arbitrary: fc.record({ submitOnPoll: fc.integer({ min: 1, max: 40 }) }) },
      ),
    })
    .map(({ submit, ...job }) => ({ ...job, ...submit }));
}

/** Per-run weights of each fault kind: 0 switches a kind off for this run (swarm testing). */
type Swarm = Record<FaultKind, number>;

const swarmWeightMax = 4;

function swarmArbitrary(): fc.Arbitrary<Swarm> {
  const weight = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: swarmWeightMax }));
  return fc.record(
    Object.fromEntries(faultKinds.map((kind) => [kind, weight])) as Record<FaultKind, fc.Arbitrary<number>>,
  );
}

/**
 * One fault of any kind. Jobs, workers and chunks are named by index up to the bounds' maxima; the
 * world reads them modulo the run's own counts, so a fault stays valid when shrinking drops a job
 * or a worker, and fast-check shrinks every part of a scenario on its own.
 */
function faultArbitrary(kind: FaultKind, bounds: ScenarioBounds): fc.Arbitrary<Fault> {
  const atMs = fc.integer({ min: 0, max: bounds.faultPhaseMs });
  const worker = fc.integer({ min: 0, max: bounds.workersMax - 1 });
  const job = fc.integer({ min: 0, max: bounds.jobsMax - 1 });
  const nth = fc.integer({ min: 1, max: 30 });
  // Crashes lean toward the window between an effect and its commit: 'after transcribe' and 'before commit'.
  const target = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<CallTarget>('transcribe', 'commit') },
    { weight: 2, arbitrary: fc.constantFrom<CallTarget>('any', 'claim', 'extract', 'complete') },
  );
  switch (kind) {
    case 'crash':
      return fc.record({ kind: fc.constant('crash'), worker, target, nth, when: fc.constantFrom('before', 'after') });
    case 'pause':
      return fc.record({
        kind: fc.constant('pause'),
        worker,
        target,
        nth,
        durationMs: fc.integer({ min: 11_000, max: pauseMsMax }),
      });
    case 'store_down':
      return fc.record({ kind: fc.constant('store_down'), atMs, durationMs: fc.integer({ min: 100, max: 40_000 }) });
    case 'reply_lost':
      return fc.record({ kind: fc.constant('reply_lost'), nth: fc.integer({ min: 1, max: 200 }) });
    case 'chunk_file':
      return fc.record({
        kind: fc.constant('chunk_file'),
        job,
        chunk: fc.integer({ min: 0, max: bounds.chunksMax - 1 }),
        damage: fc.constantFrom('delete', 'truncate', 'corrupt'),
        atMs,
      });
    case 'source_deleted':
      return fc.record({ kind: fc.constant('source_deleted'), job, atMs });
    case 'transcriber_error':
      return fc.record({
        kind: fc.constant('transcriber_error'),
        nth: fc.integer({ min: 1, max: 120 }),
        error: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom<TranscriberError>(429, 500, 'timeout', 'reset') },
          { weight: 1, arbitrary: fc.constant<TranscriberError>(400) },
        ),
      });
    case 'poison':
      return fc.record({
        kind: fc.constant('poison'),
        job,
        atMs,
        what: fc.constantFrom<PoisonKind>('absurd_size', 'index_member'),
      });
    case 'api_outage':
      return fc.record({
        kind: fc.constant('api_outage'),
        atMs,
        durationMs: fc.integer({ min: 1_000, max: 60_000 }),
        status: fc.constantFrom<429 | 503>(429, 503),
        retryAfterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30_000 })),
      });
    case 'state_corrupt':
      return fc.record({ kind: fc.constant('state_corrupt'), job, atMs });
    case 'recoverers':
      return fc.record({ kind: fc.constant('recoverers'), atMs, count: fc.integer({ min: 2, max: 4 }) });
    case 'stop':
      return fc.record({ kind: fc.constant('stop'), worker, target, nth });
    case 'clock_skew':
      return fc.record({
        kind: fc.constant('clock_skew'),
        worker,
        offsetMs: fc.integer({ min: 0, max: clockOffsetMsMax }),
        driftPpm: fc.integer({ min: -clockDriftPpmMax, max: clockDriftPpmMax }),
      });
    case 'media_error':
      return fc.record({ kind: fc.constant('media_error'), nth: fc.integer({ min: 1, max: 60 }) });
    case 'owner_crash':
      // A few owners, or enough to reach the recovery limit and pass it by one or two.
      return fc.record({
        kind: fc.constant('owner_crash'),
        job,
        count: fc.oneof(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: simulationLimits.recoveryAttemptsMax - 1, max: simulationLimits.recoveryAttemptsMax + 2 }),
        ),
      });
  }
}

/**
 * Largest clock offset of a worker against the store, and largest drift. Offsets are ahead of the
 * store only: virtual time starts at 0 and no real clock reads below it; a clock behind the store
 * comes from a negative drift (and two skewed workers are ahead of each other either way). The drift stays well
 * inside the lease margin the runtime keeps (a tenth of the lease): a clock slower than that can
 * make any lease-based scheme act after its lease ended, and is a machine to take out of service.
 */
export const clockOffsetMsMax = 10 * 60_000;
export const clockDriftPpmMax = 20_000;

/** Longest pause a fault plan holds a worker for. */
export const pauseMsMax = 60_000;

/** Latencies drawn per run: the slowest values are the heaviest corner of the generator. */
export const latencyBounds = {
  storeMaxMs: { min: 0, max: 50 },
  mediaMs: { min: 1, max: 2_000 },
  transcribeMs: { min: 1, max: 8_000 },
} as const;

/**
 * A fault plan under per-run weights (swarm testing): each candidate fault carries a ticket, and a
 * fault is kept when its ticket is below its kind's weight in this run (weight 0 switches the kind
 * off). The weights and the candidates are generated apart, so each shrinks on its own.
 */
function faultPlanArbitrary(bounds: ScenarioBounds): fc.Arbitrary<Fault[]> {
  const candidate = fc.record({
    ticket: fc.integer({ min: 0, max: swarmWeightMax - 1 }),
    fault: fc.oneof(...faultKinds.map((kind) => faultArbitrary(kind, bounds))),
  });
  // Kinds left out are dropped after generation, so the other kinds' draws stay those of a full campaign.
  const kinds = new Set<FaultKind>(bounds.kinds ?? faultKinds);
  return fc
    .tuple(swarmArbitrary(), fc.array(candidate, { maxLength: bounds.faultsMax * 3, size: 'max' }))
    .map(([swarm, candidates]) =>
      candidates
        .filter(({ ticket, fault }) => ticket < swarm[fault.kind] && kinds.has(fault.kind))
        .map(({ fault }) => fault)
        .slice(0, bounds.faultsMax),
    );
}

/**
 * A whole run: jobs, workers, swarm-weighted fault plan, latencies, seed and choice sequence, each
 * generated independently of the others (no `chain`), so fast-check shrinks jobs, workers, faults
 * and choices one by one.
 */
export function scenarioArbitrary(bounds: ScenarioBounds = defaultBounds): fc.Arbitrary<Scenario> {
  return fc.record({
    jobs: fc
      .array(jobArbitrary(bounds), { minLength: 1, maxLength: bounds.jobsMax })
      .map((jobs) => jobs.map((job, index) => ({ id: `job${index}`, ...job }))),
    workers: fc.integer({ min: 1, max: bounds.workersMax }),
    faults: faultPlanArbitrary(bounds),
    latencies: fc.record({
      storeMaxMs: fc.integer(latencyBounds.storeMaxMs),
      mediaMs: fc.integer(latencyBounds.mediaMs),
      transcribeMs: fc.integer(latencyBounds.transcribeMs),
    }),
    faultPhaseMs: fc.constant(bounds.faultPhaseMs),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
    choices: fc.array(fc.nat({ max: 7 }), { maxLength: 400 }),
  });
}
