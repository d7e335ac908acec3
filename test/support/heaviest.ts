/** The heaviest corner of the scenario generator, shared by the verdict tests. */
import { defaultBounds, latencyBounds, type Scenario } from '../../sim/faults.js';

/** Runs of the heaviest corner the extended suite plays. */
export const heaviestRuns = 200;

/** `scenario` moved to the heaviest corner: one worker, every job at the most chunks, the slowest ports. */
export function heaviest(scenario: Scenario): Scenario {
  const jobs = Array.from({ length: defaultBounds.jobsMax }, (_, index) => ({
    id: `job${index}`,
    chunks: defaultBounds.chunksMax,
    chunkLengthMs: 10_000,
    lastChunkMs: 10_000,
  }));
  const latencies = {
    storeMaxMs: latencyBounds.storeMaxMs.max,
    mediaMs: latencyBounds.mediaMs.max,
    transcribeMs: latencyBounds.transcribeMs.max,
  };
  return { ...scenario, jobs, workers: 1, latencies };
}
