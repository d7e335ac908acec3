/**
 * The chunkwise command's dispatcher (bin/main.ts): --version, --help for every command, usage errors (exit 64),
 * and bin/chunkwise.js run as a process. In a checkout without dist/ the process runs the sources through tsx;
 * the compiled command from a packed tarball is what test/consumer/run.sh checks.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandsUsage, installed, main, packageRoot, packageVersion } from '../../bin/main.js';
import { commandUsage } from '../../src/cli/service.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const version = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('chunkwise', () => {
  it('--version (and -v, version) prints the version of package.json', async () => {
    expect(packageRoot()).toBe(root);
    expect(packageVersion()).toBe(version);
    for (const flag of ['--version', '-v', 'version'])
      expect(await run([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--help prints the commands (exit 0); no command prints them as a usage error (exit 64)', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: commandsUsage, stderr: '' });
    expect(await run([])).toEqual({ code: 64, stdout: commandsUsage, stderr: '' });
    expect(commandsUsage).toContain('--version');
  });

  it('an unknown command is a usage error naming it', async () => {
    const ran = await run(['transcribe']);
    expect(ran.code).toBe(64);
    expect(ran.stderr).toContain('unknown command "transcribe"');
  });

  it.each(['worker', 'submit', 'status'] as const)('%s --help (and help %s) prints its usage', async (command) => {
    expect(await run([command, '--help'])).toEqual({ code: 0, stdout: commandUsage[command], stderr: '' });
    expect(await run(['help', command])).toEqual({ code: 0, stdout: commandUsage[command], stderr: '' });
  });

  it('sim --help and chaos --help print their options', async () => {
    const sim = await run(['sim', '--help']);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toContain('--runs N');
    for (const argv of [
      ['chaos', '--help'],
      ['chaos', '--live', '--help'],
      ['help', 'chaos'],
    ]) {
      const chaos = await run(argv);
      expect(chaos.code, argv.join(' ')).toBe(0);
      expect(chaos.stdout).toContain('--persistence');
    }
  });

  it('a service command with a bad flag prints the message and its usage, exit 64', async () => {
    const ran = await run(['worker', '--chunks-dir', '/tmp/x', '--lease-ms', 'soon']);
    expect(ran.code).toBe(64);
    expect(ran.stderr).toBe(
      `chunkwise worker: --lease-ms must be a positive integer, got "soon"\n\n${commandUsage.worker}`,
    );
    const unknown = await run(['status', 'job-1', '--store', 'mongodb://db']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('known URL schemes: redis://, rediss://');
  });

  it('a bad simulator flag is the simulator usage error, exit 64', async () => {
    const ran = await run(['sim', '--runs', 'many']);
    expect(ran.code).toBe(64);
    expect(ran.stderr).toContain('--runs must be an integer');
  });

  it('knows which optional packages are installed', () => {
    expect(installed('ioredis-mock')).toBe(true);
    expect(installed('chunkwise-no-such-package')).toBe(false);
  });

  it('runs as a process: bin/chunkwise.js --version, and a usage error exits 64', () => {
    const ran = spawnSync(process.execPath, ['bin/chunkwise.js', '--version'], { cwd: root, encoding: 'utf8' });
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toBe(`${version}\n`);
    expect(ran.status).toBe(0);
    const bad = spawnSync(process.execPath, ['bin/chunkwise.js', 'submit'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('submit needs a FILE');
  });
});
