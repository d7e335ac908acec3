/**
 * Reading a job's outbox through a Redis consumer group (XGROUP, XREADGROUP, XACK): every event is
 * delivered to one consumer of the group and stays pending until that consumer acknowledges it.
 * A consumer that restarts under the same name first gets back its pending (delivered but not
 * acknowledged) events, then new ones; acknowledged events are never delivered again. Each event
 * is validated with parseEvent on the way out.
 *
 * One stream per job (the keys of a job share one cluster slot), so a consumer reads job by job;
 * it learns job ids from its own submissions or from the store's index. The group is created at
 * the start of the stream, so a new group sees the job's whole history.
 *
 * ioredis-mock 8.13.1 does not implement XGROUP, XREADGROUP, XACK (nor XPENDING, XCLAIM,
 * XAUTOCLAIM): on the mock every call of this class throws an Error saying so. Read events there
 * with RedisJobStore.readEvents, which needs only XRANGE.
 */
import { withClusterDeadline, type RedisClient } from './connect.js';
import type { JobEvent } from '../../core/events.js';
import { validateJobId } from '../../core/types.js';
import { decodeEvent } from './codec.js';
import { translateError } from './errors.js';
import { defaultKeyPrefix, jobKeys, validateKeyPrefix } from './keys.js';

/** Events one read returns at most, by default. */
export const consumerReadCountMax = 100;
/** Longest group or consumer name, in characters. */
export const consumerNameCharsMax = 200;

/** Options of {@link EventConsumer}. */
export interface EventConsumerOptions {
  /** The client to read through (not closed by the consumer). Blocking reads want a connection of their own. */
  readonly redis: RedisClient;
  /** The key prefix of the store whose events are read (default `chunkwise:`). */
  readonly keyPrefix?: string;
  /** The consumer group: every event goes to one consumer of it. */
  readonly group: string;
  /** This consumer's name in the group; reuse it after a restart to get back its pending events. */
  readonly consumer: string;
}

/** An event as delivered: acknowledge it with its entry id once it is handled. */
export interface DeliveredEvent {
  readonly jobId: string;
  readonly entryId: string;
  readonly event: JobEvent;
}

type StreamReply = [key: string, entries: [id: string, fields: string[] | null][]][] | null;

/** A member of a consumer group reading jobs' events at least once, in order per job. */
export class EventConsumer {
  private readonly redis: RedisClient;
  private readonly keyPrefix: string;
  private readonly group: string;
  private readonly consumer: string;
  private readonly groupsCreated = new Set<string>();
  /** Per job, the id after which this consumer's pending entries are still to be re-delivered; absent once drained. */
  private readonly pendingCursors = new Map<string, string>();
  private readonly drained = new Set<string>();

  constructor(options: EventConsumerOptions) {
    this.redis = options.redis;
    this.keyPrefix = validateKeyPrefix(options.keyPrefix ?? defaultKeyPrefix);
    this.group = validateName(options.group, 'group');
    this.consumer = validateName(options.consumer, 'consumer');
  }

  /**
   * The next events of job `jobId` for this consumer, at most `countMax`: first the ones delivered
   * to it earlier but never acknowledged (after a restart), then new ones. Empty when there are
   * none or the job has no events.
   */
  async read(jobId: string, countMax = consumerReadCountMax): Promise<DeliveredEvent[]> {
    validateJobId(jobId);
    if (!Number.isInteger(countMax) || countMax <= 0)
      throw new RangeError(`countMax must be a positive integer, got ${String(countMax)}`);
    return this.guard(jobId, async () => {
      const key = jobKeys(this.keyPrefix, jobId).events;
      if (!(await this.ensureGroup(key))) return [];
      if (!this.drained.has(jobId)) {
        const cursor = this.pendingCursors.get(jobId) ?? '0';
        const pending = await this.readGroup(key, cursor, countMax);
        const last = pending.at(-1);
        if (last !== undefined) {
          this.pendingCursors.set(jobId, last[0]);
          return this.deliver(jobId, key, pending);
        }
        this.drained.add(jobId);
        this.pendingCursors.delete(jobId);
      }
      return this.deliver(jobId, key, await this.readGroup(key, '>', countMax));
    });
  }

  /** Acknowledges delivered events of job `jobId`; they are never delivered again. Returns how many were pending. */
  async acknowledge(jobId: string, delivered: readonly DeliveredEvent[]): Promise<number> {
    validateJobId(jobId);
    if (delivered.length === 0) return 0;
    return this.guard(jobId, async () => {
      const key = jobKeys(this.keyPrefix, jobId).events;
      return this.redis.xack(key, this.group, ...delivered.map((entry) => entry.entryId));
    });
  }

  private async deliver(jobId: string, key: string, entries: [string, string[] | null][]): Promise<DeliveredEvent[]> {
    const delivered: DeliveredEvent[] = [];
    const vanished: string[] = [];
    for (const [entryId, fields] of entries) {
      if (fields === null) vanished.push(entryId);
      else delivered.push({ jobId, entryId, event: decodeEvent(jobId, entryId, fields) });
    }
    // A pending entry whose event was deleted (trimmed or expired) can never be handled.
    if (vanished.length > 0) await this.redis.xack(key, this.group, ...vanished);
    return delivered;
  }

  private async readGroup(key: string, id: string, countMax: number): Promise<[string, string[] | null][]> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      countMax,
      'STREAMS',
      key,
      id,
    )) as StreamReply;
    return reply?.[0]?.[1] ?? [];
  }

  /** Creates the group at the start of the stream once; false when the job has no stream. */
  private async ensureGroup(key: string): Promise<boolean> {
    if (this.groupsCreated.has(key)) return true;
    try {
      await this.redis.xgroup('CREATE', key, this.group, '0');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/requires the key to exist|no such key/i.test(message)) return false;
      if (!/BUSYGROUP/.test(message)) throw error;
    }
    this.groupsCreated.add(key);
    return true;
  }

  private async guard<T>(jobId: string, action: () => Promise<T>): Promise<T> {
    try {
      return await withClusterDeadline(this.redis, action);
    } catch (error) {
      if (error instanceof Error && /Unsupported command/i.test(error.message)) {
        throw new Error(
          'EventConsumer needs Redis consumer groups (XGROUP, XREADGROUP, XACK), which this client does not implement ' +
            '(ioredis-mock 8.13.1 does not); read events with RedisJobStore.readEvents instead',
          { cause: error },
        );
      }
      throw translateError(error, jobId);
    }
  }
}

function validateName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > consumerNameCharsMax) {
    throw new TypeError(
      `${field} must be a string of 1-${consumerNameCharsMax} characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
