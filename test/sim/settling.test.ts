/**
 * The scheduler's microtask settling takes the decisions the former event-loop settling took, on whole simulated runs:
 * the same fingerprint run by run, on the memory store and through the Redis adapter on ioredis-mock (whose round
 * trips are scheduling points).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { playRun } from '../../sim/campaign.js';
import { setSettling, type Settling } from '../../sim/scheduler.js';
import { closeStores, storeOption } from '../../sim/stores.js';
import type { WorldOptions } from '../../sim/world.js';

async function fingerprints(mode: Settling, indices: readonly number[], world: WorldOptions): Promise<string[]> {
  const previous = setSettling(mode);
  try {
    const found: string[] = [];
    for (const index of indices) found.push((await playRun(7, index, { world })).fingerprint);
    return found;
  } finally {
    setSettling(previous);
  }
}

describe('microtask settling', () => {
  afterAll(async () => {
    await closeStores();
  });

  it('gives the histories of the former setImmediate settling on the memory store', async () => {
    const indices = Array.from({ length: 12 }, (_, index) => index);
    const former = await fingerprints('macrotask', indices, {});
    expect(await fingerprints('microtask', indices, {})).toEqual(former);
  }, 60_000);

  it('gives them through the Redis adapter on ioredis-mock, round trips interleaved', async () => {
    const world = await storeOption('ioredis-mock');
    const former = await fingerprints('macrotask', [0, 3], world);
    expect(await fingerprints('microtask', [0, 3], world)).toEqual(former);
  }, 120_000);
});
