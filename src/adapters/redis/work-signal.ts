/**
 * The Redis work signal: an idle worker blocks on the store's list of work tokens (BLPOP, on a
 * connection of its own, since a blocked connection serves nothing else) instead of listing jobs
 * every second. A creation or a release pushes a token; a token wakes one waiter, which lists and
 * claims. Lease expiries push nothing: the wait ends at the index's next expiry at the latest.
 * Tokens pushed while nobody waited are popped by the next wait, which then returns at once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import type { WorkSignal } from '../../ports.js';
import type { RedisClient } from './connect.js';

/** How long a wait lasts when Redis did not answer it: the worker's own retries take over after it. */
export const unreachableWaitMs = 1_000;

/** Settings of the blocking connection: no command timeout (a pop waits as long as it was told). */
const blockingOptions = { commandTimeout: undefined, connectionName: 'chunkwise-work', maxRetriesPerRequest: 1 };

/** A work signal on a Redis list of tokens; see the file header. */
export class RedisWorkSignal implements WorkSignal {
  private blocking: RedisClient | undefined;
  private closed = false;

  /**
   * @param redis the store's client, duplicated for the blocking pops
   * @param key the list of work tokens
   * @param nextLeaseWaitMs ms until the store's next lease expiry, or undefined when none runs
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly nextLeaseWaitMs: () => Promise<number | undefined>,
  ) {}

  async wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || isAborted(signal)) return;
    let waitMs = timeoutMs;
    try {
      const leaseWaitMs = await this.nextLeaseWaitMs();
      if (leaseWaitMs !== undefined) waitMs = Math.min(waitMs, leaseWaitMs);
      if (waitMs <= 0) return;
      await this.pop(waitMs, signal);
    } catch {
      // Unreachable or failing over: wait a little (at most the timeout), then the worker lists, and retries, as usual.
      if (!this.closed && !isAborted(signal)) await sleep(Math.min(waitMs, unreachableWaitMs), signal);
    }
  }

  /** Ends any blocking pop and drops the connection. */
  close(): void {
    this.closed = true;
    this.dropConnection();
  }

  private async pop(waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    const client = this.connection();
    const abort = (): void => {
      if (this.blocking === client) this.dropConnection();
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      // BLPOP takes seconds, with decimals; 0 would block forever.
      await client.blpop(this.key, Math.max(0.001, waitMs / 1_000));
    } catch (error) {
      if (isAborted(signal) || this.closed) return;
      this.dropConnection();
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  private connection(): RedisClient {
    if (this.blocking !== undefined) return this.blocking;
    const client =
      this.redis instanceof Cluster
        ? this.redis.duplicate(undefined, {
            redisOptions: { ...this.redis.options.redisOptions, ...blockingOptions },
          })
        : this.redis.duplicate(blockingOptions);
    client.on('error', () => {});
    this.blocking = client;
    return client;
  }

  private dropConnection(): void {
    this.blocking?.disconnect();
    this.blocking = undefined;
  }
}

/** True once `signal` aborted (read afresh: it changes while a wait is under way). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch {
    // aborted: the wait ends early, as asked
  }
}
