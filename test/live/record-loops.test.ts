// Proves that the record of a live run reads a worker process with several loops (`chunkwise worker --concurrency 2`)
// as the simulator does: each loop is an actor of its own, a SIGKILL (or SIGSTOP, SIGCONT) of the process is written
// once per loop, and the store's grants, renewals, commits and events keep the loop ids they name. Two jobs held by
// the two loops of one process, each with two transcriptions in flight, the process killed, both jobs recovered by the
// two loops of another: every promise holds. Read as before, every line the process's, the same run is full of
// false violations (P4, P5, P9).
import { describe, expect, it } from 'vitest';
import { uploadFileName } from '../../src/adapters/openai/transcriber.js';
import type { JobEvent } from '../../src/core/events.js';
import * as operations from '../../src/core/operations.js';
import type { Job } from '../../src/core/types.js';
import { checkAll } from '../../sim/checkers/index.js';
import { holdingText } from '../../sim/live/nemesis.js';
import { transcriptFor, type LoggedRequest } from '../../sim/live/openai-server.js';
import {
  acknowledgedWriteViolations,
  buildLiveRecord,
  type LiveObservations,
  type NemesisAction,
  type TraceRecord,
} from '../../sim/live/record.js';
import { liveLimits } from '../../sim/live/run.js';
import { loopActors } from '../../sim/live/workers.js';

const origin = 1_700_000_000_000;
const limits = liveLimits(2);
const lease = limits.leaseDurationMs;
const chunkMs = 5_000;

/** What the store did to one job: its state, its events, and the trace lines its writers printed. */
class StoredJob {
  job: Job | null = null;
  readonly events: JobEvent[] = [];
  readonly trace: TraceRecord[] = [];
  private requests = 0;

  constructor(readonly id: string) {
    this.apply(operations.create(null, { jobId: id, source: `/sources/${id}.wav`, chunkLengthMs: chunkMs }, 0));
  }

  claim(actor: string, atMs: number): void {
    const outcome = operations.claim(
      this.job,
      {
        jobId: this.id,
        workerId: actor,
        leaseMs: lease,
        recoveryAttemptsMax: limits.recoveryAttemptsMax,
        requestId: this.next(),
      },
      origin + atMs,
    );
    this.apply(outcome);
    const job = this.current();
    this.trace.push({
      actor,
      line: {
        op: 'claimJob',
        jobId: this.id,
        result: 'ok',
        epoch: job.epoch,
        leaseExpiresAtMs: job.leaseExpiresAtMs,
        recovery: job.epoch > 1,
        duplicate: false,
      },
    });
  }

  plan(actor: string, atMs: number): void {
    const chunks = [0, 1].map((index) => ({
      index,
      startMs: index * chunkMs,
      durationMs: chunkMs,
      bytes: 160_000,
      sha256: String(index + 1).repeat(64),
    }));
    this.apply(
      operations.recordPlan(this.job, { ...this.fenced(actor), durationMs: 2 * chunkMs, chunks }, origin + atMs),
    );
  }

  renew(actor: string, atMs: number): void {
    const { epoch } = this.current();
    this.apply(operations.renew(this.job, { jobId: this.id, workerId: actor, epoch, leaseMs: lease }, origin + atMs));
    this.trace.push({
      actor,
      line: { op: 'renewLease', jobId: this.id, epoch, leaseExpiresAtMs: this.current().leaseExpiresAtMs },
    });
  }

  resume(actor: string, atMs: number): void {
    this.apply(operations.markResumed(this.job, this.fenced(actor), origin + atMs));
  }

  commit(actor: string, index: number, atMs: number): void {
    const { epoch, chunks } = this.current();
    const transcript = transcriptFor(uploadFileName({ jobId: this.id, index }), chunks[index]?.sha256 ?? '');
    this.apply(operations.commit(this.job, { ...this.fenced(actor), index, transcript }, origin + atMs));
    this.trace.push({ actor, line: { op: 'commitChunk', jobId: this.id, index, epoch, duplicate: false } });
  }

  complete(actor: string, atMs: number): void {
    this.apply(operations.complete(this.job, this.fenced(actor), origin + atMs));
  }

  /** A transcription request of process `client` for chunk `index`, arriving at `atMs`. */
  request(client: string, index: number, atMs: number): LoggedRequest {
    const fileName = uploadFileName({ jobId: this.id, index });
    return {
      atMs: origin + atMs,
      client,
      fileName,
      jobId: this.id,
      index,
      sha256: this.current().chunks[index]?.sha256 ?? null,
      prompt: null,
      model: 'whisper-1',
      language: null,
      status: 200,
      fault: null,
    };
  }

  current(): Job {
    if (this.job === null) throw new Error(`${this.id} was never created`);
    return this.job;
  }

  private fenced(actor: string): operations.Fenced {
    return { jobId: this.id, workerId: actor, epoch: this.current().epoch, requestId: this.next() };
  }

  private next(): string {
    this.requests += 1;
    return `${this.id}-request-${this.requests}`;
  }

