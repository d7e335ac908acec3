/**
 * The RunRecord of a live run, built from what really happened, so that the simulator's own
 * checkers (sim/checkers, unchanged) judge real processes. Every time below is read from this
 * machine's clock: Redis's TIME (event timestamps, lease expiries) and Node's Date.now (the fake
 * API's arrival times, the nemesis's actions) are the same CLOCK_REALTIME. The record counts ms
 * from the run's origin (when the first worker was started), event timestamps included; stored
 * jobs keep their epoch-ms fields.
 *
 * Sources:
 * - jobs and events: RedisJobStore.getJob / readEvents after the run, with every worker stopped;
 * - files: the chunk directory's listing per job after the run (`.part` files included);
 * - transcriptions: the fake API's request log (each upload is named `<jobId>.chunk-<index>.wav`
 *   and each worker calls through its own tagged path, so a request names job, chunk and worker);
 * - the store's acknowledged grants, renewals and commits: each worker's `--trace-store` lines,
 *   which carry the store's own lease expiries;
 * - faults, kills, pauses, restarts: the nemesis's log.
 *
 * Worker loops: a process started with `--concurrency N` runs N worker loops, and the store's
 * events, leases and trace lines name the loop (`w0#1.1`, `w0#1.2`); one loop takes the process's
 * name (`w0#1`). As in the simulator, each loop is an actor of its own: the process's start, its
 * SIGKILL, SIGSTOP and SIGCONT are written once per loop actor (a kill is one crash fault and a
 * crash of each of its loops), and each trace line is its loop's. The fake API sees processes,
 * not loops (one tagged path per process): a request is written as the transcription of the loop
 * of its process that last claimed its job before it arrived (the process itself when none did),
 * and the pause rule of P2 below reads the process's pauses and the renewals and claims of every
 * loop of it.
 *
 * History entries, in time order (ties: world first, then one job's store entries in seq order):
 * - `commit`: each `chunk_transcribed` event (t = its timestamp, epoch and worker from the event);
 * - `grant`: each `recovery_started` event (t = its timestamp, lease = t + leaseMs, exactly what
 *   the claim script wrote); else the trace line of the claim that granted that epoch (t = expiry
 *   − leaseMs, i.e. the store's own instant); else the epoch's first event as a fenced grant with
 *   no lease (a claim that failed the job: recovery attempts exhausted). An epoch that left no
 *   event and no trace line (its claimer died within microseconds of the claim) is inferred from
 *   the next one as a fenced grant by `unseen`;
 * - `renew`: each acknowledged renewal from the trace (t = expiry − leaseMs);
 * - `release`: each `transcription_completed` / `job_failed` event, and each release a worker
 *   sent (from the trace, dated when it was sent: if the store applied it, it did so later);
 * - `transcribe`: each request that reached the API (t = the arrival of its headers), except one
 *   that was in flight across its worker's SIGSTOP: that one counts from the SIGSTOP (see P2);
 * - `fault`, `worker`, `file`, `phase`: the nemesis's actions and the workers' error lines.
 *
 * What is checked live, and how:
 * - P1: every job terminal, with a reason when failed, once the liveness phase ends (exact).
 * - P2: no transcription request for chunk i reached the API after chunk i's commit (store time
 *   of the commit vs arrival time at the API; same-millisecond ties go to the request). WEAKER
 *   than in simulation: the live run sees when a request arrived, not when the worker decided to
 *   send it. A request in flight across a SIGSTOP legitimately arrives after the successor's
 *   commit (DESIGN: wasted work, not a violation). A worker that wakes from a pause longer than
 *   its lease must renew (or claim) before it may decide to send anything for that job, so a
 *   request of a paused worker that arrives before the worker's first acknowledged renewal or
 *   claim of that job after its SIGCONT (trace lines, store time) counts from the SIGSTOP. Hence a
 *   woken worker that skipped its lease check and sent at once would go unseen here (the
 *   simulator catches that one); every other request is judged at its arrival.
 * - P3: at most one `chunk_transcribed` per chunk, all of them for completed jobs, each carrying
 *   the epoch of the latest grant before it (exact, from events).
 * - P4: each grant's epoch is the previous one + 1, and no grant comes while the previous lease,
 *   as extended by acknowledged renewals, is still valid. WEAKER than in simulation: a renewal
 *   whose reply was lost (the worker was killed, or Redis was) is not seen, so the lease looks
 *   shorter than it was and a grant inside it could pass; a release counts from when it was sent
 *   whether or not the store applied it; an unseen epoch (above) is inferred.
 *   Added live: no epoch is acknowledged to two workers.
 * - P5, P6, P11: exact, from the stored events and the final state.
 * - P7: each committed chunk text equals the API's text for that chunk's recorded sha256
 *   (`transcriptFor(<jobId>.chunk-<index>.wav, sha256)`; re-extraction is byte-identical), and the
 *   job's transcript is their join.
 * - P8: exact, from the chunk directory after the run.
 * - P9: final states consistent; failure reasons explained by injected faults. Added live: every
 *   commit the store acknowledged (trace) is in the stored events after all the kill -9s of
 *   Redis, and no acknowledged grant's epoch is lost.
 * - P10: `chunk_recreated` only for chunks the nemesis damaged; a worker's `error` log line, or a
 *   worker exiting on its own, is a violation. No state corruption or source deletion is injected.
 */
