/**
 * Determinism: the same seed gives the same history byte for byte — in two separate processes,
 * with two threads as with one, and when a failing run is replayed from its token.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeReplay, encodeReplay, playRun, replay, runSeed, simulate } from '../../sim/campaign.js';
import { scenarioArbitrary } from '../../sim/faults.js';
import { indicesFor, parseFlags, UsageError } from '../../sim/cli.js';

const run = promisify(execFile);

/**
 * The simulator's JSON summary, through the TypeScript sources (tsx) or through `npm run sim`'s compiled entry (which
 * also sets sim/jit.mjs's V8 flags).
 */
async function simJson(args: string[], entry: 'tsx' | 'compiled' = 'tsx'): Promise<Record<string, unknown>> {
  const command = entry === 'tsx' ? ['--import', 'tsx', 'sim/cli.ts'] : ['--max-semi-space-size=64', 'sim/run.mjs'];
  const { stdout } = await run(process.execPath, [...command, ...args, '--json'], {
    cwd: process.cwd(),
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('determinism', () => {
  it('gives the same fingerprint in two separate processes (sources and compiled), and with --parallel 2', async () => {
    const [first, second, parallel] = await Promise.all([
      simJson(['--runs', '30', '--seed', '7', '--differential', '0']),
      simJson(['--runs', '30', '--seed', '7', '--differential', '0'], 'compiled'),
      simJson(['--runs', '30', '--seed', '7', '--differential', '0', '--parallel', '2']),
    ]);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(parallel.fingerprint).toBe(first.fingerprint);
    expect(first.runs).toBe(30);
    expect(first.violations).toEqual([]);
    for (const field of ['seed', 'wallMs', 'runsPerSecond', 'simulatedMs', 'faults', 'wastedTranscriptions'])
      expect(first).toHaveProperty(field);
  }, 120_000);

  it('gives a different fingerprint for a different seed', async () => {
    const [a, b] = await Promise.all([playRun(1, 0), playRun(2, 0)]);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('replays a run exactly from its token', async () => {
    const summary = await playRun(11, 3);
    const [scenario] = fc.sample(scenarioArbitrary(), { seed: runSeed(11, 3), numRuns: 1 });
    if (scenario === undefined) throw new Error('fast-check generated no scenario');
    const token = encodeReplay(scenario);
    expect(token).toMatch(/^v\d+\.[A-Za-z0-9_-]+$/);
    const replayed = await replay(decodeReplay(token));
    expect(replayed.record.history.fingerprint()).toBe(summary.fingerprint);
  });

  it('plays one scenario to the same history twice in one process', async () => {
    const scenario = {
      jobs: [{ id: 'job0', chunks: 6, chunkLengthMs: 10_000, lastChunkMs: 3_000 }],
      workers: 3,
      faults: [
        { kind: 'crash', worker: 0, target: 'commit', nth: 2, when: 'after' } as const,
        { kind: 'recoverers', atMs: 20_000, count: 2 } as const,
      ],
      latencies: { storeMaxMs: 5, mediaMs: 100, transcribeMs: 2_000 },
      faultPhaseMs: 60_000,
      seed: 99,
      choices: [1, 2, 0, 3, 1, 1, 2],
    };
    const [a, b] = [await simulate(scenario), await simulate(scenario)];
    expect(a.record.history.entries).toEqual(b.record.history.entries);
    expect(a.violations).toEqual([]);
    expect(a.record.jobs.get('job0')?.phase).toBe('completed');
  });
});

describe('sim CLI flags', () => {
  it('partitions runs across shards without overlap or gaps', () => {
    const shards = [1, 2, 3].map((index) => indicesFor({ runs: 10, shard: { index, count: 3 } }));
    expect(shards.flat().sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(shards[0]).toEqual([0, 3, 6, 9]);
  });

  it('rejects unknown flags and bad values with a usage error naming them', () => {
    expect(() => parseFlags(['--bogus'])).toThrow(UsageError);
    expect(() => parseFlags(['--bogus'])).toThrow(/bogus/);
    expect(() => parseFlags(['--runs', 'many'])).toThrow(/--runs/);
    expect(() => parseFlags(['--shard', '3/2'])).toThrow(/--shard/);
    expect(parseFlags(['--runs', '5', '--seed', '9'])).toMatchObject({ runs: 5, seed: 9, parallel: 1 });
  });
});
