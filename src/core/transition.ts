/**
 * The worker's decision machine for one owned job: a pure `transition(state, input) → { state,
 * effects }`. Effects are plain data; the runtime performs them one at a time and feeds each
 * result back as an input. Persisted job state plus this machine's small local state is all a
 * worker knows, so a crash between any two steps loses nothing a recovery cannot rebuild.
 */
import { produce, type Draft } from './immer.js';
import { assert, unreachable } from './assert.js';
import { defaultLimits, type Limits } from './limits.js';
import * as operations from './operations.js';
import { planChunks, planRecovery, type ChunkFileStatus } from './planner.js';
import { isTerminal, validateDurationMs, type ExtractedChunk, type FailureReason, type Job } from './types.js';

/** Something the runtime must do. Store effects carry what the request needs beyond the fencing fields. */
export type Effect =
  | { readonly type: 'probe' }
  | { readonly type: 'extract'; readonly index: number; readonly purpose: 'plan' | 'recreate' }
  | { readonly type: 'check_chunks'; readonly indices: readonly number[] }
  | { readonly type: 'transcribe'; readonly index: number; readonly prompt: string | null }
  /** Back off before retrying; at least `delayMsMin` when the API asked for a wait (Retry-After). */
  | { readonly type: 'wait'; readonly attempt: number; readonly delayMsMin?: number }
  | { readonly type: 'cleanup' }
  | { readonly type: 'record_plan'; readonly durationMs: number; readonly chunks: readonly ExtractedChunk[] }
  | {
      readonly type: 'record_recreated';
      readonly index: number;
      readonly reason: 'missing' | 'corrupt';
      readonly bytes: number;
      readonly sha256: string;
    }
  | { readonly type: 'mark_resumed' }
  | { readonly type: 'commit'; readonly index: number; readonly transcript: string }
  | { readonly type: 'complete' }
  | {
      readonly type: 'fail';
      readonly reason: FailureReason;
      readonly message: string;
      readonly chunkIndex?: number;
      readonly retryable?: boolean;
    }
  | { readonly type: 'stop'; readonly outcome: StopOutcome };

/** Effects that write to the store (fenced writes). */
export type StoreEffect = Extract<
  Effect,
  { type: 'record_plan' | 'record_recreated' | 'mark_resumed' | 'commit' | 'complete' | 'fail' }
>;

/** Why the machine stopped working on a job. */
export type StopOutcome = 'completed' | 'failed' | 'lost';

/** The result of an effect, fed back to the machine. */
export type Input =
  | { readonly type: 'probed'; readonly durationMs: number }
  | { readonly type: 'extracted'; readonly index: number; readonly bytes: number; readonly sha256: string }
  | { readonly type: 'media_failed'; readonly reason: 'source_missing' | 'media_invalid'; readonly message: string }
  /** A probe or extraction failed in a way that may pass (timeout, disk full): retried after a wait. */
  | { readonly type: 'media_retry'; readonly message: string }
  | {
      readonly type: 'chunks_checked';
      readonly results: readonly { readonly index: number; readonly status: ChunkFileStatus }[];
    }
  | { readonly type: 'chunk_unreadable'; readonly index: number; readonly status: 'missing' | 'corrupt' }
  | { readonly type: 'transcribed'; readonly index: number; readonly text: string }
  /**
   * `atMs`: when it failed (the worker's clock), for the outage window; without it the window is
   * taken as passed. `retryAfterMs`: the wait the API asked for, if any.
   */
  | {
      readonly type: 'transcribe_failed';
      readonly index: number;
      readonly retryable: boolean;
      readonly message: string;
      readonly atMs?: number;
      readonly retryAfterMs?: number;
    }
  | { readonly type: 'waited' }
  | { readonly type: 'cleaned' }
  /** The last store effect was applied (or was a duplicate of an applied write). */
  | { readonly type: 'stored'; readonly nowMs: number }
  /** The last store effect was refused: the job is no longer ours to touch. */
  | { readonly type: 'refused'; readonly kind: string };

