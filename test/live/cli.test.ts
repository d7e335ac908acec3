// Proves the live chaos CLI's surface without starting anything: --help names every flag with an example, bad and
// unknown flags exit 64 naming the flag (--concurrency and --chunk-concurrency among them), and `chunkwise chaos` needs
// --live.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { liveUsage, loopsText, main, parseLiveFlags } from '../../sim/live/cli.js';

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

describe('chunkwise chaos --live flags', () => {
  it('--help lists every flag, each with an example, and exits 0', async () => {
    const out = capture();
    expect(await main(['--help'], out.io)).toBe(0);
    for (const flag of [
      '--seconds',
      '--workers',
      '--jobs',
      '--seed',
      '--concurrency',
      '--chunk-concurrency',
      '--persistence',
      '--json',
      '--report',
      '--keep',
      '--help',
    ]) {
      const start = out.stdout.split('\n').findIndex((text) => text.trimStart().startsWith(flag));
      expect(start, flag).toBeGreaterThanOrEqual(0);
      // A flag's text may run over several lines; its example ends it.
      const text = out.stdout
        .split('\n')
        .slice(start, start + 4)
        .join('\n');
      if (flag !== '--help') expect(text, flag).toMatch(new RegExp(`e\\.g\\. ${flag}`));
    }
  });

  it('an unknown flag exits 64 and names the flag', async () => {
    const out = capture();
    expect(await main(['--wrokers', '4'], out.io)).toBe(64);
    expect(out.stderr).toContain('--wrokers');
    expect(out.stderr).toContain(liveUsage);
  });

  it('bad values exit 64 naming the flag', async () => {
    for (const [argv, flag] of [
      [['--seconds', '0'], '--seconds'],
      [['--workers', 'four'], '--workers'],
      [['--jobs', '9999'], '--jobs'],
      [['--seed', '-1'], '--seed'],
      [['--persistence', 'sometimes'], '--persistence'],
      [['--concurrency', '0'], '--concurrency'],
      [['--concurrency', '17'], '--concurrency'],
      [['--concurrency', '1.5'], '--concurrency'],
      [['--chunk-concurrency', '0'], '--chunk-concurrency'],
      [['--chunk-concurrency', '33'], '--chunk-concurrency'],
      [['--chunk-concurrency', 'three'], '--chunk-concurrency'],
      [['--concurrency'], '--concurrency'],
    ] as const) {
      const out = capture();
      expect(await main(argv, out.io), flag).toBe(64);
      expect(out.stderr, flag).toContain(flag);
    }
  });

  it('parses the defaults and given values', () => {
    expect(
      parseLiveFlags(['--seconds', '60', '--workers', '4', '--jobs', '40', '--seed', '7', '--json', '--report', 'out']),
    ).toEqual({
      seconds: 60,
      workers: 4,
      jobs: 40,
      seed: 7,
      concurrency: 1,
      chunkConcurrency: 1,
      persistence: 'always',
      cluster: false,
      waitReplicas: false,
      json: true,
      report: 'out',
      keep: false,
      help: false,
    });
    expect(parseLiveFlags([])).toMatchObject({
      seconds: 30,
      workers: 4,
      jobs: 20,
      json: false,
      report: undefined,
      persistence: 'always',
    });
    expect(parseLiveFlags(['--persistence', 'none']).persistence).toBe('none');
    expect(parseLiveFlags(['--concurrency', '2', '--chunk-concurrency', '3'])).toMatchObject({
      concurrency: 2,
      chunkConcurrency: 3,
    });
    expect(parseLiveFlags(['--concurrency', '16', '--chunk-concurrency', '32'])).toMatchObject({
      concurrency: 16,
      chunkConcurrency: 32,
    });
    expect(() => parseLiveFlags(['--concurrency', '0'])).toThrow(
      '--concurrency must be an integer in [1, 16], got "0"',
    );
    expect(() => parseLiveFlags(['--chunk-concurrency', '33'])).toThrow(
      '--chunk-concurrency must be an integer in [1, 32], got "33"',
    );
    expect(parseLiveFlags(['--cluster', '--wait-replicas'])).toMatchObject({ cluster: true, waitReplicas: true });
    expect(() => parseLiveFlags(['--wait-replicas'])).toThrow(/--wait-replicas needs --cluster/);
    expect(() => parseLiveFlags(['--cluster', '--persistence', 'none'])).toThrow(/replication/);
  });

  it('prints the loops and the chunks in flight in its banner only when above one', () => {
    expect(loopsText({ concurrency: 1, chunkConcurrency: 1 })).toBe('');
    expect(loopsText({ concurrency: 2, chunkConcurrency: 3 })).toBe(' × 2 loops, 3 chunks in flight per job');
  });

  it('`chunkwise chaos` without --live is a usage error (exit 64)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const result = spawnSync(process.execPath, ['bin/chunkwise.js', 'chaos'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('--live');
  });
});
