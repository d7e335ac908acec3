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

  it("the operator's port on a cluster: list and counts SCAN every master; cancel, retry and remove run there", async () => {
    const keyPrefix = `chunkwise-cli-${randomBytes(4).toString('hex')}:`;
    const store = await openJobStore({ url: handle.cluster.url, keyPrefix });
    try {
      // Ids in many slots, so that the jobs live on every master.
      const ids = Array.from({ length: 12 }, (_, index) => `job-${index}`);
      for (const jobId of ids) await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 10_000 });
      const admin = store.admin();
      expect((await admin.list({ limit: 100 })).map((job) => job.jobId).sort()).toEqual([...ids].sort());
      const actor = 'operator@test';
      expect(await admin.cancel({ jobId: 'job-3', actor, requestId: 'c' })).toMatchObject({ kind: 'ok' });
      expect(await admin.counts()).toMatchObject({ queued: 11, failed: 1 });
      expect(await admin.retry({ jobId: 'job-3', actor, requestId: 'r' })).toMatchObject({
        kind: 'ok',
        job: { phase: 'chunking' },
      });
      expect(await store.listRecoverableJobs(100)).toContain('job-3');
      expect(await admin.remove({ jobId: 'job-7' })).toEqual({ kind: 'ok' });
      expect(await admin.counts()).toMatchObject({ queued: 10, chunking: 1, failed: 0 });
      for (const jobId of ids) await admin.remove({ jobId, force: true });
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
