/**
 * What the ffmpeg adapter shares between probing and extracting: finding the source on disk,
 * naming it to ffmpeg so that it is always read as a local file, and turning tool output into
 * short messages.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { validateSource } from '../../core/types.js';
import { WorkerUnfitError } from '../../ports.js';

/**
 * ffmpeg or ffprobe could not be started at all (binary missing or not executable): a
 * configuration error of the worker, not a property of the job's media, so it is thrown rather
 * than returned as `invalid` (which would fail the job).
 */
export class ToolUnavailableError extends WorkerUnfitError {
  override readonly name = 'ToolUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'unavailable', options);
  }
}

/** Where the source is, or why it cannot be used. */
export type SourceStat =
  | { readonly kind: 'ok'; readonly absolutePath: string }
  | { readonly kind: 'source_missing'; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string };

/** Looks the source up on disk: missing, a directory, empty, or there. */
export async function statSource(source: string): Promise<SourceStat> {
  validateSource(source);
  const absolutePath = path.resolve(source);
  let stats;
  try {
    stats = await stat(absolutePath);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { kind: 'source_missing', message: `source ${source} does not exist` };
    return { kind: 'invalid', message: `source ${source} cannot be read: ${code ?? String(error)}` };
  }
  if (stats.isDirectory()) return { kind: 'invalid', message: `source ${source} is a directory, not a media file` };
  if (stats.isFile() && stats.size === 0) return { kind: 'invalid', message: `source ${source} is empty (0 bytes)` };
  return { kind: 'ok', absolutePath };
}

/** The source as an ffmpeg input: the `file:` protocol, so that no path is read as an option or another protocol. */
export function inputUrl(absolutePath: string): string {
  return `file:${absolutePath}`;
}

/** True when a child process could not be spawned (as opposed to running and failing). */
export function isSpawnFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = errorCode(error);
  const syscall = 'syscall' in error && typeof error.syscall === 'string' ? error.syscall : '';
  return (code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC') && syscall.startsWith('spawn');
}

/** Most stderr lines kept in a message. */
const messageLinesMax = 4;

/** The last few meaningful lines of a tool's stderr, with the `file:` URL shown as the source. */
export function toolMessage(stderr: string, absolutePath: string, source: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.split(inputUrl(absolutePath)).join(source).trim())
    .filter((line) => line.length > 0);
  return lines.slice(-messageLinesMax).join(' | ');
}

/** The string `code` of a Node.js system error, if any. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
