/**
 * Verdicts people can trust: the liveness phase is bounded by the run's own workload and limits (no
 * constant; test/sim/heaviest-corner.test.ts plays the heaviest corner of the generator on the
 * correct engine), and an engine that stops progressing fails P1 saying when it got stuck; a
 * campaign stops at its first failure; replay tokens and saved scenarios carry a version and are
 * refused, with a clear error, when they come from another one; a pasted counterexample is a
 * regression test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../sim/campaign.js';
import { checkRecovery } from '../../sim/checkers/p1-recovery.js';
import { main, playAll, serialPrefix, type CliIo } from '../../sim/cli.js';
import { chaos } from '../../sim/framework.js';
import { latencyBounds, scenarioArbitrary, scenarioVersion, simulationLimits } from '../../sim/faults.js';
import { livenessBudget } from '../../sim/liveness.js';
import {
  decodeReplay,
  encodeReplay,
  parseScenarioFile,
  ScenarioFormatError,
  scenarioFileText,
} from '../../sim/scenario-file.js';
import { Worker } from '../../src/runtime/worker.js';
import { silentFinalizer } from '../support/planted-bugs.js';
import { heaviest } from '../support/heaviest.js';

describe('liveness bounded by the run itself', () => {
  it('derives the stall window from latencies and limits and the cap from the workload', () => {
    const [scenario] = fc.sample(scenarioArbitrary(), { seed: 5, numRuns: 1 });
    if (scenario === undefined) throw new Error('no scenario');
    const small = {
      ...scenario,
      jobs: [{ id: 'job0', chunks: 1, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
      latencies: { storeMaxMs: 0, mediaMs: 1, transcribeMs: 1 },
    };
    const big = heaviest(scenario);
    const [a, b] = [livenessBudget(small, simulationLimits), livenessBudget(big, simulationLimits)];
    expect(b.stallWindowMs).toBeGreaterThan(a.stallWindowMs);
    expect(b.capMs).toBeGreaterThan(a.capMs);
    // The cap covers the whole workload done by one worker, one chunk after another.
    expect(b.capMs).toBeGreaterThan(4 * 40 * Math.ceil(latencyBounds.transcribeMs.max * 1.5));
    const slowerLease = livenessBudget(small, { ...simulationLimits, leaseDurationMs: 60_000 });
    expect(slowerLease.stallWindowMs).toBeGreaterThan(a.stallWindowMs);
  });

  it('fails P1 saying since when a stuck engine made no progress', async () => {
    // A transcriber that never answers: the owner keeps renewing its lease, nothing else happens.
    const hanging = (options: ConstructorParameters<typeof Worker>[0]) =>
      new Worker({ ...options, transcriber: { transcribe: () => new Promise(() => {}) } });
    const scenario = chaos().latency({ transcribeMs: 1 }).scenario();
    const { record, violations } = await simulate(
      {
        ...scenario,
        jobs: [{ id: 'job0', chunks: 2, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
        faultPhaseMs: 1_000,
      },
      { workerFactory: hanging },
    );
    expect(record.end).toBe('stalled');
    const p1 = violations.filter((violation) => violation.promise === 'P1');
    expect(p1).toHaveLength(1);
    expect(p1[0]?.message).toMatch(
      /^still transcribing \(epoch 1\): stuck since \d+ ms \(last progress: .+\); nothing progressed for the stall window of \d+ ms; 0\/2 chunks committed$/,
    );
    expect(record.simulatedMs - (record.liveness?.lastProgressMs ?? 0)).toBeGreaterThanOrEqual(
      record.liveness?.stallWindowMs ?? Number.POSITIVE_INFINITY,
    );
  });

  it('reports a run ended at the workload cap as still progressing', async () => {
    const { record } = await simulate(chaos().scenario());
    const job = record.jobs.get('job0');
    if (job === undefined || record.liveness === undefined) throw new Error('no job');
    const unfinished = {
      ...record,
      end: 'cap' as const,
      jobs: new Map([['job0', { ...job, phase: 'transcribing' as const }]]),
    };
    expect(checkRecovery(unfinished)[0]?.message).toMatch(
      /still progressing at the workload cap \(\d+ ms after faults stopped; last progress at \d+ ms: .+\)/,
    );
  });
});

describe('fail fast', () => {
  it('stops generating at the first failing run', async () => {
    const indices = Array.from({ length: 100 }, (_, index) => index);
    const failed: number[] = [];
    const summaries = await playAll(1, indices, {
      parallel: 1,
      store: undefined,
      world: silentFinalizer.world,
      maxFailures: 1,
      listener: { failed: (summary) => failed.push(summary.index) },
    });
    expect(failed).toHaveLength(1);
    expect(summaries.at(-1)?.index).toBe(failed[0]);
    expect(summaries.slice(0, -1).every((summary) => summary.failed === undefined)).toBe(true);
  });

  it('keeps, from runs played on threads, exactly what a serial campaign keeps', () => {
    const run = (index: number, failed = false) => ({
      index,
      fingerprint: '',
      simulatedMs: 0,
      steps: 0,
      faults: {},
      wastedTranscriptions: 0,
      coverage: {},
      ...(failed ? { failed: { promise: 'P3' as const, liveness: false, violations: [] } } : {}),
    });
    const played = [run(4), run(0), run(2, true), run(1), run(3, true), run(6)];
    expect(serialPrefix(played, [0, 1, 2, 3, 4, 5, 6], 1).map((summary) => summary.index)).toEqual([0, 1, 2]);
    expect(serialPrefix(played, [0, 1, 2, 3, 4, 5, 6], 2).map((summary) => summary.index)).toEqual([0, 1, 2, 3]);
    expect(
      serialPrefix(played, [0, 1, 2, 3, 4, 5, 6], Number.POSITIVE_INFINITY).map((summary) => summary.index),
    ).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('replays that last', () => {
  const [scenario] = fc.sample(scenarioArbitrary(), { seed: 9, numRuns: 1 });
  if (scenario === undefined) throw new Error('no scenario');

  it('round-trips a scenario through a token and through a saved file', () => {
    const token = encodeReplay(scenario);
    expect(token.startsWith(`v${scenarioVersion}.`)).toBe(true);
    expect(decodeReplay(token)).toEqual(scenario);
    expect(parseScenarioFile(JSON.parse(scenarioFileText(scenario)))).toEqual(scenario);
  });

  it('refuses tokens and files of another version, old seed-and-path tokens and damaged ones, saying why', () => {
    const old = Buffer.from(JSON.stringify({ seed: 1377368499, path: '0:87:2' })).toString('base64url');
    expect(() => decodeReplay(old)).toThrow(ScenarioFormatError);
    expect(() => decodeReplay(old)).toThrow(/older simulator.*seed and shrink path/);
    expect(() => decodeReplay(`v1${encodeReplay(scenario).slice(2)}`)).toThrow(
      /scenario version 1; this simulator reads versions 2, 3/,
    );
    // Version 2 scenarios are a subset of version 3's: they still replay.
    expect(decodeReplay(`v2${encodeReplay(scenario).slice(2)}`)).toEqual(scenario);
    expect(() => decodeReplay(`v${scenarioVersion}.AAAA`)).toThrow(/damaged/);
    expect(() => parseScenarioFile({ version: 1, scenario })).toThrow(/version 1/);
    expect(() => parseScenarioFile({ version: scenarioVersion, scenario: { ...scenario, workers: 0 } })).toThrow(
      /scenario\.workers/,
    );
    expect(() =>
      parseScenarioFile({ version: scenarioVersion, scenario: { ...scenario, faults: [{ kind: 'meteor' }] } }),
    ).toThrow(/scenario\.faults\.0/);
  });

  it('runs the scenario builder chained as the README shows it', async () => {
    const result = await chaos()
      .job({ durationMs: 30_000 })
      .crashAt('mid_transcription')
      .damageChunk(1, 'corrupt', 5_000)
      .storeDown(8_000, 2_000)
      .recoverWith(2)
      .run();
    expect(result.violations).toEqual([]);
    expect(result.crashes).toBe(1);
    expect(result.job('job0').phase).toBe('completed');
  });

  it('replays a pasted counterexample as a named regression test (finalizer forgets recovery_completed)', async () => {
    const saved = {
      version: 2,
      scenario: {
        jobs: [
          { id: 'job0', chunks: 1, chunkLengthMs: 10000, lastChunkMs: 10000 },
          { id: 'job1', chunks: 1, chunkLengthMs: 10000, lastChunkMs: 10000 },
        ],
        workers: 1,
        faults: [{ kind: 'crash', worker: 0, target: 'any', nth: 13, when: 'before' }],
        latencies: { storeMaxMs: 0, mediaMs: 1, transcribeMs: 1 },
        faultPhaseMs: 120000,
        seed: 0,
        choices: [],
      },
    };
    const broken = await chaos().fromScenario(saved).using(silentFinalizer.world).run();
    expect(broken.violations.map((violation) => violation.promise)).toContain('P5');
    expect(broken.crashes).toBe(1);
    const correct = await chaos().fromScenario(saved).run();
    expect(correct.violations).toEqual([]);
    expect(correct.job('job0').phase).toBe('completed');
  });
});

describe('npm run sim --scenario and --replay', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chunkwise-verdicts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function io(): CliIo & { out: () => string; err: () => string } {
    let out = '';
    let err = '';
    return {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      out: () => out,
      err: () => err,
    };
  }

  it('replays a saved scenario file and exits 0 when every promise holds', async () => {
    const file = join(dir, 'scenario.json');
    await writeFile(file, scenarioFileText(chaos().crashAfterChunks(2).scenario()));
    const cli = io();
    expect(await main(['--scenario', file], cli)).toBe(0);
    expect(cli.out()).toContain('replayed run passes every promise');
  });

  it('exits 64 with the reason for an old token or a bad file', async () => {
    const old = io();
    expect(
      await main(['--replay', Buffer.from(JSON.stringify({ seed: 1, path: '0' })).toString('base64url')], old),
    ).toBe(64);
    expect(old.err()).toContain('older simulator');
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ version: scenarioVersion, scenario: { jobs: [] } }));
    const bad = io();
    expect(await main(['--scenario', file], bad)).toBe(64);
    expect(bad.err()).toMatch(/--scenario .*bad\.json: scenario\.jobs/);
  });
});
