/**
 * In Redis mode the simulator interleaves the adapter's round trips and submits jobs while workers
 * run, so a store operation that is not atomic gets raced: with the index fix undone (a claim that
 * finds no state removes the index entry at once), a targeted world (a job submitted the moment a
 * worker looks for work, two workers, slow round trips) loses the job within a few hundred seeds and
 * P1 says it is stuck queued; the same seeds keep every promise with the fix. A caller killed between
 * its round trips never gets its reply: what its call did is read back from the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { replay, simulate } from '../../sim/campaign.js';
import { decodeReplay } from '../../sim/scenario-file.js';
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

/**
 * Campaign seed 872049475, run 96, on a real Redis (shrunk): both loops of a process crash (a crash of job0's
 * finalizer) while one of them is between the round trips of a claim of job2 that has taken effect. The lease of
 * epoch 2 is the dead loop's; job2 is claimed again at epoch 3 once it ran out. Read as a gap before the fix.
 */
const claimCutShortToken =
  'v5.nZFPb8IwDMW_i88-pKn401y5Dml3hFAILs0oCXJSMYb47pPbsnU7Tbs5fvHPLy93eIv7BGZzB38AIycFCK7pwimBKeZj_ULhmJu1tJRSCqG1Ka9EefYe-I0opoh_EfSEoJd_R2wRrpFPxOPmGFzHTMHdwOgRs_rVrG3X5iGDkw9igOnS3nZtTBkQQm4ELu5G-dLYRDvHNjWA4haMwqELBmofbOs_fDgCwrWhAAZsnYlhgngOD2b7-Wz5SFm0eD77yeYvyp7qyDTFnOng7Y6YIz_vl7OJHq-B-KfTPpUuZDBa0mptpuA8JTB3SDkyre27xKlxoEtdVRohsw3Jsd9TLz_G4F7l2X3-eviURHQAU82K5bJQ80pCj97Jgo1ChQtUWOICSyxxvn18Ag';

describe('a store call whose caller died between its round trips', () => {
  it('is read back from the store: the claim it made is a grant of the dead caller, and P4 holds', async () => {
    const run = await replay(decodeReplay(claimCutShortToken), await storeOption('ioredis-mock'));
    expect(run.violations).toEqual([]);
    const entries = run.record.history.entries;
    const grants = entries.filter((entry) => entry.kind === 'grant' && entry.job === 'job2');
    expect(grants.map((grant) => (grant.kind === 'grant' ? grant.epoch : 0)).slice(0, 3)).toEqual([1, 2, 3]);
    const readBack = grants[1];
    if (readBack?.kind !== 'grant') throw new Error('no grant of epoch 2');
    // The grant of epoch 2 is its caller's, recorded after that caller's crash: no reply of the claim ever came.
    const crashedAt = entries.findIndex(
      (entry) => entry.kind === 'worker' && entry.what === 'crash' && entry.actor === readBack.actor,
    );
    expect(crashedAt).toBeGreaterThanOrEqual(0);
    expect(entries.indexOf(readBack)).toBeGreaterThan(crashedAt);
    expect(
      entries.some(
        (entry) =>
          entry.kind === 'call' && entry.actor === readBack.actor && entry.op === 'claimJob' && entry.target === 'job2',
      ),
    ).toBe(false);
  }, 60_000);
});

/** Two jobs, one process of two loops, ports almost instant: the loops spend their time in store calls. */
function crashingWhileWriting(seed: number): Scenario {
  return {
    jobs: [
      { id: 'job0', chunks: 6, chunkLengthMs: 10_000, lastChunkMs: 10_000 },
      { id: 'job1', chunks: 6, chunkLengthMs: 10_000, lastChunkMs: 10_000 },
    ],
    workers: 1,
    concurrency: 2,
    chunkConcurrency: 2,
    // A commit of one loop crashes the process: the other loop may be in the middle of a write of its own.
    faults: [{ kind: 'crash', worker: 0, target: 'commit', nth: 2 + (seed % 9), when: 'after' }],
    latencies: { storeMaxMs: 10, mediaMs: 1, transcribeMs: 1 },
    faultPhaseMs: 60_000,
    seed,
    choices: Array.from({ length: 400 }, (_, index) => ((seed * 2_654_435_761 + index * 40_503) >>> 7) % 3),
  };
}

describe('writes whose caller died before the reply', () => {
  it('are read back: a commit and a completion that took effect are in the history, and every promise holds', async () => {
    const world = await storeOption('ioredis-mock');
    const found = { commit: -1, release: -1 };
    for (let seed = 0; seed < 200 && (found.commit < 0 || found.release < 0); seed += 1) {
      const run = await replay(crashingWhileWriting(seed), world);
      expect(run.violations, `seed ${seed}`).toEqual([]);
      const entries = run.record.history.entries;
      const crashedAt = new Map<string, number>();
      entries.forEach((entry, position) => {
        if (entry.kind === 'worker' && entry.what === 'crash') crashedAt.set(entry.actor, position);
        // A write of an actor already dead: only a read-back records one.
        if (entry.kind !== 'commit' && entry.kind !== 'release') return;
        const crash = crashedAt.get(entry.actor);
        if (crash === undefined || crash > position) return;
        const [op, target] =
          entry.kind === 'commit' ? ['commitChunk', `${entry.job}/${entry.index}`] : ['completeJob', entry.job];
        const replied = entries.some(
          (other) => other.kind === 'call' && other.actor === entry.actor && other.op === op && other.target === target,
        );
        expect(replied, `seed ${seed}: ${JSON.stringify(entry)} has a reply`).toBe(false);
        if (entry.kind === 'commit' && found.commit < 0) found.commit = seed;
        if (entry.kind === 'release' && found.release < 0) found.release = seed;
      });
    }
    expect(found.commit, 'no commit read back').toBeGreaterThanOrEqual(0);
    expect(found.release, 'no completion read back').toBeGreaterThanOrEqual(0);
  }, 120_000);
});
