// Proves that a live run's record lets the simulator's checkers see real violations and only those: hand-made
// observations of one recovered job pass, and each planted anomaly (a late transcription (also one sent after a woken
// worker renewed), a commit under a stale epoch, a grant inside a renewed lease, a lost acknowledged commit or grant,
// an epoch acknowledged twice) is reported against the right promise, while a request in flight across its worker's
// pause and an epoch that left no trace are not.
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/core/events.js';
import type { Job } from '../../src/core/types.js';
import { checkers } from '../../sim/checkers/index.js';
import type { LoggedRequest } from '../../sim/live/openai-server.js';
import {
  acknowledgedWriteViolations,
  buildLiveRecord,
  type LiveObservations,
  type NemesisAction,
  type TraceRecord,
} from '../../sim/live/record.js';
import { liveLimits } from '../../sim/live/run.js';
import { counterexampleText } from '../../sim/live/cli.js';
import { palette } from '../../sim/report.js';

const origin = 1_700_000_000_000;
const lease = liveLimits().leaseDurationMs;

function event(seq: number, atMs: number, epoch: number, worker: string, body: Record<string, unknown>): JobEvent {
  return {
    job_id: 'job-a',
    seq,
    timestamp: origin + atMs,
    worker_id: worker,
    epoch,
    recovery: epoch > 1,
    ...body,
  } as unknown as JobEvent;
}

/** job-a: w0#1 claims it, commits chunk 0, dies; w1#1 recovers it at 5 s and commits chunk 1. */
function recoveredJobEvents(): JobEvent[] {
  return [
    event(1, 100, 1, 'w0#1', { event: 'chunks_created', total_chunks: 2, chunk_length_ms: 5_000, duration_ms: 10_000 }),
    event(2, 100, 1, 'w0#1', { event: 'transcription_started', total_chunks: 2 }),
    event(3, 500, 1, 'w0#1', { event: 'chunk_transcribed', chunk_index: 0, text_length: 10 }),
    event(4, 5_000, 2, 'w1#1', {
      event: 'recovery_started',
      message: 'm',
      recovery_type: 'lease_expired',
      attempt: 1,
      previous_owner: 'w0#1',
      phase: 'transcribing',
    }),
    event(5, 6_000, 2, 'w1#1', { event: 'chunk_transcribed', chunk_index: 1, text_length: 10 }),
    event(6, 6_100, 2, 'w1#1', { event: 'transcription_completed', total_chunks: 2, transcript_length: 21 }),
  ];
}

function request(client: string, index: number, atMs: number): LoggedRequest {
  return {
    atMs: origin + atMs,
    client,
    fileName: `job-a.chunk-${index}.wav`,
    jobId: 'job-a',
    index,
    sha256: 'ab'.repeat(32),
    prompt: null,
    model: 'whisper-1',
    language: null,
    status: 200,
    fault: null,
  };
}

function observations(
  change: {
    events?: JobEvent[];
    requests?: LoggedRequest[];
    trace?: TraceRecord[];
    actions?: NemesisAction[];
    phase?: Job['phase'];
  } = {},
): LiveObservations {
  return {
    seed: 1,
    originMs: origin,
    endMs: origin + 10_000,
    end: 'done',
    limits: liveLimits(),
    workerSlots: 2,
    faultPhaseMs: 8_000,
    livenessPhaseMs: 2_000,
    jobIds: ['job-a'],
    jobs: new Map([
      [
        'job-a',
        {
          id: 'job-a',
          epoch: 2,
          phase: change.phase ?? 'completed',
          chunks: [{ index: 0 }, { index: 1 }],
        } as unknown as Job,
      ],
    ]),
    events: new Map([['job-a', change.events ?? recoveredJobEvents()]]),
    files: new Map([['job-a', []]]),
    requests: change.requests ?? [request('w0#1', 0, 300), request('w1#1', 1, 5_500)],
    trace: change.trace ?? [
      {
        actor: 'w0#1',
        line: {
          op: 'claimJob',
          jobId: 'job-a',
          result: 'ok',
          epoch: 1,
          leaseExpiresAtMs: origin + 50 + lease,
          recovery: false,
          duplicate: false,
        },
      },
      { actor: 'w0#1', line: { op: 'renewLease', jobId: 'job-a', epoch: 1, leaseExpiresAtMs: origin + 1_050 + lease } },
      { actor: 'w0#1', line: { op: 'commitChunk', jobId: 'job-a', index: 0, epoch: 1, duplicate: false } },
    ],
    actions: change.actions ?? [],
    storeLosses: [],
  };
}

