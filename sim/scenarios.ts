/**
 * The seed document's chaos suite as named scenarios: its 6 basic scenarios, 3 extended ones, 6 crash points, 5
 * recovery scenarios and 7 validation checks, and 2 of workers side by side (several chunks of one job in flight, a
 * process of two worker loops). Each runs in its own simulated world
 * and must keep every promise of the registry (sim/checkers/index.ts), not merely "some recovery
 * succeeded"; each also states what is particular to it (the crash really happened, which chunks
 * were re-extracted, who won). The vitest suite in test/chaos and `npm run sim -- --quick` run these
 * same definitions.
 */
import type { JobEvent } from '../src/core/events.js';
import {
  chaos,
  crashPoints,
  validationChecks,
  type ChaosScenario,
  type CrashPoint,
  type ScenarioResult,
  type ValidationCheck,
} from './framework.js';

/** The seed document's sections. */
export type ScenarioGroup = 'basic' | 'extended' | 'side by side' | 'crash point' | 'recovery' | 'validation';

/** A named scenario: how to build it, and what must hold beyond every promise. */
export interface SeedScenario {
  readonly group: ScenarioGroup;
  readonly name: string;
  build(): ChaosScenario;
  /** Facts particular to the scenario; each returned string is a failure. */
  expect(result: ScenarioResult): string[];
}

/** The outcome of running one named scenario. */
export interface ScenarioOutcome {
  readonly group: ScenarioGroup;
  readonly name: string;
  readonly passed: boolean;
  readonly failures: string[];
  readonly ms: number;
  readonly result: ScenarioResult;
}

/** Runs a named scenario: every promise, then its own expectations. */
export async function runScenario(scenario: SeedScenario): Promise<ScenarioOutcome> {
  const started = performance.now();
  const result = await scenario.build().run();
  const failures = [
    ...result.violations.map(
      (violation) =>
        `${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`,
    ),
    ...scenario.expect(result),
  ];
  return {
    group: scenario.group,
    name: scenario.name,
    passed: failures.length === 0,
    failures,
    ms: Math.round(performance.now() - started),
    result,
  };
}

const chunks = 6;
const sixChunkJob = (): ChaosScenario => {
  const scenario = chaos();
  scenario.job({ durationMs: 60_000 });
  return scenario;
};

function named<N extends JobEvent['event']>(events: readonly JobEvent[], name: N): Extract<JobEvent, { event: N }>[] {
  return events.filter((event): event is Extract<JobEvent, { event: N }> => event.event === name);
}

/** Common facts of a scenario with crashes: they happened, the job completed, each chunk was transcribed once. */
function recovered(result: ScenarioResult, crashes = 1): string[] {
  const failures: string[] = [];
  if (result.crashes < crashes) failures.push(`expected ${crashes} crash(es), ${result.crashes} happened`);
  if (result.job().phase !== 'completed') failures.push(`job ended ${result.job().phase}`);
  const recoveries = named(result.events(), 'recovery_started').length;
  if (recoveries < crashes) failures.push(`expected at least ${crashes} recovery attempt(s), saw ${recoveries}`);
  return failures;
}

function transcribedOnce(result: ScenarioResult): string[] {
  const repeated = [...result.transcriberCalls()].filter(([, count]) => count > 1).map(([index]) => index);
  return repeated.length === 0 ? [] : [`chunks transcribed more than once: ${repeated.join(', ')}`];
}

function resumedWith(result: ScenarioResult, completed: number): string[] {
  const resumed = named(result.events(), 'processing_resumed')[0];
  if (resumed === undefined) return ['no processing_resumed event'];
  const failures: string[] = [];
  if (resumed.completed_chunks !== completed)
    failures.push(`processing_resumed.completed_chunks ${resumed.completed_chunks}, expected ${completed}`);
  if (resumed.remaining_chunks !== chunks - completed)
    failures.push(`processing_resumed.remaining_chunks ${resumed.remaining_chunks}, expected ${chunks - completed}`);
  return failures;
}

