/** Reference adapters held in memory: the JobStore specification and a chunk store. */
export { MemoryJobStore, type StoreClock, type Specification } from './store.js';
export { MemoryChunkStore, sha256Hex } from './chunks.js';
export { WorkSignals, untilLeaseEndMs } from './work-signal.js';
export { MemoryJobAdmin } from './admin.js';
