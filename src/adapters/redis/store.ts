/**
 * The Redis JobStore: every write is one Lua script (lua/<name>-<numberOfKeys>.lua) that checks
 * every precondition of src/core/operations.ts in the same order (existence → duplicate request →
 * fencing → terminal → operation-specific) before its first write, then writes the state change
 * and XADDs its events to the job's stream (the outbox) with the reference's seqs. This class only
 * validates requests (src/core/requests.ts), marshals keys and arguments, decodes replies and keeps
 * the cross-job index.
 *
 * Keys: see keys.ts. All keys of a job share the hash tag `{job:<id>}` and every script touches
 * the keys of one job only, so the scripts run on Redis Cluster. The index of recoverable jobs (a
 * ZSET scored by lease expiry, queued and released jobs at 0) is another slot: it is written by
 * plain commands after the script, so it is only a hint. That is safe because the claim script
 * re-checks the job's own state, and every stale entry costs at most one refused claim (which
 * repairs the entry). A queued job's entry is never lost: it is written before the create script
 * (ZADD NX) and set to 0 after it; an entry that names no job (perhaps a create under way) is not
 * removed but marked missing (a negative score, listed after the ready jobs), and removed only once
 * it has been missing for missingJobGraceMs, by a script that checks the mark is unchanged.
 *
 * Loading: `getJob` and `claimJob` read the state and chunks hashes and the stream's last entry in
 * one MULTI, decode them strictly and hold them to jobInvariantProblems; corrupt state is a
 * CorruptStateError (P10). The claim then passes the revision it checked to its script, which
 * refuses (CONFLICT) if anything was written since; the claim re-reads and tries again, at most
 * claimConflictAttemptsMax times. The other scripts re-check the fields they read and refuse with
 * CORRUPT when those do not decode. `quarantineJob` decodes nothing, so it works on a corrupt job.
 *
 * Time: by default the scripts read the server clock (TIME) for lease expiry and event
 * timestamps, so that workers with skewed clocks agree. The `clock` option passes now (ms) as an
 * argument instead: tests and the simulator use it for virtual time. ioredis-mock runs TIME in
 * Lua too, but reads the host clock there, so tests that move time use the `clock` option.
 *
 * Errors: a lost connection, a timeout or a server that cannot serve is a StoreUnavailableError
 * (retryable; see errors.ts). The client this store creates from a URL (connectRedis) does
 * not hold commands for as long as Redis is down: a command queued while disconnected fails once
 * reconnecting has failed twice in a row (maxRetriesPerRequest 1), and any command fails after
 * commandTimeoutMs without a reply; the runtime owns backoff and retry. The offline queue stays on
 * so that commands issued while a connection is being made wait for it instead of failing at once.
 * A command in flight when the connection drops is re-sent by ioredis after reconnecting
 * (autoResendUnfulfilledCommands), or, when that is off, fails after commandTimeoutMs; either is
 * safe because every write is idempotent (request ids; a renewal is a max).
 *
 * Text: transcripts are stored as UTF-8, so a string with a lone UTF-16 surrogate does not come
 * back unchanged.
 *
 * ioredis-mock 8.13.1 runs every script (fengari, Lua 5.3 with 32-bit integers; the scripts are
 * written for it and for Redis 7's Lua 5.1, see lua/includes/common.lua) and TIME inside Lua, with
 * the host clock. It lacks consumer groups (XGROUP, XREADGROUP, XACK: EventConsumer refuses with a
 * clear error there; readEvents works) and does not check key types in stream commands (a key of
 * the wrong type fails with the mock's own TypeError instead of a CorruptStateError).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { AssertionError } from '../../core/assert.js';
import type { JobEvent } from '../../core/events.js';
import * as operations from '../../core/operations.js';
import {
  validateClaim,
  validateCommit,
  validateCreate,
  validateFail,
  validateFenced,
  validatePlan,
  validateQuarantine,
  validateRecreated,
  validateRenew,
} from '../../core/requests.js';
import { clipMessage, describe, isTerminal, phases, validateJobId, type Job, type Phase } from '../../core/types.js';
import {
  CorruptStateError,
  StoreUnavailableError,
  type ClaimResult,
  type CreateResult,
  type JobStore,
  type Refusal,
  type RenewResult,
  type WriteResult,
} from '../../ports.js';
import { decodeEvent, decodeJob } from './codec.js';
import {
  commandTimeoutMs,
  connectRedis,
  connectTimeoutMs,
  isClusterUrl,
  parseClusterUrl,
  withClusterDeadline,
  type RedisClient,
} from './connect.js';
import { translateError } from './errors.js';
import {
  asideKeys,
  defaultKeyPrefix,
  jobKeys,
  recoverableIndexKey,
  validateKeyPrefix,
  workTokensKey,
  workTokensMax,
  type JobKeys,
} from './keys.js';
import { RedisWorkSignal } from './work-signal.js';
import {
  defineScripts,
  runScript,
  runScriptAndWait,
  ScriptCode,
  type ScriptName,
  type ScriptReply,
} from './scripts.js';

/** Reads the store's notion of now, in ms. */
export interface StoreClock {
  now(): number;
}

