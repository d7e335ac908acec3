/**
 * The worker's decision machine for one owned job, with two entry points: `initialTransition(job,
 * ...)` and `transition(state, input)`, each returning the next state and the one next effect.
 * Effects are plain data; the runtime performs them one at a time and feeds each result back as an
 * input. A store effect the machine returns is in flight until its result comes back. The store
 * effects and the writes they send are the table in store-operations.ts. Persisted job state plus
 * this machine's small local state is all a worker knows, so a crash between any two steps loses
 * nothing a recovery cannot rebuild. Updates are plain copies (the state is small): no draft, no
 * freezing, on the path the simulator steps millions of times.
 */
import { assert, unreachable } from './assert.js';
import { defaultLimits, type Limits } from './limits.js';
import { isStoreWriteType, replayStoreWrite, type StoreWriteType } from './store-operations.js';
import { chunkCount, plannedChunk, planRecovery, type ChunkFileStatus } from './planner.js';
import { isTerminal, validateDurationMs, type ExtractedChunk, type FailureReason, type Job } from './types.js';

/** Something the runtime must do. Store effects carry what the request needs beyond the fencing fields. */
export type Effect =
  | { readonly type: 'probe' }
  | { readonly type: 'extract'; readonly index: number; readonly purpose: 'plan' | 'recreate' }
  | { readonly type: 'check_chunks'; readonly indices: readonly number[] }
  /**
   * Start transcribing a chunk. The call runs beside what follows: the runtime feeds `started` at once, and the
   * call's result (`transcribed`, `transcribe_failed`, `chunk_unreadable`, `refused`) when the machine asks for it
   * with `await`. At most `chunkConcurrency` calls are in flight; a transcript that comes back is committed before
   * anything else is decided, so at most one waits for its commit.
   */
  | { readonly type: 'transcribe'; readonly index: number; readonly prompt: string | null }
  /** Nothing to do until a transcription in flight returns: feed the result of the first one that did. */
  | { readonly type: 'await' }
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
export type StoreEffect = Extract<Effect, { type: StoreWriteType }>;

/** Why the machine stopped working on a job. */
export type StopOutcome = 'completed' | 'failed' | 'lost';

/** The result of an effect, fed back to the machine. */
export type Input =
  | { readonly type: 'probed'; readonly durationMs: number }
  /** The transcription the machine asked for is on its way (its result comes later, when awaited). */
  | { readonly type: 'started'; readonly index: number }
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
  /** Chunks whose transcription is in flight (started, result not fed yet), in start order. */
  readonly transcribing: readonly number[];
  /** A transcript received and not yet committed (committed before anything else is decided). */
  readonly transcript: { readonly index: number; readonly text: string } | null;
  /** Most transcriptions of this job in flight at once. */
  readonly chunkConcurrency: number;
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

/** What each entry point returns: the next state, and the one effect the runtime performs next. */
export interface Step {
  readonly state: MachineState;
  /** A store effect returned here is in flight in `state`: its result is the next input. */
  readonly effect: Effect;
}

/** The limits the machine reads. */
export type MachineLimits = Pick<Limits, 'transcriptionAttemptsMax' | 'mediaAttemptsMax'> &
  Partial<Pick<Limits, 'transcriptionOutageMs' | 'retryAfterMsMax' | 'chunkConcurrency'>>;

/** The first step for the job snapshot a claim returned (`recovering` when the claim began a recovery). */
export function initialTransition(job: Job, workerId: string, recovering: boolean, limits: MachineLimits): Step {
  return settle({
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
    transcribing: [],
    transcript: null,
    chunkConcurrency: limits.chunkConcurrency ?? defaultLimits.chunkConcurrency,
    attempts: {},
    failingSinceMs: {},
    waiting: null,
    waitMsMin: 0,
    failure: null,
    cleaned: false,
    stopped: null,
    inFlight: null,
  });
}

/** One step: the result of the last effect applied, then the next effect decided. */
export function transition(state: MachineState, input: Input): Step {
  if (!Object.hasOwn(inputs, input.type)) return unreachable(input as never, 'input');
  const apply = inputs[input.type] as (state: MachineState, input: Input) => MachineState;
  return settle(apply(state, input));
}

/**
 * `{ ...state, ...changes }`, with the state's fields named one by one: on Node 20, V8 copies this 25-field object
 * through a spread about ten times slower than through a literal that names each field, and the machine copies its
 * state a few times per transition. The type makes a field missing here a compile error.
 */
