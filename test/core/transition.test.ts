/**
 * The worker machine (transition.ts), scenario by scenario: the effects it asks for on the happy path, after each kind
 * of error and in a recovery, and the assertions that guard it against results no runtime should feed it; then its
 * guards and bookkeeping input by input: each assertion names what was wrong, re-extraction of one chunk is bounded by
 * mediaAttemptsMax, unreadable chunks queue once each, a transcript in hand is committed before any wait, and a stored
 * write leaves no stale local data behind. Its properties over random runs are in transition.property.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/core/assert.js';
import * as operations from '../../src/core/operations.js';
import { isStoreEffect, replayStoreWrite } from '../../src/core/store-operations.js';
import {
  initialTransition,
  transition,
  type Effect,
  type Input,
  type MachineLimits,
  type MachineState,
  type Step,
} from '../../src/core/transition.js';
import type { Job } from '../../src/core/types.js';
import { applied, chunkingJob, ownerFence, recovered, sha, transcribingJob } from './support.js';

const limits = { transcriptionAttemptsMax: 3, mediaAttemptsMax: 3 };

/** The machine's first state for `job`. */
function stateOf(job: Job, workerId: string, recovering: boolean, machineLimits: MachineLimits): MachineState {
  return initialTransition(job, workerId, recovering, machineLimits).state;
}

/** The machine's first effect for `job`. */
function effectOf(job: Job, workerId: string, recovering: boolean, machineLimits: MachineLimits): Effect {
  return initialTransition(job, workerId, recovering, machineLimits).effect;
}

/** Feeds `input` for the pending effect, applying a store effect to `store` first when the input is `stored`. */
class Driver {
  state: MachineState;
  effect: Effect;
  store: Job;
  readonly effects: Effect[] = [];

  constructor(job: Job, workerId: string, recovering = job.recovery.open) {
    this.store = job;
    ({ state: this.state, effect: this.effect } = initialTransition(job, workerId, recovering, limits));
    this.effects.push(this.effect);
  }

  /**
   * A result fed while the machine asks to start a transcription is that transcription's: the driver feeds `started`
   * first, and checks that the machine (one transcription at a time) then awaits it.
   */
  feed(input: Input): Effect {
    if (this.effect.type === 'transcribe' && input.type !== 'started') {
      ({ state: this.state, effect: this.effect } = transition(this.state, {
        type: 'started',
        index: this.effect.index,
      }));
      expect(this.effect).toEqual({ type: 'await' });
    }
    if (input.type === 'stored') this.applyToStore();
    ({ state: this.state, effect: this.effect } = transition(this.state, input));
    this.effects.push(this.effect);
    return this.effect;
  }

  /** Answers every store effect `stored` and every other effect with `answer`, until a stop. */
  runWith(answer: (effect: Effect) => Input, stepsMax = 200): Effect {
    for (let step = 0; step < stepsMax && this.effect.type !== 'stop'; step += 1) {
      this.feed(isStoreEffect(this.effect) ? { type: 'stored', nowMs: 1_000 + step } : answer(this.effect));
    }
    return this.effect;
  }

  private applyToStore(): void {
    const effect = this.effect;
    const fence = { ...ownerFence(this.store), workerId: this.state.workerId };
    const nowMs = 1_000;
    let outcome: operations.Outcome;
    switch (effect.type) {
      case 'record_plan':
        outcome = operations.recordPlan(
          this.store,
          { ...fence, durationMs: effect.durationMs, chunks: effect.chunks },
          nowMs,
        );
        break;
      case 'record_recreated':
        outcome = operations.recordRecreated(this.store, { ...fence, ...effect }, nowMs);
        break;
      case 'mark_resumed':
        outcome = operations.markResumed(this.store, fence, nowMs);
        break;
      case 'commit':
        outcome = operations.commit(
          this.store,
          { ...fence, index: effect.index, transcript: effect.transcript },
          nowMs,
        );
        break;
      case 'complete':
        outcome = operations.complete(this.store, fence, nowMs);
        break;
      case 'fail':
        outcome = operations.fail(
          this.store,
          {
            ...fence,
            reason: effect.reason,
            message: effect.message,
            chunkIndex: effect.chunkIndex,
            retryable: effect.retryable,
          },
          nowMs,
        );
        break;
      default:
        return;
    }
    this.store = applied(outcome).job;
  }
}

