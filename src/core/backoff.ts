/**
 * Capped exponential backoff with jitter. Pure: the random number is passed in, so the simulator
 * replays the same delays for the same seed.
 */
import type { Limits } from './limits.js';

/**
 * Delay before retry number `attempt` (1-based): half of the capped exponential step fixed, half
 * scaled by `random01` ("equal jitter"), so retries spread out yet never wait less than half.
 */
export function backoffDelayMs(
  attempt: number,
  limits: Pick<Limits, 'retryDelayBaseMs' | 'retryDelayMaxMs'>,
  random01: number,
): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  if (!(random01 >= 0 && random01 < 1)) throw new RangeError(`random01 must be in [0, 1), got ${random01}`);
  const exponent = Math.min(attempt - 1, 30);
  const step = Math.min(limits.retryDelayMaxMs, limits.retryDelayBaseMs * 2 ** exponent);
  return Math.round(step / 2 + (step / 2) * random01);
}