import { uploadFileName } from '../../src/adapters/openai/transcriber.js';
import type { StoreTraceLine } from '../../src/cli/trace.js';
import type { JobEvent } from '../../src/core/events.js';
import type { Limits } from '../../src/core/limits.js';
import type { Job } from '../../src/core/types.js';
import type { Violation } from '../checkers/index.js';
import { faultLabel, type Fault, type JobSpec, type Scenario } from '../faults.js';
import { History, type HistoryEntry } from '../history.js';
import type { RunRecord } from '../world.js';
import { transcriptFor, type LoggedRequest } from './openai-server.js';
import type { StoreLoss } from './watcher.js';

/** Chunk damage the nemesis does. */
export type ChunkDamage = 'delete' | 'truncate' | 'corrupt';

/** How the nemesis edited a stored state: its phase, or a key replaced by one of the wrong type. */
export type StateEdit = 'phase' | 'state_type' | 'chunks_type';

/** One thing the nemesis did (epoch ms). */
export type NemesisAction =
  /** A worker process started; `loops`: the actors of its worker loops (absent: one loop, named as the process). */
  | {
      readonly atMs: number;
      readonly kind: 'start';
      readonly actor: string;
      readonly slot: number;
      readonly loops?: readonly string[];
    }
  /** A worker process SIGKILLed; `held`: the job each of its loops held, loop actor → job. */
  | {
      readonly atMs: number;
      readonly kind: 'kill';
      readonly actor: string;
      readonly slot: number;
      readonly held: Readonly<Record<string, string>>;
    }
  /** A worker process SIGSTOPped for `durationMs`; `held` as for a kill. */
  | {
      readonly atMs: number;
      readonly kind: 'pause';
      readonly actor: string;
      readonly slot: number;
      readonly durationMs: number;
      readonly held: Readonly<Record<string, string>>;
    }
  | { readonly atMs: number; readonly kind: 'resume'; readonly actor: string }
  /**
   * Redis (or, with `failover`, the master of some cluster slots) could not serve for `durationMs`: a restart, or a
   * failover to a replica (`graceful`: CLUSTER FAILOVER, nothing lost; `kill`: kill -9 of the master, then its replica
   * promoted: what replication had not carried yet is lost).
   */
  | {
      readonly atMs: number;
      readonly kind: 'redis_down';
      readonly durationMs: number;
      readonly failover?: 'graceful' | 'kill';
    }
  | {
      readonly atMs: number;
      readonly kind: 'chunk_damage';
      readonly job: string;
      readonly index: number;
      readonly damage: ChunkDamage;
    }
  /**
   * A window of 429/500 answers (`retryAfterMs`: the Retry-After they carried, 0 for none), and connection resets
   * queued.
   */
  | {
      readonly atMs: number;
      readonly kind: 'api_errors';
      readonly durationMs: number;
      readonly retryAfterMs?: number;
      readonly resets?: number;
    }
  /**
   * The stored state of `job` was hand-edited into an inconsistent one (`how`: absent in older records, read as
   * `phase`).
   */
  | { readonly atMs: number; readonly kind: 'state_corrupt'; readonly job: string; readonly how?: StateEdit }
  /** The next `requests` transcription requests were left unanswered. */
  | { readonly atMs: number; readonly kind: 'api_hang'; readonly requests: number }
  | { readonly atMs: number; readonly kind: 'liveness' }
  | { readonly atMs: number; readonly kind: 'worker_error'; readonly actor: string; readonly detail: string };

