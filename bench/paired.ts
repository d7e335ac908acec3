/**
 * `npm run bench:paired -- <checkout A> <checkout B> [--runs 1000] [--seed 5] [--pairs 3]`: the same campaign
 * (memory store, no differential slice) played by two checkouts side by side, both processes at once, `--pairs`
 * times, with each one's CPU time (every thread) and wall time, and B's ratio to A's in each pair.
 *
 * On a machine whose cores are shared with others, one checkout's CPU time for a fixed campaign moves by a third
 * from one hour to the next, so runs of A and B in turn cannot show a change of a few percent. Played at the same
 * moment, both meet the same neighbours: the ratio within a pair is steady to about ±3 % (A against itself). The
 * two processes share the two cores, so the absolute figures are not one process's alone; the ratio is what to read.
 *
 * A checkout with `sim/run.mjs` plays through it (compiled, as `npm run sim`); an older one through tsx and
 * `sim/cli.ts`. Both run with the young generation `npm run sim` gives.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** What one side of a pair measured. */
export interface Side {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly fingerprint: string;
}

const cpuProbe = fileURLToPath(new URL('./support/cpu-at-exit.mjs', import.meta.url));

/** The node arguments that play `runs` runs of `seed` in the checkout `dir`. */
export function campaignArgs(dir: string, runs: number, seed: number): string[] {
  const compiled = resolve(dir, 'sim/run.mjs');
  const entry = existsSync(compiled) ? [compiled] : ['--import', 'tsx', resolve(dir, 'sim/cli.ts')];
  return [
    '--max-semi-space-size=64',
    '--import',
    cpuProbe,
    ...entry,
    '--runs',
    String(runs),
    '--seed',
    String(seed),
    '--differential',
    '0',
  ];
}

/** Reads the probe's line and the campaign's fingerprint from a finished side's output. */
export function readSide(stdout: string, stderr: string): Side {
  const probe = /^chunkwise-cpu (\{.*\})$/m.exec(stderr);
  if (probe?.[1] === undefined) throw new Error(`no CPU line in the campaign's stderr:\n${stderr.slice(-2000)}`);
  const { cpuMs, wallMs } = JSON.parse(probe[1]) as { cpuMs: number; wallMs: number };
  const fingerprint = /fingerprint ([0-9a-f]{16})/.exec(`${stdout}\n${stderr}`)?.[1] ?? 'none';
  return { cpuMs, wallMs, fingerprint };
}

function play(dir: string, runs: number, seed: number): Promise<Side> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, campaignArgs(dir, runs, seed), {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0)
        return fail(new Error(`the campaign in ${dir} exited with ${String(code)}:\n${stderr.slice(-2000)}`));
      try {
        done(readSide(stdout, stderr));
      } catch (error) {
        fail(error as Error);
      }
    });
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { runs: { type: 'string' }, seed: { type: 'string' }, pairs: { type: 'string' } },
  });
  const [a, b] = positionals.map((dir) => resolve(dir));
  const number = (name: string, text: string | undefined, fallback: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`--${name} must be a positive integer`);
    return value;
  };
  const runs = number('runs', values.runs, 1000);
  const seed = number('seed', values.seed, 5);
  const pairs = number('pairs', values.pairs, 3);
  if (a === undefined || b === undefined || positionals.length !== 2)
    throw new RangeError('give two checkouts: npm run bench:paired -- <checkout A> <checkout B>');
  for (const dir of [a, b])
    if (!existsSync(resolve(dir, 'sim'))) throw new RangeError(`${dir} is not a chunkwise checkout (no sim/)`);
  console.log(`paired: ${runs} runs of seed ${seed}, ${pairs} pair(s)\n  A ${a}\n  B ${b}`);
  const ratios: number[] = [];
  for (let pair = 1; pair <= pairs; pair += 1) {
    const [left, right] = await Promise.all([play(a, runs, seed), play(b, runs, seed)]);
    const ratio = right.cpuMs / left.cpuMs;
    ratios.push(ratio);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `pair ${pair}: CPU A ${s(left.cpuMs)} B ${s(right.cpuMs)} B/A ${ratio.toFixed(3)}; ` +
        `wall A ${s(left.wallMs)} B ${s(right.wallMs)} B/A ${(right.wallMs / left.wallMs).toFixed(3)}; ` +
        `fingerprints ${left.fingerprint} ${right.fingerprint}`,
    );
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(`CPU B/A: ${sorted.map((ratio) => ratio.toFixed(3)).join(', ')}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 64;
  });
}