function recreated(result: ScenarioResult, expected: number[]): string[] {
  const got = named(result.events(), 'chunk_recreated')
    .map((event) => event.chunk_index)
    .sort((a, b) => a - b);
  return JSON.stringify(got) === JSON.stringify(expected)
    ? []
    : [`re-extracted chunks ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`];
}

const crashPointNames: Record<CrashPoint, string> = {
  before_chunk_creation: 'Before Chunk Creation: worker crashes during initialization',
  during_chunking: 'During Chunking: worker crashes while creating audio chunks',
  early_transcription: 'Early Transcription: worker crashes after 1-2 chunks',
  mid_transcription: 'Mid Transcription: worker crashes in the middle of processing',
  late_transcription: 'Late Transcription: worker crashes near completion',
  during_finalization: 'After Completion: worker crashes during finalization',
};

const basic: SeedScenario[] = [
  {
    group: 'basic',
    name: 'Recovery After Transcription Crash',
    build: () => sixChunkJob().crashAfterChunks(3),
    expect: (result) => [...recovered(result), ...transcribedOnce(result), ...resumedWith(result, 3)],
  },
  {
    group: 'basic',
    name: 'Recovery with No Previous Chunks',
    build: () => sixChunkJob().crashOn('transcribe', 1, { when: 'before' }),
    expect: (result) => [...recovered(result), ...transcribedOnce(result), ...resumedWith(result, 0)],
  },
  {
    group: 'basic',
    name: 'Recovery with All Chunks Completed',
    build: () => sixChunkJob().crashAfterChunks(chunks),
    expect: (result) => {
      const failures = [...recovered(result), ...transcribedOnce(result)];
      const recoverer = result.leaseHolders().at(-1);
      const calls = result.record.history.entries.filter(
        (entry) => entry.kind === 'transcribe' && entry.actor === recoverer,
      ).length;
      if (calls !== 0) failures.push(`the recoverer called the transcriber ${calls} times`);
      if (named(result.events(), 'processing_resumed').length !== 0)
        failures.push('processing_resumed emitted with no work left');
      if (named(result.events(), 'recovery_completed').length !== 1) failures.push('expected one recovery_completed');
      return failures;
    },
  },
  {
    group: 'basic',
    name: 'Multiple Recovery Attempts',
    build: () => sixChunkJob().crashAfterChunks(2).crashAfterChunks(4).crashOn('complete', 1, { when: 'before' }),
    expect: (result) => {
      const failures = [...recovered(result, 3), ...transcribedOnce(result)];
      const attempts = named(result.events(), 'recovery_started').map((event) => event.attempt);
      if (JSON.stringify(attempts) !== '[1,2,3]')
        failures.push(`recovery attempts ${JSON.stringify(attempts)}, expected [1,2,3]`);
      const lost = named(result.events(), 'recovery_failed').filter(
        (event) => event.recovery_result === 'owner_lost',
      ).length;
      if (lost !== 2) failures.push(`expected 2 attempts closed as owner_lost, saw ${lost}`);
      return failures;
    },
  },
  {
    group: 'basic',
    name: 'Recovery Event Structure',
    build: () => sixChunkJob().crashAfterChunks(2),
    expect: (result) => {
      const failures = recovered(result);
      const events = result.events();
      const started = named(events, 'recovery_started')[0];
      if (started === undefined) return [...failures, 'no recovery_started'];
      if (started.recovery_type !== 'lease_expired' || started.attempt !== 1 || started.phase !== 'transcribing')
        failures.push(`recovery_started fields ${JSON.stringify(started)}`);
      if (!started.previous_owner.startsWith('w0#1') || started.message.length === 0)
        failures.push('recovery_started lacks previous_owner or message');
      const completed = named(events, 'recovery_completed')[0];
      if (
        completed?.recovery_result !== 'job_completed' ||
        completed.recreated_chunks !== 0 ||
        completed.duration_ms <= 0
      )
        failures.push(`recovery_completed fields ${JSON.stringify(completed)}`);
      const recoveryEvents = events.filter((event) => event.seq >= started.seq);
      if (
        !recoveryEvents.every(
          (event) => event.recovery && event.epoch === started.epoch && event.worker_id === started.worker_id,
        )
      )
        failures.push('events after recovery_started lack the recovery flag, epoch or worker');
      return failures;
    },
  },
  {
    group: 'basic',
    name: 'Crash During Different Phases',
    build: () => {
      const scenario = chaos().workers(4);
      for (let job = 0; job < 4; job += 1) scenario.job({ durationMs: 60_000 });
      scenario.crashAt('before_chunk_creation', { worker: 0 }).crashAt('early_transcription', { worker: 1 });
      scenario.crashAt('mid_transcription', { worker: 2 }).crashAt('late_transcription', { worker: 3 });
      return scenario;
    },
    expect: (result) => {
      const failures: string[] = [];
      if (result.crashes !== 4) failures.push(`expected 4 crashes, ${result.crashes} happened`);
      for (const spec of result.record.scenario.jobs)
        if (result.job(spec.id).phase !== 'completed') failures.push(`${spec.id} ended ${result.job(spec.id).phase}`);
      return failures;
    },
  },
];

