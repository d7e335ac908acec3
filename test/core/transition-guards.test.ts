/**
 * The worker machine's guards and bookkeeping, input by input: each assertion names what was wrong, re-extraction of
 * one chunk is bounded by mediaAttemptsMax, unreadable chunks queue once each, a transcript in hand is committed before
 * any wait, and a stored write leaves no stale local data behind.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import {
  applyStoreEffect,
  decide,
  initialState,
  sent,
  transition,
  type Effect,
  type Input,
  type MachineState,
} from '../../src/core/transition.js';
import type { Job } from '../../src/core/types.js';
import { chunkingJob, recovered, sha, transcribingJob } from './support.js';

const limits = { transcriptionAttemptsMax: 3, mediaAttemptsMax: 3 };

/** Feeds inputs one after the other, marking each decided store effect as sent first. */
function feed(state: MachineState, ...inputs: Input[]): { state: MachineState; effect: Effect } {
  let current = state;
  let effect = decide(current);
  for (const input of inputs) {
    const step = transition(sent(current, effect), input);
    current = step.state;
    effect = step.effects[0] as Effect;
  }
  return { state: current, effect };
}

function assertionOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return (error as Error).message;
  }
  throw new Error('expected an AssertionError');
}

describe('assertions name what was wrong', () => {
  it('for extraction results out of order, beyond the plan, or not asked for', () => {
    const probed = feed(initialState(chunkingJob(), 'w1', false, limits), { type: 'probed', durationMs: 2_000 }).state;
    expect(assertionOf(() => transition(probed, { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) }))).toBe(
      'extracted chunk 1 out of order',
    );
    const extractedAll = feed(
      probed,
      { type: 'extracted', index: 0, bytes: 1, sha256: sha(0) },
      { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) },
    ).state;
    expect(assertionOf(() => transition(extractedAll, { type: 'extracted', index: 2, bytes: 1, sha256: sha(2) }))).toBe(
      'extracted chunk 2 is not in the plan',
    );
    const transcribing = initialState(transcribingJob(3), 'w1', false, limits);
    expect(assertionOf(() => transition(transcribing, { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) }))).toBe(
      're-extracted chunk 1 was not asked for',
    );
    const queued = feed(transcribing, { type: 'chunk_unreadable', index: 0, status: 'missing' }).state;
    expect(assertionOf(() => transition(queued, { type: 'extracted', index: 2, bytes: 1, sha256: sha(2) }))).toBe(
      're-extracted chunk 2 was not asked for',
    );
  });

  it('for a store result with nothing in flight, and for inputs, store effects and phases it does not know', () => {
    const state = initialState(chunkingJob(), 'w1', false, limits);
    expect(assertionOf(() => transition(state, { type: 'stored', nowMs: 1 }))).toBe(
      'a store result arrived with no store effect in flight',
    );
    expect(assertionOf(() => transition(state, { type: 'bogus' } as unknown as Input))).toBe(
      'unreachable input: {"type":"bogus"}',
    );
    const job = chunkingJob();
    const fencing = { jobId: job.id, workerId: 'w1', epoch: 1, requestId: 'r' };
    expect(assertionOf(() => applyStoreEffect(job, { type: 'bogus' } as never, fencing, 1))).toBe(
      'unreachable store effect: {"type":"bogus"}',
    );
    expect(
      assertionOf(() => decide(initialState({ ...job, phase: 'paused' as Job['phase'] }, 'w1', false, limits))),
    ).toBe('unreachable phase: "paused"');
    const nothingPending = { ...transcribingJob(1), chunks: transcribingJob(1, [0]).chunks };
    expect(assertionOf(() => decide(initialState(nothingPending, 'w1', false, limits)))).toBe(
      'transcribing with no pending chunk',
    );
  });
});

describe('re-extraction of one chunk found unreadable at transcription', () => {
  /** Reports chunk 0 unreadable, re-extracts and records it, and returns to its transcription. */
  const cycle = (status: 'missing' | 'corrupt', round: number): Input[] => [
    { type: 'chunk_unreadable', index: 0, status },
    { type: 'extracted', index: 0, bytes: 10 + round, sha256: sha(`round-${round}`) },
    { type: 'stored', nowMs: round },
  ];

  it('is allowed mediaAttemptsMax times, then the job fails with media_invalid naming the chunk and the count', () => {
    let state = initialState(transcribingJob(2), 'w1', false, limits);
    for (let round = 1; round <= limits.mediaAttemptsMax; round += 1) {
      const step = feed(state, ...cycle('corrupt', round));
      state = step.state;
      expect(step.effect).toEqual({ type: 'transcribe', index: 0, prompt: null });
    }
    expect(state.recreations).toEqual({ 0: limits.mediaAttemptsMax });
    expect(feed(state, { type: 'chunk_unreadable', index: 0, status: 'missing' }).effect).toEqual({
      type: 'fail',
      reason: 'media_invalid',
      message: 'chunk 0 is missing again after 3 re-extractions',
    });
  });

  it('queues each unreadable chunk once, behind those already queued', () => {
    const recovering = recovered(transcribingJob(4));
    const checked = feed(initialState(recovering, 'w2', true, limits), {
      type: 'chunks_checked',
      results: [
        { index: 0, status: 'ok' },
        { index: 1, status: 'ok' },
        { index: 2, status: 'missing' },
        { index: 3, status: 'ok' },
      ],
    }).state;
    expect(checked.reextract).toEqual([{ index: 2, reason: 'missing' }]);
    const more = feed(
      checked,
      { type: 'chunk_unreadable', index: 1, status: 'corrupt' },
      { type: 'chunk_unreadable', index: 1, status: 'missing' },
    ).state;
    expect(more.reextract).toEqual([
      { index: 2, reason: 'missing' },
      { index: 1, reason: 'corrupt' },
    ]);
  });
});

describe('decisions', () => {
  it('commits a transcript in hand before any wait', () => {
    const failedOnce = feed(initialState(transcribingJob(2), 'w1', false, limits), {
      type: 'transcribe_failed',
      index: 0,
      retryable: true,
      message: '429',
    });
    expect(failedOnce.effect).toEqual({ type: 'wait', attempt: 1 });
    expect(feed(failedOnce.state, { type: 'transcribed', index: 0, text: 'late' }).effect).toEqual({
      type: 'commit',
      index: 0,
      transcript: 'late',
    });
  });
});

describe('a stored write leaves no stale local data', () => {
  it('drops the extracted chunks once the plan is stored (they live in the job now)', () => {
    const planned = feed(
      initialState(chunkingJob(), 'w1', false, limits),
      { type: 'probed', durationMs: 2_000 },
      { type: 'extracted', index: 0, bytes: 1, sha256: sha(0) },
      { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) },
    );
    expect(planned.effect).toMatchObject({ type: 'record_plan' });
    expect(planned.state.extracted).toHaveLength(2);
    const stored = feed(planned.state, { type: 'stored', nowMs: 5 });
    expect(stored.state.extracted).toEqual([]);
    expect(stored.state.job.chunks.map((chunk) => chunk.sha256)).toEqual([sha(0), sha(1)]);
  });

  it('drops the failure once it is stored', () => {
    const failing = feed(initialState(transcribingJob(2), 'w1', false, limits), {
      type: 'transcribe_failed',
      index: 0,
      retryable: false,
      message: '400',
    });
    expect(failing.state.failure).not.toBeNull();
    const stored = feed(failing.state, { type: 'stored', nowMs: 5 });
    expect(stored.state.failure).toBeNull();
    expect(stored.state.job.phase).toBe('failed');
    expect(stored.effect).toEqual({ type: 'cleanup' });
  });
});
