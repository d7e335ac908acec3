/** Which store a simulation runs through: the memory reference (default) or another implementation. */
import type { WorldOptions } from './world.js';

/** World options for `--store NAME`; memory when undefined or "memory". Throws a TypeError for an unknown name. */
export async function storeOption(name: string | undefined): Promise<WorldOptions> {
  if (name === undefined || name === 'memory') return {};
  throw new TypeError(`--store must be memory, got ${JSON.stringify(name)}`);
}