const ok = (effect: Effect): Input => {
  switch (effect.type) {
    case 'probe':
      return { type: 'probed', durationMs: 2_500 };
    case 'extract':
      return { type: 'extracted', index: effect.index, bytes: 10 + effect.index, sha256: sha(effect.index) };
    case 'check_chunks':
      return { type: 'chunks_checked', results: effect.indices.map((index) => ({ index, status: 'ok' as const })) };
    case 'transcribe':
      return { type: 'transcribed', index: effect.index, text: `t${effect.index}` };
    case 'wait':
      return { type: 'waited' };
    case 'cleanup':
      return { type: 'cleaned' };
    default:
      throw new Error(`no answer for ${effect.type}`);
  }
};

function types(effects: readonly Effect[]): string[] {
  return effects.map((effect) =>
    effect.type === 'extract' || effect.type === 'transcribe' || effect.type === 'commit'
      ? `${effect.type}:${effect.index}`
      : effect.type,
  );
}

describe('transition: a fresh job', () => {
  it('probes, extracts in order, records the plan, transcribes and commits each chunk with the previous text as prompt, cleans up, completes and stops', () => {
    const driver = new Driver(chunkingJob('w1'), 'w1');
    expect(driver.runWith(ok)).toEqual({ type: 'stop', outcome: 'completed' });
    expect(types(driver.effects)).toEqual([
      'probe',
      'extract:0',
      'extract:1',
      'record_plan',
      'transcribe:0',
      'commit:0',
      'transcribe:1',
      'commit:1',
      'cleanup',
      'complete',
      'stop',
    ]);
    expect(driver.effects.filter((effect) => effect.type === 'transcribe')).toEqual([
      { type: 'transcribe', index: 0, prompt: null },
      { type: 'transcribe', index: 1, prompt: 't0' },
    ]);
    expect(driver.store).toMatchObject({ phase: 'completed', transcript: 't0 t1' });
  });

  it('fails with media_invalid for a duration it cannot plan, and with the media reason when the source is gone', () => {
    for (const durationMs of [0, Number.NaN, 48 * 3_600_000]) {
      const driver = new Driver(chunkingJob('w1'), 'w1');
      expect(driver.feed({ type: 'probed', durationMs })).toMatchObject({
        type: 'fail',
        reason: 'media_invalid',
        message: expect.stringContaining('durationMs'),
      });
      expect(driver.runWith(ok)).toEqual({ type: 'stop', outcome: 'failed' });
      expect(driver.store.failure?.reason).toBe('media_invalid');
    }
    const driver = new Driver(chunkingJob('w1'), 'w1');
    driver.feed({ type: 'probed', durationMs: 3_000 });
    expect(driver.feed({ type: 'media_failed', reason: 'source_missing', message: 'deleted' })).toEqual({
      type: 'fail',
      reason: 'source_missing',
      message: 'deleted',
    });
  });

  it('waits and retries a retryable media failure, and fails with media_invalid after mediaAttemptsMax in a row', () => {
    const driver = new Driver(chunkingJob('w1'), 'w1');
    expect(driver.feed({ type: 'media_retry', message: 'timeout' })).toEqual({ type: 'wait', attempt: 1 });
    expect(driver.feed({ type: 'waited' })).toEqual({ type: 'probe' });
    driver.feed({ type: 'probed', durationMs: 3_000 });
    expect(driver.feed({ type: 'media_retry', message: 'disk full' })).toEqual({ type: 'wait', attempt: 1 });
    expect(driver.feed({ type: 'waited' })).toMatchObject({ type: 'extract', index: 0 });
    driver.feed({ type: 'extracted', index: 0, bytes: 1, sha256: sha(0) });
    expect(driver.feed({ type: 'media_retry', message: 'disk full' })).toEqual({ type: 'wait', attempt: 1 });
    driver.feed({ type: 'waited' });
    expect(driver.feed({ type: 'media_retry', message: 'disk full' })).toEqual({ type: 'wait', attempt: 2 });
    driver.feed({ type: 'waited' });
    expect(driver.feed({ type: 'media_retry', message: 'disk full' })).toEqual({
      type: 'fail',
      reason: 'media_invalid',
      message: 'media failed 3 times, last: disk full',
    });
  });

  // Regression: a successful probe resets the count of consecutive retryable media failures, so
  // probe timeouts do not use up the attempts of the first extraction.
  it('resets the media attempt count after a successful probe', () => {
    const driver = new Driver(chunkingJob('w1'), 'w1');
    driver.feed({ type: 'media_retry', message: 'timeout' });
    driver.feed({ type: 'waited' });
    driver.feed({ type: 'media_retry', message: 'timeout' });
    driver.feed({ type: 'waited' });
    driver.feed({ type: 'probed', durationMs: 3_000 });
    expect(driver.feed({ type: 'media_retry', message: 'extract timeout' })).toEqual({ type: 'wait', attempt: 1 });
  });
});

