/** The worker runtime and the system clock. */
export { Worker, type WorkerOptions, type WorkerLogEntry, type JobRunOutcome } from './worker.js';
export { systemClock } from './clock.js';
export { decorateStore, type StoreAround, type StoreArgs, type StoreResult } from './decorate-store.js';
