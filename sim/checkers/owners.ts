/**
 * Who held each epoch of a job, read from a run's history and its events: the grant that opened
 * the epoch (its actor and time), else the writer of the epoch's events. P5, P9 and P11 share it.
 */
import type { JobEvent } from '../../src/core/events.js';
import type { History } from '../history.js';

/** The grant that opened one epoch of one job. */
export interface Grant {
  readonly t: number;
  readonly actor: string;
  readonly leaseUntilMs: number;
  /** Index of the grant in the history. */
  readonly position: number;
}

/** Grants keyed by `job#epoch`, from the history's grant entries. */
export function grantsOf(history: History): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  for (const position of history.positionsOf('grant')) {
    const entry = history.entries[position];
    if (entry?.kind !== 'grant') continue;
    const key = `${entry.job}#${entry.epoch}`;
    if (!grants.has(key))
      grants.set(key, { t: entry.t, actor: entry.actor, leaseUntilMs: entry.leaseUntilMs, position });
  }
  return grants;
}

/**
 * The holder of epoch `epoch` of `jobId`: the actor of its grant (unless a live record had to infer
 * it), else the writer of the epoch's events; undefined when neither is known.
 */
export function holderOf(
  grants: ReadonlyMap<string, Grant>,
  events: readonly JobEvent[],
  jobId: string,
  epoch: number,
): string | undefined {
  const grant = grants.get(`${jobId}#${epoch}`);
  if (grant !== undefined && grant.actor !== 'unseen') return grant.actor;
  return events.find((event) => event.epoch === epoch)?.worker_id;
}

/** When epoch `epoch` of `jobId` began: its grant, else its first event; undefined when neither is known. */
export function grantedAt(
  grants: ReadonlyMap<string, Grant>,
  events: readonly JobEvent[],
  jobId: string,
  epoch: number,
): number | undefined {
  return grants.get(`${jobId}#${epoch}`)?.t ?? events.find((event) => event.epoch === epoch)?.timestamp;
}

/**
 * A takeover: a claim of a job some earlier owner had started, which is either a recovery
 * (`recovery_started`) or the claim that failed the job as recovery_attempts_exhausted.
 */
export interface Takeover {
  readonly epoch: number;
  /** Store time of the claim. */
  readonly t: number;
  readonly previousOwner: string | undefined;
  /** How the takeover reads in a message. */
  readonly what: string;
}

/** Every takeover of a job, in order, from its events. */
export function takeoversOf(
  grants: ReadonlyMap<string, Grant>,
  events: readonly JobEvent[],
  jobId: string,
): Takeover[] {
  const takeovers: Takeover[] = [];
  for (const event of events) {
    if (event.event === 'recovery_started') {
      takeovers.push({
        epoch: event.epoch,
        t: event.timestamp,
        previousOwner: event.previous_owner,
        what: `recovery attempt ${event.attempt} (epoch ${event.epoch})`,
      });
    }
    if (event.event === 'job_failed' && event.reason === 'recovery_attempts_exhausted') {
      takeovers.push({
        epoch: event.epoch,
        t: event.timestamp,
        previousOwner: holderOf(grants, events, jobId, event.epoch - 1),
        what: `the claim of epoch ${event.epoch} that failed the job as recovery_attempts_exhausted`,
      });
    }
  }
  return takeovers;
}

/** Times of a history's entries of one kind, keyed by `actor|job` (releases, renewals). */
export function timesOf(history: History, kind: 'release' | 'renew'): Map<string, number[]> {
  const times = new Map<string, number[]>();
  for (const position of history.positionsOf(kind)) {
    const entry = history.entries[position];
    if (entry?.kind !== kind) continue;
    const key = `${entry.actor}|${entry.job}`;
    const list = times.get(key);
    if (list === undefined) times.set(key, [entry.t]);
    else list.push(entry.t);
  }
  return times;
}
