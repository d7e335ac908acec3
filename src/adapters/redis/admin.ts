/**
 * The operator's port (src/admin.ts) on the Redis adapter's keys.
 *
 * Writes are Lua scripts of their own (`lua-admin/<name>-<numberOfKeys>.lua`, sharing `lua/includes/common.lua`
 * with the store's scripts): `retry-job` and `cancel-job` check and write one job's keys and append their events in
 * one step, under a new epoch, so that a worker holding an older epoch has its next fenced write refused; `remove-job`
 * deletes the job's keys unless its lease is valid. The recoverable index is another slot, written outside the
 * scripts as the store does: a retried job is put in it before and after its script (score 0; an entry that names a
 * job still failed costs one refused claim, which removes it), and a work token wakes idle workers; a cancelled or
 * removed job is taken out after.
 *
 * Reads: the store keeps no index of all jobs (the recoverable index holds only unfinished ones), and the engine's
 * scripts are left as they are, so `list` and `counts` SCAN the key space for `<prefix>{job:*}:state` (on every
 * master of a cluster) and read each job's state hash (one HGETALL per job, pipelined). That costs O(every key in
 * the database) round trips of SCAN, COUNT 1000, plus one HGETALL per job of this prefix, whatever `--state` and
 * `--limit` say: fine for thousands of jobs kept `terminalRetentionMs`, an operator's occasional command, not a
 * dashboard's poll.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  cancelledFailureReason,
  cancelledMessage,
  countPhases,
  resultOf,
  selectSummaries,
  validateAdminRequest,
  type AdminRequest,
  type AdminWriteResult,
  type CorruptSummary,
  type JobAdmin,
  type JobResult,
  type JobSummary,
  type ListOptions,
  type PhaseCounts,
  type RemoveResult,
} from '../../admin.js';
import { assert } from '../../core/assert.js';
import { chunksPerJobMax } from '../../core/limits.js';
import {
  clipMessage,
  failureReasons,
  phases,
  validateJobId,
  type FailureReason,
  type Phase,
} from '../../core/types.js';
import { CorruptStateError, StoreUnavailableError } from '../../ports.js';
import { isCluster, withClusterDeadline, type RedisClient } from './connect.js';
import { translateError } from './errors.js';
import { asideKeys, jobKeys, workTokensKey, workTokensMax } from './keys.js';
import { luaDirectory, ScriptCode } from './scripts.js';
import { defaultTerminalRetentionMs, type RedisJobStore, type StoreClock } from './store.js';

/** The operator's scripts, by name, with their key counts. */
export const adminScriptNames = { 'retry-job': 3, 'cancel-job': 3, 'remove-job': 6 } as const;
type AdminScript = keyof typeof adminScriptNames;

/** SCAN's COUNT hint in `list` and `counts`. */
export const scanCount = 1_000;

/**
 * The directory of the operator's .lua files, found like the store's (`luaDirectory`): beside this module from src,
 * or the package's src/adapters/redis/lua-admin from dist.
 */
export function adminLuaDirectory(moduleUrl: string = import.meta.url): string {
  const candidates = [
    new URL('./lua-admin/', moduleUrl),
    new URL('../../../../src/adapters/redis/lua-admin/', moduleUrl),
    new URL('../../../src/adapters/redis/lua-admin/', moduleUrl),
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(`${path}retry-job-3.lua`)) return path;
  }
  throw new Error(
    `chunkwise: cannot find the operator's Lua scripts; looked in ${candidates.map((url) => fileURLToPath(url)).join(', ')}`,
  );
}

let sources: ReadonlyMap<AdminScript, string> | undefined;

/** The operator's scripts with the shared helpers inlined, read once per process. */
export function loadAdminScripts(): ReadonlyMap<AdminScript, string> {
  if (sources !== undefined) return sources;
  const directory = adminLuaDirectory();
  const common = readFileSync(`${luaDirectory()}includes/common.lua`, 'utf8');
  const loaded = new Map<AdminScript, string>();
  for (const [name, keys] of Object.entries(adminScriptNames) as [AdminScript, number][]) {
    const lua = readFileSync(`${directory}${name}-${keys}.lua`, 'utf8').replace(
      /^--- @include "common"$/m,
      () => common,
    );
    loaded.set(name, lua);
  }
  sources = loaded;
  return loaded;
}