/** A `--trace-store` line and the worker that printed it. */
export interface TraceRecord {
  readonly actor: string;
  readonly line: StoreTraceLine;
}

/** Everything a live run observed (times in epoch ms of this machine). */
export interface LiveObservations {
  readonly seed: number;
  readonly originMs: number;
  readonly endMs: number;
  readonly end: 'done' | 'time';
  readonly limits: Limits;
  readonly workerSlots: number;
  /** Worker loops per process (`--concurrency`; default 1). */
  readonly concurrency?: number;
  readonly faultPhaseMs: number;
  readonly livenessPhaseMs: number;
  /** Job ids in submission order. */
  readonly jobIds: readonly string[];
  readonly jobs: ReadonlyMap<string, Job | undefined>;
  readonly events: ReadonlyMap<string, readonly JobEvent[]>;
  readonly files: ReadonlyMap<string, readonly string[]>;
  readonly requests: readonly LoggedRequest[];
  readonly trace: readonly TraceRecord[];
  readonly actions: readonly NemesisAction[];
  /** Jobs whose event stream lost entries the store had shown (watcher.ts). */
  readonly storeLosses: readonly StoreLoss[];
}

/** The record and what had to be inferred to build it. */
export interface LiveRecord {
  readonly record: RunRecord;
  /** Grants of epochs that left no event and no trace line. */
  readonly inferredGrants: number;
  /** Requests dated from their worker's SIGSTOP instead of their arrival. */
  readonly requestsInFlightAcrossPauses: number;
}

interface Placed {
  readonly entry: HistoryEntry;
  /** 0: the world (faults, workers, files); 1: a job's store entries and transcriptions. */
  readonly rank: number;
  /** Order among one job's store entries in the same millisecond (event seq). */
  readonly seq: number;
}

/** Builds the RunRecord the checkers read. */
export function buildLiveRecord(observations: LiveObservations): LiveRecord {
  const at = (epochMs: number) => epochMs - observations.originMs;
  const world = worldEntries(observations, at);
  const transcriptions = transcribeEntries(observations, at);
  const store = observations.jobIds.map((jobId) => storeEntries(observations, jobId, at));
  const placed = [...world.placed, ...transcriptions.placed, ...store.flatMap((entries) => entries.placed)];
  placed.sort(comparePlaced);
  const history = new History();
  for (const { entry } of placed) history.add(entry);
  const events = new Map<string, readonly JobEvent[]>();
  for (const jobId of observations.jobIds) {
    events.set(
      jobId,
      (observations.events.get(jobId) ?? []).map((event) => ({ ...event, timestamp: at(event.timestamp) }) as JobEvent),
    );
  }
  const specs = observations.jobIds.map((jobId) => jobSpecOf(jobId, observations.jobs.get(jobId)));
  const scenario: Scenario = {
    jobs: specs,
    workers: observations.workerSlots,
    faults: world.faults,
    latencies: { storeMaxMs: 0, mediaMs: 0, transcribeMs: 0 },
    faultPhaseMs: observations.faultPhaseMs,
    seed: observations.seed,
    choices: [],
    ...((observations.concurrency ?? 1) > 1 ? { concurrency: observations.concurrency } : {}),
    ...(observations.limits.chunkConcurrency > 1 ? { chunkConcurrency: observations.limits.chunkConcurrency } : {}),
  };
  const committed = specs.reduce(
    (sum, spec) =>
      sum + (observations.jobs.get(spec.id)?.chunks.filter((chunk) => chunk.transcript !== null).length ?? 0),
    0,
  );
  const answered = observations.requests.filter(
    (request) => request.status === 200 && request.fault === null && request.jobId !== null,
  ).length;
  const record: RunRecord = {
    scenario,
    limits: observations.limits,
    history,
    jobs: observations.jobs,
    events,
    files: observations.files,
    deletedSources: new Set(),
    corruptedStates: world.corruptedStates,
    damagedChunks: world.damagedChunks,
    workerErrors: world.workerErrors,
    faultsFired: world.faults,
    end: observations.end,
    simulatedMs: at(observations.endMs),
    steps: history.entries.length,
    decisions: 0,
    wastedTranscriptions: Math.max(0, answered - committed),
    expectedTranscripts: (jobId) =>
      (observations.jobs.get(jobId)?.chunks ?? []).map((chunk) =>
        transcriptFor(uploadFileName({ jobId, index: chunk.index }), chunk.sha256),
      ),
  };
  return {
    record,
    inferredGrants: store.reduce((sum, entries) => sum + entries.inferred, 0),
    requestsInFlightAcrossPauses: transcriptions.shifted,
  };
}