function violations(observed: LiveObservations, promises: readonly string[] = ['P2', 'P3', 'P4']): string[] {
  const { record } = buildLiveRecord(observed);
  const found = promises.flatMap((promise) => checkers[promise as keyof typeof checkers]?.(record) ?? []);
  return [...found, ...acknowledgedWriteViolations(observed)].map(
    (violation) => `${violation.promise}: ${violation.message}`,
  );
}

describe('the record of a live run', () => {
  it('passes for a job recovered after its owner died', () => {
    expect(violations(observations())).toEqual([]);
    const { record } = buildLiveRecord(observations());
    expect(record.history.entries.map((entry) => `${entry.t} ${entry.kind}`)).toEqual([
      '50 grant',
      '300 transcribe',
      '500 commit',
      '1050 renew',
      '5000 grant',
      '5500 transcribe',
      '6000 commit',
      '6100 release',
    ]);
    expect(record.events.get('job-a')?.[0]?.timestamp).toBe(100);
  });

  it('reports a transcription that reached the API after its chunk was committed (P2)', () => {
    const late = observations({
      requests: [request('w0#1', 0, 300), request('w1#1', 1, 5_500), request('w0#1', 1, 6_200)],
    });
    expect(violations(late)).toEqual(['P2: w0#1 called the transcriber for chunk 1 after it was committed']);
  });

  it("dates a request in flight across its worker's SIGSTOP from the SIGSTOP: wasted work, not a violation", () => {
    const actions: NemesisAction[] = [
      { atMs: origin + 1_000, kind: 'pause', actor: 'w0#1', slot: 0, durationMs: 4_900, held: { 'w0#1': 'job-a' } },
      { atMs: origin + 5_900, kind: 'resume', actor: 'w0#1' },
    ];
    const inFlight = observations({
      requests: [request('w0#1', 0, 300), request('w1#1', 1, 5_500), request('w0#1', 1, 6_200)],
      actions,
    });
    expect(violations(inFlight)).toEqual([]);
    expect(buildLiveRecord(inFlight).requestsInFlightAcrossPauses).toBe(1);
  });

  it("judges a paused worker's request at its arrival once the worker renewed its lease after waking (P2)", () => {
    const actions: NemesisAction[] = [
      { atMs: origin + 1_000, kind: 'pause', actor: 'w0#1', slot: 0, durationMs: 4_900, held: { 'w0#1': 'job-a' } },
      { atMs: origin + 5_900, kind: 'resume', actor: 'w0#1' },
    ];
    const base = observations();
    const renewedThenSent = observations({
      requests: [request('w0#1', 0, 300), request('w1#1', 1, 5_500), request('w0#1', 1, 6_200)],
      trace: [
        ...base.trace,
        {
          actor: 'w0#1',
          line: { op: 'renewLease', jobId: 'job-a', epoch: 1, leaseExpiresAtMs: origin + 5_950 + lease },
        },
      ],
      actions,
    });
    expect(violations(renewedThenSent)).toEqual(['P2: w0#1 called the transcriber for chunk 1 after it was committed']);
  });

  it('reports a commit carrying a stale epoch (P3)', () => {
    const events = recoveredJobEvents().map((entry) =>
      entry.seq === 5 ? { ...entry, epoch: 1, worker_id: 'w0#1' } : entry,
    );
    expect(violations(observations({ events }))).toContainEqual(
      "P3: chunk 1 committed with epoch 1 while the job's epoch was 2",
    );
  });

  it('reports a grant inside a lease an acknowledged renewal extended (P4)', () => {
    const base = observations();
    const renewedLate = observations({
      trace: [
        ...base.trace,
        {
          actor: 'w0#1',
          line: { op: 'renewLease', jobId: 'job-a', epoch: 1, leaseExpiresAtMs: origin + 2_500 + lease },
        },
      ],
    });
    expect(violations(renewedLate)).toEqual([
      'P4: w1#1 was granted epoch 2 at 5000 ms while epoch 1 was valid until 5500 ms',
    ]);
  });

  it('counts a lease from the release a worker sent', () => {
    const base = observations();
    const released = observations({
      trace: [
        ...base.trace,
        {
          actor: 'w0#1',
          line: { op: 'renewLease', jobId: 'job-a', epoch: 1, leaseExpiresAtMs: origin + 2_500 + lease },
        },
        { actor: 'w0#1', line: { op: 'releaseJob', jobId: 'job-a', epoch: 1, sentAtMs: origin + 4_000 } },
      ],
    });
    expect(violations(released)).toEqual([]);
  });

  it('reports an acknowledged commit or grant missing from the store (P9) and an epoch acknowledged to two workers (P4)', () => {
    const base = observations();
    const lost = observations({
      trace: [
        ...base.trace,
        { actor: 'w1#1', line: { op: 'commitChunk', jobId: 'job-a', index: 1, epoch: 1, duplicate: false } },
        {
          actor: 'w2#1',
          line: {
            op: 'claimJob',
            jobId: 'job-a',
            result: 'ok',
            epoch: 2,
            leaseExpiresAtMs: origin + 5_000 + lease,
            recovery: true,
            duplicate: false,
          },
        },
        {
          actor: 'w2#1',
          line: {
            op: 'claimJob',
            jobId: 'job-a',
            result: 'ok',
            epoch: 3,
            leaseExpiresAtMs: origin + 9_000 + lease,
            recovery: true,
            duplicate: false,
          },
        },
      ],
    });
    expect(violations(lost, [])).toEqual([
      'P9: the commit of chunk 1 with epoch 1 acknowledged to w1#1 is not in the stored events',
      'P9: epoch 3 was acknowledged to w2#1 but the stored job ended at epoch 2',
      'P4: epoch 2 was acknowledged to w1#1 and w2#1',
    ]);
  });

  it('infers the grant of an epoch that left no event and no trace line, without a violation', () => {
    const events = recoveredJobEvents()
      .filter((entry) => entry.epoch === 2)
      .map((entry, position) => ({ ...entry, seq: position + 1 }));
    const unseen = observations({ events, trace: [], requests: [request('w1#1', 1, 5_500)], phase: 'transcribing' });
    expect(violations(unseen)).toEqual([]);
    expect(buildLiveRecord(unseen).inferredGrants).toBe(1);
  });

  it("prints a counterexample in the simulator's format: the broken promise, the job's timeline with the step marked, the violations, the seed", () => {
    const late = observations({
      requests: [request('w0#1', 0, 300), request('w1#1', 1, 5_500), request('w0#1', 1, 6_200)],
    });
    const { record } = buildLiveRecord(late);
    const found = checkers['P2']?.(record) ?? [];
    const text = counterexampleText(record, found, 1, palette(false));
    expect(text).toMatch(/^✗ promise P2 broken on real processes/);
    expect(text).toMatch(/6200 ms {2}w0#1 +transcriber called for job-a chunk 1/);
    expect(text).toContain('^ P2 broken here: w0#1 called the transcriber for chunk 1 after it was committed');
    expect(text).toContain('violations:\n  P2 job-a: w0#1 called the transcriber for chunk 1 after it was committed');
    expect(text).toMatch(/seed was 1 /);
  });
});
