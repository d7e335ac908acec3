/**
 * sim/jit.mjs: the V8 flags the simulator's processes set are flags this Node knows (V8 prints "unrecognized flag"
 * and goes on without it otherwise, so a renamed flag would silently stop applying).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript without declarations, loaded before any TypeScript in the processes it tunes
import { jitFlags } from '../../sim/jit.mjs';

const run = promisify(execFile);

describe('sim/jit.mjs', () => {
  it('sets flags that V8 recognises, as a preload and without a word on stderr', async () => {
    const flags = jitFlags as string[];
    expect(flags.length).toBeGreaterThan(0);
    const { stdout: options } = await run(process.execPath, ['--v8-options'], { maxBuffer: 1 << 24 });
    for (const flag of flags) {
      const name = flag.replace(/^--(no-)?/, '').replace(/=.*$/, '');
      expect(options, `${name} among V8's options`).toContain(`--${name} `);
    }
    const { stdout, stderr } = await run(process.execPath, ['--import', './sim/jit.mjs', '-e', 'console.log("up")'], {
      cwd: process.cwd(),
    });
    expect(stdout.trim()).toBe('up');
    expect(stderr).toBe('');
  });

  it('reports an unknown flag on stderr, which the check above would see', async () => {
    const { stderr } = await run(process.execPath, [
      '-e',
      'require("node:v8").setFlagsFromString("--chunkwise-no-such-flag=1")',
    ]);
    expect(stderr).toMatch(/unrecognized flag/);
  });
});
