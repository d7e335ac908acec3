/**
 * The real Redis server the benchmark uses (REDIS_URL, default redis://127.0.0.1:6379): a short
 * probe, so that every figure that needs a server is skipped with the probe's reason when none
 * answers, and a sweep of the benchmark's own key prefix afterwards.
 */
import { Redis } from 'ioredis';

/** The server the benchmark measures. */
export const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** How long the probe waits for the server, in ms. */
export const probeTimeoutMs = 1_000;

/** The URL without credentials, for the results. */
export function displayUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Whether a server answered, its version, and why not. */
export interface RedisProbe {
  readonly available: boolean;
  readonly url: string;
  readonly version: string | null;
  readonly reason: string;
}

/** Pings the server once with a short timeout. */
export async function probeRedis(url = redisUrl): Promise<RedisProbe> {
  const client = new Redis(url, {
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
    const info = await client.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
    return {
      available: pong === 'PONG',
      url: displayUrl(url),
      version,
      reason: pong === 'PONG' ? '' : `PING answered ${pong}`,
    };
  } catch (error) {
    return {
      available: false,
      url: displayUrl(url),
      version: null,
      reason: `no Redis answered at ${displayUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
