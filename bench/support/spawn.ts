/**
 * Spawning the project's own commands (`npm run sim -- …`, bench/redis-store.ts) as a user would,
 * timing them on the wall clock and reading their peak resident set size through a preloaded probe.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BudgetExhausted, nowMs, remainingMs } from './measure.js';

/** The repository root. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

/** How a spawned command ended. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** Largest peak RSS of any Node process of the command, in MiB; null when no probe reported. */
  readonly peakRssMiB: number | null;
}

/** Longest a spawned command may run before it is killed, in ms. */
export const commandTimeoutMs = 15 * 60_000;

/** Process groups of the commands running now, ended if the benchmark itself is interrupted. */
const runningGroups = new Set<number>();
let interruptHandled = false;

function endGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // The group has already exited.
  }
}

function endGroupsOnInterrupt(): void {
  if (interruptHandled) return;
  interruptHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const pid of runningGroups) endGroup(pid);
      process.exit(130);
    });
  }
}

/** Options of {@link runCommand}. */
export interface CommandOptions {
  readonly env?: Record<string, string>;
}

/**
 * Runs `command args…` in the repository root and collects its output, wall time and peak RSS.
 * The command runs in a process group of its own, which is ended as a whole (npm → tsx → node)
 * when it runs past commandTimeoutMs or would outlast the benchmark's time budget (then this
 * throws {@link BudgetExhausted}).
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const rssDirectory = await mkdtemp(join(tmpdir(), 'chunkwise-bench-rss-'));
  const probe = new URL('./rss-probe.mjs', import.meta.url).href;
  const nodeOptions = [process.env['NODE_OPTIONS'], `--import=${probe}`]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  const limitMs = Math.min(commandTimeoutMs, remainingMs());
  if (limitMs <= 0)
    throw new BudgetExhausted(`the time budget was spent before \`${command} ${args.join(' ')}\` could start`);
  try {
    const started = nowMs();
    let timedOut = false;
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(command, [...args], {
          cwd: repositoryRoot,
          env: {
            ...process.env,
            NO_COLOR: '1',
            ...options.env,
            NODE_OPTIONS: nodeOptions,
            CHUNKWISE_BENCH_RSS_DIR: rssDirectory,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        const group = child.pid;
        if (group !== undefined) {
          endGroupsOnInterrupt();
          runningGroups.add(group);
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (data: Buffer) => out.push(data));
        child.stderr.on('data', (data: Buffer) => err.push(data));
        const timer = setTimeout(() => {
          timedOut = true;
          if (group !== undefined) endGroup(group);
        }, limitMs);
        child.on('error', (error) => {
          clearTimeout(timer);
          if (group !== undefined) runningGroups.delete(group);
          reject(error);
        });
        child.on('close', (exitCode) => {
          clearTimeout(timer);
          if (group !== undefined) runningGroups.delete(group);
          resolve({
            code: exitCode ?? 1,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          });
        });
      },
    );
    if (timedOut) {
      const seconds = Math.round(limitMs / 1_000);
      throw limitMs < commandTimeoutMs
        ? new BudgetExhausted(
            `\`${command} ${args.join(' ')}\` was stopped after ${seconds} s, when the time budget ran out`,
          )
        : new Error(`\`${command} ${args.join(' ')}\` was stopped after ${seconds} s`);
    }
    const wallMs = nowMs() - started;
    return { code, stdout, stderr, wallMs, peakRssMiB: await peakRss(rssDirectory) };
  } finally {
    await rm(rssDirectory, { recursive: true, force: true });
  }
}

async function peakRss(directory: string): Promise<number | null> {
  let peakKiB: number | null = null;
  for (const name of await readdir(directory)) {
    try {
      const report = JSON.parse(await readFile(join(directory, name), 'utf8')) as { maxRssKiB?: unknown };
      if (typeof report.maxRssKiB === 'number') peakKiB = Math.max(peakKiB ?? 0, report.maxRssKiB);
    } catch {
      // A probe file cut short by a killed process is skipped.
    }
  }
  return peakKiB === null ? null : Math.round(peakKiB / 1024);
}

/** Runs `npm run sim -- args…` with --json and parses its JSON summary (the last line of stdout). */
export async function runSimulatorCli(
  args: readonly string[],
): Promise<CommandResult & { summary: Record<string, unknown> }> {
  const result = await runCommand('npm', ['run', '--silent', 'sim', '--', ...args, '--json']);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(
      `npm run sim -- ${args.join(' ')} exited ${result.code} without a JSON summary: ${(result.stderr || result.stdout).slice(-400)}`,
    );
  }
  return { ...result, summary };
}
