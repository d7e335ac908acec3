/**
 * The differential slice against a real Redis Cluster: runs of the simulator played through the
 * memory reference store and through RedisJobStore on a local 3 + 3 cluster (ioredis' Cluster
 * client, each store call whole, as the reference makes it) must give equal histories, outboxes and
 * final states, and the cluster's run must keep every promise. The jobs of a run land on different
 * masters, so every script runs on the master of its job's slot and the index on its own.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { jobKeys, RedisJobStore } from '../../../src/adapters/redis/index.js';
import type { Job } from '../../../src/core/types.js';
import { CorruptStateError } from '../../../src/ports.js';
import { differentialRun } from '../../../sim/differential.js';
import type { StoreFactory, StoreInspector, WorldOptions } from '../../../sim/world.js';
import { deleteClusterKeysWithPrefix, describeWithRedisCluster } from '../../support/redis-cluster.js';

/** World options whose store is RedisJobStore on `client` under a fresh prefix per world (atomic store calls). */
function clusterWorld(client: Cluster, prefixes: string[]): WorldOptions {
  const store: StoreFactory = (clock) => {
    const prefix = `chunkwise-cluster-differential-${randomBytes(6).toString('hex')}:`;
    prefixes.push(prefix);
    const built = new RedisJobStore({ redis: client, keyPrefix: prefix, clock });
    const cache = new Map<string, Job | undefined>();
    const inspect: StoreInspector = {
      job: (jobId) => cache.get(jobId),
      events: (jobId) => built.readEvents(jobId),
      refresh: async (jobId) => {
        try {
          cache.set(jobId, (await built.getJob(jobId)) ?? undefined);
        } catch (error) {
          if (!(error instanceof CorruptStateError)) throw error;
        }
      },
      // Poison has no counterpart in the memory reference: a run compared with it goes without.
      poison: () => Promise.resolve(false),
      tamper: async (jobId, change) => {
        const current = cache.get(jobId);
        if (current === undefined) return;
        const changed = change(current);
        const fields = Object.keys(changed).filter((key) => changed[key as keyof Job] !== current[key as keyof Job]);
        if (fields.some((field) => field !== 'phase'))
          throw new TypeError(`tampering with ${fields.join(', ')} is not supported on Redis`);
        await client.hset(jobKeys(prefix, jobId).state, 'phase', changed.phase);
        cache.set(jobId, changed);
      },
    };
    return { store: built, inspect, interleaved: false };
  };
  return { store };
}

describeWithRedisCluster('the differential slice on a real Redis Cluster', (handle) => {
  let client: Cluster;
  beforeAll(() => {
    client = handle.connect();
  });

  it('gives the same history, outboxes and final states as the memory reference, every promise kept', async () => {
    const prefixes: string[] = [];
    const world = clusterWorld(client, prefixes);
    let compared = 0;
    for (let index = 0; index < 6; index += 1) {
      const run = await differentialRun(7, index, world);
      expect(run.divergence, `run ${index} (replay ${run.replay})`).toBeUndefined();
      expect(run.violations, `run ${index}`).toEqual([]);
      expect(run.same).toBe(true);
      compared += 1;
    }
    expect(compared).toBe(6);
    // Every world wrote keys of its own, and they spread over more than one master.
    expect(prefixes.length).toBeGreaterThanOrEqual(6);
    const mastersWithKeys = new Set<string>();
    for (const prefix of prefixes) {
      for (const node of client.nodes('master')) {
        const [, keys] = await node.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
        if (keys.length > 0) mastersWithKeys.add(`${node.options.host}:${node.options.port}`);
      }
      await deleteClusterKeysWithPrefix(client, prefix);
    }
    expect(mastersWithKeys.size).toBeGreaterThan(1);
  }, 120_000);
});
