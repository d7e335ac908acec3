/**
 * The checkers state the promises exactly: for each rule, a small run written by hand that keeps
 * every promise, and a close variant that breaks that one rule and is rejected by it. P5 replays
 * each job's events and checks every payload against the state the events before it imply; P6
 * checks the progress at every update; P9 explains every takeover by what happened to the previous
 * owner (a lost reply or a short outage explains none); P11 holds at the recovery limit exactly; P4 reads grants in
 * epoch order and ends a lease at its release's time wherever the release stands in the history.
 */
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/core/events.js';
import type { Chunk, Job } from '../../src/core/types.js';
import { checkAll, checkers, type PromiseId } from '../../sim/checkers/index.js';
import { checkOneOwner } from '../../sim/checkers/p4-one-owner.js';
import { grant, release } from '../support/history.js';
import { simulationLimits, type Fault } from '../../sim/faults.js';
import { chaos } from '../../sim/framework.js';
import { History, type HistoryEntry } from '../../sim/history.js';
import type { RunRecord } from '../../sim/world.js';
import { StoreUnavailableError, type JobStore } from '../../src/ports.js';
import { Worker } from '../../src/runtime/worker.js';

const sha = 'a'.repeat(64);

/** One event row: when, under which epoch, by whom, and its own fields. */
type Row = readonly [t: number, epoch: number, worker: string, body: Record<string, unknown> & { event: string }];

/** A job's stream from rows: seqs from 1, the recovery flag as the engine sets it (true from the first recovery on). */
function stream(rows: readonly Row[], jobId = 'job0'): JobEvent[] {
  let recovering = false;
  return rows.map(([timestamp, epoch, worker, body], position) => {
    if (body.event === 'recovery_started') recovering = true;
    return {
      job_id: jobId,
      seq: position + 1,
      timestamp,
      worker_id: worker,
      epoch,
      recovery: recovering,
      ...body,
    } as unknown as JobEvent;
  });
}

function chunk(index: number, transcript: string | null): Chunk {
  return { index, startMs: index * 10_000, durationMs: 10_000, bytes: 100, sha256: sha, transcript };
}

function job(change: Partial<Job>): Job {
  return {
    id: 'job0',
    source: '/media/job0.mp3',
    chunkLengthMs: 10_000,
    durationMs: 20_000,
    phase: 'completed',
    epoch: 2,
    owner: 'w1#1',
    leaseExpiresAtMs: 0,
    chunks: [chunk(0, 'alpha'), chunk(1, 'beta')],
    recovery: { attempts: 1, handovers: 0, open: false, startedAtMs: 13_000, resumed: true, recreatedChunks: 0 },
    failure: null,
    transcript: 'alpha beta',
    nextSeq: 12,
    lastRequestId: 'w1#1/9',
    createdAtMs: 0,
    updatedAtMs: 15_000,
    ...change,
  };
}

interface Run {
  readonly entries: readonly HistoryEntry[];
  readonly events: readonly JobEvent[];
  readonly job: Job;
  readonly faults?: readonly Fault[];
  readonly limits?: Partial<typeof simulationLimits>;
  readonly storeMaxMs?: number;
  readonly corrupted?: boolean;
}

