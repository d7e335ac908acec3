/**
 * Small tools every benchmark figure uses: a monotonic clock, order statistics, rounding, progress
 * lines on stderr, and the shape of a figure in the results (a value with what it means, or the
 * reason it could not be measured). Nothing here asserts a timing.
 */

/** Milliseconds on a monotonic clock. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `action` and returns its result with its wall time in ms. */
export async function timed<T>(action: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = nowMs();
  const value = await action();
  return { value, ms: nowMs() - started };
}

/** Rounds to `digits` decimals (a JSON-friendly number). */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The `fraction` quantile of `values` (nearest rank); NaN when empty. */
export function quantile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The median of `values` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The largest of `values` (the worst of counts and times); NaN when empty. */
export function worst(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

/** The median and the worst of `values`, rounded to `digits` decimals (NaN for both when empty). */
export function medianAndWorst(values: readonly number[], digits = 1): { median: number; worst: number } {
  return { median: round(median(values), digits), worst: round(worst(values), digits) };
}

/** The arithmetic mean of `values`; NaN when empty. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Count, p50, p99, mean and max of latency samples in ms, rounded to µs. */
export function latencySummary(samplesMs: readonly number[]): {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
} {
  return {
    count: samplesMs.length,
    p50Ms: round(quantile(samplesMs, 0.5), 3),
    p99Ms: round(quantile(samplesMs, 0.99), 3),
    meanMs: round(mean(samplesMs), 3),
    maxMs: round(Math.max(...samplesMs), 3),
  };
}

/** A figure that could not be measured: present in the results with its reason, never missing. */
export type Unmeasured = {
  readonly measured: false;
  readonly meaning: string;
  readonly reason: string;
};

/** Builds an {@link Unmeasured} entry. */
export function unmeasured(meaning: string, reason: string): Unmeasured {
  return { measured: false, meaning, reason };
}

/** A short message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const startedMs = nowMs();
let deadlineMs = Number.POSITIVE_INFINITY;

/** Sets the benchmark's wall-time budget, in seconds from its start (`--quick` has one). */
export function setTimeBudget(seconds: number): void {
  deadlineMs = startedMs + seconds * 1_000;
}

/** Wall ms left in the benchmark's budget (Infinity without one). */
export function remainingMs(): number {
  return deadlineMs - nowMs();
}

/** Thrown when a measurement would run past the benchmark's time budget. */
export class BudgetExhausted extends Error {
  override readonly name = 'BudgetExhausted';
}

/** Writes one progress line to stderr, prefixed with the time since the benchmark began. */
export function progress(text: string): void {
  process.stderr.write(`[bench ${((nowMs() - startedMs) / 1000).toFixed(1).padStart(6)} s] ${text}\n`);
}

/** Waits one macrotask turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms` of wall time. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
