/**
 * Named limits, each with its unit last. Every loop, list and wait in chunkwise is bounded by one
 * of these; a caller may tighten them through {@link Limits} but the defaults are what tests use.
 */
export interface Limits {
  /** How long a granted lease lasts without renewal. */
  readonly leaseDurationMs: number;
  /** How often the owner renews its lease (well inside leaseDurationMs). */
  readonly leaseRenewIntervalMs: number;
  /** Crash recoveries allowed before a job fails with `recovery_attempts_exhausted` (P11); hand-overs not counted. */
  readonly recoveryAttemptsMax: number;
  /** Attempts at transcribing one chunk within one ownership before the job fails (see transcriptionOutageMs). */
  readonly transcriptionAttemptsMax: number;
  /**
   * How long retryable transcription failures of one chunk (rate limits, 5xx, timeouts, resets)
   * are waited out before the job fails: it fails only once both this window has passed since the
   * first failure and transcriptionAttemptsMax attempts were made. An API outage shorter than
   * this costs time, never the job.
   */
  readonly transcriptionOutageMs: number;
  /** Cap of a wait the API asks for (Retry-After) before the next attempt. */
  readonly retryAfterMsMax: number;
  /** Attempts at one probe or extraction that fails with a retryable error before the job fails. */
  readonly mediaAttemptsMax: number;
  /** First backoff delay of a retry; doubled each attempt up to retryDelayMaxMs. */
  readonly retryDelayBaseMs: number;
  /** Cap of one backoff delay. */
  readonly retryDelayMaxMs: number;
  /** How long an idle worker waits before looking for work again. */
  readonly idlePollIntervalMs: number;
  /** How often an idle worker sweeps chunk files of terminal or unknown jobs (P8). */
  readonly sweepIntervalMs: number;
  /** Jobs a worker asks the store for in one look for work. */
  readonly recoverableJobsPageMax: number;
  /**
   * Transcriptions of one job's chunks in flight at once, under one lease (at most {@link chunkConcurrencyMax}).
   * Each is committed as it returns, in any order; the transcript is still assembled in chunk order. Above 1, a
   * chunk's prompt is the text of the chunk before only when that chunk is committed already.
   */
  readonly chunkConcurrency: number;
}

/** Sensible production defaults. */
export const defaultLimits: Limits = Object.freeze({
  leaseDurationMs: 30_000,
  leaseRenewIntervalMs: 10_000,
  recoveryAttemptsMax: 5,
  transcriptionAttemptsMax: 6,
  transcriptionOutageMs: 600_000,
  retryAfterMsMax: 120_000,
  mediaAttemptsMax: 5,
  retryDelayBaseMs: 200,
  retryDelayMaxMs: 10_000,
  idlePollIntervalMs: 1_000,
  sweepIntervalMs: 30_000,
  recoverableJobsPageMax: 16,
  chunkConcurrency: 1,
});

/** Shortest chunk a job may ask for. */
export const chunkLengthMsMin = 1_000;
/** Longest chunk a job may ask for (the media adapter may cut shorter to respect upload limits). */
export const chunkLengthMsMax = 3_600_000;
/** A last chunk shorter than this is merged into the one before it (speech APIs refuse very short audio). */
export const chunkTailMsMin = 1_000;
/** Most chunks one job may have. */
export const chunksPerJobMax = 10_000;
/** Longest media a job may describe: 48 hours. */
export const mediaDurationMsMax = 48 * 3_600_000;
/** Longest transcript text of one chunk, in characters. */
export const chunkTranscriptCharsMax = 1_000_000;
/** Longest source reference (path or URI), in characters. */
export const sourceCharsMax = 4_096;
/** Longest worker id, in characters. */
export const workerIdCharsMax = 128;
/** Longest failure or error message kept in state or events, in characters. */
export const messageCharsMax = 1_000;

/** Checks a set of limits for consistency; throws a RangeError naming the first bad field. */
export function validateLimits(limits: Limits): Limits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`limits.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.leaseRenewIntervalMs >= limits.leaseDurationMs) {
    throw new RangeError(
      `limits.leaseRenewIntervalMs (${limits.leaseRenewIntervalMs}) must be below limits.leaseDurationMs (${limits.leaseDurationMs})`,
    );
  }
  if (limits.retryDelayBaseMs > limits.retryDelayMaxMs) {
    throw new RangeError('limits.retryDelayBaseMs must not exceed limits.retryDelayMaxMs');
  }
  // Limits every claim would be refused for are refused here, where the mistake is made.
  if (limits.leaseDurationMs > leaseDurationMsMax) {
    throw new RangeError(`limits.leaseDurationMs must be at most ${leaseDurationMsMax}, got ${limits.leaseDurationMs}`);
  }
  if (limits.chunkConcurrency > chunkConcurrencyMax) {
    throw new RangeError(
      `limits.chunkConcurrency must be at most ${chunkConcurrencyMax}, got ${limits.chunkConcurrency}`,
    );
  }
  if (limits.recoveryAttemptsMax > recoveryAttemptsMaxLimit) {
    throw new RangeError(
      `limits.recoveryAttemptsMax must be at most ${recoveryAttemptsMaxLimit}, got ${limits.recoveryAttemptsMax}`,
    );
  }
  return limits;
}

/** Longest lease a claim may ask for. */
export const leaseDurationMsMax = 3_600_000;
/** Most transcriptions of one job a worker may have in flight at once. */
export const chunkConcurrencyMax = 32;
/** Largest recoveryAttemptsMax a claim may pass. */
export const recoveryAttemptsMaxLimit = 1_000;
/** Longest request id, in characters. */
export const requestIdCharsMax = 200;
