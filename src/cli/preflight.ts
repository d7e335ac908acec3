/**
 * What `chunkwise worker` checks before it claims anything: the job store answers, ffmpeg and ffprobe can be run,
 * the chunk directory exists (or can be made) and can be written, and the transcriber's credentials are accepted.
 * Each check is the adapter's own (pingRedis, checkMediaTools, checkOpenAICredentials); this module runs them in that
 * order and turns the first failure into one line and an exit code: {@link DependencyUnavailableError} (69) for
 * something that cannot be reached or run, {@link ConfigurationError} (78) for configuration that does not work.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StoreUnavailableError } from '../ports.js';
import { ConfigurationError, DependencyUnavailableError } from './exit.js';

/** One check: resolves when it holds, throws {@link DependencyUnavailableError} or {@link ConfigurationError}. */
export interface PreflightCheck {
  /** What is checked, in a few words (`job store`, `ffmpeg and ffprobe`, …). */
  readonly name: string;
  run(): Promise<void>;
}

/** Runs `checks` in order; the first that fails throws, and the ones after it are not run. */
export async function runPreflight(checks: readonly PreflightCheck[]): Promise<void> {
  for (const check of checks) await check.run();
}

/** The job store answers `ping` (PING for Redis): unreachable is 69, a refusal (a wrong password) 78. */
export function storeCheck(describeStore: string, ping: () => Promise<void>): PreflightCheck {
  return {
    name: 'job store',
    async run() {
      try {
        await ping();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof StoreUnavailableError)
          throw new DependencyUnavailableError(`the job store at ${describeStore} does not answer: ${message}`);
        throw new ConfigurationError(`the job store at ${describeStore} refused the connection: ${message}`);
      }
    },
  };
}

/** ffmpeg and ffprobe can be run: a tool that cannot is 69, naming its path and where the path came from. */
export function mediaToolsCheck(
  check: () => Promise<readonly { tool: string; path: string; from: string; message: string }[]>,
): PreflightCheck {
  return {
    name: 'ffmpeg and ffprobe',
    async run() {
      const problems = await check();
      if (problems.length === 0) return;
      throw new DependencyUnavailableError(
        problems
          .map(
            (problem) => `${problem.tool} cannot be run at ${problem.path} (from ${problem.from}): ${problem.message}`,
          )
          .join('; '),
      );
    },
  };
}

/** The chunk directory exists or can be made, and a file can be written and removed in it: else 78. */
export function chunkDirectoryCheck(directory: string): PreflightCheck {
  return {
    name: 'chunk directory',
    async run() {
      const probe = path.join(directory, `.chunkwise-preflight-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        await makeDirectory(path.resolve(directory));
        await writeFile(probe, 'chunkwise preflight\n');
        await rm(probe, { force: true });
      } catch (error) {
        throw new ConfigurationError(
          `the chunk directory ${directory} cannot be written: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    },
  };
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir spins forever under some file systems (a path below /proc),
 * and a preflight must answer.
 */
async function makeDirectory(directory: string): Promise<void> {
  const missing: string[] = [];
  let current = directory;
  while ((await stat(current).catch(() => undefined)) === undefined) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) await mkdir(level);
}

/** What a transcriber's credential check found (the openai adapter's CredentialCheck). */
export type CredentialOutcome =
  | { readonly kind: 'ok'; readonly note?: string }
  | { readonly kind: 'rejected'; readonly status: number | null; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

/** The transcriber's credentials work: a rejected key is 78, an API that cannot be reached 69. */
export function credentialsCheck(
  transcriber: string,
  check: () => Promise<CredentialOutcome>,
  note: (text: string) => void = () => {},
): PreflightCheck {
  return {
    name: `${transcriber} credentials`,
    async run() {
      const outcome = await check();
      if (outcome.kind === 'rejected')
        throw new ConfigurationError(
          `the ${transcriber} API rejected the credentials${outcome.status === null ? '' : ` (${outcome.status})`}: ${outcome.message}`,
        );
      if (outcome.kind === 'unreachable')
        throw new DependencyUnavailableError(`the ${transcriber} API cannot be reached: ${outcome.message}`);
      if (outcome.note !== undefined) note(`${transcriber} preflight: ${outcome.note}`);
    },
  };
}