describe('transition: transcription errors', () => {
  it('fails with transcription_rejected on a non-retryable error', () => {
    const driver = new Driver(transcribingJob(3), 'w1', false);
    expect(driver.effect).toEqual({ type: 'transcribe', index: 0, prompt: null });
    const fail = driver.feed({ type: 'transcribe_failed', index: 0, retryable: false, message: '400 invalid file' });
    expect(fail).toEqual({
      type: 'fail',
      reason: 'transcription_rejected',
      message: '400 invalid file',
      chunkIndex: 0,
      retryable: false,
    });
    expect(driver.feed({ type: 'stored', nowMs: 5 })).toEqual({ type: 'cleanup' });
    expect(driver.feed({ type: 'cleaned' })).toEqual({ type: 'stop', outcome: 'failed' });
    expect(driver.store.failure?.reason).toBe('transcription_rejected');
  });

  it('retries retryable errors with waits in between and fails with transcription_failed after transcriptionAttemptsMax attempts', () => {
    const driver = new Driver(transcribingJob(2), 'w1', false);
    const effects = [driver.effect];
    for (let attempt = 1; attempt <= limits.transcriptionAttemptsMax; attempt += 1) {
      effects.push(driver.feed({ type: 'transcribe_failed', index: 0, retryable: true, message: `429 #${attempt}` }));
      if (attempt < limits.transcriptionAttemptsMax) effects.push(driver.feed({ type: 'waited' }));
    }
    expect(types(effects)).toEqual(['transcribe:0', 'wait', 'transcribe:0', 'wait', 'transcribe:0', 'fail']);
    expect(effects.filter((effect) => effect.type === 'wait')).toEqual([
      { type: 'wait', attempt: 1 },
      { type: 'wait', attempt: 2 },
    ]);
    expect(effects.at(-1)).toEqual({
      type: 'fail',
      reason: 'transcription_failed',
      chunkIndex: 0,
      retryable: true,
      message: 'chunk 0 failed 3 times, last: 429 #3',
    });
  });

  it('re-extracts a chunk whose file is unreadable before transcribing it', () => {
    const driver = new Driver(transcribingJob(2), 'w1', false);
    expect(driver.feed({ type: 'chunk_unreadable', index: 0, status: 'corrupt' })).toEqual({
      type: 'extract',
      index: 0,
      purpose: 'recreate',
    });
    expect(driver.state.reextract).toEqual([{ index: 0, reason: 'corrupt' }]);
    expect(driver.feed({ type: 'extracted', index: 0, bytes: 5, sha256: sha('new') })).toEqual({
      type: 'record_recreated',
      index: 0,
      reason: 'corrupt',
      bytes: 5,
      sha256: sha('new'),
    });
    expect(driver.feed({ type: 'stored', nowMs: 3 })).toEqual({ type: 'transcribe', index: 0, prompt: null });
    expect(driver.store.chunks[0]).toMatchObject({ bytes: 5, sha256: sha('new') });
  });
});

