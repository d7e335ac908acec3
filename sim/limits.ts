/** The limits simulated workers run with. */
import type { Limits } from '../src/core/limits.js';

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
  chunkConcurrency: 1,
});
