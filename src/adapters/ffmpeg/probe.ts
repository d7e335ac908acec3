/**
 * Probing a source with ffprobe. ffprobe runs as a child process with a hard timeout that kills
 * it (fluent-ffmpeg's own ffprobe helper offers no way to stop a probe that hangs, e.g. on a
 * source that never delivers data), and its JSON output is checked against a schema.
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { mediaDurationMsMax } from '../../core/limits.js';
import { clipMessage } from '../../core/types.js';
import type { ProbeResult } from '../../ports.js';
import { ToolUnavailableError, errorCode, inputUrl, isSpawnFailure, statSource, toolMessage } from './source.js';

/** Most bytes of ffprobe output kept (JSON of a handful of fields). */
const probeOutputBytesMax = 1024 * 1024;

const probeOutputSchema = z.object({
  streams: z.array(z.object({ codec_type: z.string().optional(), duration: z.string().optional() })).default([]),
  format: z.object({ duration: z.string().optional(), format_name: z.string().optional() }).default({}),
});

/** Probes the duration of the first audio stream of `source` (a local path). */
export async function probeSource(ffprobePath: string, source: string, timeoutMs: number): Promise<ProbeResult> {
  const found = await statSource(source);
  if (found.kind !== 'ok') return found;
  const run = await runFfprobe(ffprobePath, found.absolutePath, timeoutMs);
  if (run.kind === 'timeout')
    return { kind: 'error', retryable: true, message: `ffprobe timed out after ${timeoutMs} ms on ${source}` };
  if (run.kind === 'failed') {
    const again = await statSource(source);
    if (again.kind === 'source_missing') return again;
    return {
      kind: 'invalid',
      message: clipMessage(
        `ffprobe could not read ${source}: ${toolMessage(run.stderr, found.absolutePath, source) || run.message}`,
      ),
    };
  }
  return interpretProbe(run.stdout, source);
}

/** Turns ffprobe's JSON into a duration, or says why the source is not usable audio. */
export function interpretProbe(stdout: string, source: string): ProbeResult {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return { kind: 'invalid', message: `ffprobe printed output that is not JSON for ${source}` };
  }
  const parsed = probeOutputSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', message: `ffprobe printed unexpected output for ${source}` };
  const { streams, format } = parsed.data;
  const audio = streams.find((stream) => stream.codec_type === 'audio');
  if (audio === undefined) {
    const kinds = streams.map((stream) => stream.codec_type ?? 'unknown');
    return {
      kind: 'invalid',
      message: `${source} has no audio stream (streams: ${kinds.length > 0 ? kinds.join(', ') : 'none'})`,
    };
  }
  const seconds = positiveSeconds(audio.duration) ?? positiveSeconds(format.duration);
  if (seconds === null)
    return { kind: 'invalid', message: `${source} has an audio stream of unknown or zero duration` };
  const durationMs = Math.round(seconds * 1000);
  if (durationMs <= 0) return { kind: 'invalid', message: `${source} has an audio stream shorter than 1 ms` };
  if (durationMs > mediaDurationMsMax) {
    return {
      kind: 'invalid',
      message: `${source} lasts ${durationMs} ms, more than the ${mediaDurationMsMax} ms a job may describe`,
    };
  }
  return { kind: 'ok', durationMs };
}

function positiveSeconds(text: string | undefined): number | null {
  if (text === undefined) return null;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

type FfprobeRun =
  | { readonly kind: 'ok'; readonly stdout: string }
  | { readonly kind: 'failed'; readonly message: string; readonly stderr: string }
  | { readonly kind: 'timeout' };

function runFfprobe(ffprobePath: string, absolutePath: string, timeoutMs: number): Promise<FfprobeRun> {
  const args = [
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-print_format',
    'json',
    '-show_entries',
    'format=duration,format_name:stream=index,codec_type,duration',
    inputUrl(absolutePath),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      ffprobePath,
      args,
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: probeOutputBytesMax,
        windowsHide: true,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ kind: 'ok', stdout });
        } else if (isSpawnFailure(error)) {
          reject(new ToolUnavailableError(`cannot run ffprobe at ${ffprobePath}: ${error.message}`, { cause: error }));
        } else if (errorCode(error) === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          resolve({ kind: 'failed', message: `ffprobe printed more than ${probeOutputBytesMax} bytes`, stderr: '' });
        } else if (error.killed && error.signal === 'SIGKILL') {
          resolve({ kind: 'timeout' });
        } else {
          resolve({ kind: 'failed', message: error.message, stderr });
        }
      },
    );
  });
}
