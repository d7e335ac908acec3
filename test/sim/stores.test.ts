/**
 * The simulation runs through the Redis adapter too, and the adapter is held to the reference in
 * the strongest way the simulator offers: the same campaign through ioredis-mock and through a real
 * server gives the same fingerprint, that is the same history of every call, reply, lease, commit
 * and event, as through the memory reference store.
 */
import { describe, expect, it } from 'vitest';
import { playRun, totals } from '../../sim/campaign.js';
import { closeStores, storeOption } from '../../sim/stores.js';
import { describeWithRedis, realRedis, redisUrl } from '../support/redis.js';

const keyPrefix = `chunkwise-sim-test-${process.pid}-${Date.now()}:`;

async function fingerprint(
  store: string | undefined,
  runs: readonly number[],
): Promise<{ fingerprint: string; failures: number }> {
  const world = await storeOption(store, { keyPrefix, roundTrips: 'atomic' });
  try {
    const summaries = [];
    for (const index of runs) summaries.push(await playRun(42, index, { world }));
    const campaign = totals(summaries);
    return { fingerprint: campaign.fingerprint, failures: campaign.failed.length };
  } finally {
    await closeStores();
  }
}

// Runs of campaign 42, among them runs 1 (stored state hand-corrupted) and 18 (two jobs claimable at
// once), where the stores once answered differently.
const runs = [0, 1, 2, 3, 4, 5, 6, 7, 18];

describe('simulation through the Redis adapter on ioredis-mock', () => {
  it('gives the same history as through the memory reference', async () => {
    const [memory, mock] = [await fingerprint(undefined, runs), await fingerprint('ioredis-mock', runs)];
    expect(memory.failures).toBe(0);
    expect(mock).toEqual(memory);
  }, 120_000);

  it('rejects an unknown store name with a TypeError naming the flag', async () => {
    await expect(storeOption('postgres')).rejects.toThrow(/--store/);
  });
});

describeWithRedis('simulation through the Redis adapter on a real server', await realRedis(), () => {
  it('gives the same history as through the memory reference, and leaves no key behind', async () => {
    const [memory, real] = [await fingerprint(undefined, runs), await fingerprint(redisUrl, runs)];
    expect(real).toEqual(memory);
    const { Redis } = await import('ioredis');
    const client = new Redis(redisUrl);
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, page] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1_000);
        keys.push(...page);
        cursor = next;
      } while (cursor !== '0');
      expect(keys).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 120_000);
});