/** How long the keys of a completed or failed job live on by default: 7 days. */
export const defaultTerminalRetentionMs = 7 * 24 * 3_600_000;
/** Reads and re-tries of one claim that keeps meeting concurrent writes, before it gives up as unavailable. */
export const claimConflictAttemptsMax = 8;
/** Events read per XRANGE page. */
export const eventsPageMax = 100;
/**
 * Most pages one readEvents call reads: a safety bound far above any job (chunksPerJobMax chunks emit about 2 events
 * each).
 */
export const eventsPagesMax = 10_000;
export { connectTimeoutMs, commandTimeoutMs };

/** Options of {@link RedisJobStore}. Give `redis` or `url`. */
export interface RedisJobStoreOptions {
  /**
   * A connected ioredis `Redis` (or ioredis-mock) or ioredis `Cluster`; the store registers its scripts on it and
   * never closes it.
   */
  readonly redis?: RedisClient;
  /**
   * A Redis URL (redis://, rediss://, or redis-cluster://host:port[,host:port...]: see connect.ts); the store creates
   * its client with {@link connectRedis} and closes it in close().
   */
  readonly url?: string;
  /** Prefix of every key (default `chunkwise:`); tests use a random one to isolate themselves. */
  readonly keyPrefix?: string;
  /** Now in ms, passed to the scripts; when absent the scripts read the Redis server clock. */
  readonly clock?: StoreClock;
  /** How long the keys of a completed or failed job live on, in ms (default 7 days). */
  readonly terminalRetentionMs?: number;
  /**
   * Wait for replicas after every write: each script is followed by `WAIT replicas timeoutMs` on the
   * same master (one pipeline), and a write fewer replicas acknowledged in time fails as unavailable
   * (the runtime retries it under the same request id, which is a duplicate, and waits again). Then a
   * failover that promotes one of those replicas cannot lose a write the engine was told of. Off by
   * default: replication stays asynchronous (docs/redis-cluster.md says what that can lose and what
   * waiting costs). A `redis-cluster://` url may ask for it too: `?waitReplicas=N&waitTimeoutMs=M`.
   */
  readonly waitForReplicas?: { readonly replicas: number; readonly timeoutMs: number };
  /** Hears what the store repaired on its own (an index entry that can never name a job, removed). */
  readonly log?: (message: string) => void;
}

/**
 * An ioredis client configured for a store: fail fast while Redis is down (maxRetriesPerRequest 1,
 * a command timeout) so that the runtime's backoff takes over, but queue commands issued while a
 * connection is being made. `overrides` win.
 */
export function createRedisClient(url: string, overrides: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    connectionName: 'chunkwise-store',
    ...overrides,
  });
  // Errors reach the caller through the rejected commands; without a listener ioredis would also
  // print every reconnection failure.
  client.on('error', () => {});
  return client;
}

type Flat = Record<string, string>;