/** The machine's state: the job as this owner last knew it, plus what it learnt since. */
export interface MachineState {
  readonly job: Job;
  readonly workerId: string;
  /** True when this ownership began with a recovery claim. */
  readonly recovering: boolean;
  readonly transcriptionAttemptsMax: number;
  readonly transcriptionOutageMs: number;
  readonly retryAfterMsMax: number;
  readonly mediaAttemptsMax: number;
  /** Consecutive retryable media failures. */
  readonly mediaAttempts: number;
  /** Times each chunk was found unreadable at transcription in this ownership (bounded by mediaAttemptsMax). */
  readonly recreations: Readonly<Record<number, number>>;
  readonly durationMs: number | null;
  readonly extracted: readonly ExtractedChunk[];
  /** Pending chunks whose files a recovery checked (null until checked). */
  readonly checked: boolean;
  readonly reextract: readonly { readonly index: number; readonly reason: 'missing' | 'corrupt' }[];
  readonly recreated: {
    readonly index: number;
    readonly reason: 'missing' | 'corrupt';
    readonly bytes: number;
    readonly sha256: string;
  } | null;
  readonly transcript: { readonly index: number; readonly text: string } | null;
  readonly attempts: Readonly<Record<number, number>>;
  /** When each chunk's retryable failures began (ms, the worker's clock), in this ownership. */
  readonly failingSinceMs: Readonly<Record<number, number>>;
  readonly waiting: number | null;
  /** Least wait before the next attempt, when the API asked for one (0 otherwise). */
  readonly waitMsMin: number;
  readonly failure: Extract<Effect, { type: 'fail' }> | null;
  readonly cleaned: boolean;
  readonly stopped: StopOutcome | null;
  /** The store effect awaiting its result. */
  readonly inFlight: StoreEffect | null;
}

/** The machine's start: the job snapshot a claim returned. */
export function initialState(
  job: Job,
  workerId: string,
  recovering: boolean,
  limits: Pick<Limits, 'transcriptionAttemptsMax' | 'mediaAttemptsMax'> &
    Partial<Pick<Limits, 'transcriptionOutageMs' | 'retryAfterMsMax'>>,
): MachineState {
  return {
    job,
    workerId,
    recovering,
    transcriptionAttemptsMax: limits.transcriptionAttemptsMax,
    transcriptionOutageMs: limits.transcriptionOutageMs ?? defaultLimits.transcriptionOutageMs,
    retryAfterMsMax: limits.retryAfterMsMax ?? defaultLimits.retryAfterMsMax,
    mediaAttemptsMax: limits.mediaAttemptsMax,
    mediaAttempts: 0,
    recreations: {},
    durationMs: job.durationMs,
    extracted: [],
    checked: false,
    reextract: [],
    recreated: null,
    transcript: null,
    attempts: {},
    failingSinceMs: {},
    waiting: null,
    waitMsMin: 0,
    failure: null,
    cleaned: false,
    stopped: null,
    inFlight: null,
  };
}

/** One step: apply the input, then decide the next effect. */
export function transition(state: MachineState, input: Input): { state: MachineState; effects: Effect[] } {
  const next = produce(state, (draft) => apply(draft, input));
  return { state: next, effects: [decide(next)] };
}

/** The first effect for a freshly claimed job. */
export function start(state: MachineState): { state: MachineState; effects: Effect[] } {
  return { state, effects: [decide(state)] };
}