  private apply(outcome: operations.ClaimOutcome): void {
    if (outcome.kind !== 'ok') throw new Error(`${this.id}: ${outcome.kind}`);
    this.job = outcome.job;
    this.events.push(...outcome.events);
  }
}

/**
 * Process w0#1 runs loops w0#1.1 (job-a) and w0#1.2 (job-b), each job with both chunks in flight; chunk 0 of each is
 * committed, then the process is struck at 1,500 ms (`fault`); after the leases ran out the loops of w1#1 recover
 * job-a and job-b and finish them.
 */
function twoLoopRun(fault: 'kill' | 'pause'): { observations: LiveObservations; a: StoredJob; b: StoredJob } {
  const a = new StoredJob('job-a');
  const b = new StoredJob('job-b');
  a.claim('w0#1.1', 50);
  b.claim('w0#1.2', 60);
  a.plan('w0#1.1', 100);
  b.plan('w0#1.2', 110);
  const requests = [
    a.request('w0#1', 0, 200),
    a.request('w0#1', 1, 210),
    b.request('w0#1', 0, 220),
    b.request('w0#1', 1, 230),
  ];
  a.commit('w0#1.1', 0, 500);
  b.commit('w0#1.2', 0, 520);
  a.renew('w0#1.1', 1_050);
  b.renew('w0#1.2', 1_060);
  // Leases end at 4,050 and 4,060 ms.
  a.claim('w1#1.1', 4_500);
  b.claim('w1#1.2', 4_600);
  a.resume('w1#1.1', 4_510);
  b.resume('w1#1.2', 4_610);
  requests.push(a.request('w1#1', 1, 4_700), b.request('w1#1', 1, 4_710));
  a.commit('w1#1.1', 1, 5_000);
  b.commit('w1#1.2', 1, 5_010);
  a.complete('w1#1.1', 5_020);
  b.complete('w1#1.2', 5_030);
  const held = { 'w0#1.1': 'job-a', 'w0#1.2': 'job-b' };
  const start = (actor: string, slot: number, atMs: number): NemesisAction => ({
    atMs: origin + atMs,
    kind: 'start',
    actor,
    slot,
    loops: loopActors(actor, 2),
  });
  const actions: NemesisAction[] =
    fault === 'kill'
      ? [
          start('w0#1', 0, 0),
          start('w1#1', 1, 0),
          { atMs: origin + 1_500, kind: 'kill', actor: 'w0#1', slot: 0, held },
          start('w0#2', 0, 2_000),
        ]
      : [
          start('w0#1', 0, 0),
          start('w1#1', 1, 0),
          { atMs: origin + 1_500, kind: 'pause', actor: 'w0#1', slot: 0, durationMs: 4_000, held },
          start('w0#2', 0, 1_500),
          { atMs: origin + 5_500, kind: 'resume', actor: 'w0#1' },
        ];
  // A paused process's request in flight across its SIGSTOP reaches the API after it woke.
  if (fault === 'pause') requests.push(a.request('w0#1', 1, 5_600));
  const observations: LiveObservations = {
    seed: 1,
    originMs: origin,
    endMs: origin + 8_000,
    end: 'done',
    limits,
    workerSlots: 2,
    concurrency: 2,
    faultPhaseMs: 6_000,
    livenessPhaseMs: 2_000,
    jobIds: ['job-a', 'job-b'],
    jobs: new Map([
      ['job-a', a.current()],
      ['job-b', b.current()],
    ]),
    events: new Map([
      ['job-a', a.events],
      ['job-b', b.events],
    ]),
    files: new Map([
      ['job-a', []],
      ['job-b', []],
    ]),
    requests,
    trace: [...a.trace, ...b.trace],
    actions,
    storeLosses: [],
  };
  return { observations, a, b };
}

function allViolations(observations: LiveObservations): string[] {
  const { record } = buildLiveRecord(observations);
  return [...checkAll(record), ...acknowledgedWriteViolations(observations)].map(
    (violation) => `${violation.promise} ${violation.job ?? ''}: ${violation.message}`,
  );
}

/** The same observations read as a record that knows one loop per process: every line and request the process's. */
function asOneLoopPerProcess(observations: LiveObservations): LiveObservations {
  const processOf = (actor: string) => actor.replace(/\.\d+$/, '');
  return {
    ...observations,
    actions: observations.actions.map((action) => {
      if (action.kind !== 'start') return action;
      const { loops: _loops, ...rest } = action;
      return rest;
    }),
    trace: observations.trace.map((record) => ({ ...record, actor: processOf(record.actor) })),
  };
}