function comparePlaced(a: Placed, b: Placed): number {
  if (a.entry.t !== b.entry.t) return a.entry.t - b.entry.t;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

function jobSpecOf(jobId: string, job: Job | undefined): JobSpec {
  return {
    id: jobId,
    chunks: job?.chunks.length ?? 0,
    chunkLengthMs: job?.chunkLengthMs ?? 0,
    lastChunkMs: job?.chunks.at(-1)?.durationMs ?? 0,
  };
}

/** Which worker loops each process ran, from the runs' `start` actions. */
export interface LoopMap {
  /** The loop actors of process `actor` (itself when it was not seen starting, or runs one loop). */
  loopsOf(actor: string): readonly string[];
  /** The process loop actor `loop` belongs to (itself when unknown). */
  processOf(loop: string): string;
}

/** The loops of every process the actions started. */
export function loopMap(actions: readonly NemesisAction[]): LoopMap {
  const loops = new Map<string, readonly string[]>();
  const processes = new Map<string, string>();
  for (const action of actions) {
    if (action.kind !== 'start') continue;
    const own = action.loops ?? [action.actor];
    loops.set(action.actor, own);
    for (const loop of own) processes.set(loop, action.actor);
  }
  return {
    loopsOf: (actor) => loops.get(actor) ?? [actor],
    processOf: (loop) => processes.get(loop) ?? loop,
  };
}

/** ` holding <job>` for a loop that held one when its process was struck, else nothing. */
function holding(held: Readonly<Record<string, string>>, loop: string): string {
  const job = held[loop];
  return job === undefined ? '' : ` holding ${job}`;
}

/** The nemesis's actions as faults and history entries, and the injected API errors as faults. */
function worldEntries(observations: LiveObservations, at: (epochMs: number) => number) {
  const placed: Placed[] = [];
  const faults: { readonly atMs: number; readonly fault: Fault }[] = [];
  const damagedChunks = new Set<string>();
  const corruptedStates = new Set<string>();
  const workerErrors: string[] = [];
  const add = (entry: HistoryEntry) => placed.push({ entry, rank: 0, seq: 0 });
  const fire = (atMs: number, fault: Fault) => {
    faults.push({ atMs, fault });
    add({ t: at(atMs), kind: 'fault', label: faultLabel(fault) });
  };
  const { loopsOf } = loopMap(observations.actions);
  let kills = 0;
  let pauses = 0;
  for (const action of observations.actions) {
    const t = at(action.atMs);
    switch (action.kind) {
      case 'start':
        for (const loop of loopsOf(action.actor)) add({ t, kind: 'worker', actor: loop, what: 'start' });
        break;
      case 'kill':
        kills += 1;
        fire(action.atMs, { kind: 'crash', worker: action.slot, target: 'any', nth: kills, when: 'before' });
        // The process dies: every loop of it.
        for (const loop of loopsOf(action.actor))
          add({ t, kind: 'worker', actor: loop, what: 'crash', detail: `SIGKILL${holding(action.held, loop)}` });
        break;
      case 'pause':
        pauses += 1;
        fire(action.atMs, {
          kind: 'pause',
          worker: action.slot,
          target: 'any',
          nth: pauses,
          durationMs: action.durationMs,
        });
        // The process stops: every loop of it.
        for (const loop of loopsOf(action.actor))
          add({
            t,
            kind: 'worker',
            actor: loop,
            what: 'pause',
            detail: `SIGSTOP for ${action.durationMs} ms${holding(action.held, loop)}`,
          });
        break;
      case 'resume':
        for (const loop of loopsOf(action.actor)) add({ t, kind: 'worker', actor: loop, what: 'resume' });
        break;
      case 'redis_down':
        fire(action.atMs, { kind: 'store_down', atMs: t, durationMs: action.durationMs });
        break;
      case 'chunk_damage': {
        const job = Math.max(0, observations.jobIds.indexOf(action.job));
        damagedChunks.add(`${action.job}/${action.index}`);
        fire(action.atMs, { kind: 'chunk_file', job, chunk: action.index, damage: action.damage, atMs: t });
        add({ t, kind: 'file', actor: 'world', job: action.job, op: action.damage, index: action.index });
        break;
      }
      case 'api_errors':
      case 'api_hang':
        break;
      case 'state_corrupt':
        corruptedStates.add(action.job);
        fire(action.atMs, {
          kind: 'state_corrupt',
          job: Math.max(0, observations.jobIds.indexOf(action.job)),
          atMs: t,
        });
        break;
      case 'liveness':
        add({ t, kind: 'phase', what: 'liveness' });
        break;
      case 'worker_error':
        workerErrors.push(`${action.actor}: ${action.detail}`);
        add({ t, kind: 'worker', actor: action.actor, what: 'error', detail: action.detail });
        break;
    }
  }
  observations.requests.forEach((request, position) => {
    if (request.fault === 'status')
      fire(request.atMs, { kind: 'transcriber_error', nth: position + 1, error: request.status === 429 ? 429 : 500 });
    if (request.fault === 'stall')
      fire(request.atMs, { kind: 'transcriber_error', nth: position + 1, error: 'timeout' });
    if (request.fault === 'reset') fire(request.atMs, { kind: 'transcriber_error', nth: position + 1, error: 'reset' });
  });
  faults.sort((a, b) => a.atMs - b.atMs);
  return { placed, faults: faults.map((entry) => entry.fault), damagedChunks, corruptedStates, workerErrors };
}

/** Each process's pauses, from SIGSTOP to SIGCONT (to the end of the run when never resumed). */
function pausesByActor(actions: readonly NemesisAction[]): Map<string, { startMs: number; endMs: number }[]> {
  const pauses = new Map<string, { startMs: number; endMs: number }[]>();
  for (const action of actions) {
    if (action.kind === 'pause')
      pauses.set(action.actor, [
        ...(pauses.get(action.actor) ?? []),
        { startMs: action.atMs, endMs: Number.POSITIVE_INFINITY },
      ]);
    if (action.kind === 'resume') {
      const open = pauses.get(action.actor)?.find((pause) => pause.endMs === Number.POSITIVE_INFINITY);
      if (open !== undefined) open.endMs = action.atMs;
    }
  }
  return pauses;
}

/**
 * When a loop of process `actor` next showed that it held `jobId` after `sinceMs`: the store time
 * of the first acknowledged renewal or claim of the job by any of its loops at or after `sinceMs`
 * (infinity when none).
 */
function nextLeaseProof(
  trace: readonly TraceRecord[],
  loops: LoopMap,
  actor: string,
  jobId: string,
  sinceMs: number,
  leaseMs: number,
): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const { actor: writer, line } of trace) {
    if (loops.processOf(writer) !== actor || line.jobId !== jobId) continue;
    if (line.op !== 'renewLease' && line.op !== 'claimJob') continue;
    const appliedMs = line.leaseExpiresAtMs - leaseMs;
    if (appliedMs >= sinceMs && appliedMs < earliest) earliest = appliedMs;
  }
  return earliest;
}

