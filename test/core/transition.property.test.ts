/**
 * The worker's decision machine (transition.ts) is driven by a little interpreter that answers each effect from a
 * random choice sequence (store effects applied to a model job with operations.ts, or refused; media, file checks and
 * transcriptions random, failures included): it never transcribes a committed chunk, never commits a chunk twice, keeps
 * its snapshot equal to the store, answers errors as specified, recovers with check → re-extract the bad chunks →
 * mark_resumed → transcribe, and always stops within a step bound.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import { jobInvariantProblems } from '../../src/core/invariants.js';
import * as operations from '../../src/core/operations.js';
import type { ChunkFileStatus } from '../../src/core/planner.js';
import { isStoreEffect, replayStoreWrite } from '../../src/core/store-operations.js';
import {
  initialTransition,
  transition,
  type Effect,
  type Input,
  type MachineState,
  type StoreEffect,
} from '../../src/core/transition.js';
import { isTerminal, type Job } from '../../src/core/types.js';
import { applied, extractedPlan, freshRequestId, sha } from './support.js';

const workerId = 'w1';
const stepsMax = 2_000;

/** Where the claimed job starts. */
type Setup = 'fresh' | 'recover-chunking' | 'recover-transcribing' | 'recover-finalizing';

interface Scenario {
  readonly setup: Setup;
  readonly chunks: number;
  readonly committed: readonly boolean[];
  readonly transcriptionAttemptsMax: number;
  readonly mediaAttemptsMax: number;
  /** Transcriptions in flight at once; the interpreter answers those in flight in an order the choices pick. */
  readonly chunkConcurrency: number;
  /** The random choice sequence every answer reads from; when it runs out it reads 0, the simplest answer. */
  readonly choices: readonly number[];
}

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  setup: fc.constantFrom<Setup>('fresh', 'recover-chunking', 'recover-transcribing', 'recover-finalizing'),
  chunks: fc.integer({ min: 1, max: 6 }),
  committed: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  transcriptionAttemptsMax: fc.integer({ min: 1, max: 4 }),
  mediaAttemptsMax: fc.integer({ min: 1, max: 3 }),
  chunkConcurrency: fc.integer({ min: 1, max: 3 }),
  choices: fc.array(fc.nat({ max: 99 }), { maxLength: 300, size: 'max' }),
});

/** Builds the claimed job with the pure operations, as the store would have it. */
function claimedJob(scenario: Scenario): { job: Job; nowMs: number } {
  const create = { jobId: 'job-t', source: '/media/t.wav', chunkLengthMs: 1_000 };
  let job = applied(operations.create(null, create, 0)).job;
  const claim = (worker: string, nowMs: number) =>
    applied(
      operations.claim(
        job,
        { jobId: job.id, workerId: worker, leaseMs: 1_000, recoveryAttemptsMax: 5, requestId: freshRequestId() },
        nowMs,
      ),
    ).job;
  if (scenario.setup === 'fresh') return { job: claim(workerId, 10), nowMs: 10 };
  job = claim('w0', 10);
  const fence = () => ({ jobId: job.id, workerId: 'w0', epoch: job.epoch, requestId: freshRequestId() });
  if (scenario.setup !== 'recover-chunking') {
    const durationMs = scenario.chunks * 1_000;
    job = applied(
      operations.recordPlan(job, { ...fence(), durationMs, chunks: extractedPlan(durationMs, 1_000) }, 20),
    ).job;
    for (let index = 0; index < scenario.chunks; index += 1) {
      const commit =
        scenario.setup === 'recover-finalizing' || (scenario.committed[index] === true && index < scenario.chunks - 1);
      if (commit) job = applied(operations.commit(job, { ...fence(), index, transcript: `earlier ${index}` }, 30)).job;
    }
  }
  return { job: claim(workerId, 5_000), nowMs: 5_000 };
}