describe('the record of a live run with two worker loops per process', () => {
  it('writes a kill as a crash of both loops, keeps the loop ids of leases and events, holds every promise', () => {
    const { observations } = twoLoopRun('kill');
    expect(allViolations(observations)).toEqual([]);
    const { record } = buildLiveRecord(observations);
    const entries = record.history.entries;
    const worker = (what: string) =>
      entries.flatMap((entry) =>
        entry.kind === 'worker' && entry.what === what
          ? [`${entry.t} ${entry.actor} ${entry.detail ?? ''}`.trim()]
          : [],
      );
    expect(worker('crash')).toEqual(['1500 w0#1.1 SIGKILL holding job-a', '1500 w0#1.2 SIGKILL holding job-b']);
    expect(worker('start')).toEqual(['0 w0#1.1', '0 w0#1.2', '0 w1#1.1', '0 w1#1.2', '2000 w0#2.1', '2000 w0#2.2']);
    // One kill: one crash fault, whatever the number of loops.
    expect(record.faultsFired.filter((fault) => fault.kind === 'crash')).toHaveLength(1);
    expect(record.scenario).toMatchObject({ concurrency: 2, chunkConcurrency: 2 });
    const owners = entries.flatMap((entry) =>
      entry.kind === 'grant' || entry.kind === 'renew' || entry.kind === 'commit'
        ? [`${entry.kind} ${entry.job}#${entry.epoch} ${entry.actor}`]
        : [],
    );
    expect(owners).toEqual([
      'grant job-a#1 w0#1.1',
      'grant job-b#1 w0#1.2',
      'commit job-a#1 w0#1.1',
      'commit job-b#1 w0#1.2',
      'renew job-a#1 w0#1.1',
      'renew job-b#1 w0#1.2',
      'grant job-a#2 w1#1.1',
      'grant job-b#2 w1#1.2',
      'commit job-a#2 w1#1.1',
      'commit job-b#2 w1#1.2',
    ]);
    // The API sees processes; each request is written as its loop's, the one that held its job.
    const transcriptions = entries.flatMap((entry) =>
      entry.kind === 'transcribe' ? [`${entry.t} ${entry.actor} ${entry.job}/${entry.index}`] : [],
    );
    expect(transcriptions).toEqual([
      '200 w0#1.1 job-a/0',
      '210 w0#1.1 job-a/1',
      '220 w0#1.2 job-b/0',
      '230 w0#1.2 job-b/1',
      '4700 w1#1.1 job-a/1',
      '4710 w1#1.2 job-b/1',
    ]);
    // The recoveries name the loops as previous owners, and those loops crashed: P9 reads them as explained.
    const previousOwners = [...record.events.values()].flatMap((events) =>
      events.flatMap((event) => (event.event === 'recovery_started' ? [event.previous_owner] : [])),
    );
    expect(previousOwners).toEqual(['w0#1.1', 'w0#1.2']);
  });

  it('read with one actor per process, the same run shows false violations of P4, P5 and P9', () => {
    const { observations } = twoLoopRun('kill');
    const promises = new Set(allViolations(asOneLoopPerProcess(observations)).map((text) => text.split(' ')[0]));
    expect([...promises].sort()).toEqual(['P4', 'P5', 'P9']);
  });

  it('writes a SIGSTOP and SIGCONT once per loop, and dates a request in flight across them from the SIGSTOP', () => {
    const { observations } = twoLoopRun('pause');
    expect(allViolations(observations)).toEqual([]);
    const built = buildLiveRecord(observations);
    expect(built.requestsInFlightAcrossPauses).toBe(1);
    const paused = built.record.history.entries.flatMap((entry) =>
      entry.kind === 'worker' && (entry.what === 'pause' || entry.what === 'resume')
        ? [`${entry.t} ${entry.actor} ${entry.what}`]
        : [],
    );
    expect(paused).toEqual(['1500 w0#1.1 pause', '1500 w0#1.2 pause', '5500 w0#1.1 resume', '5500 w0#1.2 resume']);
    // Once a loop of the woken process proves its lease again, its requests are judged at their arrival (P2).
    const renewed: LiveObservations = {
      ...observations,
      trace: [
        ...observations.trace,
        {
          actor: 'w0#1.1',
          line: { op: 'renewLease', jobId: 'job-a', epoch: 1, leaseExpiresAtMs: origin + 5_550 + lease },
        },
      ],
    };
    const { record } = buildLiveRecord(renewed);
    const p2 = checkAll(record).filter((violation) => violation.promise === 'P2');
    expect(p2.map((violation) => violation.message)).toEqual([
      'w0#1.1 called the transcriber for chunk 1 after it was committed',
    ]);
  });

  it('names the loops and what each held when the nemesis strikes a process', () => {
    expect(loopActors('w0#1', 1)).toEqual(['w0#1']);
    expect(loopActors('w0#1', 3)).toEqual(['w0#1.1', 'w0#1.2', 'w0#1.3']);
    expect(holdingText('w0#1', {})).toBe(' (idle)');
    expect(holdingText('w0#1', { 'w0#1': 'job-a' })).toBe(' holding job-a');
    expect(holdingText('w0#1', { 'w0#1.1': 'job-a', 'w0#1.2': 'job-b' })).toBe(
      ' holding job-a (w0#1.1), job-b (w0#1.2)',
    );
  });
});
