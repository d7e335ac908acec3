/** One batch of campaign runs, played inside a tinypool worker thread. */
import { playRun, type RunOptions, type RunSummary } from './campaign.js';
import { closeStores, storeOption } from './stores.js';

/** What the main thread sends: the campaign seed, the run indices, and the run options. */
export interface PoolTask {
  readonly seed: number;
  readonly indices: readonly number[];
  readonly bounds?: RunOptions['bounds'];
  readonly store?: string;
}

export default async function runBatch(task: PoolTask): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  try {
    const world = await storeOption(task.store);
    for (const index of task.indices) summaries.push(await playRun(task.seed, index, { ...(task.bounds === undefined ? {} : { bounds: task.bounds }), world }));
  } finally {
    await closeStores();
  }
  return summaries;
}
