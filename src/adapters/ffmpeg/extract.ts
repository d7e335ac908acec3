/**
 * Extracting one chunk of a source with fluent-ffmpeg. The command is a pure function of the
 * chunk and the output format, so re-extracting a chunk yields the same bytes: bit-exact
 * muxer and encoder, no metadata, no chapters, and a WAV header that carries no timestamp.
 */
import ffmpeg from 'fluent-ffmpeg';
import type { ChunkSpec } from '../../core/types.js';
import { isSpawnFailure } from './source.js';

/**
 * Audio decoded and discarded before a chunk's start. ffmpeg seeks the input to
 * `startMs - seekPrerollMs` (fast, but it lands on a seek point and some decoders, MP3's bit
 * reservoir and AAC's priming, need audio before the cut), then trims to the exact start on
 * the output side (sample-accurate). Measured: the chunks of an MP3 or WAV source concatenate
 * to exactly the samples of a whole-file decode.
 */
export const seekPrerollMs = 5_000;

/** The PCM layout of extracted chunks. */
export interface PcmFormat {
  readonly sampleRateHz: number;
  readonly channels: number;
}

/** The ffmpeg options that extract `chunk` as 16-bit PCM WAV: input options (before `-i`) and output options. */
export function extractionOptions(
  chunk: ChunkSpec,
  format: PcmFormat,
): { inputOptions: string[]; outputOptions: string[] } {
  const coarseMs = Math.max(0, chunk.startMs - seekPrerollMs);
  const fineMs = chunk.startMs - coarseMs;
  return {
    // A zero input seek is left out: on some containers (MP4 with an edit list) even `-ss 0` moves the start.
    inputOptions: [...(coarseMs > 0 ? ['-ss', seconds(coarseMs)] : []), '-protocol_whitelist', 'file'],
    outputOptions: [
      '-nostdin',
      '-v',
      'error',
      '-ss',
      seconds(fineMs),
      '-t',
      seconds(chunk.durationMs),
      '-map',
      '0:a:0',
      '-vn',
      '-sn',
      '-dn',
      '-ac',
      String(format.channels),
      '-ar',
      String(format.sampleRateHz),
      '-c:a',
      'pcm_s16le',
      '-fflags',
      '+bitexact',
      '-flags:a',
      '+bitexact',
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      '-f',
      'wav',
    ],
  };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** How one ffmpeg run ended. */
export type FfmpegRun =
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed'; readonly message: string; readonly stderr: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'unavailable'; readonly message: string };

let fluentFfmpegPath: string | undefined;

/**
 * Reserves fluent-ffmpeg's ffmpeg path for this process. fluent-ffmpeg keeps the path in a
 * process-wide cache, so two different paths in one process would race: the second is refused.
 */
export function reserveFfmpegPath(ffmpegPath: string): void {
  if (fluentFfmpegPath !== undefined && fluentFfmpegPath !== ffmpegPath) {
    throw new TypeError(
      `ffmpegPath ${ffmpegPath} differs from ${fluentFfmpegPath}, already in use: fluent-ffmpeg supports one ffmpeg per process`,
    );
  }
  fluentFfmpegPath = ffmpegPath;
}

/**
 * Runs ffmpeg once: `input` → `outputPath` with the given options. Past `timeoutMs` the process
 * is killed (SIGKILL) and the promise settles only once it has exited.
 */
export function runFfmpeg(
  ffmpegPath: string,
  input: string,
  outputPath: string,
  options: { inputOptions: string[]; outputOptions: string[] },
  timeoutMs: number,
): Promise<FfmpegRun> {
  return new Promise((resolve) => {
    let timedOut = false;
    const command = ffmpeg()
      .setFfmpegPath(ffmpegPath)
      .input(input)
      .inputOptions(options.inputOptions)
      .output(outputPath)
      .outputOptions(options.outputOptions);
    const timer = setTimeout(() => {
      timedOut = true;
      command.kill('SIGKILL');
    }, timeoutMs);
    // The timer may fire while fluent-ffmpeg still prepares the command: kill as soon as it spawns.
    command.on('start', () => {
      if (timedOut) command.kill('SIGKILL');
    });
    command.on('end', () => {
      clearTimeout(timer);
      resolve({ kind: 'ok' });
    });
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      clearTimeout(timer);
      if (timedOut) resolve({ kind: 'timeout' });
      else if (isSpawnFailure(error)) resolve({ kind: 'unavailable', message: error.message });
      else resolve({ kind: 'failed', message: error.message, stderr: stderr ?? '' });
    });
    command.run();
  });
}
