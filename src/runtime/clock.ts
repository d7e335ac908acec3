/** The real clock: wall time and timers. Only the runtime's production wiring uses it. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports.js';

/** Wall-clock time in ms and a real sleep, cut short when its signal aborts. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms: number, signal?: AbortSignal) => {
    const aborted = (): boolean => signal?.aborted === true;
    if (aborted()) return;
    // A timer may fire a little before Date.now() says its time came: sleep out the rest, so that now() moved by ms.
    const endMs = Date.now() + ms;
    let leftMs = ms;
    do {
      try {
        await delay(leftMs, undefined, signal === undefined ? undefined : { signal });
      } catch (error) {
        if (!aborted()) throw error;
        return;
      }
      leftMs = endMs - Date.now();
    } while (leftMs > 0);
  },
};