function update(state: MachineState, changes: Partial<MachineState>): MachineState {
  const copy: { -readonly [K in keyof MachineState]: MachineState[K] } = {
    job: state.job,
    workerId: state.workerId,
    recovering: state.recovering,
    transcriptionAttemptsMax: state.transcriptionAttemptsMax,
    transcriptionOutageMs: state.transcriptionOutageMs,
    retryAfterMsMax: state.retryAfterMsMax,
    mediaAttemptsMax: state.mediaAttemptsMax,
    mediaAttempts: state.mediaAttempts,
    recreations: state.recreations,
    durationMs: state.durationMs,
    extracted: state.extracted,
    checked: state.checked,
    reextract: state.reextract,
    recreated: state.recreated,
    transcribing: state.transcribing,
    transcript: state.transcript,
    chunkConcurrency: state.chunkConcurrency,
    attempts: state.attempts,
    failingSinceMs: state.failingSinceMs,
    waiting: state.waiting,
    waitMsMin: state.waitMsMin,
    failure: state.failure,
    cleaned: state.cleaned,
    stopped: state.stopped,
    inFlight: state.inFlight,
  };
  for (const key in changes) (copy as Record<string, unknown>)[key] = (changes as Record<string, unknown>)[key];
  return copy;
}

/** Decides the next effect from the state alone; a store effect is remembered as in flight. */
function settle(state: MachineState): Step {
  const effect = nextEffect(state);
  return { state: isStoreWriteType(effect.type) ? update(state, { inFlight: effect as StoreEffect }) : state, effect };
}

type Apply<T extends Input['type']> = (
  state: MachineState,
  input: Extract<Input, { readonly type: T }>,
) => MachineState;

/** How each input changes the state. */
const inputs: { readonly [T in Input['type']]: Apply<T> } = {
  probed: (state, input) => {
    let next: MachineState = update(state, { mediaAttempts: 0 });
    try {
      next = update(next, { durationMs: validateDurationMs(input.durationMs) });
      chunkCount(input.durationMs, state.job.chunkLengthMs);
      return next;
    } catch (error) {
      return update(next, { failure: { type: 'fail', reason: 'media_invalid', message: (error as Error).message } });
    }
  },
  extracted: (state, input) => (state.job.phase === 'chunking' ? planned(state, input) : recreated(state, input)),
  media_failed: (state, input) =>
    update(state, { failure: { type: 'fail', reason: input.reason, message: input.message } }),
  media_retry: (state, input) => {
    const mediaAttempts = state.mediaAttempts + 1;
    if (mediaAttempts < state.mediaAttemptsMax) return update(state, { mediaAttempts, waiting: mediaAttempts });
    const message = `media failed ${mediaAttempts} times, last: ${input.message}`;
    return update(state, { mediaAttempts, failure: { type: 'fail', reason: 'media_invalid', message } });
  },
  chunks_checked: (state, input) => {
    const plan = planRecovery(state.job, new Map(input.results.map((result) => [result.index, result.status])));
    if (plan.kind === 'fail')
      return update(state, { checked: true, failure: { type: 'fail', reason: plan.reason, message: plan.message } });
    return update(state, { checked: true, ...(plan.kind === 'resume' ? { reextract: [...plan.reextract] } : {}) });
  },
  started: (state, input) => {
    const wanted = nextEffect(state);
    assert(wanted.type === 'transcribe' && wanted.index === input.index, `chunk ${input.index} started unasked`);
    return update(state, { transcribing: [...state.transcribing, input.index] });
  },
  chunk_unreadable: (state, input) => {
    const times = (state.recreations[input.index] ?? 0) + 1;
    const next = update(landed(state, input.index), { recreations: { ...state.recreations, [input.index]: times } });
    if (times > state.mediaAttemptsMax) {
      const message = `chunk ${input.index} is ${input.status} again after ${times - 1} re-extractions`;
      return update(next, { failure: { type: 'fail', reason: 'media_invalid', message } });
    }
    return update(next, { reextract: [...state.reextract, { index: input.index, reason: input.status }] });
  },
  transcribed: (state, input) => {
    assert(
      state.transcript === null,
      `chunk ${input.index} returned before chunk ${state.transcript?.index} was committed`,
    );
    return update(landed(state, input.index), { transcript: { index: input.index, text: input.text } });
  },
  transcribe_failed: transcribeFailed,
  waited: (state) => update(state, { waiting: null, waitMsMin: 0 }),
  cleaned: (state) => update(state, { cleaned: true }),
  stored,
  refused: (state) => update(state, { inFlight: null, stopped: 'lost' }),
};

/** The transcription of chunk `index` returned: it is no longer in flight. */
function landed(state: MachineState, index: number): MachineState {
  assert(state.transcribing.includes(index), `a result for chunk ${index}, which has no transcription in flight`);
  return update(state, { transcribing: state.transcribing.filter((inFlight) => inFlight !== index) });
}

