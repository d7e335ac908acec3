/**
 * The core's own Immer instance. Updates are copy-on-write as usual; results are not deep-frozen,
 * because every state the core returns is replaced, never mutated, and the simulator steps the core
 * millions of times (freezing doubled the cost of a step). Using an instance instead of
 * `setAutoFreeze` keeps the core free of global side effects.
 */
import { Immer } from 'immer';

const immer = new Immer({ autoFreeze: false });

/** Immer's `produce`, without auto-freeze. */
export const produce: Immer['produce'] = immer.produce;
export type { Draft } from 'immer';
