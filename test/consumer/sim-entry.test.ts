/**
 * The `chunkwise/sim` entry (sim/index.ts) from the sources: assertSimulation passes on the stock engine, and on a
 * broken promise throws a SimulationFailure whose message holds the shrunk counterexample and a replay token that
 * plays the failure again. The broken promise is planted in the judge: every run with a job of 3 or more chunks
 * "breaks P3", so the shrunk counterexample is known exactly (one job of 3 chunks).
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Checkers from '../../sim/checkers/index.js';
import type { RunRecord } from '../../sim/world.js';

vi.mock('../../sim/checkers/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Checkers>();
  return {
    ...actual,
    checkAll: (record: RunRecord) => [
      ...actual.checkAll(record),
      ...record.scenario.jobs
        .filter((job) => job.chunks >= 3)
        .map((job) => ({ promise: 'P3', job: job.id, message: `planted: ${job.id} has ${job.chunks} chunks` })),
    ],
  };
});

const sim = await import('../../sim/index.js');

describe('chunkwise/sim', () => {
  it('assertSimulation throws the shrunk counterexample and a replay token that plays it again', async () => {
    const failure = await sim.assertSimulation({ runs: 20, seed: 9, shrinkStageMs: 10_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(sim.SimulationFailure);
    const { message, replayToken, promise, seed } = failure as InstanceType<typeof sim.SimulationFailure>;
    expect(promise).toBe('P3');
    expect(seed).toBe(9);
    expect(message).toContain('promise P3 broken');
    expect(message).toContain('planted: job0 has 3 chunks');
    expect(message).toContain(`replay token: ${replayToken}`);
    expect(message).toContain(`npm run sim -- --replay ${replayToken}`);
    const scenario = sim.decodeReplay(replayToken);
    expect(scenario.jobs.map((job) => job.chunks)).toEqual([3]);
    const again = await sim.replay(replayToken);
    expect(again.violations.map((violation) => violation.message)).toContain('planted: job0 has 3 chunks');
    expect(sim.counterexampleText(again)).toContain(`--replay ${replayToken}`);
  });

  it('assertSimulation resolves to a summary when every promise held, the same for the same seed', async () => {
    const bounds = { chunksMax: 2 };
    const first = await sim.assertSimulation({ runs: 8, seed: 4, bounds });
    const second = await sim.assertSimulation({ runs: 8, seed: 4, bounds });
    expect(first).toMatchObject({ runs: 8, seed: 4 });
    expect(first.fingerprint).toBe(second.fingerprint);
    expect(first.simulatedMs).toBeGreaterThan(0);
  });

  it('refuses bad options with errors naming them', async () => {
    await expect(sim.assertSimulation({ runs: 0 })).rejects.toThrow(/runs must be a positive integer/);
    await expect(sim.assertSimulation({ runs: 1, seed: 0.5 })).rejects.toThrow(/seed must be a safe integer/);
    await expect(sim.assertSimulation({ runs: 1, store: 'mongodb://x' })).rejects.toThrow(/--store must be/);
  });

  it('simulate and checkRun judge one generated scenario; promises lists P1 first', async () => {
    const scenario = sim.chaos().job({ durationMs: 20_000 }).workers(1).scenario();
    const run = await sim.simulate(scenario);
    expect(sim.checkRun(run.record)).toEqual(run.violations);
    expect(sim.promises[0]?.id).toBe('P1');
    expect(sim.defaultBounds.jobsMax).toBeGreaterThan(0);
  });
});