describe('transition: chunks side by side (chunkConcurrency)', () => {
  it('starts up to chunkConcurrency transcriptions, commits each as it returns, and assembles the transcript in order', () => {
    const state = stateOf(transcribingJob(4), 'w1', false, { ...limits, chunkConcurrency: 3 });
    let step: Step = feed(state, { type: 'started', index: 0 });
    expect(step.effect).toEqual({ type: 'transcribe', index: 1, prompt: null });
    step = feed(step.state, { type: 'started', index: 1 });
    expect(step.effect).toEqual({ type: 'transcribe', index: 2, prompt: null });
    step = feed(step.state, { type: 'started', index: 2 });
    expect(step.effect).toEqual({ type: 'await' });
    expect(step.state.transcribing).toEqual([0, 1, 2]);
    // Chunk 2 returns first: committed first; then chunk 0, whose text is the prompt for chunk 1's successor.
    step = feed(step.state, { type: 'transcribed', index: 2, text: 'c' });
    expect(step.effect).toEqual({ type: 'commit', index: 2, transcript: 'c' });
    step = feed(step.state, { type: 'stored', nowMs: 1 });
    expect(step.effect).toEqual({ type: 'transcribe', index: 3, prompt: 'c' });
    step = feed(step.state, { type: 'started', index: 3 }, { type: 'transcribed', index: 0, text: 'a' });
    expect(step.effect).toEqual({ type: 'commit', index: 0, transcript: 'a' });
    step = feed(
      step.state,
      { type: 'stored', nowMs: 2 },
      { type: 'transcribed', index: 3, text: 'd' },
      { type: 'stored', nowMs: 3 },
      { type: 'transcribed', index: 1, text: 'b' },
    );
    expect(step.effect).toEqual({ type: 'commit', index: 1, transcript: 'b' });
    step = feed(step.state, { type: 'stored', nowMs: 4 });
    expect(step.state.job).toMatchObject({ phase: 'finalizing' });
    expect(step.state.job.chunks.map((chunk) => chunk.transcript)).toEqual(['a', 'b', 'c', 'd']);
    expect(step.effect).toEqual({ type: 'cleanup' });
  });

  it('commits a transcript before it starts the next chunk, whose prompt is a committed text or none', () => {
    const state = stateOf(transcribingJob(3), 'w1', false, { ...limits, chunkConcurrency: 2 });
    const step = feed(
      state,
      { type: 'started', index: 0 },
      { type: 'started', index: 1 },
      { type: 'transcribed', index: 0, text: 'zero' },
    );
    expect(step.state.transcript).toEqual({ index: 0, text: 'zero' });
    // The commit comes first; chunk 2 is then started with chunk 1's text unknown.
    expect(step.effect).toEqual({ type: 'commit', index: 0, transcript: 'zero' });
    expect(feed(step.state, { type: 'stored', nowMs: 1 }).effect).toEqual({
      type: 'transcribe',
      index: 2,
      prompt: null,
    });
    expect(assertionOf(() => transition(step.state, { type: 'transcribed', index: 1, text: 'one' }))).toBe(
      'chunk 1 returned before chunk 0 was committed',
    );
  });

  it('starts nothing new while it waits out a retryable failure, and retries the failed chunk first', () => {
    const state = stateOf(transcribingJob(4), 'w1', false, { ...limits, chunkConcurrency: 2 });
    let step = feed(
      state,
      { type: 'started', index: 0 },
      { type: 'started', index: 1 },
      { type: 'transcribe_failed', index: 0, retryable: true, message: '503' },
    );
    expect(step.effect).toEqual({ type: 'wait', attempt: 1 });
    step = feed(step.state, { type: 'waited' });
    expect(step.effect).toEqual({ type: 'transcribe', index: 0, prompt: null });
    expect(step.state.transcribing).toEqual([1]);
  });

  it('fails the job on a rejected chunk while others are in flight, whose results it then no longer needs', () => {
    const state = stateOf(transcribingJob(3), 'w1', false, { ...limits, chunkConcurrency: 3 });
    const step = feed(
      state,
      { type: 'started', index: 0 },
      { type: 'started', index: 1 },
      { type: 'started', index: 2 },
      { type: 'transcribe_failed', index: 1, retryable: false, message: '400' },
    );
    expect(step.effect).toMatchObject({ type: 'fail', reason: 'transcription_rejected', chunkIndex: 1 });
    expect(step.state.transcribing).toEqual([0, 2]);
  });

  it('asserts that a transcription starts only when asked and a result comes only for a call in flight', () => {
    const state = stateOf(transcribingJob(2), 'w1', false, limits);
    expect(assertionOf(() => transition(state, { type: 'started', index: 1 }))).toBe('chunk 1 started unasked');
    expect(assertionOf(() => transition(state, { type: 'transcribed', index: 0, text: 'x' }))).toBe(
      'a result for chunk 0, which has no transcription in flight',
    );
    const one = feed(state, { type: 'started', index: 0 }).state;
    expect(assertionOf(() => transition(one, { type: 'started', index: 1 }))).toBe('chunk 1 started unasked');
  });
});

