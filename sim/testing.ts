/**
 * `chunkwise/testing`: the JobStore contract every store of chunkwise passes, for a store of your own. Call
 * {@link jobStoreContract} at the top level of a vitest test file; it imports vitest, which your project's own
 * development dependencies provide (chunkwise does not declare it, so that a production install never pulls it in). It
 * registers one `describe` block of tests that drive your store through the JobStore port with a manual clock.
 *
 * @example
 * ```ts
 * import { jobStoreContract, manualClock } from 'chunkwise/testing';
 *
 * jobStoreContract('my store', async () => {
 *   const clock = manualClock();
 *   const store = new MyJobStore({ clock });
 *   return { store, clock, cleanup: () => store.close() };
 * });
 * ```
 */
export {
  chunkPlan,
  jobStoreContract,
  manualClock,
  type ContractSubject,
  type ManualClock,
} from './contracts/job-store.js';
