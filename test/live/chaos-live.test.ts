// Proves the promises hold on real processes: a short `chunkwise chaos --live` run (real worker processes, their own
// redis-server, real SIGKILLs, SIGSTOPs and kill -9s of Redis) exits 0 with no violation, its faults really happened,
// and nothing it started outlives it, nor a Ctrl-C.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisServerVersion } from '../../sim/live/redis-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const redisVersion = redisServerVersion();
const required = process.env['CHUNKWISE_REQUIRE_REDIS'] === '1';
if (redisVersion === null && !required)
  console.warn(
    'SKIPPED: live chaos tests need redis-server on the PATH (Debian: apt-get install redis-server); CHUNKWISE_REQUIRE_REDIS=1 fails instead',
  );

/**
 * Seed 15 schedules a pause at ~0.9 s, a hung request at ~1.7 s, a wrong-typed key at ~3.1 s, a kill at ~4.0 s and a
 * Redis restart at ~5.0 s (sim/live/nemesis.ts scheduledMoves).
 */
const seed = 15;

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function chunkwise(
  args: readonly string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Finished> {
  const child = spawn(process.execPath, ['bin/chunkwise.js', ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString('utf8');
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString('utf8');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Temporary directories of live runs, and processes that name one (workers' --chunks-dir, redis-server's --dir). */
function liveLeftovers(): { directories: string[]; processes: string[] } {
  const directories = readdirSync(tmpdir()).filter((name) => name.startsWith('chunkwise-live-'));
  const processes = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('chunkwise-live-'));
  return { directories, processes };
}

function newSince(before: ReturnType<typeof liveLeftovers>): ReturnType<typeof liveLeftovers> {
  const after = liveLeftovers();
  const oldDirectories = new Set(before.directories);
  const oldProcesses = before.processes.map((line) => line.trim().split(/\s+/)[0]);
  return {
    directories: after.directories.filter((name) => !oldDirectories.has(name)),
    processes: after.processes.filter((line) => !oldProcesses.includes(line.trim().split(/\s+/)[0])),
  };
}

describe.runIf(redisVersion !== null || required)('chunkwise chaos --live', () => {
  it('keeps every promise through real kills, pauses past the lease and Redis restarts, and leaves nothing behind', async () => {
    expect(redisVersion, 'redis-server on the PATH (CHUNKWISE_REQUIRE_REDIS=1)').not.toBeNull();
    const before = liveLeftovers();
    const result = await chunkwise([
      'chaos',
      '--live',
      '--seconds',
      '15',
      '--workers',
      '3',
      '--jobs',
      '6',
      '--seed',
      String(seed),
      '--json',
    ]);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['violations'], result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
    expect(summary).toMatchObject({ jobs: 6, seed, end: 'done' });
    expect(summary['kills']).toBeGreaterThanOrEqual(1);
    expect(summary['pauses']).toBeGreaterThanOrEqual(1);
    expect(summary['redisRestarts']).toBeGreaterThanOrEqual(1);
    expect(summary['apiHangs']).toBeGreaterThanOrEqual(1);
    expect(summary['persistence']).toBe('AOF on, appendfsync always, no snapshots');
    expect(summary['storeLosses']).toEqual([]);
    expect(Number(summary['completed']) + Number(summary['failed'])).toBe(6);
    expect(newSince(before)).toEqual({ directories: [], processes: [] });
  }, 240_000);

  it("with Redis keeping nothing across its kill -9 (--persistence none), reports the lost jobs as the store's, not the engine's", async () => {
    const result = await chunkwise([
      'chaos',
      '--live',
      '--seconds',
      '8',
      '--workers',
      '2',
      '--jobs',
      '3',
      '--seed',
      String(seed),
      '--persistence',
      'none',
      '--json',
    ]);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(summary['persistence']).toBe('no AOF, no snapshots');
    expect(summary['redisRestarts']).toBeGreaterThanOrEqual(1);
    // job-00 was submitted at 0 s, the restart came at ~5 s: it is gone, and so are its promises.
    const losses = summary['storeLosses'] as { job: string }[];
    expect(losses.map((loss) => loss.job)).toContain('job-00');
    expect((summary['storeViolations'] as { job: string }[]).map((violation) => violation.job)).toContain('job-00');
    expect(summary['violations'], result.stderr).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
  }, 240_000);

  it('stops every process it started and removes its files on Ctrl-C', async () => {
    const before = liveLeftovers();
    let interrupted = false;
    const result = await chunkwise(
      ['chaos', '--live', '--seconds', '60', '--workers', '2', '--jobs', '3', '--seed', String(seed)],
      (stdout, child) => {
        // Interrupt once the nemesis has made its first move: workers and Redis are up by then.
        if (!interrupted && /\] (kill|pause)/.test(stdout)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(interrupted, result.stdout).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/SIGINT, stopping every process/);
    expect(newSince(before)).toEqual({ directories: [], processes: [] });
  }, 120_000);
});