/** Reads the next choice (0 once the sequence ran out) as a number in [0, 100). */
class Choices {
  private cursor = 0;
  constructor(private readonly values: readonly number[]) {}
  next(): number {
    const value = this.values[this.cursor] ?? 0;
    this.cursor += 1;
    return value;
  }
}

/** What the interpreter saw, for the assertions after the run. */
interface Trace {
  readonly effects: Effect[];
  readonly inputs: Input[];
  readonly commits: Map<number, number>;
  /** Most transcriptions in flight at once. */
  inFlightMax: number;
  /** Chunk indices in commit order. */
  readonly committedOrder: number[];
  checked: ReadonlyMap<number, ChunkFileStatus> | null;
}

/** Answers one effect that is not a store write, from the choices. */
function answerOutside(
  effect: Exclude<Effect, StoreEffect | { type: 'stop' } | { type: 'await' }>,
  state: MachineState,
  choices: Choices,
): Input {
  switch (effect.type) {
    case 'probe': {
      const choice = choices.next();
      if (choice < 70) return { type: 'probed', durationMs: 1 + ((choice * 97) % 6_000) };
      if (choice < 78) return { type: 'media_retry', message: 'probe timed out' };
      if (choice < 84) return { type: 'media_failed', reason: 'source_missing', message: 'no source' };
      if (choice < 88) return { type: 'media_failed', reason: 'media_invalid', message: 'no audio stream' };
      if (choice < 92)
        return { type: 'probed', durationMs: [0, -1, Number.NaN, Number.POSITIVE_INFINITY][choice % 4] ?? 0 };
      if (choice < 96) return { type: 'probed', durationMs: 48 * 3_600_000 };
      return { type: 'refused', kind: 'lease_lost' };
    }
    case 'extract': {
      const choice = choices.next();
      if (choice < 80)
        return { type: 'extracted', index: effect.index, bytes: 100 + effect.index, sha256: sha(`x${effect.index}`) };
      if (choice < 88) return { type: 'media_retry', message: 'disk full' };
      if (choice < 93) return { type: 'media_failed', reason: 'source_missing', message: 'source deleted' };
      if (choice < 96) return { type: 'media_failed', reason: 'media_invalid', message: 'ffmpeg exit 1' };
      return { type: 'refused', kind: 'lease_lost' };
    }
    case 'check_chunks': {
      const results: { index: number; status: ChunkFileStatus }[] = [];
      for (const index of effect.indices) {
        const choice = choices.next();
        if (choice >= 97) continue; // a result lost: the plan must fail with state_corrupt
        results.push({ index, status: choice < 70 ? 'ok' : choice < 85 ? 'missing' : 'corrupt' });
      }
      return { type: 'chunks_checked', results };
    }
    case 'transcribe': {
      const choice = choices.next();
      if (choice < 65)
        return { type: 'transcribed', index: effect.index, text: `text ${effect.index} (${state.job.epoch})` };
      if (choice < 83)
        return { type: 'transcribe_failed', index: effect.index, retryable: true, message: '429 rate limited' };
      if (choice < 88)
        return { type: 'transcribe_failed', index: effect.index, retryable: false, message: '400 bad audio' };
      if (choice < 96)
        return { type: 'chunk_unreadable', index: effect.index, status: choice < 92 ? 'missing' : 'corrupt' };
      return { type: 'refused', kind: 'lease_lost' };
    }
    case 'wait':
      return { type: 'waited' };
    case 'cleanup':
      return { type: 'cleaned' };
  }
}

/** Applies a store effect to the model job as the store would, with this owner's fencing. */
function applyToStore(job: Job, effect: StoreEffect, nowMs: number): operations.Outcome {
  const fencing = { jobId: job.id, workerId, epoch: job.epoch, requestId: freshRequestId('store') };
  return replayStoreWrite(job, effect, fencing, nowMs);
}

