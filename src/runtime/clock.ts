/** The real clock: wall time and timers. Only the runtime's production wiring uses it. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports.js';

/** Wall-clock time in ms and a real sleep. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms: number) => {
    await delay(ms);
  },
};
