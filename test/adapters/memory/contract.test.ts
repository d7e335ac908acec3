/** The memory reference store passes the JobStore contract: the same suite every store runs. */
import { jobStoreContract, manualClock } from '../../contracts/job-store.contract.js';
import { MemoryJobStore } from '../../../src/adapters/memory/store.js';

jobStoreContract('memory reference', async () => {
  const clock = manualClock();
  return { store: new MemoryJobStore(clock), clock, cleanup: async () => {} };
});