/** {@link JobStore} on Redis: one Lua script per write, hash-tagged keys, one outbox stream per job. */
export class RedisJobStore implements JobStore {
  /** The prefix of every key of this store. */
  readonly keyPrefix: string;
  /** The client this store talks through. */
  readonly redis: RedisClient;
  private readonly ownsClient: boolean;
  private readonly clock: StoreClock | undefined;
  private readonly retentionMs: number;
  private readonly indexKey: string;
  private readonly workKey: string;
  /** The work signals this store handed out, closed with it. */
  private readonly workSignals = new Set<RedisWorkSignal>();

  constructor(options: RedisJobStoreOptions) {
    if ((options.redis === undefined) === (options.url === undefined)) {
      throw new TypeError('RedisJobStore needs exactly one of options.redis (a client) and options.url');
    }
    this.keyPrefix = validateKeyPrefix(options.keyPrefix ?? defaultKeyPrefix);
    const retentionMs = options.terminalRetentionMs ?? defaultTerminalRetentionMs;
    if (!Number.isSafeInteger(retentionMs) || retentionMs <= 0) {
      throw new RangeError(`terminalRetentionMs must be a positive integer, got ${describe(retentionMs)}`);
    }
    this.retentionMs = retentionMs;
    this.clock = options.clock;
    this.ownsClient = options.redis === undefined;
    this.redis = options.redis ?? connectRedis(options.url as string);
    this.indexKey = recoverableIndexKey(this.keyPrefix);
    this.workKey = workTokensKey(this.keyPrefix);
    this.log = options.log ?? (() => {});
    const wait =
      options.waitForReplicas ??
      (options.url !== undefined && isClusterUrl(options.url)
        ? parseClusterUrl(options.url).waitForReplicas
        : undefined);
    if (wait !== undefined) {
      if (!Number.isSafeInteger(wait.replicas) || wait.replicas < 1)
        throw new RangeError(`waitForReplicas.replicas must be a positive integer, got ${describe(wait.replicas)}`);
      if (!Number.isSafeInteger(wait.timeoutMs) || wait.timeoutMs < 1)
        throw new RangeError(
          `waitForReplicas.timeoutMs must be a positive integer of ms, got ${describe(wait.timeoutMs)}`,
        );
      this.waitForReplicas = { replicas: wait.replicas, timeoutMs: wait.timeoutMs };
    }
    defineScripts(this.redis);
  }

  private readonly log: (message: string) => void;
  /** See {@link RedisJobStoreOptions.waitForReplicas}. */
  readonly waitForReplicas: { readonly replicas: number; readonly timeoutMs: number } | undefined;

  /** The keys of job `jobId` in this store. */
  keys(jobId: string): JobKeys {
    return jobKeys(this.keyPrefix, jobId);
  }

  /** The key of this store's index of recoverable jobs. */
  recoverableIndexKey(): string {
    return this.indexKey;
  }

  async createJob(request: operations.CreateRequest): Promise<CreateResult> {
    validateCreate(request);
    return this.guard(request.jobId, async () => {
      const keys = this.keys(request.jobId);
      const args = [request.jobId, request.source, String(request.chunkLengthMs), this.nowArgument()];
      await this.indexEntryBeforeCreate(request.jobId);
      const reply = await this.run('create-job', [keys.state, keys.chunks, keys.events], args);
      if (reply.code === ScriptCode.Applied) {
        // Score 0 whatever the entry says now: a worker may have marked it missing before the
        // script ran, and a missing mark is removed only while it is unchanged (forget-missing).
        await this.redis.zadd(this.indexKey, 0, request.jobId);
        await this.announceWork();
        return { kind: 'ok', job: operations.newJob(request, integerValue(reply, 0)), created: true };
      }
      const existing = await this.load(request.jobId);
      if (existing === null)
        throw new StoreUnavailableError(`job ${request.jobId} expired while being created again; retry`);
      if (isTerminal(existing.job.phase)) await this.redis.zrem(this.indexKey, request.jobId);
      else if (existing.job.phase === 'queued' && existing.job.epoch === 0)
        await this.redis.zadd(this.indexKey, 0, request.jobId);
      if (reply.code === ScriptCode.AlreadyExists) return { kind: 'already_exists' };
      expectCode(reply, ScriptCode.Duplicate, 'create-job');
      return { kind: 'ok', job: existing.job, created: false };
    });
  }

