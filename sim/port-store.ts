/**
 * A JobStore of the caller's own under the simulator: built on the world's virtual clock, each store call whole
 * (as the reference makes it), and watched through the port itself (getJob, readEvents). It is judged by every
 * promise, and the differential runner (sim/differential.ts) compares it with the reference run by run. Faults that
 * need the store's insides (hand-edited states, poison keys) leave it alone.
 */
import { CorruptStateError, type JobStore } from '../src/ports.js';
import type { Job } from '../src/core/types.js';
import type { StoreFactory } from './world.js';

/** The clock a store of the caller's own must read: virtual time, in ms. */
export interface VirtualClock {
  now(): number;
}

/**
 * A store factory for the simulator from `make`, which builds a fresh, empty store on `clock` for each run (its
 * `close`, if it returns one, runs when the run ends). The store must read time only from `clock`.
 */
export function portStore(
  make: (
    clock: VirtualClock,
  ) =>
    | JobStore
    | { store: JobStore; close(): Promise<void> }
    | Promise<JobStore | { store: JobStore; close(): Promise<void> }>,
): StoreFactory {
  return async (clock) => {
    const made = await make(clock);
    const { store, close } = isStore(made) ? { store: made, close: undefined } : made;
    const cache = new Map<string, Job | undefined>();
    return {
      store,
      inspect: {
        job: (jobId) => cache.get(jobId),
        events: (jobId) => store.readEvents(jobId),
        refresh: async (jobId) => {
          try {
            cache.set(jobId, (await store.getJob(jobId)) ?? undefined);
          } catch (error) {
            if (!(error instanceof CorruptStateError)) throw error;
          }
        },
      },
      ...(close === undefined ? {} : { close }),
    };
  };
}

function isStore(value: JobStore | { store: JobStore }): value is JobStore {
  return typeof (value as Partial<JobStore>).claimJob === 'function';
}
