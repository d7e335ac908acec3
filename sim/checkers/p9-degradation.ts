/**
 * P9 Graceful degradation: store outages and lost replies never fail a job by themselves and never
 * corrupt state. Every final state is consistent, and every failure reason is one the fault plan
 * could cause: source_missing needs a deleted source, transcription errors need injected
 * transcriber errors, state_corrupt needs injected corruption, media_invalid needs injected media
 * errors or chunk damage.
 *
 * And every takeover of a started job (each recovery_started, and the claim that fails a job as
 * recovery_attempts_exhausted) is explained by what happened to the job's previous owner between
 * taking the job and the takeover: it crashed, was stopped (a graceful stop) or released the job,
 * or the job's stored state was corrupted; or it could not renew: the owner's lease keeper sends a
 * renewal every leaseRenewIntervalMs (of its own clock, which may drift) and a renewal that reaches
 * the store before the takeover, lease expired or not, keeps the job, so each renewal it was due
 * to send from its last acknowledged grant or renewal until the takeover must have met a store
 * outage or been held by a pause of the owner to the takeover. A lost reply never explains one (a
 * renewal whose reply is lost was applied), nor does an outage or a pause that left the owner a
 * renewal. A live record does not time store calls: there any outage or pause within the owner's
 * time explains it.
 */
import { jobInvariantProblems } from '../../src/core/invariants.js';
import type { JobEvent } from '../../src/core/events.js';
import type { HistoryEntry } from '../history.js';
import type { RunRecord } from '../world.js';
import { grantedAt, grantsOf, takeoversOf, timesOf, type Grant, type Takeover } from './owners.js';
import { definePromise, type Checker, type Violation } from './types.js';

export const checkDegradation: Checker = (record) => {
  const violations: Violation[] = [];
  const fired = record.faultsFired;
  const transcriberErrors = fired.filter((fault) => fault.kind === 'transcriber_error' || fault.kind === 'api_outage');
  const mediaErrors = fired.filter((fault) => fault.kind === 'media_error').length;
  const owners = ownersOf(record);
  for (const [jobId, job] of record.jobs) {
    if (job === undefined) continue;
    const problems = record.corruptedStates.has(jobId) && job.phase !== 'failed' ? [] : jobInvariantProblems(job);
    for (const problem of problems)
      violations.push({ promise: 'P9', job: jobId, message: `inconsistent final state: ${problem}` });
    if (job.failure === null) continue;
    const { reason } = job.failure;
    const position = record.scenario.jobs.findIndex((spec) => spec.id === jobId);
    const damaged = fired.filter((fault) => fault.kind === 'chunk_file' && fault.job === position).length;
    const explained =
      (reason === 'source_missing' && record.deletedSources.has(jobId)) ||
      (reason === 'transcription_rejected' &&
        transcriberErrors.some((fault) => fault.kind === 'transcriber_error' && fault.error === 400)) ||
      (reason === 'transcription_failed' && transcriberErrors.length > 0) ||
      (reason === 'state_corrupt' && record.corruptedStates.has(jobId)) ||
      (reason === 'media_invalid' &&
        (mediaErrors >= record.limits.mediaAttemptsMax || damaged > record.limits.mediaAttemptsMax)) ||
      // Each takeover, the exhausting claim included, is explained (or not) below.
      reason === 'recovery_attempts_exhausted';
    if (!explained)
      violations.push({
        promise: 'P9',
        job: jobId,
        message: `failed with ${reason}, which no injected fault explains: ${job.failure.message}`,
      });
  }
  for (const [jobId, events] of record.events) {
    for (const takeover of takeoversOf(owners.grants, events, jobId)) {
      const why = unexplained(takeover, jobId, events, owners, record);
      if (why === undefined) continue;
      const grant = owners.grants.get(`${jobId}#${takeover.epoch}`);
      violations.push({
        promise: 'P9',
        job: jobId,
        message: `${takeover.what} at ${takeover.t} ms is explained by no fault: ${why}`,
        ...(grant === undefined ? {} : { entry: grant.position }),
      });
    }
  }
  return violations;
};

/** What the history says about the actors, read once. */
interface Owners {
  readonly grants: ReadonlyMap<string, Grant>;
  readonly releases: ReadonlyMap<string, readonly number[]>;
  /** Renewals the store applied, keyed by `actor|job`. */
  readonly renewals: ReadonlyMap<string, readonly StoreCall[]>;
  /** Claim calls, keyed by `actor|job`, applied or refused. */
  readonly claims: ReadonlyMap<string, readonly StoreCall[]>;
  /** The first crash and the first graceful stop of each actor. */
  readonly crashes: ReadonlyMap<string, number>;
  readonly stops: ReadonlyMap<string, number>;
  /** Each actor's pauses, [start, end) (end: its resume, or never). */
  readonly pauses: ReadonlyMap<string, readonly Interval[]>;
  /** When store outages had the store down, merged, in order (faults stop at the liveness phase). */
  readonly outages: readonly Interval[];
}