describe('transition: recovery', () => {
  it('in transcribing: checks only pending chunks, re-extracts only the bad ones, marks resumed once, then transcribes the pending chunks', () => {
    const job = recovered(transcribingJob(5, [0, 2]));
    const driver = new Driver(job, 'w2');
    expect(driver.effect).toEqual({ type: 'check_chunks', indices: [1, 3, 4] });
    const statuses = new Map([
      [1, 'ok'],
      [3, 'missing'],
      [4, 'corrupt'],
    ] as const);
    driver.feed({ type: 'chunks_checked', results: [...statuses].map(([index, status]) => ({ index, status })) });
    expect(driver.runWith(ok)).toEqual({ type: 'stop', outcome: 'completed' });
    expect(types(driver.effects)).toEqual([
      'check_chunks',
      'extract:3',
      'record_recreated',
      'extract:4',
      'record_recreated',
      'mark_resumed',
      'transcribe:1',
      'commit:1',
      'transcribe:3',
      'commit:3',
      'transcribe:4',
      'commit:4',
      'cleanup',
      'complete',
      'stop',
    ]);
    expect(
      driver.effects
        .filter((effect) => effect.type === 'record_recreated')
        .map((effect) => effect.type === 'record_recreated' && effect.reason),
    ).toEqual(['missing', 'corrupt']);
    expect(driver.effects.find((effect) => effect.type === 'transcribe' && effect.index === 1)).toEqual({
      type: 'transcribe',
      index: 1,
      prompt: 'text 0',
    });
    expect(driver.store.recovery).toMatchObject({ open: false, recreatedChunks: 2, resumed: true });
  });

  it('fails with state_corrupt when a pending chunk goes unchecked', () => {
    const driver = new Driver(recovered(transcribingJob(3)), 'w2');
    expect(driver.feed({ type: 'chunks_checked', results: [{ index: 0, status: 'ok' }] })).toEqual({
      type: 'fail',
      reason: 'state_corrupt',
      message: 'chunk 1 was not checked',
    });
  });

  it('in chunking: plans again, then checks, marks resumed and transcribes', () => {
    const driver = new Driver(recovered(chunkingJob()), 'w2');
    expect(driver.runWith(ok)).toEqual({ type: 'stop', outcome: 'completed' });
    expect(types(driver.effects)).toEqual([
      'probe',
      'extract:0',
      'extract:1',
      'record_plan',
      'check_chunks',
      'mark_resumed',
      'transcribe:0',
      'commit:0',
      'transcribe:1',
      'commit:1',
      'cleanup',
      'complete',
      'stop',
    ]);
  });

  it('in finalizing: cleans up and completes without transcribing', () => {
    const driver = new Driver(recovered(transcribingJob(2, [0, 1])), 'w2');
    expect(driver.runWith(ok)).toEqual({ type: 'stop', outcome: 'completed' });
    expect(types(driver.effects)).toEqual(['cleanup', 'complete', 'stop']);
  });
});