const extended: SeedScenario[] = [
  {
    group: 'extended',
    name: 'Redis Connection Loss (outage past the lease, and a reply lost after the write was applied)',
    build: () => sixChunkJob().storeDown(4_000, 25_000).replyLost(5).replyLost(9),
    expect: (result) => {
      const failures = [...transcribedOnce(result)];
      if (result.job().phase !== 'completed') failures.push(`job ended ${result.job().phase}`);
      const fired = result.record.faultsFired.map((fault) => fault.kind);
      if (!fired.includes('store_down') || fired.filter((kind) => kind === 'reply_lost').length !== 2)
        failures.push(`faults fired: ${fired.join(', ')}`);
      return failures;
    },
  },
  {
    group: 'extended',
    name: 'Concurrent Recovery Attempts: exactly one winner, the others do nothing',
    build: () => sixChunkJob().crashAfterChunks(2).recoverWith(4),
    expect: (result) => {
      const failures = [...recovered(result), ...transcribedOnce(result)];
      const grants = result.leaseHolders();
      if (grants.length !== 2)
        failures.push(`expected 2 lease grants (first owner, one recoverer), saw ${grants.join(', ')}`);
      const crashAt = result.record.history.entries.findIndex(
        (entry) => entry.kind === 'worker' && entry.what === 'crash',
      );
      const transcribers = new Set(
        result.record.history.entries
          .slice(crashAt)
          .flatMap((entry) => (entry.kind === 'transcribe' ? [entry.actor] : [])),
      );
      if (transcribers.size !== 1) failures.push(`after the crash ${transcribers.size} workers called the transcriber`);
      const started = result.record.history.entries.filter(
        (entry) => entry.kind === 'worker' && entry.what === 'start',
      ).length;
      if (started !== 5) failures.push(`expected 1 + 4 workers started, saw ${started}`);
      return failures;
    },
  },
  {
    group: 'extended',
    name: 'Corrupted Chunk Files: missing and corrupt chunks re-extracted alone',
    build: () => sixChunkJob().damageChunk(4, 'corrupt', 3_000).damageChunk(5, 'delete', 3_000).crashAfterChunks(2),
    expect: (result) => [...recovered(result), ...transcribedOnce(result), ...recreated(result, [4, 5])],
  },
];