  async claimJob(request: operations.ClaimRequest): Promise<ClaimResult> {
    validateClaim(request);
    return this.guard(request.jobId, async () => {
      const keys = this.keys(request.jobId);
      for (let attempt = 1; attempt <= claimConflictAttemptsMax; attempt += 1) {
        const snapshot = await this.readSnapshot(keys);
        if (snapshot === null) {
          await this.forgetIfLongMissing(request.jobId);
          return { kind: 'not_found' };
        }
        const { revision } = decodeJob(request.jobId, snapshot.state, snapshot.chunks, snapshot.lastEventSeq);
        const reply = await this.run(
          'claim-job',
          [keys.state, keys.chunks, keys.events],
          [
            request.jobId,
            request.workerId,
            String(request.leaseMs),
            String(request.recoveryAttemptsMax),
            request.requestId,
            String(revision),
            this.nowArgument(),
            String(this.retentionMs),
          ],
        );
        if (reply.code === ScriptCode.Conflict) continue;
        return this.claimResult(request.jobId, reply, snapshot.chunks);
      }
      throw new StoreUnavailableError(
        `claim of job ${request.jobId} met a concurrent write ${claimConflictAttemptsMax} times; retry`,
      );
    });
  }

  private async claimResult(jobId: string, reply: ScriptReply, chunks: Flat): Promise<ClaimResult> {
    if (
      reply.code === ScriptCode.Applied ||
      reply.code === ScriptCode.Duplicate ||
      reply.code === ScriptCode.Exhausted
    ) {
      const { job } = decodeJob(jobId, flatToRecord(reply.values.slice(1)), chunks, null);
      if (reply.code === ScriptCode.Exhausted) {
        await this.redis.zrem(this.indexKey, jobId);
        return { kind: 'exhausted', job };
      }
      // A duplicate returns the job as it is now, which a write under the same request id may have ended.
      if (isTerminal(job.phase)) await this.redis.zrem(this.indexKey, jobId);
      else await this.redis.zadd(this.indexKey, job.leaseExpiresAtMs, jobId);
      return { kind: 'ok', job, recovery: job.recovery.open, duplicate: reply.code === ScriptCode.Duplicate };
    }
    if (reply.code === ScriptCode.NotClaimable) {
      if (reply.values[0] === 'terminal') await this.redis.zrem(this.indexKey, jobId);
      else await this.redis.zadd(this.indexKey, 'XX', integerValue(reply, 1), jobId);
    }
    if (reply.code === ScriptCode.NotFound) await this.forgetIfLongMissing(jobId);
    return refusalOf(jobId, reply);
  }

  async renewLease(request: operations.RenewRequest): Promise<RenewResult> {
    validateRenew(request);
    return this.guard(request.jobId, async () => {
      const keys = this.keys(request.jobId);
      const reply = await this.run(
        'renew-lease',
        [keys.state],
        [request.jobId, request.workerId, String(request.epoch), String(request.leaseMs), this.nowArgument()],
      );
      if (reply.code !== ScriptCode.Applied) return refusalOf(request.jobId, reply);
      const leaseExpiresAtMs = integerValue(reply, 0);
      await this.redis.zadd(this.indexKey, leaseExpiresAtMs, request.jobId);
      return { kind: 'ok', leaseExpiresAtMs };
    });
  }

  async recordChunkPlan(request: operations.PlanRequest): Promise<WriteResult> {
    validatePlan(request);
    const problem = operations.planProblem(request.chunks, request.durationMs);
    const chunkArguments =
      problem === undefined
        ? request.chunks.flatMap((chunk) => [
            String(chunk.startMs),
            String(chunk.durationMs),
            String(chunk.bytes),
            chunk.sha256,
          ])
        : [];
    return this.write(
      request,
      'record-chunk-plan',
      ['state', 'chunks', 'events'],
      [
        String(request.durationMs),
        problem ?? '',
        String(problem === undefined ? request.chunks.length : 0),
        ...chunkArguments,
      ],
    );
  }

