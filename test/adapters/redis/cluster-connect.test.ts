/**
 * connectRedis and the cluster URL form, without a server: which client each scheme makes, what a
 * `redis-cluster://` URL seeds the client with, and the typed error every malformed URL gets.
 */
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/ports.js';
import {
  connectRedis,
  isCluster,
  isClusterUrl,
  parseClusterUrl,
  redactUrl,
  RedisJobStore,
  RedisUrlError,
  translateError,
  isUnavailable,
} from '../../../src/adapters/redis/index.js';
import { clusterOperationTimeoutMs, withClusterDeadline } from '../../../src/adapters/redis/connect.js';

const lazy = { redis: { lazyConnect: true }, cluster: { lazyConnect: true } };

describe('connectRedis', () => {
  it('makes a Redis for redis:// and rediss://, a Cluster for redis-cluster:// and rediss-cluster://', () => {
    const single = connectRedis('redis://127.0.0.1:1', lazy);
    const secure = connectRedis('rediss://127.0.0.1:1', lazy);
    const cluster = connectRedis('redis-cluster://127.0.0.1:1,127.0.0.1:2', lazy);
    const secureCluster = connectRedis('rediss-cluster://u:p@127.0.0.1:1', lazy);
    expect(single).toBeInstanceOf(Redis);
    expect(secure).toBeInstanceOf(Redis);
    expect(cluster).toBeInstanceOf(Cluster);
    expect(secureCluster).toBeInstanceOf(Cluster);
    expect([single, secure, cluster, secureCluster].map(isCluster)).toEqual([false, false, true, true]);
    const seeded = cluster as Cluster;
    expect((seeded as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: '127.0.0.1', port: 1 },
      { host: '127.0.0.1', port: 2 },
    ]);
    const options = (secureCluster as Cluster).options.redisOptions ?? {};
    expect(options).toMatchObject({ username: 'u', password: 'p', tls: {}, maxRetriesPerRequest: 1 });
    for (const client of [single, secure, cluster, secureCluster]) client.disconnect();
  });

  it('parses the cluster form: seeds, IPv6 in brackets, percent-encoded credentials, a trailing slash', () => {
    expect(parseClusterUrl('redis-cluster://a:7000,b.example:7001/')).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b.example', port: 7001 },
      ],
      tls: false,
    });
    expect(parseClusterUrl('rediss-cluster://:s%40cret@[::1]:7000')).toEqual({
      nodes: [{ host: '::1', port: 7000 }],
      password: 's@cret',
      tls: true,
    });
    expect(parseClusterUrl('redis-cluster://a:1/?waitReplicas=1&waitTimeoutMs=250')).toEqual({
      nodes: [{ host: 'a', port: 1 }],
      tls: false,
      waitForReplicas: { replicas: 1, timeoutMs: 250 },
    });
    expect(isClusterUrl('REDIS-CLUSTER://a:1')).toBe(true);
    expect(isClusterUrl('redis://a:1')).toBe(false);
  });

  it('refuses a malformed URL with a RedisUrlError naming what is wrong, never showing the password', () => {
    const cases: [string, RegExp][] = [
      ['redis-cluster://', /no node/],
      ['redis-cluster://a', /"a" is not host:port/],
      ['redis-cluster://a:7000,', /"" is not host:port/],
      ['redis-cluster://a:0', /port out of range/],
      ['redis-cluster://a:70000', /port out of range/],
      ['redis-cluster://a:7000/1', /no path/],
      ['redis-cluster://a:7000?tls=1', /unknown query parameter "tls"/],
      ['redis-cluster://a:7000?waitReplicas=1', /go together/],
      ['redis-cluster://a:7000?waitReplicas=0&waitTimeoutMs=5', /waitReplicas must be a positive integer/],
      ['redis-cluster://a:7000#x', /no path or fragment/],
      ['redis-cluster://u:%zz@a:7000', /percent-encoding/],
      ['http://a:7000', /expected redis:\/\/, rediss:\/\/, redis-cluster:\/\//],
      ['127.0.0.1:6379', /expected redis:\/\//],
      ['', /empty/],
    ];
    for (const [url, reason] of cases) {
      let caught: unknown;
      try {
        connectRedis(url, lazy).disconnect();
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toBeInstanceOf(RedisUrlError);
      expect(caught, url).toBeInstanceOf(TypeError);
      expect((caught as Error).message, url).toMatch(reason);
    }
    expect(() => connectRedis('redis-cluster://u:hunter2@a', lazy)).toThrow(/u:\*\*\*@a/);
    expect(redactUrl('redis://u:hunter2@h:1/0')).toBe('redis://u:***@h:1/0');
  });

  it('gives the store a cluster client from a redis-cluster:// URL, closed by close()', async () => {
    const store = new RedisJobStore({ url: 'redis-cluster://127.0.0.1:1' });
    expect(isCluster(store.redis)).toBe(true);
    expect(store.waitForReplicas).toBeUndefined();
    await store.close();
    const waiting = new RedisJobStore({ url: 'redis-cluster://127.0.0.1:1?waitReplicas=1&waitTimeoutMs=500' });
    expect(waiting.waitForReplicas).toEqual({ replicas: 1, timeoutMs: 500 });
    await waiting.close();
    expect(
      () =>
        new RedisJobStore({
          redis: connectRedis('redis://127.0.0.1:1', lazy),
          waitForReplicas: { replicas: 0, timeoutMs: 1 },
        }),
    ).toThrow(/waitForReplicas.replicas/);
  });

  it('bounds an operation on a cluster that never answers, so that it fails as unavailable', async () => {
    const cluster = connectRedis('redis-cluster://127.0.0.1:1', lazy);
    const single = connectRedis('redis://127.0.0.1:1', lazy);
    const never = () => new Promise<never>(() => {});
    const startMs = Date.now();
    const failure = await withClusterDeadline(cluster, never, 200).catch((error: unknown) => error);
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(190);
    expect(failure).toBeInstanceOf(Error);
    expect(isUnavailable(failure)).toBe(true);
    expect(translateError(failure, 'j')).toBeInstanceOf(StoreUnavailableError);
    // A single server's client has its own command timeout: no deadline is added there.
    expect(await withClusterDeadline(single, () => Promise.resolve(7), 1)).toBe(7);
    expect(clusterOperationTimeoutMs).toBeGreaterThan(0);
    // What ioredis' Cluster client and a cluster say while a slot has no reachable master: unavailabilities.
    for (const message of [
      'MOVED 13437 127.0.0.1:45367',
      'ASK 3999 127.0.0.1:6381',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'Too many Cluster redirections. Last error: ReplyError: MOVED 13437 127.0.0.1:45367',
      'None of startup nodes is available',
      "Cluster isn't ready and enableOfflineQueue options is false",
    ])
      expect(isUnavailable(new Error(message)), message).toBe(true);
    expect(isUnavailable(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).toBe(false);
    cluster.disconnect();
    single.disconnect();
  });
});
