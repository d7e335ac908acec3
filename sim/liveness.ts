/**
 * How long the liveness phase may last, derived from the run itself, never a constant. Once faults
 * stop, a run goes on while jobs progress (an event appended, a chunk file written); it fails P1
 * only when nothing progressed for a stall window derived from the limits and the run's latencies,
 * or when it passes a cap derived from the run's own workload. A correct engine always settles
 * inside both, whatever the scenario: the bounds below follow the engine's slowest legal path.
 */
import type { Limits } from '../src/core/limits.js';
import { pauseMsMax, type Scenario } from './faults.js';
import { transcriberTimeoutMs } from './twins.js';

/** The liveness phase's bounds for one run. */
export interface LivenessBudget {
  /** Longest quiet stretch (no job progressed) a correct engine can show once faults stop. */
  readonly stallWindowMs: number;
  /** Longest a correct engine can take, from the end of the fault phase, to settle every job. */
  readonly capMs: number;
  /** Most scheduling steps the liveness phase may take (a guard against loops in zero virtual time). */
  readonly stepsMax: number;
}

/** Safety factor over each derived bound: the budget is generous, never tight. */
export const livenessMargin = 2;

/** The longest a single call of each port can take in this run (latencies are drawn in 0.5×–1.5×). */
export function callMsMax(scenario: Scenario): { store: number; media: number; transcribe: number } {
  const { latencies } = scenario;
  return {
    store: latencies.storeMaxMs,
    media: Math.ceil(latencies.mediaMs * 1.5) + 1,
    transcribe: Math.max(Math.ceil(latencies.transcribeMs * 1.5) + 1, transcriberTimeoutMs),
  };
}

/**
 * The bounds of the liveness phase of `scenario` under `limits`.
 *
 * Stall window: the longest stretch without progress on the slowest legal path: every attempt at
 * one chunk's transcription (for the whole outage window) and at one extraction fails or times out
 * with the longest backoff (or the longest Retry-After), a
 * lease runs out and is noticed at the next poll, a store call backs off, and the sweep comes round.
 *
 * Cap: every chunk of every job done one after another by a single worker (no parallelism is
 * assumed), each job recovered once more, plus one stall window, all times the margin.
 */
export function livenessBudget(scenario: Scenario, limits: Limits): LivenessBudget {
  const call = callMsMax(scenario);
  const storeCallMs = call.store + limits.retryDelayMaxMs;
  const handOverMs = limits.leaseDurationMs + limits.leaseRenewIntervalMs + limits.idlePollIntervalMs;
  // A chunk fails only after transcriptionAttemptsMax attempts and transcriptionOutageMs both.
  const attemptMs = call.transcribe + Math.max(limits.retryDelayMaxMs, limits.retryAfterMsMax);
  const transcriptionMs = Math.max(
    limits.transcriptionAttemptsMax * attemptMs,
    limits.transcriptionOutageMs + attemptMs,
  );
  const extractionMs = limits.mediaAttemptsMax * (call.media + limits.retryDelayMaxMs);
  const quietMs = transcriptionMs + extractionMs + handOverMs + limits.sweepIntervalMs + storeCallMs * 4;
  const stallWindowMs = livenessMargin * quietMs;
  const storeCallsPerChunk = 4;
  const chunkMs = call.transcribe + call.media + storeCallsPerChunk * (call.store + 1);
  const chunks = scenario.jobs.reduce((sum, job) => sum + job.chunks, 0);
  const jobMs = handOverMs + extractionMs + limits.sweepIntervalMs;
  const workMs = chunks * chunkMs + scenario.jobs.length * jobMs;
  const capMs = livenessMargin * (workMs + pauseMsMax) + stallWindowMs;
  const actors = (scenario.workers + recoverersMax(scenario)) * (scenario.concurrency ?? 1) + 2;
  // One idle look for work: a sleep, the list (a request, its round trips, the reply), and a
  // refused claim of every listed job; each a few steps, the more where round trips interleave.
  const stepsPerLook = 8 * (1 + Math.min(scenario.jobs.length, limits.recoverableJobsPageMax));
  const stepsMax =
    actors * (Math.ceil(capMs / limits.idlePollIntervalMs) * stepsPerLook + 200 * (chunks + scenario.jobs.length));
  return { stallWindowMs, capMs, stepsMax };
}

function recoverersMax(scenario: Scenario): number {
  let count = 0;
  for (const fault of scenario.faults) if (fault.kind === 'recoverers') count += fault.count;
  return count;
}