/** Drives the machine to its stop; checks every step; returns the trace and the final store job. */
function interpret(scenario: Scenario): {
  trace: Trace;
  store: Job;
  state: MachineState;
  recovering: boolean;
  initial: Job;
} {
  const claimed = claimedJob(scenario);
  let store = claimed.job;
  let nowMs = claimed.nowMs;
  const recovering = store.recovery.open;
  const choices = new Choices(scenario.choices);
  let { state, effect } = initialTransition(store, workerId, recovering, scenario);
  const trace: Trace = {
    effects: [],
    inputs: [],
    commits: new Map(),
    inFlightMax: 0,
    committedOrder: [],
    checked: null,
  };
  const retryableFailures = new Map<number, number>();
  // Transcriptions started and not answered yet.
  const inFlight: Extract<Effect, { type: 'transcribe' }>[] = [];
  let lastFailed: number | undefined;
  for (let step = 0; step < stepsMax && effect.type !== 'stop'; step += 1) {
    trace.effects.push(effect);
    nowMs += 1;
    if (effect.type === 'transcribe') {
      // P2: never a transcription of a chunk the store holds committed, nor of one in flight.
      expect(store.chunks[effect.index]?.transcript).toBeNull();
      expect(state.job.chunks[effect.index]?.transcript).toBeNull();
      expect(inFlight.map((call) => call.index)).not.toContain(effect.index);
      // The prompt is the text of the chunk before, when it is known.
      const previous = state.job.chunks[effect.index - 1];
      if (previous === undefined) expect(effect.prompt).toBeNull();
      else if (previous.transcript !== null) expect(effect.prompt).toBe(previous.transcript);
    }
    let input: Input;
    if (effect.type === 'transcribe') {
      inFlight.push(effect);
      trace.inFlightMax = Math.max(trace.inFlightMax, inFlight.length);
      input = { type: 'started', index: effect.index };
    } else if (effect.type === 'await') {
      expect(inFlight.length).toBeGreaterThan(0);
      const [call] = inFlight.splice(choices.next() % inFlight.length, 1);
      input = answerOutside(call as Extract<Effect, { type: 'transcribe' }>, state, choices);
      if (input.type === 'transcribe_failed' && input.retryable) lastFailed = input.index;
    } else if (isStoreEffect(effect)) {
      expect(state.inFlight).toEqual(effect);
      if (choices.next() >= 95) {
        input = { type: 'refused', kind: 'stale_epoch' };
      } else {
        const outcome = applyToStore(store, effect, nowMs);
        // Alone with the job, the machine never issues a write the store refuses.
        expect(outcome).toMatchObject({ kind: 'ok', duplicate: false });
        if (outcome.kind === 'ok') store = outcome.job;
        expect(jobInvariantProblems(store)).toEqual([]);
        if (effect.type === 'commit') {
          trace.commits.set(effect.index, (trace.commits.get(effect.index) ?? 0) + 1);
          trace.committedOrder.push(effect.index);
        }
        input = { type: 'stored', nowMs };
      }
    } else {
      expect(state.inFlight).toBeNull();
      input = answerOutside(effect, state, choices);
      if (input.type === 'chunks_checked')
        trace.checked = new Map(input.results.map((result) => [result.index, result.status]));
    }
    trace.inputs.push(input);
    const next = transition(state, input);
    state = next.state;
    expect(state.transcribing.length).toBeLessThanOrEqual(scenario.chunkConcurrency);
    if (input.type !== 'refused')
      expect([...state.transcribing].sort()).toEqual(inFlight.map((call) => call.index).sort());
    const following = next.effect;
    if (input.type === 'stored') {
      // The local snapshot is the store's job, but for the request id of the last write.
      expect({ ...state.job, lastRequestId: null }).toEqual({ ...store, lastRequestId: null });
    }
    if (input.type === 'transcribe_failed' && !input.retryable) {
      expect(following).toEqual({
        type: 'fail',
        reason: 'transcription_rejected',
        message: input.message,
        chunkIndex: input.index,
        retryable: false,
      });
    }
    if (input.type === 'transcribe_failed' && input.retryable) {
      const failures = (retryableFailures.get(input.index) ?? 0) + 1;
      retryableFailures.set(input.index, failures);
      if (failures < scenario.transcriptionAttemptsMax) expect(following).toEqual({ type: 'wait', attempt: failures });
      else
        expect(following).toMatchObject({
          type: 'fail',
          reason: 'transcription_failed',
          chunkIndex: input.index,
          retryable: true,
        });
    }
    if (input.type === 'waited' && trace.effects.at(-2)?.type === 'await' && scenario.chunkConcurrency === 1)
      expect(following).toMatchObject({ type: 'transcribe', index: lastFailed });
    if (input.type === 'media_retry') {
      expect(['wait', 'fail']).toContain(following.type);
      if (following.type === 'fail') expect(following.reason).toBe('media_invalid');
    }
    if (input.type === 'media_failed')
      expect(following).toEqual({ type: 'fail', reason: input.reason, message: input.message });
    if (input.type === 'refused') expect(following).toEqual({ type: 'stop', outcome: 'lost' });
    effect = following;
  }
  trace.effects.push(effect);
  return { trace, store, state, recovering, initial: claimed.job };
}

