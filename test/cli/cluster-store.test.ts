/**
 * The worker command's store registry opens a Redis Cluster from a `redis-cluster://` URL: a job created through
 * it is read back through it, on a real local cluster.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { openJobStore } from '../../src/cli/service.js';
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
});