  async recordChunkRecreated(request: operations.RecreatedRequest): Promise<WriteResult> {
    validateRecreated(request);
    return this.write(
      request,
      'record-chunk-recreated',
      ['state', 'chunks', 'events'],
      [String(request.index), request.reason, String(request.bytes), request.sha256],
    );
  }

  async markResumed(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    return this.write(request, 'mark-resumed', ['state', 'events'], []);
  }

  async commitChunk(request: operations.CommitRequest): Promise<WriteResult> {
    validateCommit(request);
    return this.write(
      request,
      'commit-chunk',
      ['state', 'chunks', 'events'],
      [String(request.index), request.transcript, String(request.transcript.length)],
    );
  }

  async completeJob(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    return this.write(request, 'complete-job', ['state', 'chunks', 'events'], [String(this.retentionMs)], 'remove');
  }

  async failJob(request: operations.FailRequest): Promise<WriteResult> {
    validateFail(request);
    return this.write(
      request,
      'fail-job',
      ['state', 'chunks', 'events'],
      [
        String(this.retentionMs),
        request.reason,
        clipMessage(request.message),
        request.chunkIndex === undefined ? '' : String(request.chunkIndex),
        String(request.retryable ?? false),
      ],
      'remove',
    );
  }

  async releaseJob(request: operations.Fenced): Promise<WriteResult> {
    validateFenced(request);
    return this.write(request, 'release-job', ['state'], [], 'queue');
  }

  async quarantineJob(request: operations.QuarantineRequest & { readonly requestId: string }): Promise<WriteResult> {
    validateQuarantine(request);
    return this.guard(request.jobId, async () => {
      const keys = this.keys(request.jobId);
      const aside = asideKeys(this.keyPrefix, request.jobId);
      const reply = await this.run(
        'quarantine-job',
        [keys.state, keys.chunks, keys.events, aside.state, aside.chunks, aside.events],
        [
          request.jobId,
          request.workerId,
          request.requestId,
          this.nowArgument(),
          String(this.retentionMs),
          clipMessage(request.message),
        ],
      );
      if (reply.code === ScriptCode.Applied || reply.code === ScriptCode.Terminal)
        await this.redis.zrem(this.indexKey, request.jobId);
      return writeResultOf(request.jobId, reply);
    });
  }

  /**
   * The index entry of a job about to be created (ZADD NX, score 0). With waitForReplicas it is
   * replicated first: of every index write it is the one a failover must not lose (a queued job
   * without an entry would never be found); the others are hints a claim corrects.
   */
  private async indexEntryBeforeCreate(jobId: string): Promise<void> {
    const wait = this.waitForReplicas;
    if (wait === undefined) {
      await this.redis.zadd(this.indexKey, 'NX', 0, jobId);
      return;
    }
    const results = await this.redis
      .pipeline()
      .zadd(this.indexKey, 'NX', 0, jobId)
      .wait(wait.replicas, wait.timeoutMs)
      .exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (failed !== undefined && failed !== null) throw failed;
    const acknowledged = Number(results?.[1]?.[1] ?? 0);
    if (acknowledged < wait.replicas)
      throw new StoreUnavailableError(
        `the index entry of ${jobId}: ${acknowledged} of ${wait.replicas} replicas acknowledged within ${wait.timeoutMs} ms; retry`,
      );
  }