/**
 * The loop of process `actor` that sent a request for `jobId` arriving at `atMs`: the one whose acknowledged claim of
 * the job came last before it (the process itself when none of its loops claimed the job by then).
 */
function senderOf(
  trace: readonly TraceRecord[],
  loops: LoopMap,
  actor: string,
  jobId: string,
  atMs: number,
  leaseMs: number,
): string {
  let sender = actor;
  let latestMs = Number.NEGATIVE_INFINITY;
  for (const { actor: writer, line } of trace) {
    if (line.op !== 'claimJob' || line.result !== 'ok' || line.jobId !== jobId) continue;
    if (loops.processOf(writer) !== actor) continue;
    const claimedMs = line.leaseExpiresAtMs - leaseMs;
    if (claimedMs <= atMs && claimedMs >= latestMs) {
      latestMs = claimedMs;
      sender = writer;
    }
  }
  return sender;
}

/** One `transcribe` entry per request for a chunk; see P2 in the header for the pause rule. */
function transcribeEntries(
  observations: LiveObservations,
  at: (epochMs: number) => number,
): { placed: Placed[]; shifted: number } {
  const pauses = pausesByActor(observations.actions);
  const loops = loopMap(observations.actions);
  const leaseMs = observations.limits.leaseDurationMs;
  const placed: Placed[] = [];
  let shifted = 0;
  for (const request of observations.requests) {
    if (request.jobId === null || request.index === null) continue;
    // The process that sent it (its tagged path).
    const actor = request.client ?? 'unknown';
    const jobId = request.jobId;
    // The last pause of the process that began before the request arrived; the request was decided before it unless
    // a loop of the process proved a valid lease on the job again (an acknowledged renewal or claim) after waking.
    const pause = (pauses.get(actor) ?? []).filter((candidate) => candidate.startMs <= request.atMs).at(-1);
    const inFlight =
      pause !== undefined &&
      request.atMs <= nextLeaseProof(observations.trace, loops, actor, jobId, pause.endMs, leaseMs);
    if (inFlight) shifted += 1;
    const t = at(inFlight ? pause.startMs : request.atMs);
    placed.push({
      entry: {
        t,
        kind: 'transcribe',
        actor: senderOf(observations.trace, loops, actor, jobId, request.atMs, leaseMs),
        job: jobId,
        index: request.index,
        digest: (request.sha256 ?? '').slice(0, 8),
      },
      rank: 1,
      seq: Number.NEGATIVE_INFINITY,
    });
  }
  return { placed, shifted };
}