/** Workers side by side: several transcriptions of one job in flight, several jobs in one process. */
const sideBySide: SeedScenario[] = [
  {
    group: 'side by side',
    name: 'Crash With Several Chunks in Flight: what was committed stays, what was in flight is asked for once more',
    build: () => sixChunkJob().chunkConcurrency(3).crashAfterChunks(2),
    expect: (result) => {
      const failures = recovered(result);
      const entries = result.record.history.entries;
      const crashAt = entries.findIndex((entry) => entry.kind === 'worker' && entry.what === 'crash');
      const before = entries.slice(0, crashAt);
      const committed = new Set(before.flatMap((entry) => (entry.kind === 'commit' ? [entry.index] : [])));
      const inFlight = new Set(
        before.flatMap((entry) => (entry.kind === 'transcribe' && !committed.has(entry.index) ? [entry.index] : [])),
      );
      if (committed.size !== 2) failures.push(`expected 2 chunks committed before the crash, saw ${committed.size}`);
      if (inFlight.size < 2)
        failures.push(`expected several transcriptions in flight at the crash, saw ${inFlight.size}`);
      for (const [index, count] of result.transcriberCalls()) {
        const allowed = inFlight.has(index) ? 2 : 1;
        if (count > allowed) failures.push(`chunk ${index} transcribed ${count} times, at most ${allowed} expected`);
      }
      return [...failures, ...resumedWith(result, 2)];
    },
  },
  {
    group: 'side by side',
    name: 'Crash of a Worker Process Running Two Jobs: both jobs recovered',
    build: () => {
      const scenario = chaos().concurrency(2);
      scenario.job({ durationMs: 60_000 }).job({ durationMs: 60_000 });
      return scenario.crashAfterChunks(3, { worker: 0 });
    },
    expect: (result) => {
      const failures: string[] = [];
      const crashed = result.record.history.entries.filter(
        (entry) => entry.kind === 'worker' && entry.what === 'crash',
      );
      if (crashed.length !== 2) failures.push(`expected both loops of the process to crash, saw ${crashed.length}`);
      for (const spec of result.record.scenario.jobs) {
        if (result.job(spec.id).phase !== 'completed') failures.push(`${spec.id} ended ${result.job(spec.id).phase}`);
        if (named(result.events(spec.id), 'recovery_started').length !== 1)
          failures.push(`${spec.id}: expected one recovery`);
      }
      return failures;
    },
  },
];

const points: SeedScenario[] = crashPoints.map((point) => ({
  group: 'crash point',
  name: crashPointNames[point],
  build: () => sixChunkJob().crashAt(point),
  expect: (result) => {
    const failures = [...recovered(result), ...transcribedOnce(result)];
    const phase = named(result.events(), 'recovery_started')[0]?.phase;
    const expected = {
      before_chunk_creation: 'chunking',
      during_chunking: 'chunking',
      during_finalization: 'finalizing',
    } as Partial<Record<CrashPoint, string>>;
    if (phase !== (expected[point] ?? 'transcribing'))
      failures.push(`recovery started in phase ${phase}, expected ${expected[point] ?? 'transcribing'}`);
    return failures;
  },
}));

