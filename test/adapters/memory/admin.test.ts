/** The JobAdmin contract against the memory store (test/contracts/job-admin.test.ts runs it against Redis). */
import { MemoryJobAdmin } from '../../../src/adapters/memory/admin.js';
import { MemoryJobStore } from '../../../src/adapters/memory/store.js';
import { jobAdminContract } from '../../contracts/job-admin.contract.js';
import { manualClock } from '../../contracts/job-store.contract.js';

jobAdminContract('memory store', async () => {
  const clock = manualClock();
  const store = new MemoryJobStore(clock);
  return { store, admin: new MemoryJobAdmin(store), clock, cleanup: async () => {} };
});
