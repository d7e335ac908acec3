/**
 * A service's own code under the simulator, through `chunkwise/sim`: promises of its own are checked, shrunk and
 * replayed beside P1–P11; its Transcriber runs behind the simulator's faults and a non-idempotent one is caught;
 * its JobStore is compared call for call with the reference, and a store that lists too few jobs is shown parting.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/adapters/memory/index.js';
import type { Transcriber } from '../../src/ports.js';
import { Worker } from '../../src/runtime/worker.js';
import {
  assertSimulation,
  compareWithReference,
  definePromise,
  replay,
  SimulationFailure,
  type JobStoreLike,
} from '../../sim/index.js';

const small = { jobsMax: 2, chunksMax: 6, workersMax: 3, faultsMax: 6 };

/** No completed job has more than three chunks: false of many generated runs, so the simulator must say so. */
const fewChunks = definePromise({
  id: 'few-chunks',
  title: 'Completed jobs have at most three chunks',
  liveness: false,
  check: (record) =>
    [...record.jobs].flatMap(([jobId, job]) =>
      job?.phase === 'completed' && job.chunks.length > 3
        ? [{ promise: 'few-chunks', job: jobId, message: `${job.chunks.length} chunks` }]
        : [],
    ),
});

async function failureOf(run: Promise<unknown>): Promise<SimulationFailure> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SimulationFailure);
  return error as SimulationFailure;
}

describe('promises of your own', () => {
  it('are checked beside P1–P11, shrunk, reported with a token, and replayed', async () => {
    const failure = await failureOf(
      assertSimulation({ runs: 30, seed: 3, bounds: small, promises: [fewChunks], shrinkStageMs: 5_000 }),
    );
    expect(failure.promise).toBe('few-chunks');
    expect(failure.message).toContain('few-chunks');
    expect(failure.message).toContain(failure.replayToken);
    const again = await replay(failure.replayToken, { promises: [fewChunks] });
    expect(again.violations.map((violation) => violation.promise)).toContain('few-chunks');
    const without = await replay(failure.replayToken);
    expect(without.violations).toEqual([]);
  }, 120_000);

  it('hold quietly when they hold, and may not reuse an id', async () => {
    const always = definePromise({ id: 'always', title: 'Nothing to see', liveness: false, check: () => [] });
    await expect(assertSimulation({ runs: 5, seed: 1, bounds: small, promises: [always] })).resolves.toMatchObject({
      runs: 5,
    });
    const taken = definePromise({ id: 'P3', title: 'Another P3', liveness: false, check: () => [] });
    await expect(assertSimulation({ runs: 1, promises: [taken] })).rejects.toThrow(/promise id P3 is used twice/);
    expect(() => definePromise({ id: 'has space', title: 't', liveness: false, check: () => [] })).toThrow(TypeError);
  });
});

/** Text from the audio alone: what a well-behaved transcriber returns, whatever was asked before. */
const honest = (): Transcriber => ({
  transcribe: async ({ audio }) => ({
    kind: 'ok',
    text: `words ${audio.length}:${audio[0] ?? 0}:${audio.at(-1) ?? 0}`,
  }),
});

/** Caches the first answer per chunk, but stores an empty text when asked again (a retry after a crash). */
const forgetfulCache = (): Transcriber => {
  const asked = new Set<string>();
  return {
    transcribe: async ({ jobId, index, audio }) => {
      const key = `${jobId}/${index}`;
      const again = asked.has(key);
      asked.add(key);
      return { kind: 'ok', text: again ? '' : `words ${audio.length}:${audio[0] ?? 0}` };
    },
  };
};

describe('a transcriber of your own', () => {
  it('runs behind the simulated faults and keeps every promise when it is sound', async () => {
    await expect(assertSimulation({ runs: 15, seed: 5, bounds: small, transcriber: honest })).resolves.toMatchObject({
      runs: 15,
    });
  }, 120_000);

  it('is caught when a retried chunk comes back empty, with a replayable counterexample', async () => {
    const failure = await failureOf(
      assertSimulation({ runs: 60, seed: 1, bounds: small, transcriber: forgetfulCache, shrinkStageMs: 5_000 }),
    );
    expect(failure.promise).toBe('P7');
    const again = await replay(failure.replayToken, { transcriber: forgetfulCache });
    expect(again.violations.map((violation) => violation.promise)).toContain('P7');
    const sound = await replay(failure.replayToken, { transcriber: honest });
    expect(sound.violations).toEqual([]);
  }, 120_000);
});

describe('a job store of your own', () => {
  it('agrees with the reference call for call when it is the reference', async () => {
    const differences = await compareWithReference({ jobStore: (clock) => new MemoryJobStore(clock), runs: 6 });
    expect(differences).toEqual([]);
  }, 120_000);

  it('is shown where it parts from the reference when it lists one claimable job at a time', async () => {
    const stingy: JobStoreLike = (clock) => {
      const inner = new MemoryJobStore(clock);
      return Object.assign(Object.create(inner) as MemoryJobStore, {
        listRecoverableJobs: async (limit: number) => (await inner.listRecoverableJobs(limit)).slice(0, 1),
      });
    };
    const differences = await compareWithReference({ jobStore: stingy, runs: 6 });
    expect(differences.length).toBeGreaterThan(0);
    const first = differences[0];
    expect(first?.divergence?.where).toMatch(/./);
    expect(first?.divergence?.reference).not.toEqual(first?.divergence?.yours);
  }, 120_000);
});

describe('workers of your own', () => {
  it('are built by your factory for every simulated worker', async () => {
    let built = 0;
    await assertSimulation({
      runs: 3,
      seed: 2,
      bounds: small,
      workerFactory: (options) => {
        built += 1;
        return new Worker(options);
      },
    });
    expect(built).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
