/**
 * Every process and temporary directory a live chaos run makes, tracked so that none outlives it.
 * Children start detached, each the leader of its own process group, so that a signal to the
 * group reaches what the child started too (a worker's ffmpeg) and a Ctrl-C on the terminal
 * reaches only the run, which then stops them itself. A last, synchronous sweep on process exit
 * SIGKILLs every group still registered and removes every directory, whatever ended the run.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

const groups = new Set<number>();
const directories = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of groups) signalGroup(group, 'SIGKILL');
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });
}

/** A child process in its own process group, and how it ended once it has. */
export interface TrackedChild {
  readonly child: ChildProcess;
  /** Its pid, which is also its process group id. */
  readonly pid: number;
  /** Resolves once it exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** True once it exited. */
  readonly hasExited: () => boolean;
}

/** Starts `command` detached (its own process group) and registers the group until it exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'detached'> = {},
): TrackedChild {
  installExitHook();
  const child = spawn(command, [...args], { ...options, detached: true });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error) => {
      done = true;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      done = true;
      if (child.pid !== undefined) groups.delete(child.pid);
      resolve({ code, signal });
    });
  });
  // A start failure surfaces through `exited`; nobody may be awaiting it yet.
  exited.catch(() => undefined);
  if (child.pid === undefined) return { child, pid: -1, exited, hasExited: () => true };
  groups.add(child.pid);
  return { child, pid: child.pid, exited, hasExited: () => done };
}

/** Sends `signal` to process group `group`; false when it no longer exists. */
export function signalGroup(group: number, signal: NodeJS.Signals): boolean {
  if (group <= 0) return false;
  try {
    process.kill(-group, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs a child's group and waits for the child to exit (at most `waitMs`). */
export async function killGroup(tracked: TrackedChild, waitMs = 5_000): Promise<void> {
  signalGroup(tracked.pid, 'SIGCONT');
  signalGroup(tracked.pid, 'SIGKILL');
  await Promise.race([tracked.exited.catch(() => undefined), delay(waitMs)]);
}

/** Registers a directory to remove when the run ends, even on an abrupt exit. */
export function trackDirectory(directory: string): void {
  installExitHook();
  directories.add(directory);
}

/** Removes a registered directory now. */
export async function removeDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  directories.delete(directory);
}

/** Keeps a registered directory after all (asked to keep it). */
export function keepDirectory(directory: string): void {
  directories.delete(directory);
}

/** SIGKILLs every registered process group now (for a second Ctrl-C). */
export function killEverything(): void {
  for (const group of groups) signalGroup(group, 'SIGKILL');
}

/** Process groups still registered (for tests). */
export function liveGroups(): number[] {
  return [...groups];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
