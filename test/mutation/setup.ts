/**
 * Setup of the mutation run (vitest.mutation.config.ts): a fixed fast-check seed, so that property
 * tests keep the same names and inputs from Stryker's first run to every mutant's run, and no
 * shrinking, since a mutant only needs one failing input to be killed.
 */
import fc from 'fast-check';

fc.configureGlobal({ seed: 20_240_601, endOnFailure: true });
