/**
 * chunkwise: crash recovery for chunked media-to-text jobs. The root entry holds the pure core,
 * the ports and the worker runtime; adapters with heavy dependencies live behind subpath exports
 * (`chunkwise/redis`, `chunkwise/ffmpeg`, `chunkwise/openai`, `chunkwise/fs`, `chunkwise/memory`).
 */
export * from './core/types.js';
export * from './core/limits.js';
export {
  eventSchemas,
  eventNames,
  jobEventSchema,
  parseEvent,
  stamp,
  validateEventName,
  EventSchemaError,
  recoveryTypes,
  recoveryResults,
  type EventName,
  type EventOf,
  type JobEvent,
  type EventBody,
} from './core/events.js';
export * as operations from './core/operations.js';
export { jobInvariantProblems } from './core/invariants.js';
export { planChunks, planRecovery, type ChunkFileStatus, type RecoveryPlan } from './core/planner.js';
export { progressPercent, committedCount, assembleTranscript } from './core/progress.js';
export { backoffDelayMs } from './core/backoff.js';
export * as machine from './core/transition.js';
export {
  storeOperations,
  storeOperationNames,
  type StoreOperation,
  type StoreOperationName,
  type Ownership,
} from './core/store-operations.js';
export { AssertionError } from './core/assert.js';
export * from './ports.js';
export {
  Worker,
  systemClock,
  decorateStore,
  type WorkerOptions,
  type WorkerLogEntry,
  type JobRunOutcome,
  type StoreAround,
  type StoreArgs,
  type StoreResult,
} from './runtime/index.js';
