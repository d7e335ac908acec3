/**
 * A synchronous drive of the pure machine (src/core/transition.ts): one synthetic job of `chunks` chunks, from its
 * claim to its stop, every effect answered at once with success (probe, extract each chunk, transcribe and commit
 * each chunk, complete, clean up). No scheduler, no store, no promise: what the machine's own steps cost, the floor
 * under the simulator's cost per step. {@link driveMachine} is the only code in bench/ that calls the machine's
 * entry points; it takes either shape of them (`initialState`/`start`/`sent`/`transition` returning `effects`, or
 * `initialTransition`/`transition` returning one `effect`).
 */
import { defaultLimits } from '../../src/core/limits.js';
import { newJob } from '../../src/core/operations.js';
import * as machine from '../../src/core/transition.js';
import type { Effect, Input } from '../../src/core/transition.js';
import type { Job } from '../../src/core/types.js';

const chunkLengthMs = 10_000;
/** True for a machine whose transcribe effect starts a call (fed `started`, its result awaited). */
const startsCalls = (() => {
  const step = (machine as unknown as Record<string, unknown>)['initialTransition'];
  if (typeof step !== 'function') return false;
  try {
    const fresh = (step as (...args: unknown[]) => { state: Record<string, unknown> })(
      { ...newJob({ jobId: 'probe', source: '/media/p.mp3', chunkLengthMs }, 0), phase: 'chunking', epoch: 1 },
      'w0',
      false,
      defaultLimits,
    );
    return 'transcribing' in fresh.state;
  } catch {
    return false;
  }
})();

/** A job as a claim hands it to its first owner (its duration, hence its chunks, comes from the probe). */
function claimedJob(): Job {
  const created = newJob({ jobId: 'bench', source: '/media/bench.mp3', chunkLengthMs }, 0);
  return { ...created, phase: 'chunking', epoch: 1, owner: 'w0', leaseExpiresAtMs: Number.MAX_SAFE_INTEGER };
}

/**
 * The successful result of `effect`. A transcription is started (when the machine has a `started` input) and its
 * result fed when the machine awaits it; a machine without one takes the result at once.
 */
function answer(effect: Effect, chunks: number, nowMs: number, inFlight: number[]): Input {
  switch (effect.type) {
    case 'probe':
      return { type: 'probed', durationMs: chunks * chunkLengthMs };
    case 'extract':
      return { type: 'extracted', index: effect.index, bytes: 1_000, sha256: 'ab'.repeat(32) };
    case 'check_chunks':
      return { type: 'chunks_checked', results: effect.indices.map((index) => ({ index, status: 'ok' as const })) };
    case 'transcribe':
      if (!startsCalls) return { type: 'transcribed', index: effect.index, text: `text ${effect.index}` };
      inFlight.push(effect.index);
      return { type: 'started', index: effect.index } as Input;
    case 'await' as Effect['type']: {
      const index = inFlight.shift() ?? -1;
      return { type: 'transcribed', index, text: `text ${index}` };
    }
    case 'wait':
      return { type: 'waited' };
    case 'cleanup':
      return { type: 'cleaned' };
    default:
      return { type: 'stored', nowMs };
  }
}

/** Drives one job of `chunks` chunks through the machine to its stop; returns the transitions taken and the outcome. */
export function driveMachine(chunks: number): { transitions: number; outcome: string } {
  type State = machine.MachineState;
  type Step = { state: State; effect?: Effect; effects?: Effect[] };
  const entries = machine as unknown as Record<string, ((...args: never[]) => unknown) | undefined>;
  const job = claimedJob();
  const limits = defaultLimits;
  const first =
    (entries['initialTransition'] as ((...args: unknown[]) => Step) | undefined)?.(job, 'w0', false, limits) ??
    (entries['start'] as (state: State) => Step)(
      (entries['initialState'] as (...args: unknown[]) => State)(job, 'w0', false, limits),
    );
  const sent = entries['sent'] as ((state: State, effect: Effect) => State) | undefined;
  const transition = entries['transition'] as (state: State, input: Input) => Step;
  const effectOf = (step: Step): Effect => (step.effect ?? step.effects?.[0]) as Effect;
  let { state } = first;
  let effect = effectOf(first);
  let transitions = 1;
  const inFlight: number[] = [];
  for (let nowMs = 1; effect.type !== 'stop'; nowMs += 1) {
    if (sent !== undefined) state = sent(state, effect);
    const step = transition(state, answer(effect, chunks, nowMs, inFlight));
    ({ state } = step);
    effect = effectOf(step);
    transitions += 1;
  }
  return { transitions, outcome: effect.outcome };
}
