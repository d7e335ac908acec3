/** The JobStore contract lives in sim/contracts/job-store.ts, shipped as `chunkwise/testing`; tests import it here. */
export * from '../../sim/contracts/job-store.js';