/** A store call as the history shows it. */
interface StoreCall {
  readonly t: number;
  /** Applied (a claim: granted; a renewal: always). */
  readonly ok: boolean;
  /** Refused because the store was down. */
  readonly unavailable: boolean;
  /** Applied, but the reply never reached the caller. */
  readonly replyLost: boolean;
}

interface Interval {
  readonly from: number;
  readonly to: number;
}

function ownersOf(record: RunRecord): Owners {
  const { entries } = record.history;
  const renewals = new Map<string, StoreCall[]>();
  const claims = new Map<string, StoreCall[]>();
  const crashes = new Map<string, number>();
  const stops = new Map<string, number>();
  const pauses = new Map<string, Interval[]>();
  const append = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [value]);
    else list.push(value);
  };
  let livenessAtMs = Number.POSITIVE_INFINITY;
  entries.forEach((entry, position) => {
    if (entry.kind === 'phase') livenessAtMs = Math.min(livenessAtMs, entry.t);
    if (entry.kind === 'call' && entry.op === 'claimJob') {
      const ok = entry.result.startsWith('ok');
      append(claims, `${entry.actor}|${entry.target}`, {
        t: entry.t,
        ok,
        unavailable: entry.result === 'unavailable',
        replyLost: ok && replyLostAfter(entries, position),
      });
    }
    if (entry.kind === 'renew')
      append(renewals, `${entry.actor}|${entry.job}`, {
        t: entry.t,
        ok: true,
        unavailable: false,
        replyLost: replyLostAfter(entries, position),
      });
    if (entry.kind !== 'worker') return;
    if (entry.what === 'crash' && !crashes.has(entry.actor)) crashes.set(entry.actor, entry.t);
    if (entry.what === 'stop' && !stops.has(entry.actor)) stops.set(entry.actor, entry.t);
    if (entry.what === 'pause') append(pauses, entry.actor, { from: entry.t, to: Number.POSITIVE_INFINITY });
    if (entry.what === 'resume') {
      const list = pauses.get(entry.actor);
      const open = list?.findIndex((pause) => pause.to === Number.POSITIVE_INFINITY) ?? -1;
      if (list !== undefined && open >= 0) list[open] = { from: list[open]?.from ?? entry.t, to: entry.t };
    }
  });
  const down: Interval[] = [];
  for (const fault of record.faultsFired) {
    if (fault.kind !== 'store_down') continue;
    const to = Math.min(fault.atMs + fault.durationMs, livenessAtMs);
    if (to > fault.atMs) down.push({ from: fault.atMs, to });
  }
  return {
    grants: grantsOf(record.history),
    releases: timesOf(record.history, 'release'),
    renewals,
    claims,
    crashes,
    stops,
    pauses,
    outages: merged(down),
  };
}

/**
 * True when the world lost the reply of the store call whose entries start at `position`: it
 * records the call, what the call applied (a grant, a renewal), a crash, then the lost reply.
 */
function replyLostAfter(entries: readonly HistoryEntry[], position: number): boolean {
  const at = entries[position]?.t;
  for (let next = position + 1; next < entries.length && next <= position + 4; next += 1) {
    const entry = entries[next];
    if (entry === undefined || entry.t !== at || entry.kind === 'call') return false;
    if (entry.kind === 'fault' && entry.label.startsWith('reply_lost')) return true;
  }
  return false;
}

/** Overlapping or touching intervals joined, in order. */
function merged(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const interval of sorted) {
    const last = out.at(-1);
    if (last !== undefined && interval.from <= last.to)
      out[out.length - 1] = { from: last.from, to: Math.max(last.to, interval.to) };
    else out.push(interval);
  }
  return out;
}

