/**
 * Key layout of the Redis adapter. Every key of one job carries the hash tag `{job:<id>}`, so all
 * of them hash to one cluster slot and every script, which touches the keys of one job only, runs
 * on Redis Cluster. The cross-job index lives under its own key (another slot) and is written only
 * by plain commands outside the scripts: it is a hint that the claim re-checks.
 *
 *   <prefix>{job:<id>}:state    hash    the job's scalar fields (see codec.ts)
 *   <prefix>{job:<id>}:chunks   hash    `<index>:<field>` for every chunk of the plan
 *   <prefix>{job:<id>}:events   stream  the job's outbox; entry id `<seq>-0`, one flat field per event field
 *   <prefix>jobs:recoverable    zset    ids of non-terminal jobs scored by lease expiry (ms), queued at 0
 *   <prefix>jobs:work           list    work tokens: one pushed per creation or release, popped by an
 *                                       idle worker's blocking wait (a hint, capped at workTokensMax)
 */
import { validateJobId } from '../../core/types.js';

/** Key prefix used when none is given. */
export const defaultKeyPrefix = 'chunkwise:';

/** Longest key prefix accepted, in characters. */
export const keyPrefixCharsMax = 200;

/** The keys of one job, all in the slot of `{job:<id>}`. */
export interface JobKeys {
  readonly state: string;
  readonly chunks: string;
  readonly events: string;
}

/**
 * Throws a TypeError unless `prefix` can start every key: at most keyPrefixCharsMax characters
 * and no `{` or `}`, which would move the hash tag away from `{job:<id>}`.
 */
export function validateKeyPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length > keyPrefixCharsMax || /[{}]/.test(prefix)) {
    throw new TypeError(
      `keyPrefix must be a string of at most ${keyPrefixCharsMax} characters without "{" or "}", got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** The hash tag every key of job `jobId` shares. */
export function jobHashTag(jobId: string): string {
  return `{job:${validateJobId(jobId)}}`;
}

/** The keys of job `jobId` under `prefix`. */
export function jobKeys(prefix: string, jobId: string): JobKeys {
  const base = `${prefix}${jobHashTag(jobId)}`;
  return { state: `${base}:state`, chunks: `${base}:chunks`, events: `${base}:events` };
}

/**
 * Where the quarantine moves a key of job `jobId` that holds the wrong type (kept for inspection,
 * expired with the job): the key with `:wrongtype` appended, in the same slot.
 */
export function asideKeys(prefix: string, jobId: string): JobKeys {
  const keys = jobKeys(prefix, jobId);
  return { state: `${keys.state}:wrongtype`, chunks: `${keys.chunks}:wrongtype`, events: `${keys.events}:wrongtype` };
}

/** The key of the cross-job index of recoverable jobs under `prefix`. */
export function recoverableIndexKey(prefix: string): string {
  return `${prefix}jobs:recoverable`;
}

/** The key of the list of work tokens under `prefix`, which idle workers wait on. */
export function workTokensKey(prefix: string): string {
  return `${prefix}jobs:work`;
}

/** Most work tokens kept: enough to wake every idle worker of a large pool, few enough to drain at once. */
export const workTokensMax = 1_000;
