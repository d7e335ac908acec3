/** The worker runtime and the system clock. */
export { Worker, type WorkerOptions, type WorkerLogEntry, type JobRunOutcome } from './worker.js';
export { systemClock } from './clock.js';