function record(run: Run): RunRecord {
  const history = new History();
  for (const entry of run.entries) history.add(entry);
  return {
    scenario: {
      jobs: [{ id: 'job0', chunks: 2, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
      workers: 4,
      faults: [...(run.faults ?? [])],
      latencies: { storeMaxMs: run.storeMaxMs ?? 0, mediaMs: 1, transcribeMs: 1 },
      faultPhaseMs: 120_000,
      seed: 1,
      choices: [],
    },
    limits: { ...simulationLimits, ...run.limits },
    history,
    jobs: new Map([['job0', run.job]]),
    events: new Map([['job0', run.events]]),
    files: new Map([['job0', []]]),
    deletedSources: new Set(),
    corruptedStates: new Set(run.corrupted === true ? ['job0'] : []),
    damagedChunks: new Set(),
    workerErrors: [],
    faultsFired: [...(run.faults ?? [])],
    end: 'done',
    liveness: {
      stallWindowMs: 60_000,
      capMs: 600_000,
      stepsMax: 100_000,
      startMs: 120_000,
      lastProgressMs: 120_000,
      lastProgress: 'the liveness phase began',
      pausesEndMs: 0,
    },
    simulatedMs: 130_000,
    steps: 100,
    decisions: 0,
    wastedTranscriptions: 0,
    expectedTranscripts: () => ['alpha', 'beta'],
  };
}

/** The messages of `promise`'s checker for `run`. */
function broken(promise: PromiseId, run: Run): string[] {
  return (checkers[promise]?.(record(run)) ?? []).map((violation) => violation.message);
}

/** Every promise's violations, as `P<n>: message`. */
function allOf(run: Run): string[] {
  return checkAll(record(run)).map((violation) => `${violation.promise}: ${violation.message}`);
}

// job0: w0#1 plans 2 chunks and commits chunk 0, renews at 3 s, crashes at 4 s; its lease runs out
// at 13 s and w1#1 recovers the job: resumes, commits chunk 1, completes.
const claimed: HistoryEntry[] = [
  { t: 0, kind: 'worker', actor: 'w0#1', what: 'start' },
  { t: 0, kind: 'worker', actor: 'w1#1', what: 'start' },
  { t: 0, kind: 'call', actor: 'w0#1', op: 'claimJob', target: 'job0', result: 'ok epoch 1' },
  { t: 0, kind: 'grant', actor: 'w0#1', job: 'job0', epoch: 1, leaseUntilMs: 10_000, recovery: false },
  { t: 1_000, kind: 'commit', actor: 'w0#1', job: 'job0', index: 0, epoch: 1 },
  { t: 3_000, kind: 'renew', actor: 'w0#1', job: 'job0', epoch: 1, leaseUntilMs: 13_000 },
];
const crash: HistoryEntry = {
  t: 4_000,
  kind: 'worker',
  actor: 'w0#1',
  what: 'crash',
  detail: 'crash(w0 before any#1)',
};
const recovered: HistoryEntry[] = [
  { t: 13_000, kind: 'grant', actor: 'w1#1', job: 'job0', epoch: 2, leaseUntilMs: 23_000, recovery: true },
  { t: 14_000, kind: 'commit', actor: 'w1#1', job: 'job0', index: 1, epoch: 2 },
  { t: 15_000, kind: 'release', actor: 'w1#1', job: 'job0', epoch: 2 },
  { t: 120_000, kind: 'phase', what: 'liveness' },
];
const crashFault: Fault = { kind: 'crash', worker: 0, target: 'any', nth: 1, when: 'before' };

const planned: Row[] = [
  [100, 1, 'w0#1', { event: 'chunks_created', total_chunks: 2, chunk_length_ms: 10_000, duration_ms: 20_000 }],
  [100, 1, 'w0#1', { event: 'transcription_started', total_chunks: 2 }],
  [1_000, 1, 'w0#1', { event: 'chunk_transcribed', chunk_index: 0, text_length: 5 }],
  [1_000, 1, 'w0#1', { event: 'progress_update', completed_chunks: 1, total_chunks: 2, progress: 50 }],
];
const recoveryRows: Row[] = [
  [
    13_000,
    2,
    'w1#1',
    {
      event: 'recovery_started',
      message: 'recovering',
      recovery_type: 'lease_expired',
      attempt: 1,
      previous_owner: 'w0#1',
      phase: 'transcribing',
    },
  ],
  [13_100, 2, 'w1#1', { event: 'processing_resumed', completed_chunks: 1, remaining_chunks: 1 }],
  [14_000, 2, 'w1#1', { event: 'chunk_transcribed', chunk_index: 1, text_length: 4 }],
  [14_000, 2, 'w1#1', { event: 'progress_update', completed_chunks: 2, total_chunks: 2, progress: 99 }],
  [15_000, 2, 'w1#1', { event: 'progress_update', completed_chunks: 2, total_chunks: 2, progress: 100 }],
  [15_000, 2, 'w1#1', { event: 'transcription_completed', total_chunks: 2, transcript_length: 10 }],
  [
    15_000,
    2,
    'w1#1',
    {
      event: 'recovery_completed',
      recovery_result: 'job_completed',
      attempt: 1,
      recreated_chunks: 0,
      duration_ms: 2_000,
    },
  ],
];
const rows = [...planned, ...recoveryRows];

const good: Run = {
  entries: [...claimed, crash, ...recovered],
  events: stream(rows),
  job: job({}),
  faults: [crashFault],
};

/** `good` with its event rows changed: `change` gets each row and its position. */
function withRows(change: (row: Row, position: number) => Row | null, run: Run = good): Run {
  const changed = rows.map(change).filter((row): row is Row => row !== null);
  return { ...run, events: stream(changed), job: { ...run.job, nextSeq: changed.length + 1 } };
}

/** A row with fields of its body changed. */
function patch(row: Row, fields: Record<string, unknown>): Row {
  return [row[0], row[1], row[2], { ...row[3], ...fields }];
}

describe('the hand-written run', () => {
  it('keeps every promise', () => {
    expect(allOf(good)).toEqual([]);
  });
});

describe('P5: every payload is what the events before it imply', () => {
  it('rejects a progress_update whose committed count is not the replayed one', () => {
    expect(
      broken(
        'P5',
        withRows((row, position) => (position === 7 ? patch(row, { completed_chunks: 1 }) : row)),
      ),
    ).toEqual(['seq 8 progress_update: completed_chunks 1, the events before it commit 2']);
  });

  it('rejects processing_resumed counts the events before it do not imply', () => {
    expect(
      broken(
        'P5',
        withRows((row, position) => (position === 5 ? patch(row, { completed_chunks: 0, remaining_chunks: 2 }) : row)),
      ),
    ).toEqual(['seq 6 processing_resumed: 0 done, 2 remaining; the events before it make 1 done, 1 remaining']);
  });

  it('rejects a recovery that commits a chunk before its processing_resumed, and accepts one that had no work left', () => {
    expect(
      broken(
        'P5',
        withRows((row, position) => (position === 5 ? null : row)),
      ),
    ).toEqual(['seq 6 chunk_transcribed: chunk 1 committed in recovery attempt 1 before its processing_resumed']);
    // w0#1 committed both chunks before it crashed: the recovery finds the job finalizing and only completes it.
    const finalizing: Row[] = [
      ...planned,
      [2_000, 1, 'w0#1', { event: 'chunk_transcribed', chunk_index: 1, text_length: 4 }],
      [2_000, 1, 'w0#1', { event: 'progress_update', completed_chunks: 2, total_chunks: 2, progress: 99 }],
      patch(recoveryRows[0] as Row, { phase: 'finalizing' }),
      ...recoveryRows.slice(4),
    ];
    const entries = [
      ...claimed,
      { t: 2_000, kind: 'commit', actor: 'w0#1', job: 'job0', index: 1, epoch: 1 } as HistoryEntry,
      crash,
      ...recovered.filter((entry) => entry.kind !== 'commit'),
    ];
    expect(
      allOf({ ...good, entries, events: stream(finalizing), job: job({ nextSeq: finalizing.length + 1 }) }),
    ).toEqual([]);
  });

  it('rejects a recovery_started whose attempt, previous owner or phase is not the one the history implies', () => {
    expect(
      broken(
        'P5',
        withRows((row, position) =>
          position === 4 ? patch(row, { previous_owner: 'w2#1', phase: 'finalizing' }) : row,
        ),
      ),
    ).toEqual([
      'seq 5 recovery_started: previous_owner w2#1, but epoch 1 was held by w0#1',
      'seq 5 recovery_started: phase finalizing, the events before it leave the job transcribing',
    ]);
    const renumbered = withRows((row) => (row[1] === 2 ? [row[0], 3, row[2], row[3]] : row));
    const entries = renumbered.entries.map((entry) =>
      entry.kind === 'grant' && entry.epoch === 2
        ? { ...entry, epoch: 3 }
        : entry.kind === 'commit' && entry.epoch === 2
          ? { ...entry, epoch: 3 }
          : entry,
    );
    expect(broken('P5', { ...renumbered, entries, job: job({ epoch: 3 }) })).toEqual([
      'seq 5 recovery_started: epoch 3 follows epoch 1: the claims in between left no event',
      'seq 5 recovery_started: attempt 1 under epoch 3: every epoch after the first is a recovery, so attempt n holds epoch n + 1',
    ]);
  });

  it('rejects a recovery of a released job its owner never released, and accepts one it did release', () => {
    const releasedRows = withRows((row, position) =>
      position === 4 ? patch(row, { recovery_type: 'released' }) : row,
    );
    expect(broken('P5', releasedRows)).toEqual([
      'seq 5 recovery_started: recovery_type released, but w0#1 released no lease on job0 before it',
    ]);
    const stop: HistoryEntry[] = [
      { t: 4_000, kind: 'worker', actor: 'w0#1', what: 'stop' },
      { t: 4_000, kind: 'release', actor: 'w0#1', job: 'job0', epoch: 1 },
    ];
    const entries = [...claimed, ...stop, ...recovered];
    expect(allOf({ ...releasedRows, entries, faults: [] })).toEqual([]);
    expect(broken('P5', { ...good, entries, faults: [] })).toEqual([
      'seq 5 recovery_started: recovery_type lease_expired, but w0#1 had released the job',
    ]);
  });

  it('rejects completion and recovery payloads that disagree with the replay', () => {
    const lengths = withRows((row, position) =>
      position === 9
        ? patch(row, { transcript_length: 9 })
        : position === 10
          ? patch(row, { recreated_chunks: 1, duration_ms: 1_000 })
          : row,
    );
    expect(broken('P5', lengths)).toEqual([
      'seq 10 transcription_completed: transcript_length 9, the committed texts joined by spaces make 10',
      'seq 10 transcription_completed: transcript_length 9, the stored transcript has 10 characters',
      'seq 11 recovery_completed: recreated_chunks 1, the attempt recreated 0',
      'seq 11 recovery_completed: duration_ms 1000, the attempt started 2000 ms before',
    ]);
    expect(
      broken(
        'P5',
        withRows((row, position) => (position === 1 ? patch(row, { total_chunks: 3 }) : row)),
      ),
    ).toEqual(['seq 2 transcription_started: total_chunks 3, chunks_created says 2']);
  });

  it('rejects an epoch opened without a claim, a wrong recovery flag, and events after the end', () => {
    // w1#1 writes under epoch 2 with no recovery_started: a grant the outbox never shows.
    const silent = withRows((row, position) => (position === 4 || position === 5 || position === 10 ? null : row));
    expect(broken('P5', silent)).toContain(
      'seq 5 chunk_transcribed: opens epoch 2, which only a claim (recovery_started, recovery_failed owner_lost, job_failed exhausted) or a quarantine may open',
    );
    const flag = {
      ...good,
      events: good.events.map((event) => (event.seq === 6 ? { ...event, recovery: false } : event)),
    };
    expect(broken('P5', flag)).toEqual([
      'seq 6 processing_resumed: recovery is false while recovery attempt 1 is open',
    ]);
    const late: Row = [16_000, 2, 'w1#1', { event: 'chunk_recreated', chunk_index: 1, reason: 'missing' }];
    const after = { ...good, events: stream([...rows, late]), job: job({ nextSeq: rows.length + 2 }) };
    expect(broken('P5', after)).toEqual([
      'seq 12 chunk_recreated: written after the job ended with transcription_completed',
      'seq 12 chunk_recreated: chunk 1 was already committed',
    ]);
  });
});

describe('P6: the progress at every update', () => {
  it('rejects a progress its committed count does not give', () => {
    expect(
      broken(
        'P6',
        withRows((row, position) => (position === 3 ? patch(row, { progress: 40 }) : row)),
      ),
    ).toEqual(['progress 40 at seq 4, 1 of 2 chunks committed make 50']);
  });

  it('rejects 100 before completion and less than 100 at it', () => {
    expect(
      broken(
        'P6',
        withRows((row, position) => (position === 7 ? patch(row, { progress: 100 }) : row)),
      ),
    ).toEqual(['progress 100 at seq 8, 2 of 2 chunks committed make 99']);
    expect(
      broken(
        'P6',
        withRows((row, position) => (position === 8 ? patch(row, { progress: 99 }) : row)),
      ),
    ).toEqual(['progress 99 at seq 9, where the job completes', 'completed without progress 100']);
  });
});

describe('P9: every takeover is explained by what happened to the previous owner', () => {
  const without = (run: Run, drop: (entry: HistoryEntry) => boolean, faults: readonly Fault[] = []): Run => ({
    ...run,
    entries: run.entries.filter((entry) => !drop(entry)),
    faults,
  });
  const noCrash = without(good, (entry) => entry === crash);
  const unexplained =
    "recovery attempt 1 (epoch 2) at 13000 ms is explained by no fault: w0#1's last acknowledged grant or renewal was at 3000 ms; it neither crashed, stopped nor released the job";

  it('accepts a recovery after the owner crashed, and rejects one after nothing happened to it', () => {
    expect(broken('P9', good)).toEqual([]);
    expect(broken('P9', noCrash)).toEqual([
      `${unexplained}, and no store outage or pause left it a renewal due every 3000 ms before the takeover`,
    ]);
  });

  it('rejects a recovery explained only by a lost reply', () => {
    const lost: HistoryEntry = { t: 3_000, kind: 'fault', label: 'reply_lost(applied store call #7)' };
    expect(
      broken('P9', { ...noCrash, entries: [...claimed, lost, ...recovered], faults: [{ kind: 'reply_lost', nth: 7 }] }),
    ).toHaveLength(1);
  });

  it('accepts an outage that met every renewal the owner was due to send, and rejects one that left it a renewal', () => {
    // Renewed at 3 s: renewals were due near 6, 9 and 12 s, and the takeover came at 13 s.
    expect(broken('P9', { ...noCrash, faults: [{ kind: 'store_down', atMs: 5_000, durationMs: 8_500 }] })).toEqual([]);
    expect(broken('P9', { ...noCrash, faults: [{ kind: 'store_down', atMs: 5_000, durationMs: 6_500 }] })).toEqual([
      `${unexplained}, and store outages 5000–11500 ms left it a renewal due every 3000 ms before the takeover`,
    ]);
    // Two short outages that between them meet each renewal due (6, 9, 12 s), and the same two a second early.
    const apart = [
      { kind: 'store_down', atMs: 5_900, durationMs: 300 },
      { kind: 'store_down', atMs: 8_900, durationMs: 4_200 },
    ] as const;
    expect(broken('P9', { ...noCrash, faults: apart })).toEqual([]);
    expect(
      broken('P9', { ...noCrash, faults: apart.map((fault) => ({ ...fault, atMs: fault.atMs - 1_000 })) }),
    ).toHaveLength(1);
  });

  it('accepts a pause that held the owner to the takeover, and rejects one it woke from with time to renew', () => {
    const paused = (toMs: number): Run => ({
      ...noCrash,
      entries: [
        ...claimed,
        { t: 4_000, kind: 'worker', actor: 'w0#1', what: 'pause' },
        { t: toMs, kind: 'worker', actor: 'w0#1', what: 'resume' },
        ...recovered,
      ],
    });
    expect(broken('P9', paused(15_000))).toEqual([]);
    expect(broken('P9', paused(11_000))).toHaveLength(1);
  });

  it('accepts a stop or a release, and a corrupted state of the job', () => {
    expect(
      broken('P9', {
        ...noCrash,
        entries: [...claimed, { t: 4_000, kind: 'worker', actor: 'w0#1', what: 'stop' }, ...recovered],
      }),
    ).toEqual([]);
    expect(
      broken('P9', {
        ...noCrash,
        entries: [...claimed, { t: 4_000, kind: 'release', actor: 'w0#1', job: 'job0', epoch: 1 }, ...recovered],
      }),
    ).toEqual([]);
    expect(
      broken('P9', { ...noCrash, corrupted: true, faults: [{ kind: 'state_corrupt', job: 0, atMs: 5_000 }] }),
    ).toEqual([]);
  });

  it('counts a skewed clock by its drift, not as an explanation by itself', () => {
    const skew = { kind: 'clock_skew', worker: 0, offsetMs: 60_000, driftPpm: -20_000 } as Fault;
    expect(broken('P9', { ...noCrash, faults: [skew] })).toHaveLength(1);
  });

  it('times an owner whose claim reply was lost by its claim retries, and one that renewed on the way from then on', () => {
    // The reply of w0#1's claim was lost and the store went down: it retried the claim (backoff up
    // to 4 s) instead of renewing; the lease ran out at 10 s with no retry answered.
    const takeover: HistoryEntry = {
      t: 10_000,
      kind: 'grant',
      actor: 'w1#1',
      job: 'job0',
      epoch: 2,
      leaseUntilMs: 20_000,
      recovery: true,
    };
    const lostClaim: HistoryEntry[] = [
      { t: 0, kind: 'call', actor: 'w0#1', op: 'claimJob', target: 'job0', result: 'ok epoch 1' },
      { t: 0, kind: 'grant', actor: 'w0#1', job: 'job0', epoch: 1, leaseUntilMs: 10_000, recovery: false },
      { t: 0, kind: 'fault', label: 'reply_lost(applied store call #1)' },
      takeover,
      ...recovered.slice(1),
    ];
    const at10 = good.events.map((event) =>
      event.seq === 5 ? { ...event, timestamp: 10_000 } : event.seq === 11 ? { ...event, duration_ms: 5_000 } : event,
    );
    const outage: Fault[] = [
      { kind: 'store_down', atMs: 50, durationMs: 8_450 },
      { kind: 'reply_lost', nth: 1 },
    ];
    expect(broken('P9', { ...noCrash, entries: lostClaim, events: at10, faults: outage })).toEqual([]);
    // Answered, the same claim starts the keeper, which renews at 3, 6 and 9 s: at 9 s the store was up.
    expect(
      broken('P9', {
        ...noCrash,
        entries: lostClaim.filter((entry) => entry.kind !== 'fault'),
        events: at10,
        faults: outage,
      }),
    ).toHaveLength(1);

    // w0#1's keeper renewed at 3 s, then met an outage at 6, 9 and 12 s; the worker renewed on the
    // way at 12.15 s (its lease close to its end), and its keeper, still on its own beat, met short
    // outages at 15, 18 and 21 s: the lease ran out at 22.15 s.
    const renewedOnTheWay: HistoryEntry = {
      t: 12_150,
      kind: 'renew',
      actor: 'w0#1',
      job: 'job0',
      epoch: 1,
      leaseUntilMs: 22_150,
    };
    const later: HistoryEntry = {
      t: 22_150,
      kind: 'grant',
      actor: 'w1#1',
      job: 'job0',
      epoch: 2,
      leaseUntilMs: 32_150,
      recovery: true,
    };
    const beats: Fault[] = [
      { kind: 'store_down', atMs: 5_000, durationMs: 7_100 },
      ...[15_000, 18_000, 21_000].map((atMs): Fault => ({ kind: 'store_down', atMs: atMs - 100, durationMs: 200 })),
    ];
    const at22 = good.events.map((event) =>
      event.seq === 5 ? { ...event, timestamp: 22_150 } : event.seq === 11 ? { ...event, duration_ms: 0 } : event,
    );
    const onTheWay: Run = {
      ...noCrash,
      entries: [...claimed, renewedOnTheWay, later, ...recovered.slice(1)],
      events: at22,
      faults: beats,
    };
    expect(broken('P9', onTheWay)).toEqual([]);
    // Had it renewed at 9.15 s too, the renewal at 12.15 s would be its keeper's, next due at 15.15 s, when the store
    // was up.
    const keeperBeat: HistoryEntry = {
      t: 9_150,
      kind: 'renew',
      actor: 'w0#1',
      job: 'job0',
      epoch: 1,
      leaseUntilMs: 19_150,
    };
    const upAt9: Fault[] = [
      { kind: 'store_down', atMs: 5_000, durationMs: 4_100 },
      { kind: 'store_down', atMs: 9_200, durationMs: 2_900 },
      ...beats.slice(1),
    ];
    expect(
      broken('P9', {
        ...onTheWay,
        entries: [...claimed, keeperBeat, renewedOnTheWay, later, ...recovered.slice(1)],
        faults: upAt9,
      }),
    ).toHaveLength(1);
  });

  it('rejects a recovery of an owner that renewed after its outage and was then taken over', () => {
    // The last renewal came after the outage: nothing kept w0#1 from renewing again.
    const renewedLate: HistoryEntry = {
      t: 11_000,
      kind: 'renew',
      actor: 'w0#1',
      job: 'job0',
      epoch: 1,
      leaseUntilMs: 21_000,
    };
    const late = {
      ...noCrash,
      entries: [...claimed, renewedLate, { ...recovered[0], t: 21_000 } as HistoryEntry, ...recovered.slice(1)],
      faults: [{ kind: 'store_down', atMs: 5_000, durationMs: 5_500 }] as Fault[],
    };
    const events = late.events.map((event) => (event.seq === 5 ? { ...event, timestamp: 21_000 } : event));
    expect(broken('P9', { ...late, events })).toEqual([
      "recovery attempt 1 (epoch 2) at 21000 ms is explained by no fault: w0#1's last acknowledged grant or renewal was at 11000 ms; it neither crashed, stopped nor released the job, and no store outage or pause left it a renewal due every 3000 ms before the takeover",
    ]);
  });
});

describe('P9 on a simulated engine', () => {
  /**
   * A lease keeper that takes a renewal refused by an outage for a lost lease: the worker leaves the job, holding its
   * lease.
   */
  const fragileKeeper = (options: ConstructorParameters<typeof Worker>[0]) => {
    const store: JobStore = Object.create(options.store) as JobStore;
    store.renewLease = async (request) => {
      try {
        return await options.store.renewLease(request);
      } catch (error) {
        if (error instanceof StoreUnavailableError) return { kind: 'stale_epoch', epoch: request.epoch };
        throw error;
      }
    };
    return new Worker({ ...options, store });
  };

  it('finds a keeper that gives a lease up after half a second of outage, and passes the engine on the same run', async () => {
    // The owner renews every 3 s from its claim at 0 s: the outage meets its renewal at 6 s only.
    const scenario = () => chaos().workers(2).storeDown(5_800, 500);
    expect((await scenario().run()).violations).toEqual([]);
    const broken = await scenario().using({ workerFactory: fragileKeeper }).run();
    expect(broken.violations.map((violation) => violation.promise)).toEqual(['P9']);
    expect(broken.violations[0]?.message).toMatch(
      /^recovery attempt 1 \(epoch 2\) at \d+ ms is explained by no fault: w1#1's last acknowledged grant or renewal was at \d+ ms; .* store outages 5800–6300 ms left it a renewal due every 3000 ms before the takeover$/,
    );
  });
});

describe('P11: at the recovery limit exactly', () => {
  // recoveryAttemptsMax 2: w0#1, w1#1 and w2#1 each take job0 and crash; w3#1's claim fails it as exhausted.
  const limits = { recoveryAttemptsMax: 2 };
  const owners = ['w0#1', 'w1#1', 'w2#1', 'w3#1'];
  const grant = (epoch: number, leaseUntilMs?: number): HistoryEntry => ({
    t: (epoch - 1) * 20_000,
    kind: 'grant',
    actor: owners[epoch - 1] ?? '?',
    job: 'job0',
    epoch,
    leaseUntilMs: leaseUntilMs ?? (epoch - 1) * 20_000 + 10_000,
    recovery: epoch > 1,
  });
  const died = (epoch: number): HistoryEntry => ({
    t: (epoch - 1) * 20_000 + 1_000,
    kind: 'worker',
    actor: owners[epoch - 1] ?? '?',
    what: 'crash',
  });
  const started = (epoch: number): Row => [
    (epoch - 1) * 20_000,
    epoch,
    owners[epoch - 1] ?? '?',
    {
      event: 'recovery_started',
      message: 'recovering',
      recovery_type: 'lease_expired',
      attempt: epoch - 1,
      previous_owner: owners[epoch - 2],
      phase: 'transcribing',
    },
  ];
  const lost = (epoch: number): Row => [
    (epoch - 1) * 20_000,
    epoch,
    owners[epoch - 1] ?? '?',
    {
      event: 'recovery_failed',
      recovery_result: 'owner_lost',
      attempt: epoch - 2,
      reason: 'owner_lost',
      message: 'owner lost',
    },
  ];
  const exhausted: Row = [
    60_000,
    4,
    'w3#1',
    {
      event: 'job_failed',
      reason: 'recovery_attempts_exhausted',
      message: 'job abandoned by its owner after 2 recoveries (max 2)',
    },
  ];
  const boundaryRows: Row[] = [
    planned[0] as Row,
    planned[1] as Row,
    started(2),
    lost(3),
    started(3),
    lost(4),
    exhausted,
  ];
  const failedJob = job({
    phase: 'failed',
    epoch: 4,
    owner: 'w3#1',
    chunks: [chunk(0, null), chunk(1, null)],
    transcript: null,
    nextSeq: boundaryRows.length + 1,
    failure: {
      reason: 'recovery_attempts_exhausted',
      message: 'job abandoned by its owner after 2 recoveries (max 2)',
    },
    recovery: { attempts: 2, handovers: 0, open: false, startedAtMs: 40_000, resumed: false, recreatedChunks: 0 },
  });
  const boundary: Run = {
    entries: [grant(1), died(1), grant(2), died(2), grant(3), died(3), grant(4, 0)],
    events: stream(boundaryRows),
    job: failedJob,
    limits,
    faults: [crashFault, { ...crashFault, nth: 2 }, { ...crashFault, nth: 3 }],
  };

  it('accepts a job failed by the claim after its last allowed recovery', () => {
    expect(allOf(boundary)).toEqual([]);
  });

  it('rejects a recovery past the limit', () => {
    const third: Row[] = [planned[0] as Row, planned[1] as Row, started(2), lost(3), started(3), lost(4), started(4)];
    const run = {
      ...boundary,
      events: stream(third),
      entries: [...boundary.entries.slice(0, -1), grant(4)],
      job: {
        ...failedJob,
        phase: 'transcribing' as const,
        failure: null,
        recovery: { ...failedJob.recovery, attempts: 3, open: true },
      },
    };
    expect(broken('P11', run)).toEqual(['3 crash recoveries started, more than 2']);
  });

  it('rejects a lease granted after the last allowed recovery, though no event shows it', () => {
    const lastRecovery: Row[] = boundaryRows.slice(0, 5);
    const run = {
      ...boundary,
      events: stream(lastRecovery),
      entries: [...boundary.entries.slice(0, -1), grant(4)],
      job: {
        ...failedJob,
        phase: 'transcribing' as const,
        failure: null,
        nextSeq: 6,
        recovery: { ...failedJob.recovery, open: true },
      },
    };
    expect(broken('P11', run)).toEqual(['w3#1 was granted a lease of epoch 4 after 2 crash recoveries']);
  });

  it('rejects a job failed as exhausted one recovery early, or by a claim that left the attempt open', () => {
    const early: Row[] = [
      planned[0] as Row,
      planned[1] as Row,
      started(2),
      [40_000, 3, 'w2#1', lost(3)[3]],
      [40_000, 3, 'w2#1', exhausted[3]],
    ];
    const run = {
      ...boundary,
      events: stream(early),
      entries: boundary.entries.slice(0, 4).concat(grant(3, 0)),
      job: { ...failedJob, epoch: 3, nextSeq: 6, recovery: { ...failedJob.recovery, attempts: 1 } },
    };
    expect(broken('P11', run)).toEqual(['failed as exhausted after 1 crash recoveries (and 0 hand-overs), expected 2']);
    const unclosed = {
      ...boundary,
      events: stream(boundaryRows.filter((row) => row !== boundaryRows[5])),
      job: { ...failedJob, nextSeq: boundaryRows.length },
    };
    expect(broken('P11', unclosed)).toEqual([
      'claimed again after 2 crash recoveries without failing as exhausted: job_failed (epoch 4)',
    ]);
  });

  it('rejects an exhausting claim whose previous owner nothing happened to (P9)', () => {
    const survivor = {
      ...boundary,
      entries: boundary.entries.filter((entry) => !(entry.kind === 'worker' && entry.actor === 'w2#1')),
    };
    expect(broken('P9', survivor)).toEqual([
      "the claim of epoch 4 that failed the job as recovery_attempts_exhausted at 60000 ms is explained by no fault: w2#1's last acknowledged grant or renewal was at 40000 ms; it neither crashed, stopped nor released the job, and no store outage or pause left it a renewal due every 3000 ms before the takeover",
    ]);
  });
});

describe('P11: hand-overs do not count toward the recovery limit', () => {
  // recoveryAttemptsMax 2: w0#1, w1#1 take job0 and crash (w1#1 and w2#1 recover it: 2 crash recoveries); w2#1 releases
  // it (a graceful stop) and w3#1 takes it over (a hand-over, attempt 3); w3#1 crashes, and w4#1's claim fails the job.
  const limits = { recoveryAttemptsMax: 2 };
  const owners = ['w0#1', 'w1#1', 'w2#1', 'w3#1', 'w4#1'];
  const at = (epoch: number) => (epoch - 1) * 20_000;
  const actor = (epoch: number) => owners[epoch - 1] ?? '?';
  const grant = (epoch: number, leaseUntilMs = at(epoch) + 10_000): HistoryEntry => ({
    t: at(epoch),
    kind: 'grant',
    actor: actor(epoch),
    job: 'job0',
    epoch,
    leaseUntilMs,
    recovery: epoch > 1,
  });
  const died = (epoch: number): HistoryEntry => ({
    t: at(epoch) + 1_000,
    kind: 'worker',
    actor: actor(epoch),
    what: 'crash',
  });
  const released = (epoch: number): HistoryEntry => ({
    t: at(epoch) + 1_000,
    kind: 'release',
    actor: actor(epoch),
    job: 'job0',
    epoch,
  });
  const started = (epoch: number, type: 'lease_expired' | 'released'): Row => [
    at(epoch),
    epoch,
    actor(epoch),
    {
      event: 'recovery_started',
      message: 'recovering',
      recovery_type: type,
      attempt: epoch - 1,
      previous_owner: actor(epoch - 1),
      phase: 'transcribing',
    },
  ];
  const lost = (epoch: number): Row => [
    at(epoch),
    epoch,
    actor(epoch),
    {
      event: 'recovery_failed',
      recovery_result: 'owner_lost',
      attempt: epoch - 2,
      reason: 'owner_lost',
      message: 'lost',
    },
  ];
  const exhausted = (epoch: number): Row => [
    at(epoch),
    epoch,
    actor(epoch),
    { event: 'job_failed', reason: 'recovery_attempts_exhausted', message: 'abandoned' },
  ];
  const rows: Row[] = [
    planned[0] as Row,
    planned[1] as Row,
    started(2, 'lease_expired'),
    lost(3),
    started(3, 'lease_expired'),
    lost(4),
    started(4, 'released'),
    lost(5),
    exhausted(5),
  ];
  const failedJob = job({
    phase: 'failed',
    epoch: 5,
    owner: 'w4#1',
    chunks: [chunk(0, null), chunk(1, null)],
    transcript: null,
    nextSeq: rows.length + 1,
    failure: { reason: 'recovery_attempts_exhausted', message: 'abandoned' },
    recovery: { attempts: 3, handovers: 1, open: false, startedAtMs: at(4), resumed: false, recreatedChunks: 0 },
  });
  const entries = [grant(1), died(1), grant(2), died(2), grant(3), released(3), grant(4), died(4), grant(5, 0)];
  const handedOver: Run = {
    entries,
    events: stream(rows),
    job: failedJob,
    limits,
    faults: [crashFault, { ...crashFault, nth: 2 }, { ...crashFault, nth: 3 }],
  };

  it('accepts a job handed over after its last allowed crash recovery, failed by the claim after the next crash', () => {
    expect(allOf(handedOver)).toEqual([]);
  });

  it('rejects a job failed as exhausted by the claim after a release (a hand-over counted toward the limit)', () => {
    const early: Run = {
      ...handedOver,
      events: stream([...rows.slice(0, 6), exhausted(4)]),
      entries: [...entries.slice(0, 6), grant(4, 0)],
      job: {
        ...failedJob,
        epoch: 4,
        owner: 'w3#1',
        nextSeq: 8,
        recovery: { ...failedJob.recovery, attempts: 2, handovers: 0 },
      },
    };
    expect(broken('P11', early)).toEqual([
      'failed as exhausted by the claim of epoch 4, after w2#1 had released the job: a hand-over, which the bound does not count',
    ]);
  });

  it('rejects a job failed as exhausted when one of the recoveries it counted was a hand-over', () => {
    // w1#1 releases instead of crashing: one crash recovery and one hand-over; the claim after w2#1's crash fails it.
    const counted: Run = {
      ...handedOver,
      events: stream([
        planned[0] as Row,
        planned[1] as Row,
        started(2, 'lease_expired'),
        lost(3),
        started(3, 'released'),
        lost(4),
        exhausted(4),
      ]),
      entries: [grant(1), died(1), grant(2), released(2), grant(3), died(3), grant(4, 0)],
      job: {
        ...failedJob,
        epoch: 4,
        owner: 'w3#1',
        nextSeq: 8,
        recovery: { ...failedJob.recovery, attempts: 2, handovers: 1 },
      },
    };
    expect(broken('P11', counted)).toEqual([
      'failed as exhausted after 1 crash recoveries (and 1 hand-overs), expected 2',
    ]);
  });

  it('rejects a hand-over whose previous owner released nothing (a crash recovery the limit would not count)', () => {
    const unreleased: Run = {
      ...handedOver,
      entries: entries.map((entry) => (entry.kind === 'release' ? died(3) : entry)),
    };
    expect(broken('P11', unreleased)).toEqual([
      'recovery attempt 3 (epoch 4) is a hand-over, but w2#1 released nothing: a crash recovery the bound does not count',
    ]);
  });

  it('rejects a crash recovery past the limit after a hand-over', () => {
    const third: Run = {
      ...handedOver,
      events: stream([...rows.slice(0, 7), lost(5), started(5, 'lease_expired')]),
      entries: [...entries.slice(0, -1), grant(5)],
      job: {
        ...failedJob,
        phase: 'transcribing',
        failure: null,
        recovery: { ...failedJob.recovery, attempts: 4, handovers: 1, open: true },
      },
    };
    expect(broken('P11', third)).toEqual(['3 crash recoveries started, more than 2']);
  });
});

describe('P4 with a release whose reply came after the next claim (an interleaved store)', () => {
  const p4 = (entries: HistoryEntry[]) => {
    const history = new History();
    for (const entry of entries) history.add(entry);
    return checkOneOwner({ history } as unknown as RunRecord);
  };

  it('holds when the release was sent before the grant, wherever its entry stands', () => {
    expect(p4([grant(100, 'w0#1', 1, 10_100), grant(179, 'w1#1', 2, 10_179), release(170, 1)])).toEqual([]);
    expect(p4([grant(100, 'w0#1', 1, 10_100), release(170, 1), grant(179, 'w1#1', 2, 10_179)])).toEqual([]);
  });

  it('reads grants in epoch order: a fence whose reply came before the claim it followed is no gap', () => {
    const fence = { ...grant(7, 'w1#1', 2, 0) };
    expect(p4([fence, grant(8, 'w3#1', 1, 10_003)])).toEqual([]);
    expect(p4([grant(8, 'w3#1', 1, 10_003), grant(9, 'w4#1', 3, 0)])).toMatchObject([
      { promise: 'P4', message: 'grant of epoch 3, expected 2' },
    ]);
  });

  it('breaks when the lease was still valid and the release came only after the grant', () => {
    expect(p4([grant(100, 'w0#1', 1, 10_100), grant(179, 'w1#1', 2, 10_179), release(191, 1)])).toMatchObject([
      { promise: 'P4', message: 'w1#1 was granted epoch 2 at 179 ms while epoch 1 was valid until 191 ms' },
    ]);
  });
});