const recovery: SeedScenario[] = [
  {
    group: 'recovery',
    name: 'Clean Recovery: all data intact, normal resumption',
    build: () => sixChunkJob().crashAfterChunks(3),
    expect: (result) => [...recovered(result), ...transcribedOnce(result), ...recreated(result, [])],
  },
  {
    group: 'recovery',
    name: 'Partial Data Loss: some chunk files missing, partial recovery',
    build: () => sixChunkJob().damageChunk(3, 'delete', 3_000).damageChunk(5, 'truncate', 3_000).crashAfterChunks(1),
    expect: (result) => [...recovered(result), ...transcribedOnce(result), ...recreated(result, [3, 5])],
  },
  {
    group: 'recovery',
    name: 'Complete Data Loss: every chunk file gone, restart from the source',
    build: () => {
      const scenario = sixChunkJob().crashOn('transcribe', 1, { when: 'before' });
      for (let chunk = 0; chunk < chunks; chunk += 1) scenario.damageChunk(chunk, 'delete', 2_500);
      return scenario;
    },
    expect: (result) => [...recovered(result), ...recreated(result, [0, 1, 2, 3, 4, 5])],
  },
  {
    group: 'recovery',
    name: 'State Corruption: inconsistent stored state is detected and the job failed with a reason',
    build: () => {
      const scenario = chaos().workers(2);
      scenario.job({ durationMs: 60_000 });
      scenario.job({ durationMs: 30_000 });
      return scenario.corruptState(5_000, 0);
    },
    expect: (result) => {
      const failures: string[] = [];
      const failure = result.job('job0').failure;
      if (result.job('job0').phase !== 'failed' || failure?.reason !== 'state_corrupt')
        failures.push(`job0 ended ${result.job('job0').phase} (${failure?.reason})`);
      if (result.job('job1').phase !== 'completed') failures.push(`the other job ended ${result.job('job1').phase}`);
      if (result.record.workerErrors.length > 0)
        failures.push(`worker loop errors: ${result.record.workerErrors.join('; ')}`);
      return failures;
    },
  },
  {
    group: 'recovery',
    name: 'Infrastructure Failure: store outage and API errors during recovery',
    build: () =>
      sixChunkJob()
        .crashAfterChunks(2)
        .storeDown(12_000, 15_000)
        .transcriberError(4, 429)
        .transcriberError(5, 500)
        .transcriberError(6, 'timeout'),
    expect: (result) => {
      const failures = [...recovered(result)];
      if (result.record.faultsFired.filter((fault) => fault.kind === 'transcriber_error').length !== 3)
        failures.push('not every API error was injected');
      if (!result.record.faultsFired.some((fault) => fault.kind === 'store_down'))
        failures.push('the store outage did not happen');
      return failures;
    },
  },
  {
    group: 'recovery',
    name: 'Missing Source: a needed source that is gone fails the job with source_missing',
    build: () => sixChunkJob().deleteSource(2_500).damageChunk(4, 'delete', 2_500).crashAfterChunks(1),
    expect: (result) => {
      const failures: string[] = [];
      if (result.job().phase !== 'failed' || result.job().failure?.reason !== 'source_missing')
        failures.push(`job ended ${result.job().phase} (${result.job().failure?.reason})`);
      return failures;
    },
  },
];

const checkNames: Record<ValidationCheck, string> = {
  stateTransitions: 'Job state transitions correctly',
  idempotency: 'No duplicate chunk processing (idempotency)',
  recoveryEvents: 'Recovery events published with correct structure',
  progress: 'Progress tracking remains accurate',
  finalResults: 'Final results are consistent',
  cleanup: 'Cleanup integration works properly',
  errorHandling: 'Error handling is graceful',
};

/** A run that exercises every check at once: crashes, a zombie, damaged files, an outage, API errors. */
export function everyFaultAtOnce(): ChaosScenario {
  const scenario = chaos().workers(2);
  scenario.job({ durationMs: 80_000 });
  scenario.job({ durationMs: 50_000 });
  return scenario
    .crashAfterChunks(2, { worker: 0 })
    .pauseOn('transcribe', 3, 25_000, 1)
    .damageChunk(6, 'corrupt', 4_000)
    .storeDown(30_000, 12_000)
    .replyLost(40)
    .transcriberError(7, 500)
    .recoverWith(2);
}

const validation: SeedScenario[] = (Object.keys(validationChecks) as ValidationCheck[]).map((check) => ({
  group: 'validation',
  name: checkNames[check],
  build: everyFaultAtOnce,
  expect: (result) => {
    const failures = result.checks[check].passed
      ? []
      : result.checks[check].violations.map((violation) => violation.message);
    if (result.crashes + result.pauses < 2) failures.push('the crash and the pause did not both happen');
    return failures;
  },
}));

/** Every named scenario of the seed document, in its order. */
export const seedScenarios: readonly SeedScenario[] = [
  ...basic,
  ...extended,
  ...sideBySide,
  ...points,
  ...recovery,
  ...validation,
];

/** The seed's validation check names, by check. */
export const validationCheckNames = checkNames;