describe('the worker machine (transition.ts) under random effect results', () => {
  test.prop([scenarioArbitrary], { numRuns: 400 })(
    'never transcribes a committed chunk, commits each chunk at most once, and always stops within the step bound',
    (scenario) => {
      const { trace, store, initial } = interpret(scenario);
      const last = trace.effects.at(-1);
      expect(last?.type).toBe('stop');
      if (last?.type !== 'stop') return;
      for (const count of trace.commits.values()) expect(count).toBe(1);
      for (const [index, chunk] of initial.chunks.entries()) {
        if (chunk.transcript !== null) expect(trace.commits.has(index)).toBe(false);
      }
      const stops = trace.effects.filter((effect) => effect.type === 'stop');
      expect(stops).toHaveLength(1);
      // The outcome agrees with the store, and a terminal job is cleaned up after its last file was written (P8).
      if (last.outcome === 'completed') expect(store.phase).toBe('completed');
      if (last.outcome === 'failed') expect(store.phase).toBe('failed');
      const lastCleanup = trace.effects.map((effect) => effect.type).lastIndexOf('cleanup');
      const lastExtract = trace.effects.map((effect) => effect.type).lastIndexOf('extract');
      if (last.outcome !== 'lost') expect(lastCleanup).toBeGreaterThan(lastExtract);
      if (last.outcome === 'completed') expect(trace.effects.at(-2)?.type).toBe('complete');
      if (last.outcome === 'failed')
        expect(trace.effects.slice(-3).map((effect) => effect.type)).toEqual(['fail', 'cleanup', 'stop']);
      if (last.outcome === 'lost') expect(trace.inputs.some((input) => input.type === 'refused')).toBe(true);
      if (last.outcome === 'completed')
        expect(store.transcript).toBe(store.chunks.map((chunk) => chunk.transcript).join(' '));
      if (isTerminal(store.phase)) expect(last.outcome).not.toBe('lost');
    },
  );

  test.prop([scenarioArbitrary.map((scenario) => ({ ...scenario, setup: 'recover-transcribing' as const }))], {
    numRuns: 300,
  })(
    'recovering while transcribing: checks the pending chunks first, re-extracts exactly the bad ones, then marks resumed once before the first transcription',
    (scenario) => {
      const { trace, initial } = interpret(scenario);
      const pending = initial.chunks.filter((chunk) => chunk.transcript === null).map((chunk) => chunk.index);
      expect(trace.effects[0]).toEqual({ type: 'check_chunks', indices: pending });
      const checked = trace.checked;
      if (checked === null) return; // the check itself was refused
      const resumedAt = trace.effects.findIndex((effect) => effect.type === 'mark_resumed');
      const firstTranscribe = trace.effects.findIndex((effect) => effect.type === 'transcribe');
      expect(trace.effects.filter((effect) => effect.type === 'mark_resumed').length).toBeLessThanOrEqual(1);
      if (firstTranscribe >= 0) expect(resumedAt).toBeGreaterThanOrEqual(0);
      if (firstTranscribe >= 0) expect(resumedAt).toBeLessThan(firstTranscribe);
      if (resumedAt < 0) return;
      const before = trace.effects.slice(1, resumedAt);
      const extracted = before.flatMap((effect) => (effect.type === 'extract' ? [effect.index] : []));
      const distinct = extracted.filter((index, position) => extracted[position - 1] !== index);
      const bad = pending.filter((index) => checked.get(index) !== 'ok');
      expect(distinct).toEqual(bad);
      expect(
        before
          .filter((effect) => effect.type === 'extract')
          .every((effect) => effect.type === 'extract' && effect.purpose === 'recreate'),
      ).toBe(true);
      expect(
        before.flatMap((effect) => (effect.type === 'record_recreated' ? [[effect.index, effect.reason]] : [])),
      ).toEqual(bad.map((index) => [index, checked.get(index)]));
      expect(before.every((effect) => ['extract', 'record_recreated', 'wait'].includes(effect.type))).toBe(true);
    },
  );

  test.prop([scenarioArbitrary.map((scenario) => ({ ...scenario, choices: [] }))], { numRuns: 60 })(
    'with every effect succeeding, completes the job: fresh and recovered alike',
    (scenario) => {
      const { trace, store } = interpret(scenario);
      expect(trace.effects.at(-1)).toEqual({ type: 'stop', outcome: 'completed' });
      expect(store.phase).toBe('completed');
      expect(trace.effects.filter((effect) => effect.type === 'mark_resumed')).toHaveLength(
        scenario.setup === 'fresh' || scenario.setup === 'recover-finalizing' ? 0 : 1,
      );
    },
  );

  it('reaches every outcome and failure reason (the interpreter is strong enough to mean something)', () => {
    const seen = new Set<string>();
    for (const scenario of fc.sample(scenarioArbitrary, { numRuns: 300, seed: 20_240_602 })) {
      const { trace, store } = interpret(scenario);
      const last = trace.effects.at(-1);
      if (last?.type === 'stop') seen.add(`stop:${last.outcome}`);
      if (store.failure !== null) seen.add(`failure:${store.failure.reason}`);
      for (const effect of trace.effects) seen.add(`effect:${effect.type}`);
      if (trace.effects.some((effect) => effect.type === 'record_recreated') && store.phase === 'completed')
        seen.add('recreated then completed');
      if (trace.inFlightMax >= 3) seen.add('three in flight');
      if (trace.committedOrder.some((index, position) => index < (trace.committedOrder[position - 1] ?? -1)))
        seen.add('committed out of order');
      if (store.phase === 'completed' && trace.inFlightMax >= 2) seen.add('completed with transcriptions side by side');
    }
    for (const outcome of ['completed', 'failed', 'lost']) expect(seen).toContain(`stop:${outcome}`);
    for (const reason of [
      'transcription_rejected',
      'transcription_failed',
      'media_invalid',
      'source_missing',
      'state_corrupt',
    ])
      expect(seen).toContain(`failure:${reason}`);
    for (const type of [
      'probe',
      'extract',
      'check_chunks',
      'transcribe',
      'await',
      'wait',
      'cleanup',
      'record_plan',
      'record_recreated',
      'mark_resumed',
      'commit',
      'complete',
      'fail',
    ]) {
      expect(seen).toContain(`effect:${type}`);
    }
    expect(seen).toContain('recreated then completed');
    for (const concurrent of [
      'three in flight',
      'committed out of order',
      'completed with transcriptions side by side',
    ])
      expect(seen).toContain(concurrent);
  });
});
