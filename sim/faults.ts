/**
 * What a simulated run is made of, and the fast-check arbitraries that generate it: jobs, workers,
 * per-seed fault probabilities ("swarm": each run leans on a few fault kinds), a fault plan, and
 * the scheduler's choice sequence. The fault kinds themselves, each with its label and arbitrary, are the
 * registry's (sim/faults/index.ts).
 */
import fc from 'fast-check';
import { chunkTailMsMin } from '../src/core/limits.js';
import { faultDefinitions, faultKinds, type Fault, type FaultKind } from './faults/index.js';

export {
  clockDriftPpmMax,
  clockOffsetMsMax,
  faultKinds,
  faultLabel,
  pauseMsMax,
  resolveFault,
  scenarioVersion,
  type CallTarget,
  type Fault,
  type FaultKind,
  type PoisonKind,
  type TranscriberError,
} from './faults/index.js';
export { simulationLimits } from './limits.js';

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

/** Latencies of the simulated ports, drawn per run. */
export interface Latencies {
  readonly storeMaxMs: number;
  readonly mediaMs: number;
  readonly transcribeMs: number;
}

/** Everything one run needs; a pure value, so a run is replayable from it. */
export interface Scenario {
  readonly jobs: readonly JobSpec[];
  /** Worker processes (slots); a crashed or stopped one is started again. */
  readonly workers: number;
  /** Worker loops per process (the worker command's `--concurrency`; default 1): they crash, pause, stop together. */
  readonly concurrency?: number;
  /** Transcriptions of one job in flight at once (`limits.chunkConcurrency`; default: the limits'). */
  readonly chunkConcurrency?: number;
  readonly faults: readonly Fault[];
  readonly latencies: Latencies;
  /** Length of the fault phase; the liveness phase after it lasts while jobs progress (see sim/liveness.ts). */
  readonly faultPhaseMs: number;
  /** Seed of the workers' jitter and the ports' latency draws. */
  readonly seed: number;
  readonly choices: readonly number[];
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
  /** Most worker loops per process drawn (default {@link concurrencyMax}; 1: one loop each). */
  readonly concurrencyMax?: number;
  /** Most transcriptions of one job in flight drawn (default {@link chunkConcurrencyDrawnMax}; 1: one at a time). */
  readonly chunkConcurrencyMax?: number;
}

/** The defaults: 1–4 jobs of 1–40 chunks, 1–5 workers, up to 12 faults in a 120 s fault phase. */
export const defaultBounds: ScenarioBounds = {
  jobsMax: 4,
  chunksMax: 40,
  workersMax: 5,
  faultsMax: 12,
  faultPhaseMs: 120_000,
};

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
    fault: fc.oneof(...faultDefinitions.map((definition) => definition.arbitrary(bounds) as fc.Arbitrary<Fault>)),
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
    concurrency: sideBySide(bounds.concurrencyMax ?? concurrencyMax, 3),
    chunkConcurrency: sideBySide(bounds.chunkConcurrencyMax ?? chunkConcurrencyDrawnMax, 1),
  });
}

/** 1 with weight `oneWeight` against 1 in 2..max (the same draws whatever the max, so a bound of 1 shifts nothing). */
function sideBySide(max: number, oneWeight: number): fc.Arbitrary<number> {
  return fc
    .oneof({ weight: oneWeight, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: Math.max(2, max) }))
    .map((value) => Math.min(value, max));
}

/** Most worker loops per process the generator draws. */
export const concurrencyMax = 3;
/** Most transcriptions of one job in flight the generator draws. */
export const chunkConcurrencyDrawnMax = 4;
