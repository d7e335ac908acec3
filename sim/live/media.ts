/**
 * Source audio for a live run, made with the ffmpeg binary of @ffmpeg-installer/ffmpeg (or
 * FFMPEG_PATH): short WAVs of varied lengths, alternately a sine tone and noise, each a pure
 * function of the seed and its index.
 */
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Shortest and longest source, in ms. */
export const sourceMsMin = 15_000;
export const sourceMsMax = 40_000;
/** Longest one ffmpeg run making a source may take. */
const generateTimeoutMs = 60_000;

/** The ffmpeg binary: FFMPEG_PATH, else the one @ffmpeg-installer/ffmpeg ships. */
export function ffmpegPath(): string {
  const fromEnvironment = process.env['FFMPEG_PATH'];
  return fromEnvironment !== undefined && fromEnvironment !== '' ? fromEnvironment : ffmpegInstaller.path;
}

/** The ffprobe binary: FFPROBE_PATH, else the one @ffprobe-installer/ffprobe ships. */
export function ffprobePath(): string {
  const fromEnvironment = process.env['FFPROBE_PATH'];
  return fromEnvironment !== undefined && fromEnvironment !== '' ? fromEnvironment : ffprobeInstaller.path;
}

/** One generated source. */
export interface SourceFile {
  readonly path: string;
  readonly durationMs: number;
}

/** Writes `<directory>/<name>.wav`: `durationMs` of a sine tone (even `variant`) or noise (odd), mono 16 kHz. */
export async function generateSource(
  directory: string,
  name: string,
  durationMs: number,
  variant: number,
  signal?: AbortSignal,
): Promise<SourceFile> {
  const file = path.join(directory, `${name}.wav`);
  const seconds = (durationMs / 1000).toFixed(3);
  const input =
    variant % 2 === 0
      ? `sine=frequency=${200 + ((variant * 37) % 700)}:sample_rate=16000:duration=${seconds}`
      : `anoisesrc=color=${variant % 4 === 1 ? 'pink' : 'white'}:sample_rate=16000:amplitude=0.3:seed=${variant}:duration=${seconds}`;
  await run(
    ffmpegPath(),
    ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', input, '-ac', '1', '-c:a', 'pcm_s16le', file],
    { timeout: generateTimeoutMs, ...(signal === undefined ? {} : { signal }) },
  );
  return { path: file, durationMs };
}

/**
 * Generates `count` sources named `<prefix>NN.wav`, lengths drawn from `random` in [sourceMsMin, sourceMsMax], two
 * ffmpeg runs at a time; `signal` kills them.
 */
export async function generateSources(
  directory: string,
  count: number,
  random: () => number,
  prefix: string,
  signal?: AbortSignal,
): Promise<SourceFile[]> {
  const plans = Array.from({ length: count }, (_, index) => ({
    name: `${prefix}${String(index).padStart(2, '0')}`,
    durationMs: Math.round(sourceMsMin + random() * (sourceMsMax - sourceMsMin)),
    variant: index,
  }));
  const made: SourceFile[] = new Array<SourceFile>(count);
  let next = 0;
  const lane = async () => {
    while (next < plans.length) {
      const position = next;
      next += 1;
      const plan = plans[position];
      if (plan !== undefined)
        made[position] = await generateSource(directory, plan.name, plan.durationMs, plan.variant, signal);
    }
  };
  await Promise.all([lane(), lane()]);
  return made;
}