/** A chunk of the plan was extracted, in order. */
function planned(state: MachineState, input: Extract<Input, { type: 'extracted' }>): MachineState {
  assert(input.index === state.extracted.length, `extracted chunk ${input.index} out of order`);
  const spec = plannedChunk(state.durationMs ?? 0, state.job.chunkLengthMs, input.index);
  assert(spec !== undefined, `extracted chunk ${input.index} is not in the plan`);
  const chunk = {
    index: spec.index,
    startMs: spec.startMs,
    durationMs: spec.durationMs,
    bytes: input.bytes,
    sha256: input.sha256,
  };
  return update(state, { mediaAttempts: 0, extracted: [...state.extracted, chunk] });
}

/** A pending chunk's file was extracted again, as asked. */
function recreated(state: MachineState, input: Extract<Input, { type: 'extracted' }>): MachineState {
  const [wanted, ...rest] = state.reextract;
  assert(wanted !== undefined && wanted.index === input.index, `re-extracted chunk ${input.index} was not asked for`);
  const file = { index: input.index, reason: wanted.reason, bytes: input.bytes, sha256: input.sha256 };
  return update(state, { mediaAttempts: 0, reextract: rest, recreated: file });
}

function transcribeFailed(state: MachineState, input: Extract<Input, { type: 'transcribe_failed' }>): MachineState {
  const attempts = (state.attempts[input.index] ?? 0) + 1;
  const next = update(landed(state, input.index), { attempts: { ...state.attempts, [input.index]: attempts } });
  if (!input.retryable) {
    const failure = { reason: 'transcription_rejected', message: input.message, chunkIndex: input.index } as const;
    return update(next, { failure: { type: 'fail', ...failure, retryable: false } });
  }
  const sinceMs = state.failingSinceMs[input.index] ?? input.atMs;
  const failing =
    sinceMs === undefined
      ? next
      : update(next, { failingSinceMs: { ...state.failingSinceMs, [input.index]: sinceMs } });
  // Without a time, the outage window counts as passed (the attempts alone decide).
  const lastedMs = input.atMs === undefined || sinceMs === undefined ? undefined : input.atMs - sinceMs;
  if (
    attempts >= state.transcriptionAttemptsMax &&
    (lastedMs === undefined || lastedMs >= state.transcriptionOutageMs)
  ) {
    const lasted = lastedMs === undefined ? '' : ` over ${lastedMs} ms`;
    const message = `chunk ${input.index} failed ${attempts} times${lasted}, last: ${input.message}`;
    return update(failing, {
      failure: { type: 'fail', reason: 'transcription_failed', chunkIndex: input.index, retryable: true, message },
    });
  }
  const waitMsMin = Math.min(Math.max(0, input.retryAfterMs ?? 0), state.retryAfterMsMax);
  return update(failing, { waiting: attempts, waitMsMin });
}

/** Applies the acknowledged store write to the local snapshot with the same pure operation the store ran. */
function stored(state: MachineState, input: Extract<Input, { type: 'stored' }>): MachineState {
  const effect = state.inFlight;
  assert(effect !== null, 'a store result arrived with no store effect in flight');
  const { job } = state;
  const fencing = { jobId: job.id, workerId: state.workerId, epoch: job.epoch, requestId: `local#${job.nextSeq}` };
  const outcome = replayStoreWrite(job, effect, fencing, input.nowMs);
  // The store applied a write our snapshot cannot: the snapshot is behind. Stop; a fresh claim reloads.
  if (outcome.kind !== 'ok') return update(state, { inFlight: null, stopped: 'lost' });
  const next = update(state, { inFlight: null, job: outcome.job });
  switch (effect.type) {
    case 'record_plan':
      return update(next, { extracted: [] });
    case 'record_recreated':
      return update(next, { recreated: null });
    case 'commit':
      return update(next, { transcript: null });
    case 'fail':
      return update(next, { failure: null });
    default:
      return next;
  }
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
  if (state.extracted.length < chunkCount(state.durationMs, state.job.chunkLengthMs))
    return { type: 'extract', index: state.extracted.length, purpose: 'plan' };
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
  if (state.transcribing.length < state.chunkConcurrency) {
    const next = job.chunks.find((chunk) => chunk.transcript === null && !state.transcribing.includes(chunk.index));
    // The chunk before (none for the first) gives its committed transcript as the prompt.
    if (next !== undefined)
      return { type: 'transcribe', index: next.index, prompt: job.chunks[next.index - 1]?.transcript ?? null };
  }
  assert(state.transcribing.length > 0, 'transcribing with no pending chunk');
  return { type: 'await' };
}