  /**
   * Ids of jobs that may be claimable now: queued or released (score 0) and expired leases first,
   * then, while the page has room, entries marked missing (negative scores), so that a create that
   * was under way when they were marked is found.
   */
  async listRecoverableJobs(limit: number): Promise<string[]> {
    if (!Number.isInteger(limit) || limit <= 0)
      throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
    return this.guard(null, async () => {
      const nowMs = this.clock === undefined ? await this.serverNow() : this.now();
      // Both ranges in one round trip; the missing ones are read even when the ready ones fill the page.
      const results = await this.redis
        .pipeline()
        .zrangebyscore(this.indexKey, '0', String(nowMs), 'LIMIT', 0, limit)
        .zrangebyscore(this.indexKey, '-inf', '(0', 'LIMIT', 0, limit)
        .exec();
      const [readyMembers, missingMembers] = (results ?? []).map(([error, members]) => {
        if (error !== null) throw error;
        return members as string[];
      });
      if (readyMembers === undefined || missingMembers === undefined)
        throw new StoreUnavailableError('Redis answered no index ranges; retry');
      const ready = await this.validIds(readyMembers);
      if (ready.length >= limit) return ready;
      const missing = await this.validIds(missingMembers.slice(0, limit - ready.length));
      return [...ready, ...missing];
    });
  }

  /** `members` that are job ids; any other member can never name a job, so it is removed from the index. */
  private async validIds(members: readonly string[]): Promise<string[]> {
    const valid: string[] = [];
    for (const member of members) {
      try {
        valid.push(validateJobId(member));
      } catch {
        await this.redis.zrem(this.indexKey, member);
        this.log(`removed ${JSON.stringify(member.slice(0, 80))} from the recoverable index: not a job id`);
      }
    }
    return valid;
  }

  /**
   * An index entry names a job that does not exist. It may be a create under way (the entry is
   * written before the create script), so it is never removed at once: the first time, it is
   * marked missing (score −(now + 1)); once it has been missing for missingJobGraceMs it is removed,
   * by a script that removes it only if the mark is unchanged (a create sets the score to 0).
   */
  private async forgetIfLongMissing(jobId: string): Promise<void> {
    const score = await this.redis.zscore(this.indexKey, jobId);
    if (score === null) return;
    const nowMs = this.clock === undefined ? await this.serverNow() : this.now();
    const mark = Number(score);
    if (!(mark < 0)) {
      await this.redis.zadd(this.indexKey, 'XX', -(nowMs + 1), jobId);
      return;
    }
    const missingSinceMs = -mark - 1;
    if (nowMs - missingSinceMs < missingJobGraceMs) return;
    await this.run('forget-missing', [this.indexKey], [jobId, score]);
  }

  async getJob(jobId: string): Promise<Job | null> {
    validateJobId(jobId);
    return this.guard(jobId, async () => (await this.load(jobId))?.job ?? null);
  }

  async readEvents(jobId: string, fromSeq = 1): Promise<JobEvent[]> {
    validateJobId(jobId);
    if (!Number.isInteger(fromSeq) || fromSeq < 1)
      throw new RangeError(`fromSeq must be a positive integer, got ${String(fromSeq)}`);
    return this.guard(jobId, async () => {
      const key = this.keys(jobId).events;
      const events: JobEvent[] = [];
      let start = fromSeq;
      for (let page = 0; page < eventsPagesMax; page += 1) {
        const entries = await this.redis.xrange(key, String(start), '+', 'COUNT', eventsPageMax);
        for (const [entryId, fields] of entries) events.push(decodeEvent(jobId, entryId, fields));
        const last = events.at(-1);
        if (entries.length < eventsPageMax || last === undefined) return events;
        start = last.seq + 1;
      }
      throw new AssertionError(`job ${jobId} has more than ${eventsPagesMax * eventsPageMax} events`);
    });
  }

