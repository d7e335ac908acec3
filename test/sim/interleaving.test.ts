/**
 * In Redis mode the simulator interleaves the adapter's round trips and submits jobs while workers
 * run, so a store operation that is not atomic gets raced: with the index fix undone (a claim that
 * finds no state removes the index entry at once), a targeted world (a job submitted the moment a
 * worker looks for work, two workers, slow round trips) loses the job within a few hundred seeds and
 * P1 says it is stuck queued; the same seeds keep every promise with the fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { simulate } from '../../sim/campaign.js';
import type { Scenario } from '../../sim/faults.js';
import { closeStores, storeOption } from '../../sim/stores.js';

const seedsMax = 400;

function racing(seed: number): Scenario {
  return {
    jobs: [{ id: 'job0', chunks: 1, chunkLengthMs: 10_000, lastChunkMs: 10_000, submitOnPoll: 1 + (seed % 3) }],
    workers: 2,
    faults: [],
    latencies: { storeMaxMs: 50, mediaMs: 1, transcribeMs: 1 },
    faultPhaseMs: 20_000,
    seed,
    choices: [],
  };
}

afterAll(async () => {
  await closeStores();
});

describe('interleaved round trips on ioredis-mock', () => {
  it('find a queued job lost by a claim that removes an index entry at once, and pass with the fix', async () => {
    const world = await storeOption('ioredis-mock');
    type Forget = (this: unknown, jobId: string) => Promise<void>;
    const prototype = RedisJobStore.prototype as unknown as { forgetIfLongMissing: Forget };
    const fixed = prototype.forgetIfLongMissing;
    const losing: number[] = [];
    prototype.forgetIfLongMissing = async function (
      this: { redis: { zrem(key: string, member: string): Promise<number> }; indexKey: string },
      jobId: string,
    ) {
      await this.redis.zrem(this.indexKey, jobId);
    } as Forget;
    try {
      for (let seed = 0; seed < seedsMax && losing.length === 0; seed += 1) {
        const { violations } = await simulate(racing(seed), world);
        const p1 = violations.find((violation) => violation.promise === 'P1');
        if (p1 !== undefined) {
          expect(p1.message).toMatch(/^still queued \(epoch 0\): stuck since/);
          losing.push(seed);
        }
      }
    } finally {
      prototype.forgetIfLongMissing = fixed;
    }
    expect(losing, `no seed below ${seedsMax} lost the job`).toHaveLength(1);
    for (const seed of losing) expect((await simulate(racing(seed), world)).violations).toEqual([]);
  }, 120_000);
});