describe('transition: losing the job and guarding against impossible inputs', () => {
  it('stops as lost on any refusal, and for a snapshot that is still queued', () => {
    const driver = new Driver(transcribingJob(2), 'w1', false);
    driver.feed({ type: 'transcribed', index: 0, text: 'a' });
    expect(driver.feed({ type: 'refused', kind: 'stale_epoch' })).toEqual({ type: 'stop', outcome: 'lost' });
    expect(driver.state.inFlight).toBeNull();
    const queued = applied(operations.create(null, { jobId: 'job-q', source: '/q', chunkLengthMs: 1_000 }, 0)).job;
    expect(initialTransition(queued, 'w1', false, limits).effect).toEqual({ type: 'stop', outcome: 'lost' });
  });

  it('stops as lost when the store applied a write its snapshot cannot (the snapshot is behind)', () => {
    const job = transcribingJob(2, [0]);
    const inFlight = { type: 'commit', index: 0, transcript: 'again' } as const;
    const state = { ...initialTransition(job, 'w1', false, limits).state, inFlight };
    const step = transition(state, { type: 'stored', nowMs: 9 });
    expect(step.effect).toEqual({ type: 'stop', outcome: 'lost' });
    expect(step.state.inFlight).toBeNull();
  });

  it('cleans up and stops for a job that is already terminal when claimed', () => {
    const finalizing = transcribingJob(1, [0]);
    const completed = applied(operations.complete(finalizing, ownerFence(finalizing), 2)).job;
    const { state, effect } = initialTransition(completed, 'w1', false, limits);
    expect(effect).toEqual({ type: 'cleanup' });
    expect(transition(state, { type: 'cleaned' }).effect).toEqual({ type: 'stop', outcome: 'completed' });
  });

  it('marks only store effects as in flight, until their result comes back', () => {
    const probing = initialTransition(chunkingJob(), 'w1', false, limits);
    expect(probing.effect).toEqual({ type: 'probe' });
    expect(probing.state.inFlight).toBeNull();
    const completing = initialTransition(recovered(transcribingJob(1, [0])), 'w2', true, limits);
    expect(completing.effect).toEqual({ type: 'cleanup' });
    const complete = transition(completing.state, { type: 'cleaned' });
    expect(complete.effect).toEqual({ type: 'complete' });
    expect(complete.state.inFlight).toEqual({ type: 'complete' });
    expect(transition(complete.state, { type: 'refused', kind: 'stale_epoch' }).state.inFlight).toBeNull();
    const storeTypes = ['record_plan', 'record_recreated', 'mark_resumed', 'commit', 'complete', 'fail'];
    const all: Effect['type'][] = [
      'probe',
      'extract',
      'check_chunks',
      'transcribe',
      'wait',
      'cleanup',
      'stop',
      ...(storeTypes as Effect['type'][]),
    ];
    expect(all.filter((type) => isStoreEffect({ type } as Effect))).toEqual(storeTypes);
  });

  it.each<[string, () => unknown]>([
    [
      'a stored result with nothing in flight',
      () => transition(stateOf(chunkingJob(), 'w1', false, limits), { type: 'stored', nowMs: 1 }),
    ],
    [
      'an extraction out of order',
      () => {
        const state = transition(stateOf(chunkingJob(), 'w1', false, limits), {
          type: 'probed',
          durationMs: 3_000,
        }).state;
        return transition(state, { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) });
      },
    ],
    [
      'an extraction beyond the plan',
      () => {
        let state = transition(stateOf(chunkingJob(), 'w1', false, limits), {
          type: 'probed',
          durationMs: 1_000,
        }).state;
        state = transition(state, { type: 'extracted', index: 0, bytes: 1, sha256: sha(0) }).state;
        return transition(state, { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) });
      },
    ],
    [
      'a re-extraction nobody asked for',
      () =>
        transition(stateOf(transcribingJob(2), 'w1', false, limits), {
          type: 'extracted',
          index: 1,
          bytes: 1,
          sha256: sha(1),
        }),
    ],
    [
      'an unknown input',
      () => transition(stateOf(chunkingJob(), 'w1', false, limits), { type: 'bogus' } as unknown as Input),
    ],
    [
      'an unknown store effect in flight',
      () =>
        transition(
          { ...stateOf(chunkingJob(), 'w1', false, limits), inFlight: { type: 'bogus' } as never },
          { type: 'stored', nowMs: 1 },
        ),
    ],
    ['an unknown phase', () => effectOf({ ...chunkingJob(), phase: 'paused' as Job['phase'] }, 'w1', false, limits)],
    [
      'a transcribing snapshot with nothing pending',
      () => effectOf({ ...transcribingJob(1), chunks: transcribingJob(1, [0]).chunks }, 'w1', false, limits),
    ],
  ])('throws an AssertionError for %s', (_label, call) => {
    expect(call).toThrow(AssertionError);
  });

  it('throws for an extraction before the duration is known (the plan cannot be computed)', () => {
    const state = stateOf(chunkingJob(), 'w1', false, limits);
    expect(() => transition(state, { type: 'extracted', index: 0, bytes: 1, sha256: sha(0) })).toThrow(/durationMs/);
  });
});