/** Grants, renewals, commits and releases of one job. */
function storeEntries(
  observations: LiveObservations,
  jobId: string,
  at: (epochMs: number) => number,
): { placed: Placed[]; inferred: number } {
  const leaseMs = observations.limits.leaseDurationMs;
  const events = observations.events.get(jobId) ?? [];
  const placed: Placed[] = [];
  const firstOfEpoch = new Map<number, JobEvent>();
  for (const event of events) if (!firstOfEpoch.has(event.epoch)) firstOfEpoch.set(event.epoch, event);
  const grants = new Map<number, Placed>();
  const grant = (
    epoch: number,
    entry: Omit<Extract<HistoryEntry, { kind: 'grant' }>, 'kind' | 'epoch' | 'job'>,
    seq: number,
  ) => {
    if (!grants.has(epoch)) grants.set(epoch, { entry: { kind: 'grant', job: jobId, epoch, ...entry }, rank: 1, seq });
  };
  const seqBefore = (epoch: number) => (firstOfEpoch.get(epoch)?.seq ?? 0) - 0.5;
  for (const event of events) {
    if (event.event === 'recovery_started')
      grant(
        event.epoch,
        { t: at(event.timestamp), actor: event.worker_id, leaseUntilMs: at(event.timestamp) + leaseMs, recovery: true },
        seqBefore(event.epoch),
      );
  }
  for (const { actor, line } of observations.trace) {
    if (line.jobId !== jobId) continue;
    if (line.op === 'claimJob' && line.result === 'ok') {
      grant(
        line.epoch,
        {
          t: at(line.leaseExpiresAtMs - leaseMs),
          actor,
          leaseUntilMs: at(line.leaseExpiresAtMs),
          recovery: line.recovery,
        },
        seqBefore(line.epoch),
      );
    }
    if (line.op === 'releaseJob') {
      placed.push({
        entry: { t: at(line.sentAtMs), kind: 'release', actor, job: jobId, epoch: line.epoch },
        rank: 1,
        seq: Number.NEGATIVE_INFINITY,
      });
    }
    if (line.op === 'renewLease') {
      placed.push({
        entry: {
          t: at(line.leaseExpiresAtMs - leaseMs),
          kind: 'renew',
          actor,
          job: jobId,
          epoch: line.epoch,
          leaseUntilMs: at(line.leaseExpiresAtMs),
        },
        rank: 1,
        seq: Number.POSITIVE_INFINITY,
      });
    }
  }
  for (const [epoch, event] of firstOfEpoch)
    grant(epoch, { t: at(event.timestamp), actor: event.worker_id, leaseUntilMs: 0, recovery: false }, event.seq - 0.5);
  const inferred = inferUnseenGrants(grants, jobId);
  placed.push(...grants.values());
  for (const event of events) {
    const base = { t: at(event.timestamp), actor: event.worker_id, job: jobId, epoch: event.epoch };
    if (event.event === 'chunk_transcribed')
      placed.push({ entry: { ...base, kind: 'commit', index: event.chunk_index }, rank: 1, seq: event.seq });
    if (event.event === 'transcription_completed' || event.event === 'job_failed')
      placed.push({ entry: { ...base, kind: 'release' }, rank: 1, seq: event.seq });
  }
  return { placed, inferred };
}

