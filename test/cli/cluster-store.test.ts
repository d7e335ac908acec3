/**
 * A `redis-cluster://` URL reaches a real local cluster from both commands: the worker command's store registry
 * writes and reads a job through it, and the simulator's --store plays checked runs through it.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { openJobStore } from '../../src/cli/service.js';
import { playRun } from '../../sim/campaign.js';
import { closeStores, storeOption } from '../../sim/stores.js';
import { describeWithRedisCluster } from '../support/redis-cluster.js';

describeWithRedisCluster('chunkwise worker --store redis-cluster://', (handle) => {
  it('opens the cluster by its URL scheme, and writes and reads a job through it', async () => {
    const keyPrefix = `chunkwise-cli-${randomBytes(4).toString('hex')}:`;
    const store = await openJobStore({ url: handle.cluster.url, keyPrefix });
    try {
      const created = await store.createJob({ jobId: 'job-1', source: '/media/a.wav', chunkLengthMs: 10_000 });
      expect(created.kind).toBe('ok');
      expect((await store.getJob('job-1'))?.phase).toBe('queued');
    } finally {
      await store.close();
    }
  });

  it('carries the simulator: --store redis-cluster:// plays runs that keep every promise', async () => {
    const world = await storeOption(handle.cluster.url, {
      keyPrefix: `chunkwise-sim-${randomBytes(4).toString('hex')}:`,
    });
    try {
      for (let index = 0; index < 3; index += 1) {
        const summary = await playRun(11, index, { world, bounds: { jobsMax: 2, chunksMax: 4, workersMax: 2 } });
        expect(summary.failed).toBeUndefined();
        expect(summary.steps).toBeGreaterThan(0);
      }
    } finally {
      await closeStores();
    }
  }, 60_000);
});