/** Feeds inputs one after the other (at least one). */
function feed(state: MachineState, ...inputs: Input[]): Step {
  let step: Step | undefined;
  for (const input of inputs) step = transition(step?.state ?? state, input);
  expect(step).toBeDefined();
  return step as Step;
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
    const probed = feed(stateOf(chunkingJob(), 'w1', false, limits), { type: 'probed', durationMs: 2_000 }).state;
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
    const transcribing = stateOf(transcribingJob(3), 'w1', false, limits);
    expect(assertionOf(() => transition(transcribing, { type: 'extracted', index: 1, bytes: 1, sha256: sha(1) }))).toBe(
      're-extracted chunk 1 was not asked for',
    );
    const queued = feed(
      transcribing,
      { type: 'started', index: 0 },
      { type: 'chunk_unreadable', index: 0, status: 'missing' },
    ).state;
    expect(assertionOf(() => transition(queued, { type: 'extracted', index: 2, bytes: 1, sha256: sha(2) }))).toBe(
      're-extracted chunk 2 was not asked for',
    );
  });

  it('for a store result with nothing in flight, and for inputs, store effects and phases it does not know', () => {
    const state = stateOf(chunkingJob(), 'w1', false, limits);
    expect(assertionOf(() => transition(state, { type: 'stored', nowMs: 1 }))).toBe(
      'a store result arrived with no store effect in flight',
    );
    expect(assertionOf(() => transition(state, { type: 'bogus' } as unknown as Input))).toBe(
      'unreachable input: {"type":"bogus"}',
    );
    const job = chunkingJob();
    const fencing = { jobId: job.id, workerId: 'w1', epoch: 1, requestId: 'r' };
    expect(assertionOf(() => replayStoreWrite(job, { type: 'bogus' } as never, fencing, 1))).toBe(
      'bogus is not a store effect',
    );
    expect(assertionOf(() => effectOf({ ...job, phase: 'paused' as Job['phase'] }, 'w1', false, limits))).toBe(
      'unreachable phase: "paused"',
    );
    const nothingPending = { ...transcribingJob(1), chunks: transcribingJob(1, [0]).chunks };
    expect(assertionOf(() => effectOf(nothingPending, 'w1', false, limits))).toBe('transcribing with no pending chunk');
  });
});

