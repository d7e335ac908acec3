/** One batch of campaign runs, played inside a tinypool worker thread. */
import { playRun, type RunOptions, type RunSummary } from './campaign.js';
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
  const summaries: RunSummary[] = [];
  try {
    const world = await storeOption(task.store, {
      chunkFiles: task.chunkFiles ?? 'memory',
      roundTrips: task.roundTrips ?? 'interleaved',
    });
    let failed = 0;
    for (const index of task.indices) {
      const summary = await playRun(task.seed, index, {
        ...(task.bounds === undefined ? {} : { bounds: task.bounds }),
        world,
      });
      summaries.push(summary);
      if (summary.failed !== undefined) failed += 1;
      if (failed >= (task.stopAfterFailures ?? Number.POSITIVE_INFINITY)) break;
    }
  } finally {
    await closeStores();
  }
  return summaries;
}