function commandOf(name: AdminScript): string {
  return `chunkwiseAdmin${name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}

/** Options of {@link RedisJobAdmin}. */
export interface RedisJobAdminOptions {
  /** Now in ms, passed to the scripts; when absent they read the server clock (give the store's own `clock`). */
  readonly clock?: StoreClock;
  /** How long the keys of a cancelled job live on (default that of the store, 7 days). */
  readonly terminalRetentionMs?: number;
}

/** {@link JobAdmin} on the keys of a {@link RedisJobStore} (its client and key prefix). */
export class RedisJobAdmin implements JobAdmin {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly clock: StoreClock | undefined;

  constructor(
    private readonly store: RedisJobStore,
    options: RedisJobAdminOptions = {},
  ) {
    this.redis = store.redis;
    this.prefix = store.keyPrefix;
    this.retentionMs = options.terminalRetentionMs ?? defaultTerminalRetentionMs;
    this.clock = options.clock;
    if (!Number.isSafeInteger(this.retentionMs) || this.retentionMs <= 0)
      throw new RangeError(`terminalRetentionMs must be a positive integer, got ${String(this.retentionMs)}`);
    const commands = this.redis as unknown as Record<string, unknown>;
    for (const [name, lua] of loadAdminScripts()) {
      if (typeof commands[commandOf(name)] === 'function') continue;
      this.redis.defineCommand(commandOf(name), { numberOfKeys: adminScriptNames[name], lua });
    }
  }

  async now(): Promise<number> {
    if (this.clock !== undefined) return this.clock.now();
    return this.guard(null, async () => {
      const [seconds, microseconds] = await this.redis.time();
      return Number(seconds) * 1_000 + Math.floor(Number(microseconds) / 1_000);
    });
  }

  async list(options: ListOptions = {}): Promise<(JobSummary | CorruptSummary)[]> {
    return selectSummaries(await this.summaries(), options);
  }

  async counts(): Promise<PhaseCounts> {
    return countPhases(await this.summaries());
  }

  async result(jobId: string): Promise<JobResult> {
    return resultOf(await this.store.getJob(validateJobId(jobId)));
  }

  async retry(request: AdminRequest): Promise<AdminWriteResult> {
    validateJobId(request.jobId);
    validateAdminRequest(request);
    return this.guard(request.jobId, async () => {
      const index = this.store.recoverableIndexKey();
      // Before the script, so that a failure between the script and the index leaves the job findable.
      await this.redis.zadd(index, 'NX', 0, request.jobId);
      const reply = await this.run('retry-job', this.jobKeyList(request.jobId), [
        request.jobId,
        request.actor,
        request.requestId,
        this.nowArgument(),
        clipMessage(request.message ?? ''),
      ]);
      if (reply.code === ScriptCode.Applied || reply.code === ScriptCode.Duplicate) {
        await this.redis.zadd(index, 0, request.jobId);
        await this.announceWork();
      }
      return this.writeResult(request.jobId, reply);
    });
  }

  async cancel(request: AdminRequest): Promise<AdminWriteResult> {
    validateJobId(request.jobId);
    validateAdminRequest(request);
    return this.guard(request.jobId, async () => {
      const reply = await this.run('cancel-job', this.jobKeyList(request.jobId), [
        request.jobId,
        request.actor,
        request.requestId,
        this.nowArgument(),
        String(this.retentionMs),
        cancelledFailureReason,
        cancelledMessage(request.actor, request.message),
      ]);
      if (reply.code === ScriptCode.Applied || reply.code === ScriptCode.Duplicate)
        await this.redis.zrem(this.store.recoverableIndexKey(), request.jobId);
      return this.writeResult(request.jobId, reply);
    });
  }

  async remove(request: { readonly jobId: string; readonly force?: boolean }): Promise<RemoveResult> {
    validateJobId(request.jobId);
    return this.guard(request.jobId, async () => {
      const keys = jobKeys(this.prefix, request.jobId);
      const aside = asideKeys(this.prefix, request.jobId);
      const reply = await this.run(
        'remove-job',
        [keys.state, keys.chunks, keys.events, aside.state, aside.chunks, aside.events],
        [this.nowArgument(), request.force === true ? '1' : '0'],
      );
      if (reply.code === ScriptCode.NotClaimable)
        return { kind: 'leased', owner: reply.values[0] ?? '', leaseExpiresAtMs: Number(reply.values[1]) };
      await this.redis.zrem(this.store.recoverableIndexKey(), request.jobId);
      return reply.code === ScriptCode.Applied ? { kind: 'ok' } : { kind: 'not_found' };
    });
  }

  /**
   * Pushes a work token for idle workers, as a release does (keys.ts: `<prefix>jobs:work`): a retried job is
   * released work. A hint: when it cannot be sent, waiting workers find the job at their next timeout.
   */
  private async announceWork(): Promise<void> {
    const key = workTokensKey(this.prefix);
    await this.redis
      .pipeline()
      .lpush(key, '1')
      .ltrim(key, 0, workTokensMax - 1)
      .exec()
      .catch(() => undefined);
  }

  private nowArgument(): string {
    return this.clock === undefined ? '' : String(this.clock.now());
  }

  private jobKeyList(jobId: string): string[] {
    const keys = jobKeys(this.prefix, jobId);
    return [keys.state, keys.chunks, keys.events];
  }

  private async writeResult(jobId: string, reply: AdminReply): Promise<AdminWriteResult> {
    switch (reply.code) {
      case ScriptCode.Applied:
      case ScriptCode.Duplicate: {
        const job = await this.store.getJob(jobId);
        if (job === null) throw new StoreUnavailableError(`job ${jobId} expired right after the write; look again`);
        return {
          kind: 'ok',
          duplicate: reply.code === ScriptCode.Duplicate,
          job,
          previousOwner: reply.values[0] === undefined || reply.values[0] === '' ? null : reply.values[0],
          previousLeaseExpiresAtMs: Number(reply.values[1] ?? 0),
        };
      }
      case ScriptCode.NotFound:
        return { kind: 'not_found' };
      case ScriptCode.InvalidState:
        return { kind: 'invalid_state', phase: reply.values[0] as Phase, detail: reply.values[1] ?? '' };
      case ScriptCode.Corrupt:
        throw new CorruptStateError(jobId, [reply.values[0] ?? 'unreadable state']);
      default:
        throw new Error(`script reply ${reply.code} for job ${jobId} was not expected`);
    }
  }

  /** Every job of this prefix as a summary read from its state hash alone (see the module's comment). */
  private async summaries(): Promise<(JobSummary | CorruptSummary)[]> {
    return this.guard(null, async () => {
      const stateKeys: string[] = [];
      const nodes = isCluster(this.redis) ? this.redis.nodes('master') : [this.redis];
      const pattern = `${escapeGlob(this.prefix)}{job:*}:state`;
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', scanCount);
          stateKeys.push(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      const idPattern = /^\{job:([A-Za-z0-9_-]{1,128})\}:state$/;
      const ids = [
        ...new Set(
          stateKeys.flatMap((key) => {
            const id = idPattern.exec(key.slice(this.prefix.length))?.[1];
            return key.startsWith(this.prefix) && id !== undefined ? [id] : [];
          }),
        ),
      ];
      const summaries: (JobSummary | CorruptSummary)[] = [];
      for (let start = 0; start < ids.length; start += scanCount) {
        const page = ids.slice(start, start + scanCount);
        const hashes = await Promise.all(
          page.map((id) =>
            this.redis.hgetall(jobKeys(this.prefix, id).state).catch((error: unknown) => {
              if (error instanceof Error && /WRONGTYPE/.test(error.message)) return null;
              throw error;
            }),
          ),
        );
        page.forEach((id, position) => {
          const hash = hashes[position];
          if (hash === undefined || (hash !== null && Object.keys(hash).length === 0)) return; // expired since
          summaries.push(summaryOf(id, hash));
        });
      }
      return summaries;
    });
  }

  private async run(name: AdminScript, keys: readonly string[], args: readonly string[]): Promise<AdminReply> {
    const command = (this.redis as unknown as Record<string, (...values: string[]) => Promise<unknown>>)[
      commandOf(name)
    ];
    assert(typeof command === 'function', `script ${name} is not registered`);
    const reply = await command.call(this.redis, ...keys, ...args);
    assert(Array.isArray(reply) && reply.length >= 1, `script ${name} returned ${JSON.stringify(reply)}`);
    return { code: Number(reply[0]) as ScriptCode, values: reply.slice(1).map((value: unknown) => String(value)) };
  }

  private async guard<T>(jobId: string | null, action: () => Promise<T>): Promise<T> {
    try {
      return await withClusterDeadline(this.redis, action);
    } catch (error) {
      throw translateError(error, jobId);
    }
  }
}

interface AdminReply {
  readonly code: ScriptCode;
  readonly values: readonly string[];
}

/** `text` with the glob characters of SCAN's MATCH escaped. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

const integerText = /^(0|[1-9][0-9]{0,15})$/;

/** A summary from a state hash, or a corrupt summary naming the first field that does not read. */
function summaryOf(jobId: string, hash: Record<string, string> | null): JobSummary | CorruptSummary {
  if (hash === null) return { jobId, phase: 'corrupt', problem: 'the state key is not a hash' };
  const problems: string[] = [];
  const integer = (name: string): number => {
    const value = hash[name];
    if (value !== undefined && integerText.test(value)) return Number(value);
    problems.push(`${name} ${JSON.stringify(value ?? null)} is not a non-negative integer`);
    return 0;
  };
  const phase = hash['phase'] as Phase;
  if (!phases.includes(phase)) problems.push(`unknown phase ${JSON.stringify(hash['phase'] ?? null)}`);
  const reason = hash['failureReason'];
  if (reason !== undefined && !failureReasons.includes(reason as FailureReason))
    problems.push(`unknown failure reason ${JSON.stringify(reason)}`);
  const summary: JobSummary = {
    jobId,
    phase,
    source: hash['source'] ?? '',
    epoch: integer('epoch'),
    owner: hash['owner'] ?? null,
    leaseExpiresAtMs: integer('leaseExpiresAtMs'),
    createdAtMs: integer('createdAtMs'),
    updatedAtMs: integer('updatedAtMs'),
    totalChunks: integer('chunkCount'),
    committedChunks: integer('committedCount'),
    recoveries: integer('recoveryAttempts'),
    failure: reason === undefined ? null : { reason: reason as FailureReason, message: hash['failureMessage'] ?? '' },
  };
  if (summary.totalChunks > chunksPerJobMax) problems.push(`chunkCount is above chunksPerJobMax`);
  return problems.length === 0 ? summary : { jobId, phase: 'corrupt', problem: problems.join('; ') };
}
