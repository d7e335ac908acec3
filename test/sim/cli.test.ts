/**
 * The simulator's command line as a user meets it: run as a child process, it prints no escape
 * codes when piped or with NO_COLOR, lists every flag in --help, exits 64 naming an unknown flag,
 * writes a report with --report, and lists the seed scenarios with --quick --json.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sim(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'sim/cli.ts', ...args],
      { env: { ...process.env, ...env }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      },
    );
  });
}

describe('npm run sim', () => {
  it('prints no escape codes with NO_COLOR when piped, and its seed first', async () => {
    const ran = await sim(['--runs', '20', '--seed', '5', '--differential', '3', '--coverage-report'], {
      NO_COLOR: '1',
    });
    expect(ran.code).toBe(0);
    expect(ran.stdout + ran.stderr).not.toContain('\u001b[');
    expect(ran.stdout.split('\n')[0]).toContain('seed 5');
    expect(ran.stdout).toContain(
      'differential slice: 3 runs through the memory store and the Redis adapter on ioredis-mock: same histories',
    );
    expect(ran.stdout).toMatch(/recovery depth of a job: \d+\/7 reachable pairs reached/);
    expect(ran.stdout).toContain('every promise held');
  }, 60_000);

  it('lists every flag with an example in --help', async () => {
    const ran = await sim(['--help']);
    expect(ran.code).toBe(0);
    for (const flag of [
      '--runs',
      '--seed',
      '--replay',
      '--parallel',
      '--shard',
      '--store',
      '--chunk-files',
      '--differential',
      '--exhaustive',
      '--preemptions',
      '--quick',
      '--full',
      '--coverage',
      '--coverage-report',
      '--report',
      '--json',
      '--verbose',
      '--help',
    ]) {
      expect(ran.stdout).toContain(flag);
    }
    expect(ran.stdout).toMatch(/e\.g\. --runs 2000/);
  }, 60_000);

  it('exits 64 naming an unknown flag or a bad value', async () => {
    const unknown = await sim(['--frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('frobnicate');
    const bad = await sim(['--runs', '-3']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--runs');
    const token = await sim(['--replay', 'not-a-token']);
    expect(token.code).toBe(64);
  }, 60_000);

  it('writes report.html and report.json with --report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'chunkwise-cli-'));
    try {
      const ran = await sim(['--runs', '10', '--seed', '8', '--differential', '0', '--report', dir]);
      expect(ran.code).toBe(0);
      const html = await readFile(path.join(dir, 'report.html'), 'utf8');
      expect(html).toContain('<html');
      const json = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as { runs: number; seed: number };
      expect(json).toMatchObject({ runs: 10, seed: 8 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('lists the seed scenarios as passed with --quick --json', async () => {
    const ran = await sim(['--quick', '--json', '--seed', '4']);
    expect(ran.code).toBe(0);
    const summary = JSON.parse(ran.stdout) as {
      scenarios: { name: string; group: string; passed: boolean; ms: number }[];
      runs: number;
    };
    const groups = new Map<string, number>();
    for (const scenario of summary.scenarios) {
      expect(scenario.passed).toBe(true);
      groups.set(scenario.group, (groups.get(scenario.group) ?? 0) + 1);
    }
    expect(groups.get('basic')).toBe(6);
    expect(groups.get('extended')).toBe(3);
    expect(groups.get('side by side')).toBe(2);
    expect(groups.get('crash point')).toBe(6);
    expect(groups.get('recovery')).toBeGreaterThanOrEqual(5);
    expect(groups.get('validation')).toBe(7);
    expect(summary.runs).toBe(60);
  }, 60_000);
});