  /** Closes the connection if this store created it (from a URL); a client passed in is left open. */
  async close(): Promise<void> {
    for (const signal of this.workSignals) signal.close();
    this.workSignals.clear();
    if (!this.ownsClient) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** A fenced write: runs script `name` with the common arguments, then updates the index. */
  private async write(
    request: operations.Fenced,
    name: ScriptName,
    keyNames: readonly (keyof JobKeys)[],
    extra: readonly string[],
    index: 'keep' | 'remove' | 'queue' = 'keep',
  ): Promise<WriteResult> {
    return this.guard(request.jobId, async () => {
      const keys = this.keys(request.jobId);
      const reply = await this.run(
        name,
        keyNames.map((keyName) => keys[keyName]),
        [request.jobId, request.workerId, String(request.epoch), request.requestId, this.nowArgument(), ...extra],
      );
      const result = writeResultOf(request.jobId, reply);
      // Only a write applied now tells the job's state: a duplicate may match another write's request id.
      if (index === 'remove' && reply.code === ScriptCode.Applied) await this.redis.zrem(this.indexKey, request.jobId);
      if (index === 'queue' && reply.code === ScriptCode.Applied) {
        await this.redis.zadd(this.indexKey, 0, request.jobId);
        await this.announceWork();
      }
      return result;
    });
  }

  /**
   * Pushes a work token for idle workers (after a creation or a release). A hint: when it cannot be
   * sent the write stands, and waiting workers find the job at their next timeout.
   */
  private async announceWork(): Promise<void> {
    try {
      await this.redis
        .pipeline()
        .lpush(this.workKey, '1')
        .ltrim(this.workKey, 0, workTokensMax - 1)
        .exec();
    } catch (error) {
      this.log(`work token not sent: ${String(error)}`);
    }
  }

  /**
   * A work signal for one worker: a blocking pop of the work tokens on a connection of its own,
   * ended at the next lease expiry of the index at the latest. Closed with the store.
   */
  workSignal(): RedisWorkSignal {
    const signal = new RedisWorkSignal(this.redis, this.workKey, () => this.nextLeaseWaitMs());
    this.workSignals.add(signal);
    return signal;
  }

  /** Ms until the earliest lease in the index runs out, or undefined when none is running. */
  async nextLeaseWaitMs(): Promise<number | undefined> {
    return this.guard(null, async () => {
      const nowMs = this.clock === undefined ? await this.serverNow() : this.now();
      const next = await this.redis.zrangebyscore(this.indexKey, `(${nowMs}`, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
      const score = next[1];
      return score === undefined ? undefined : Math.max(0, Number(score) - nowMs);
    });
  }

  /** The job and its revision, or null; throws CorruptStateError when it cannot be trusted. */
  private async load(jobId: string): Promise<{ job: Job; revision: number } | null> {
    const snapshot = await this.readSnapshot(this.keys(jobId));
    return snapshot === null ? null : decodeJob(jobId, snapshot.state, snapshot.chunks, snapshot.lastEventSeq);
  }

  /** The state and chunks hashes and the last event's seq, read in one MULTI; null when the job does not exist. */
  private async readSnapshot(keys: JobKeys): Promise<JobSnapshot | null> {
    const results = await this.redis
      .multi()
      .hgetall(keys.state)
      .hgetall(keys.chunks)
      .xrevrange(keys.events, '+', '-', 'COUNT', 1)
      .exec();
    return parseSnapshot(results);
  }

  private async run(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<ScriptReply> {
    const wait = this.waitForReplicas;
    // forget-missing edits the index, a hint: it needs no replica.
    if (wait === undefined || name === 'forget-missing') return runScript(this.redis, name, keys, args);
    const { reply, acknowledged } = await runScriptAndWait(this.redis, name, keys, args, wait.replicas, wait.timeoutMs);
    if (acknowledged < wait.replicas) {
      throw new StoreUnavailableError(
        `script ${name} on ${keys[0] ?? '?'}: ${acknowledged} of ${wait.replicas} replicas acknowledged within ` +
          `${wait.timeoutMs} ms; retry`,
      );
    }
    return reply;
  }

  private async guard<T>(jobId: string | null, action: () => Promise<T>): Promise<T> {
    try {
      return await withClusterDeadline(this.redis, action);
    } catch (error) {
      throw translateError(error, jobId);
    }
  }

  private now(): number {
    const nowMs = (this.clock as StoreClock).now();
    if (!Number.isSafeInteger(nowMs) || nowMs < 0)
      throw new RangeError(`clock.now() must return a non-negative integer of ms, got ${describe(nowMs)}`);
    return nowMs;
  }

  /** The now argument of a script: the clock's reading, or '' for the server clock. */
  private nowArgument(): string {
    return this.clock === undefined ? '' : String(this.now());
  }

  private async serverNow(): Promise<number> {
    const [seconds, microseconds] = await this.redis.time();
    return Number(seconds) * 1_000 + Math.floor(Number(microseconds) / 1_000);
  }
}

/** A job's state and chunks hashes and the seq of its last event, as one snapshot read them. */
export interface JobSnapshot {
  readonly state: Flat;
  readonly chunks: Flat;
  readonly lastEventSeq: number;
}

/**
 * The replies of a snapshot read (`HGETALL state`, `HGETALL chunks`, `XREVRANGE events + - COUNT 1`, in that order,
 * as a MULTI's or a pipeline's results): the snapshot, or null when the job does not exist. Throws the first
 * command's error, and StoreUnavailableError for an aborted transaction (null results).
 */
export function parseSnapshot(results: readonly [Error | null, unknown][] | null): JobSnapshot | null {
  if (results === null) throw new StoreUnavailableError('Redis aborted a read transaction; retry');
  const values = results.map(([error, value]) => {
    if (error !== null) throw error;
    return value;
  });
  const [state, chunks, last] = values as [Flat, Flat, [string, string[]][]];
  if (Object.keys(state).length === 0) return null;
  const lastId = last[0]?.[0];
  return { state, chunks, lastEventSeq: lastId === undefined ? 0 : Number.parseInt(lastId, 10) };
}

/** How long an index entry may name a job that does not exist before it is removed (ms). */
export const missingJobGraceMs = 60_000;

function flatToRecord(flat: readonly string[]): Flat {
  const record: Flat = {};
  for (let position = 0; position + 1 < flat.length; position += 2)
    record[flat[position] as string] = flat[position + 1] as string;
  return record;
}

function integerValue(reply: ScriptReply, position: number): number {
  const value = Number(reply.values[position]);
  if (!Number.isSafeInteger(value))
    throw new AssertionError(`script reply element ${position} is ${String(reply.values[position])}, not an integer`);
  return value;
}

function phaseValue(reply: ScriptReply, position: number): Phase {
  const value = reply.values[position] as Phase;
  if (!phases.includes(value))
    throw new AssertionError(`script reply element ${position} is ${String(value)}, not a phase`);
  return value;
}

function expectCode(reply: ScriptReply, code: ScriptCode, name: string): void {
  if (reply.code !== code) throw new AssertionError(`script ${name} returned code ${reply.code}, expected ${code}`);
}

function writeResultOf(jobId: string, reply: ScriptReply): WriteResult {
  if (reply.code === ScriptCode.Applied) return { kind: 'ok', duplicate: false };
  if (reply.code === ScriptCode.Duplicate) return { kind: 'ok', duplicate: true };
  return refusalOf(jobId, reply);
}

/** The typed refusal of a negative code; CORRUPT throws CorruptStateError. */
function refusalOf(jobId: string, reply: ScriptReply): Refusal {
  switch (reply.code) {
    case ScriptCode.NotFound:
      return { kind: 'not_found' };
    case ScriptCode.AlreadyExists:
      return { kind: 'already_exists' };
    case ScriptCode.StaleEpoch:
      return { kind: 'stale_epoch', epoch: integerValue(reply, 0) };
    case ScriptCode.Terminal:
      return { kind: 'terminal', phase: phaseValue(reply, 0) };
    case ScriptCode.InvalidState:
      return { kind: 'invalid_state', phase: phaseValue(reply, 0), detail: reply.values[1] ?? '' };
    case ScriptCode.AlreadyCommitted:
      return { kind: 'already_committed', index: integerValue(reply, 0) };
    case ScriptCode.NotClaimable: {
      const reason = reply.values[0];
      if (reason !== 'leased' && reason !== 'terminal')
        throw new AssertionError(`not_claimable with reason ${String(reason)}`);
      return { kind: 'not_claimable', reason };
    }
    case ScriptCode.Corrupt:
      throw new CorruptStateError(jobId, [reply.values[0] ?? 'unreadable state']);
    default:
      throw new AssertionError(`unexpected script code ${reply.code} for job ${jobId}`);
  }
}
