/**
 * The ffmpeg adapter's preflight: can the ffmpeg and ffprobe binaries a {@link FfmpegMedia} would run be started at
 * all (`<tool> -version`)? A worker runs it before it claims anything, so that a missing binary is one clear line at
 * start instead of a job failed or skipped later.
 */
import { execFile } from 'node:child_process';
import type { FfmpegMedia } from './media.js';

/** How long one `-version` run may take, in ms. */
export const toolCheckTimeoutMs = 10_000;

/** A tool that could not be run, and why. */
export interface ToolProblem {
  readonly tool: 'ffmpeg' | 'ffprobe';
  readonly path: string;
  /** Where the path came from: the environment variable, or the PATH. */
  readonly from: string;
  readonly message: string;
}

/**
 * Runs `-version` of the ffmpeg and ffprobe `media` uses (which honour FFMPEG_PATH and FFPROBE_PATH) and returns
 * the tools that could not be run; empty when both answered.
 */
export async function checkMediaTools(
  media: Pick<FfmpegMedia, 'ffmpegPath' | 'ffprobePath'>,
  timeoutMs: number = toolCheckTimeoutMs,
): Promise<ToolProblem[]> {
  const tools = [
    { tool: 'ffmpeg', path: media.ffmpegPath, variable: 'FFMPEG_PATH' },
    { tool: 'ffprobe', path: media.ffprobePath, variable: 'FFPROBE_PATH' },
  ] as const;
  const problems = await Promise.all(
    tools.map(async ({ tool, path, variable }): Promise<ToolProblem | undefined> => {
      const message = await runVersion(path, timeoutMs);
      if (message === undefined) return undefined;
      const fromVariable = process.env[variable] !== undefined && process.env[variable] !== '';
      return { tool, path, from: fromVariable ? variable : 'PATH', message };
    }),
  );
  return problems.filter((problem): problem is ToolProblem => problem !== undefined);
}

/** Undefined when `path -version` ran and exited 0, else what went wrong. */
function runVersion(path: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(path, ['-version'], { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error) => {
      if (error === null) return resolve(undefined);
      const code = (error as NodeJS.ErrnoException).code;
      if (error.killed) return resolve(`no answer to -version within ${timeoutMs} ms`);
      if (typeof code === 'string') return resolve(`${code}: ${error.message}`);
      return resolve(`-version exited with code ${String(code)}`);
    });
  });
}
