/**
 * Test support for the Redis adapter: finds a real Redis server (REDIS_URL, default
 * redis://127.0.0.1:6379) with a short probe, gives each test its own random key prefix and
 * removes that prefix's keys afterwards. When no server answers, the tests that need one are
 * skipped with one loud line, unless CHUNKWISE_REQUIRE_REDIS=1 makes the absence a failure.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { describe, it } from 'vitest';

/** The server the real-Redis tests use. */
export const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** True when a missing server must fail the run instead of skipping tests. */
export const redisRequired = process.env['CHUNKWISE_REQUIRE_REDIS'] === '1';
/** How long the probe waits for the server, in ms. */
export const probeTimeoutMs = 1_000;

/** Whether a real server answered the probe, and why not. */
export interface RedisProbe {
  readonly available: boolean;
  readonly url: string;
  readonly reason: string;
}

let probed: Promise<RedisProbe> | undefined;

/**
 * Probes the real server once per test file. When it is absent, one loud line is printed per test
 * run: test files run in worker processes of one vitest process, and only the first worker to
 * create a marker file named after that parent process prints it.
 */
export function realRedis(): Promise<RedisProbe> {
  probed ??= probe().then((result) => {
    if (!result.available && !redisRequired && firstToWarn()) {
      console.warn(
        `SKIPPED: no Redis at ${redisUrl} (${result.reason}); set REDIS_URL, or CHUNKWISE_REQUIRE_REDIS=1 to fail instead`,
      );
    }
    return result;
  });
  return probed;
}

function firstToWarn(): boolean {
  try {
    closeSync(openSync(join(tmpdir(), `chunkwise-redis-skipped-${process.ppid}`), 'wx'));
    return true;
  } catch {
    return false;
  }
}

async function probe(): Promise<RedisProbe> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: probeTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const pong = await client.ping();
    return { available: pong === 'PONG', url: redisUrl, reason: pong === 'PONG' ? '' : `PING answered ${pong}` };
  } catch (error) {
    return { available: false, url: redisUrl, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    client.disconnect();
  }
}

/**
 * `describe` for tests that need a real server: skipped when none answered, or replaced by one
 * failing test when CHUNKWISE_REQUIRE_REDIS=1.
 */
export function describeWithRedis(name: string, probeResult: RedisProbe, body: () => void): void {
  if (probeResult.available) {
    describe(name, body);
  } else if (redisRequired) {
    describe(name, () => {
      it('needs a Redis server (CHUNKWISE_REQUIRE_REDIS=1)', () => {
        throw new Error(`no Redis at ${probeResult.url}: ${probeResult.reason}`);
      });
    });
  } else {
    describe.skip(name, body);
  }
}

/** A random key prefix, so that concurrent tests never share a key. */
export function randomPrefix(label = 'test'): string {
  return `chunkwise-${label}-${randomBytes(6).toString('hex')}:`;
}

/** A client of the real server for tests (errors surface through commands). */
export function connectRealRedis(): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: probeTimeoutMs });
  client.on('error', () => {});
  return client;
}

/** A fresh ioredis-mock client. */
export function connectMockRedis(): Redis {
  return new RedisMock();
}

/** Deletes every key under `prefix`: the one place a SCAN is used. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * Runs `suite` twice: on ioredis-mock (`real` false), and on the real server when one answers
 * (`real` true; see {@link describeWithRedis}), whose clients are closed after the suite.
 */
export function describeOnMockAndReal(
  name: string,
  probeResult: RedisProbe,
  suite: (connect: () => Redis, real: boolean) => void,
): void {
  describe(`${name} on ioredis-mock`, () => suite(connectMockRedis, false));
  describeWithRedis(`${name} on a real server`, probeResult, () => {
    const clients: Redis[] = [];
    suite(() => {
      const client = connectRealRedis();
      clients.push(client);
      return client;
    }, true);
    it('closes its clients', async () => {
      for (const client of clients) await client.quit();
    });
  });
}
