/**
 * In-process work signals: a hub a store (or the simulator's world) notifies when work may have
 * appeared, and one {@link WorkSignal} per worker that waits on the hub with that worker's clock.
 * A notification wakes every waiting worker (they race to claim, as they would after a poll) and
 * is remembered by each one not waiting, so its next wait returns at once: nothing is missed
 * between a worker's listing and its wait.
 */
import { isTerminal, type Job } from '../../core/types.js';
import type { Clock, WorkSignal } from '../../ports.js';

/** The hub: hands out one signal per worker and wakes them all on {@link notify}. */
export class WorkSignals {
  private readonly signals = new Set<LocalWorkSignal>();

  /**
   * @param untilLeaseEndMs ms until the store's next lease runs out (work appears then without a
   *   notification), by the store's own clock, or undefined when no lease is running
   */
  constructor(private readonly untilLeaseEndMs: () => number | undefined = () => undefined) {}

  /** A signal for one worker, waiting with `clock`. */
  signal(clock: Pick<Clock, 'sleep'>): WorkSignal {
    const signal = new LocalWorkSignal(clock, this.untilLeaseEndMs);
    this.signals.add(signal);
    return signal;
  }

  /** Work may have appeared: wakes every waiting worker, and marks the others' next wait. */
  notify(): void {
    for (const signal of this.signals) signal.notify();
  }
}

class LocalWorkSignal implements WorkSignal {
  private pending = false;
  private waking: AbortController | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'sleep'>,
    private readonly untilLeaseEndMs: () => number | undefined,
  ) {}

  notify(): void {
    if (this.waking === undefined) this.pending = true;
    else this.waking.abort();
  }

  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted === true) {
      this.pending = false;
      return;
    }
    const waking = new AbortController();
    const stop = (): void => waking.abort();
    signal?.addEventListener('abort', stop, { once: true });
    this.waking = waking;
    try {
      const leaseEndMs = this.untilLeaseEndMs();
      await this.clock.sleep(leaseEndMs === undefined ? timeoutMs : Math.min(timeoutMs, leaseEndMs), waking.signal);
    } finally {
      this.waking = undefined;
      signal?.removeEventListener('abort', stop);
    }
  }
}

/** Ms from `nowMs` until the earliest running lease among `jobs` runs out, or undefined when none runs. */
export function untilLeaseEndMs(jobs: Iterable<Job>, nowMs: number): number | undefined {
  let earliest: number | undefined;
  for (const job of jobs) {
    if (isTerminal(job.phase) || job.leaseExpiresAtMs <= nowMs) continue;
    if (earliest === undefined || job.leaseExpiresAtMs < earliest) earliest = job.leaseExpiresAtMs;
  }
  return earliest === undefined ? undefined : earliest - nowMs;
}