function apply(draft: Draft<MachineState>, input: Input): void {
  switch (input.type) {
    case 'probed':
      draft.mediaAttempts = 0;
      try {
        draft.durationMs = validateDurationMs(input.durationMs);
        planChunks(input.durationMs, draft.job.chunkLengthMs);
      } catch (error) {
        draft.failure = { type: 'fail', reason: 'media_invalid', message: (error as Error).message };
      }
      return;
    case 'extracted':
      draft.mediaAttempts = 0;
      if (draft.job.phase === 'chunking') {
        assert(input.index === draft.extracted.length, `extracted chunk ${input.index} out of order`);
        const spec = planChunks(draft.durationMs ?? 0, draft.job.chunkLengthMs)[input.index];
        assert(spec !== undefined, `extracted chunk ${input.index} is not in the plan`);
        draft.extracted.push({ ...spec, bytes: input.bytes, sha256: input.sha256 });
      } else {
        const wanted = draft.reextract[0];
        assert(
          wanted !== undefined && wanted.index === input.index,
          `re-extracted chunk ${input.index} was not asked for`,
        );
        draft.reextract.shift();
        draft.recreated = { index: input.index, reason: wanted.reason, bytes: input.bytes, sha256: input.sha256 };
      }
      return;
    case 'media_failed':
      draft.failure = { type: 'fail', reason: input.reason, message: input.message };
      return;
    case 'media_retry':
      draft.mediaAttempts += 1;
      if (draft.mediaAttempts >= draft.mediaAttemptsMax) {
        draft.failure = {
          type: 'fail',
          reason: 'media_invalid',
          message: `media failed ${draft.mediaAttempts} times, last: ${input.message}`,
        };
      } else {
        draft.waiting = draft.mediaAttempts;
      }
      return;
    case 'chunks_checked':
      draft.checked = true;
      applyRecoveryPlan(draft, new Map(input.results.map((result) => [result.index, result.status])));
      return;
    case 'chunk_unreadable': {
      const recreations = (draft.recreations[input.index] ?? 0) + 1;
      draft.recreations[input.index] = recreations;
      if (recreations > draft.mediaAttemptsMax) {
        draft.failure = {
          type: 'fail',
          reason: 'media_invalid',
          message: `chunk ${input.index} is ${input.status} again after ${recreations - 1} re-extractions`,
        };
      } else if (!draft.reextract.some((entry) => entry.index === input.index)) {
        draft.reextract.push({ index: input.index, reason: input.status });
      }
      return;
    }
    case 'transcribed':
      draft.transcript = { index: input.index, text: input.text };
      return;
    case 'transcribe_failed':
      applyTranscribeFailure(draft, input);
      return;
    case 'waited':
      draft.waiting = null;
      draft.waitMsMin = 0;
      return;
    case 'cleaned':
      draft.cleaned = true;
      return;
    case 'stored':
      applyStored(draft, input.nowMs);
      return;
    case 'refused':
      draft.inFlight = null;
      draft.stopped = 'lost';
      return;
    default:
      unreachable(input, 'input');
  }
}

function applyRecoveryPlan(draft: Draft<MachineState>, checks: ReadonlyMap<number, ChunkFileStatus>): void {
  const plan = planRecovery(draft.job as Job, checks);
  if (plan.kind === 'fail') draft.failure = { type: 'fail', reason: plan.reason, message: plan.message };
  if (plan.kind === 'resume') draft.reextract = [...plan.reextract];
}

function applyTranscribeFailure(
  draft: Draft<MachineState>,
  input: Extract<Input, { type: 'transcribe_failed' }>,
): void {
  const attempts = (draft.attempts[input.index] ?? 0) + 1;
  draft.attempts[input.index] = attempts;
  if (!input.retryable) {
    draft.failure = {
      type: 'fail',
      reason: 'transcription_rejected',
      message: input.message,
      chunkIndex: input.index,
      retryable: false,
    };
    return;
  }
  const sinceMs = draft.failingSinceMs[input.index] ?? input.atMs;
  if (sinceMs !== undefined) draft.failingSinceMs[input.index] = sinceMs;
  // Without a time, the outage window counts as passed (the attempts alone decide).
  const outageOver =
    input.atMs === undefined || sinceMs === undefined || input.atMs - sinceMs >= draft.transcriptionOutageMs;
  if (attempts >= draft.transcriptionAttemptsMax && outageOver) {
    const lasted = input.atMs === undefined || sinceMs === undefined ? '' : ` over ${input.atMs - sinceMs} ms`;
    draft.failure = {
      type: 'fail',
      reason: 'transcription_failed',
      chunkIndex: input.index,
      retryable: true,
      message: `chunk ${input.index} failed ${attempts} times${lasted}, last: ${input.message}`,
    };
    return;
  }
  draft.waiting = attempts;
  draft.waitMsMin = Math.min(Math.max(0, input.retryAfterMs ?? 0), draft.retryAfterMsMax);
}

/** Applies the acknowledged store write to the local snapshot with the same pure operation the store ran. */
function applyStored(draft: Draft<MachineState>, nowMs: number): void {
  const effect = draft.inFlight;
  assert(effect !== null, 'a store result arrived with no store effect in flight');
  draft.inFlight = null;
  const job = draft.job as Job;
  const fencing = { jobId: job.id, workerId: draft.workerId, epoch: job.epoch, requestId: `local#${job.nextSeq}` };
  const outcome = applyStoreEffect(job, effect, fencing, nowMs);
  if (outcome.kind !== 'ok') {
    // The store applied a write our snapshot cannot: the snapshot is behind. Stop; a fresh claim reloads.
    draft.stopped = 'lost';
    return;
  }
  draft.job = outcome.job as Draft<Job>;
  if (effect.type === 'record_plan') draft.extracted = [];
  if (effect.type === 'record_recreated') draft.recreated = null;
  if (effect.type === 'commit') draft.transcript = null;
  if (effect.type === 'fail') draft.failure = null;
}

