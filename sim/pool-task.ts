/** One batch of campaign runs, played inside a tinypool worker thread. */
import { playRun, type RunOptions, type RunSummary } from './campaign.js';
import type { WorldOptions } from './world.js';
import type { ChunkFilesKind } from './fs-files.js';
import { closeStores, storeOption, type RoundTrips } from './stores.js';

/** What the main thread sends: the campaign seed, the run indices, and the run options. */
export interface PoolTask {
  readonly seed: number;
  readonly indices: readonly number[];
  readonly bounds?: RunOptions['bounds'];
  readonly store?: string;
  readonly chunkFiles?: ChunkFilesKind;
  readonly roundTrips?: RoundTrips;
  /** Stop the batch after this many failing runs (the campaign stops generating there). */
  readonly stopAfterFailures?: number;
}

export default async function runBatch(task: PoolTask): Promise<RunSummary[]> {
  try {
    const world = await storeOption(task.store, {
      chunkFiles: task.chunkFiles ?? 'memory',
      roundTrips: task.roundTrips ?? 'interleaved',
    });
    return await playBatch(task, world);
  } finally {
    await closeStores();
  }
}

/**
 * Plays the batch's runs in `world`, in order, up to its `stopAfterFailures`-th failing run; `beforeEach` is awaited
 * before each run (the main thread lets its event loop turn there).
 */
export async function playBatch(
  task: Pick<PoolTask, 'seed' | 'indices' | 'bounds' | 'stopAfterFailures'>,
  world: WorldOptions,
  beforeEach?: () => Promise<void>,
): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  let failed = 0;
  for (const index of task.indices) {
    await beforeEach?.();
    const summary = await playRun(task.seed, index, {
      ...(task.bounds === undefined ? {} : { bounds: task.bounds }),
      world,
    });
    summaries.push(summary);
    if (summary.failed !== undefined) failed += 1;
    if (failed >= (task.stopAfterFailures ?? Number.POSITIVE_INFINITY)) break;
  }
  return summaries;
}