/** Why nothing explains `takeover`; undefined when something does. */
function unexplained(
  takeover: Takeover,
  jobId: string,
  events: readonly JobEvent[],
  owners: Owners,
  record: RunRecord,
): string | undefined {
  const owner = takeover.previousOwner;
  if (owner === undefined) return `the owner of epoch ${takeover.epoch - 1} is unknown`;
  const t = takeover.t;
  const tookMs = grantedAt(owners.grants, events, jobId, takeover.epoch - 1) ?? Number.NEGATIVE_INFINITY;
  if ((owners.crashes.get(owner) ?? Number.POSITIVE_INFINITY) <= t) return undefined;
  if ((owners.stops.get(owner) ?? Number.POSITIVE_INFINITY) <= t) return undefined;
  const inWindow = (times: readonly number[] | undefined) =>
    (times ?? []).filter((time) => time >= tookMs && time <= t);
  if (inWindow(owners.releases.get(`${owner}|${jobId}`)).length > 0) return undefined;
  if (corruptedBefore(record, jobId, t)) return undefined;
  const pauses = owners.pauses.get(owner) ?? [];
  if (record.liveness === undefined) {
    // A live record does not time store calls: any outage or pause within the owner's time explains it.
    const overlaps = (interval: Interval) => interval.from < t && interval.to > tookMs;
    if (owners.outages.some(overlaps) || pauses.some(overlaps)) return undefined;
    return `${owner} took the job at ${tookMs} ms and neither crashed, stopped, released it, was paused nor met a store outage before`;
  }
  const key = `${owner}|${jobId}`;
  const inTime = (call: StoreCall) => call.t >= tookMs && call.t <= t;
  const renewals = (owners.renewals.get(key) ?? []).filter(inTime);
  const calls = owners.claims.get(key) ?? [];
  const claims = calls.filter((call) => call.ok && inTime(call));
  const anchorMs = Math.max(tookMs, ...renewals.map((call) => call.t), ...claims.map((call) => call.t));
  const at = (list: readonly StoreCall[], answered: boolean) =>
    list.some((call) => call.t === anchorMs && (!answered || !call.replyLost));
  const keeper = keeperTiming(record, owner);
  let first: Interval;
  let timing = keeper;
  if (at(claims, false) && !at(claims, true) && !at(renewals, false)) {
    // A claim whose reply was lost, and nothing since: the owner retries the claim (with backoff)
    // instead of renewing, and starts its lease keeper only once a retry is answered.
    timing = retryTiming(record);
    first = { from: anchorMs, to: anchorMs + timing.maxMs + timing.slackMs };
  } else if (
    at(renewals, false) &&
    !at(claims, true) &&
    anchorMs - keeperBasisMs(renewals, calls, anchorMs, tookMs, keeper) >= keeper.onTheWayMs
  ) {
    // A renewal late enough that the owner may have sent it on the way (before an effect outside
    // the store, its lease close to its end) rather than from its keeper: the keeper's next
    // renewal may come any time within an interval.
    first = { from: anchorMs, to: anchorMs + keeper.maxMs + keeper.slackMs };
  } else {
    // The keeper's own renewal, or the answered claim it started from: the next comes one interval later.
    first = { from: anchorMs + keeper.minMs, to: anchorMs + keeper.maxMs + keeper.slackMs };
  }
  if (couldNotRenew(first, t, owners.outages, pauses, timing)) return undefined;
  const during = (list: readonly Interval[]) =>
    list
      .filter((interval) => interval.from < t && interval.to > anchorMs)
      .map((interval) => `${interval.from}–${interval.to} ms`);
  const outages = during(owners.outages);
  const paused = during(pauses);
  const met = [
    ...(outages.length > 0 ? [`store outages ${outages.join(', ')}`] : []),
    ...(paused.length > 0 ? [`pauses ${paused.join(', ')}`] : []),
  ];
  return `${owner}'s last acknowledged grant or renewal was at ${anchorMs} ms; it neither crashed, stopped nor released the job, and ${met.length === 0 ? 'no store outage or pause' : met.join(' and ')} left it a renewal due every ${record.limits.leaseRenewIntervalMs} ms before the takeover`;
}

/**
 * The earliest the owner's lease deadline may have been counted from before `anchorMs`: its last
 * answered renewal before it, else when it first sent the claim (the first of the claim calls the
 * store refused as down just before the one it applied). An owner renews on the way only once
 * onTheWayMs have passed since then.
 */
function keeperBasisMs(
  renewals: readonly StoreCall[],
  claims: readonly StoreCall[],
  anchorMs: number,
  tookMs: number,
  timing: KeeperTiming,
): number {
  const answered = renewals.filter((call) => call.t < anchorMs && !call.replyLost).at(-1);
  if (answered !== undefined) return answered.t - timing.slackMs;
  const applied = claims.findIndex((call) => call.ok && call.t >= tookMs);
  let sentMs = applied >= 0 ? (claims[applied]?.t ?? tookMs) : tookMs;
  for (let position = applied - 1; position >= 0 && claims[position]?.unavailable === true; position -= 1)
    sentMs = claims[position]?.t ?? sentMs;
  return sentMs - timing.slackMs;
}

/** True when a state_corrupt or poison fault of `jobId` fired by `t` (the owner's writes are refused from then on). */
function corruptedBefore(record: RunRecord, jobId: string, t: number): boolean {
  if (!record.corruptedStates.has(jobId)) return false;
  const position = record.scenario.jobs.findIndex((spec) => spec.id === jobId);
  return record.faultsFired.some(
    (fault) => (fault.kind === 'state_corrupt' || fault.kind === 'poison') && fault.job === position && fault.atMs <= t,
  );
}