/** Adds a fenced grant by `unseen` for each epoch below the highest one seen that left no trace; returns how many. */
function inferUnseenGrants(grants: Map<number, Placed>, jobId: string): number {
  const highest = Math.max(0, ...grants.keys());
  let inferred = 0;
  for (let epoch = highest - 1; epoch >= 1; epoch -= 1) {
    if (grants.has(epoch)) continue;
    const next = grants.get(epoch + 1);
    if (next === undefined) continue;
    grants.set(epoch, {
      entry: { t: next.entry.t, kind: 'grant', actor: 'unseen', job: jobId, epoch, leaseUntilMs: 0, recovery: false },
      rank: 1,
      seq: next.seq - 0.25,
    });
    inferred += 1;
  }
  return inferred;
}

/**
 * Live-only checks of acknowledged writes against the final store: every commit a worker saw
 * acknowledged is in the events (P9: nothing acknowledged is lost across kill -9 of Redis), no
 * acknowledged grant's epoch is above the job's final epoch (P9), and no epoch was acknowledged to
 * two workers (P4).
 */
export function acknowledgedWriteViolations(observations: LiveObservations): Violation[] {
  const violations: Violation[] = [];
  const owners = new Map<string, Set<string>>();
  const own = (jobId: string, epoch: number, actor: string) =>
    owners.set(`${jobId}#${epoch}`, new Set([...(owners.get(`${jobId}#${epoch}`) ?? []), actor]));
  for (const [jobId, events] of observations.events) {
    for (const event of events) if (event.event === 'recovery_started') own(jobId, event.epoch, event.worker_id);
  }
  for (const { actor, line } of observations.trace) {
    const events = observations.events.get(line.jobId) ?? [];
    if (line.op === 'commitChunk') {
      const stored = events.some(
        (event) =>
          event.event === 'chunk_transcribed' && event.chunk_index === line.index && event.epoch === line.epoch,
      );
      if (!stored)
        violations.push({
          promise: 'P9',
          job: line.jobId,
          message: `the commit of chunk ${line.index} with epoch ${line.epoch} acknowledged to ${actor} is not in the stored events`,
        });
    }
    if (line.op === 'claimJob' && line.result === 'ok') {
      own(line.jobId, line.epoch, actor);
      const finalEpoch = observations.jobs.get(line.jobId)?.epoch ?? line.epoch;
      if (finalEpoch < line.epoch)
        violations.push({
          promise: 'P9',
          job: line.jobId,
          message: `epoch ${line.epoch} was acknowledged to ${actor} but the stored job ended at epoch ${finalEpoch}`,
        });
    }
  }
  for (const [key, actors] of owners) {
    if (actors.size > 1) {
      const [jobId = key, epoch = ''] = key.split('#');
      violations.push({
        promise: 'P4',
        job: jobId,
        message: `epoch ${epoch} was acknowledged to ${[...actors].join(' and ')}`,
      });
    }
  }
  return violations;
}