/** Applies a store effect to a job with the pure operation the store runs for it. */
export function applyStoreEffect(
  job: Job,
  effect: StoreEffect,
  fencing: operations.Fenced,
  nowMs: number,
): operations.Outcome {
  switch (effect.type) {
    case 'record_plan':
      return operations.recordPlan(job, { ...fencing, durationMs: effect.durationMs, chunks: effect.chunks }, nowMs);
    case 'record_recreated':
      return operations.recordRecreated(
        job,
        { ...fencing, index: effect.index, reason: effect.reason, bytes: effect.bytes, sha256: effect.sha256 },
        nowMs,
      );
    case 'mark_resumed':
      return operations.markResumed(job, fencing, nowMs);
    case 'commit':
      return operations.commit(job, { ...fencing, index: effect.index, transcript: effect.transcript }, nowMs);
    case 'complete':
      return operations.complete(job, fencing, nowMs);
    case 'fail':
      return operations.fail(
        job,
        {
          ...fencing,
          reason: effect.reason,
          message: effect.message,
          chunkIndex: effect.chunkIndex,
          retryable: effect.retryable,
        },
        nowMs,
      );
    default:
      return unreachable(effect, 'store effect');
  }
}

/** The next effect, from the state alone. Store effects are remembered as in flight. */
export function decide(state: MachineState): Effect {
  const effect = nextEffect(state);
  return effect;
}

/** Marks a store effect as in flight (the runtime calls this before performing it). */
export function sent(state: MachineState, effect: Effect): MachineState {
  if (!isStoreEffect(effect)) return state;
  return produce(state, (draft) => {
    draft.inFlight = effect as Draft<StoreEffect>;
  });
}

/** True for effects that write to the store. */
export function isStoreEffect(effect: Effect): effect is StoreEffect {
  return ['record_plan', 'record_recreated', 'mark_resumed', 'commit', 'complete', 'fail'].includes(effect.type);
}

function nextEffect(state: MachineState): Effect {
  const { job } = state;
  if (state.stopped !== null) return { type: 'stop', outcome: state.stopped };
  if (isTerminal(job.phase)) {
    if (!state.cleaned) return { type: 'cleanup' };
    return { type: 'stop', outcome: job.phase === 'completed' ? 'completed' : 'failed' };
  }
  if (state.failure !== null) return state.failure;
  if (state.waiting !== null && state.transcript === null) {
    return state.waitMsMin > 0
      ? { type: 'wait', attempt: state.waiting, delayMsMin: state.waitMsMin }
      : { type: 'wait', attempt: state.waiting };
  }
  switch (job.phase) {
    case 'queued':
      return { type: 'stop', outcome: 'lost' };
    case 'chunking':
      return chunkingEffect(state);
    case 'transcribing':
      return transcribingEffect(state);
    case 'finalizing':
      return state.cleaned ? { type: 'complete' } : { type: 'cleanup' };
    default:
      return unreachable(job.phase as never, 'phase');
  }
}

function chunkingEffect(state: MachineState): Effect {
  if (state.durationMs === null) return { type: 'probe' };
  const plan = planChunks(state.durationMs, state.job.chunkLengthMs);
  if (state.extracted.length < plan.length) return { type: 'extract', index: state.extracted.length, purpose: 'plan' };
  return { type: 'record_plan', durationMs: state.durationMs, chunks: state.extracted };
}

function transcribingEffect(state: MachineState): Effect {
  const { job } = state;
  if (state.recovering && !state.checked) {
    return {
      type: 'check_chunks',
      indices: job.chunks.filter((chunk) => chunk.transcript === null).map((chunk) => chunk.index),
    };
  }
  if (state.recreated !== null) return { type: 'record_recreated', ...state.recreated };
  const reextract = state.reextract[0];
  if (reextract !== undefined) return { type: 'extract', index: reextract.index, purpose: 'recreate' };
  if (job.recovery.open && !job.recovery.resumed) return { type: 'mark_resumed' };
  if (state.transcript !== null)
    return { type: 'commit', index: state.transcript.index, transcript: state.transcript.text };
  const next = job.chunks.find((chunk) => chunk.transcript === null);
  assert(next !== undefined, 'transcribing with no pending chunk');
  // The chunk before (none for the first) gives its transcript as the prompt.
  const previous = job.chunks[next.index - 1];
  return { type: 'transcribe', index: next.index, prompt: previous?.transcript ?? null };
}