/**
 * How far apart the owner's lease keeper sends renewals, in store time: its interval on its own (drifting) clock, plus
 * a store round trip or few.
 */
interface KeeperTiming {
  readonly minMs: number;
  readonly maxMs: number;
  /** How much later than due a renewal may reach the store (its own round trips). */
  readonly slackMs: number;
  /**
   * Least time after the owner's lease deadline was last counted from (an answered renewal, or the
   * claim's first sending) before it renews on the way, before an effect outside the store: its
   * lease minus a tenth of it, on its own clock (src/runtime/worker.ts, LeaseKeeper).
   */
  readonly onTheWayMs: number;
}

function keeperTiming(record: RunRecord, owner: string): KeeperTiming {
  const interval = record.limits.leaseRenewIntervalMs;
  const slot = /^w(\d+)#\d+(?:\.\d+)?$/.exec(owner)?.[1];
  // A skew names a slot (every incarnation of it: the machine's clock); owners are `w<slot>#<incarnation>`, with
  // `.<loop>` when the process runs several worker loops.
  const skew = record.faultsFired.find(
    (fault) => fault.kind === 'clock_skew' && slot !== undefined && fault.worker === Number(slot),
  );
  const rate = 1 + (skew?.kind === 'clock_skew' ? skew.driftPpm : 0) / 1_000_000;
  // A store call takes up to storeMaxMs per round trip; a renewal makes at most three (a script, a
  // script reload, the index update) and its sleep is rounded up to whole ms of the owner's clock.
  const slackMs = 4 * record.scenario.latencies.storeMaxMs + 2;
  const lease = record.limits.leaseDurationMs;
  const onTheWayMs = (lease - Math.ceil(lease / 10)) / (1 + Math.abs(rate - 1));
  return { minMs: Math.floor(interval / rate), maxMs: Math.ceil(interval / rate) + 1, slackMs, onTheWayMs };
}

/**
 * How far apart an owner retries a claim whose reply was lost: a capped, jittered backoff, plus a round trip or few.
 */
function retryTiming(record: RunRecord): KeeperTiming {
  const { retryDelayBaseMs, retryDelayMaxMs } = record.limits;
  return {
    minMs: Math.floor(retryDelayBaseMs / 2),
    maxMs: retryDelayMaxMs + 1,
    slackMs: 4 * record.scenario.latencies.storeMaxMs + 2,
    onTheWayMs: 0,
  };
}

/**
 * True when the owner could have had every renewal it sent before `t` refused by a store outage:
 * its next renewal reaches the store within `first`, each one after it one interval later (within
 * slack); a renewal due within a pause of the owner goes out when the pause ends.
 */
function couldNotRenew(
  first: Interval,
  t: number,
  outages: readonly Interval[],
  pauses: readonly Interval[],
  timing: KeeperTiming,
): boolean {
  // The times a renewal may reach the store, as a union of intervals.
  let due: Interval[] = [first];
  const stepsMax = Math.ceil((t - first.from) / Math.max(1, timing.minMs)) + 2;
  for (let step = 0; step < stepsMax && due.length > 0; step += 1) {
    due = merged(due.flatMap((interval) => heldBy(interval, pauses, timing.slackMs)));
    if (due.some((interval) => interval.to >= t)) return true;
    const refused = due.flatMap((interval) => within(interval, outages));
    due = merged(
      refused.map((interval) => ({
        from: interval.from + timing.minMs,
        to: interval.to + timing.maxMs + timing.slackMs,
      })),
    );
  }
  return false;
}

/**
 * `interval` with the parts inside a pause moved to the pause's end (plus slack): a paused owner sends when it wakes.
 */
function heldBy(interval: Interval, pauses: readonly Interval[], slackMs: number): Interval[] {
  let parts: Interval[] = [interval];
  for (const pause of pauses) {
    parts = parts.flatMap((part) => {
      if (part.to < pause.from || part.from >= pause.to) return [part];
      const out: Interval[] = [];
      if (part.from < pause.from) out.push({ from: part.from, to: pause.from });
      out.push({ from: pause.to, to: pause.to + slackMs });
      if (part.to > pause.to) out.push({ from: pause.to, to: part.to });
      return out;
    });
  }
  return parts;
}

/** The parts of `interval` inside the outages. */
function within(interval: Interval, outages: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const outage of outages) {
    const from = Math.max(interval.from, outage.from);
    const to = Math.min(interval.to, outage.to);
    if (from <= to) out.push({ from, to });
  }
  return out;
}

/** P9 Graceful degradation, as the registry (sim/checkers/index.ts) lists it. */
export const promise = definePromise({
  id: 'P9',
  title: 'Graceful degradation',
  liveness: false,
  check: checkDegradation,
});