describe('re-extraction of one chunk found unreadable at transcription', () => {
  /** Reports chunk 0 unreadable, re-extracts and records it, and returns to its transcription. */
  const cycle = (status: 'missing' | 'corrupt', round: number): Input[] => [
    { type: 'started', index: 0 },
    { type: 'chunk_unreadable', index: 0, status },
    { type: 'extracted', index: 0, bytes: 10 + round, sha256: sha(`round-${round}`) },
    { type: 'stored', nowMs: round },
  ];

  it('is allowed mediaAttemptsMax times, then the job fails with media_invalid naming the chunk and the count', () => {
    let state = stateOf(transcribingJob(2), 'w1', false, limits);
    for (let round = 1; round <= limits.mediaAttemptsMax; round += 1) {
      const step = feed(state, ...cycle('corrupt', round));
      state = step.state;
      expect(step.effect).toEqual({ type: 'transcribe', index: 0, prompt: null });
    }
    expect(state.recreations).toEqual({ 0: limits.mediaAttemptsMax });
    expect(
      feed(state, { type: 'started', index: 0 }, { type: 'chunk_unreadable', index: 0, status: 'missing' }).effect,
    ).toEqual({
      type: 'fail',
      reason: 'media_invalid',
      message: 'chunk 0 is missing again after 3 re-extractions',
    });
  });

  it('queues each unreadable chunk behind those already queued, and re-extracts them in that order', () => {
    const recovering = recovered(transcribingJob(4));
    const checked = feed(stateOf(recovering, 'w2', true, { ...limits, chunkConcurrency: 3 }), {
      type: 'chunks_checked',
      results: [
        { index: 0, status: 'ok' },
        { index: 1, status: 'ok' },
        { index: 2, status: 'missing' },
        { index: 3, status: 'ok' },
      ],
    }).state;
    expect(checked.reextract).toEqual([{ index: 2, reason: 'missing' }]);
    // Chunk 2 is re-extracted and recorded, then chunks 0, 1 and 2 go out side by side; chunk 1 comes back
    // unreadable while the others are in flight, and chunk 2 is found so after it.
    const started = feed(
      checked,
      { type: 'extracted', index: 2, bytes: 3, sha256: sha('again') },
      { type: 'stored', nowMs: 2 },
      { type: 'stored', nowMs: 3 },
      { type: 'started', index: 0 },
      { type: 'started', index: 1 },
      { type: 'started', index: 2 },
    );
    expect(started.effect).toEqual({ type: 'await' });
    const more = feed(started.state, { type: 'chunk_unreadable', index: 1, status: 'corrupt' });
    expect(more.state.reextract).toEqual([{ index: 1, reason: 'corrupt' }]);
    expect(more.effect).toEqual({ type: 'extract', index: 1, purpose: 'recreate' });
    const later = feed(more.state, { type: 'chunk_unreadable', index: 2, status: 'missing' });
    expect(later.state.reextract).toEqual([
      { index: 1, reason: 'corrupt' },
      { index: 2, reason: 'missing' },
    ]);
    expect(later.state.transcribing).toEqual([0]);
  });
});

describe('decisions', () => {
  it('commits a transcript in hand before any wait', () => {
    const failedOnce = feed(
      stateOf(transcribingJob(2), 'w1', false, { ...limits, chunkConcurrency: 2 }),
      { type: 'started', index: 0 },
      { type: 'started', index: 1 },
      { type: 'transcribe_failed', index: 0, retryable: true, message: '429' },
    );
    expect(failedOnce.effect).toEqual({ type: 'wait', attempt: 1 });
    expect(feed(failedOnce.state, { type: 'transcribed', index: 1, text: 'late' }).effect).toEqual({
      type: 'commit',
      index: 1,
      transcript: 'late',
    });
  });
});

describe('a stored write leaves no stale local data', () => {
  it('drops the extracted chunks once the plan is stored (they live in the job now)', () => {
    const planned = feed(
      stateOf(chunkingJob(), 'w1', false, limits),
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
    const failing = feed(
      stateOf(transcribingJob(2), 'w1', false, limits),
      { type: 'started', index: 0 },
      { type: 'transcribe_failed', index: 0, retryable: false, message: '400' },
    );
    expect(failing.state.failure).not.toBeNull();
    const stored = feed(failing.state, { type: 'stored', nowMs: 5 });
    expect(stored.state.failure).toBeNull();
    expect(stored.state.job.phase).toBe('failed');
    expect(stored.effect).toEqual({ type: 'cleanup' });
  });
});
