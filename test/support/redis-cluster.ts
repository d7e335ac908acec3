/**
 * Test support for a real local Redis Cluster (sim/live/redis-cluster.ts: 3 masters + 3 replicas
 * on free loopback ports, `--cluster-enabled yes`, temporary directories, no persistence unless
 * asked, created with `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes` and
 * awaited until every node says the cluster is ok with every slot covered).
 *
 * One cluster per test file: {@link describeWithRedisCluster} starts it in `beforeAll` and stops it
 * (kills every node, removes every directory) in `afterAll`, which vitest runs even when a test
 * failed; an abrupt exit is covered by the process-exit sweep of sim/live/processes.ts. When
 * redis-server or redis-cli is not installed the suite is skipped with one loud line, unless
 * CHUNKWISE_REQUIRE_REDIS=1 turns that into a failing test.
 */
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/adapters/redis/index.js';
import { LiveRedisCluster, redisClusterBinaries, type RedisClusterOptions } from '../../sim/live/redis-cluster.js';
import { redisRequired } from './redis.js';

/** Whether the binaries are there, probed once per test file. */
export const clusterBinaries = redisClusterBinaries();

/** Longest start of a cluster in beforeAll. */
export const clusterStartTimeoutMs = 60_000;

/** The running cluster of a suite and the clients made through it (closed in afterAll). */
export interface ClusterHandle {
  /** The cluster; throws before beforeAll has run. */
  readonly cluster: LiveRedisCluster;
  /** A new cluster client through connectRedis(cluster.url, options), closed after the suite. */
  connect(options?: Parameters<typeof connectRedis>[1]): Cluster;
}

/**
 * `describe` with one real cluster started for it (see the module comment). `body` gets a handle
 * whose `cluster` is set once beforeAll has run.
 */
export function describeWithRedisCluster(
  name: string,
  body: (handle: ClusterHandle) => void,
  options: RedisClusterOptions = {},
): void {
  if (!clusterBinaries.available) {
    if (redisRequired) {
      describe(name, () => {
        it('needs redis-server and redis-cli (CHUNKWISE_REQUIRE_REDIS=1)', () => {
          throw new Error(clusterBinaries.reason);
        });
      });
    } else if (firstToWarn()) {
      console.warn(
        `SKIPPED: every Redis Cluster test: ${clusterBinaries.reason}; install Redis 7, or CHUNKWISE_REQUIRE_REDIS=1 to fail instead`,
      );
    }
    if (!redisRequired) describe.skip(name, () => body(unavailableHandle));
    return;
  }
  describe(name, () => {
    let running: LiveRedisCluster | undefined;
    const clients: RedisClient[] = [];
    beforeAll(async () => {
      running = await LiveRedisCluster.start(options);
    }, clusterStartTimeoutMs);
    afterAll(async () => {
      for (const client of clients) client.disconnect();
      await running?.stop();
    }, clusterStartTimeoutMs);
    body({
      get cluster() {
        if (running === undefined) throw new Error('the cluster is not started yet (use it inside a test or hook)');
        return running;
      },
      connect(connectOptions) {
        if (running === undefined) throw new Error('the cluster is not started yet (use it inside a test or hook)');
        const client = connectRedis(running.url, connectOptions);
        if (!(client instanceof Cluster)) throw new Error('connectRedis did not return a Cluster for a cluster URL');
        clients.push(client);
        return client;
      },
    });
  });
}

/** True in the first test file of this vitest run to warn (a marker file named after the parent process). */
function firstToWarn(): boolean {
  try {
    closeSync(openSync(join(tmpdir(), `chunkwise-redis-cluster-skipped-${process.ppid}`), 'wx'));
    return true;
  } catch {
    return false;
  }
}

const unavailableHandle: ClusterHandle = {
  get cluster(): LiveRedisCluster {
    throw new Error('no cluster: redis-server or redis-cli is not installed');
  },
  connect() {
    throw new Error('no cluster: redis-server or redis-cli is not installed');
  },
};

/** Deletes every key under `prefix` on every master of `client` (SCAN per master, one DEL per key: slots differ). */
export async function deleteClusterKeysWithPrefix(client: Cluster, prefix: string): Promise<void> {
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      for (const key of keys) await node.del(key);
      cursor = next;
    } while (cursor !== '0');
  }
}
