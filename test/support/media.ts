/**
 * Test media made with the real ffmpeg binary (@ffmpeg-installer, or FFMPEG_PATH when set) in
 * temporary directories under os.tmpdir() that are removed after each test.
 */
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';

const run = promisify(execFile);

/** The ffmpeg binary tests use: FFMPEG_PATH, else the one @ffmpeg-installer/ffmpeg ships. */
export function testFfmpegPath(): string {
  const fromEnvironment = process.env['FFMPEG_PATH'];
  return fromEnvironment !== undefined && fromEnvironment !== '' ? fromEnvironment : ffmpegInstaller.path;
}

/** The ffprobe binary tests use: FFPROBE_PATH, else the one @ffprobe-installer/ffprobe ships. */
export function testFfprobePath(): string {
  const fromEnvironment = process.env['FFPROBE_PATH'];
  return fromEnvironment !== undefined && fromEnvironment !== '' ? fromEnvironment : ffprobeInstaller.path;
}

/** Temporary directories for the current test file, each removed after the test that made it. */
export function useTempDirectories(prefix = 'chunkwise-'): { make(): Promise<string> } {
  const made: string[] = [];
  afterEach(async () => {
    const directories = made.splice(0);
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });
  return {
    async make() {
      const directory = await mkdtemp(path.join(tmpdir(), prefix));
      made.push(directory);
      return directory;
    },
  };
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(testFfmpegPath(), ['-nostdin', '-v', 'error', '-y', ...args]);
}

/** A sine tone (440 Hz) as 16-bit PCM WAV. */
export async function sineWav(
  directory: string,
  options: { seconds?: number; sampleRateHz?: number; name?: string } = {},
): Promise<string> {
  const { seconds = 60, sampleRateHz = 16_000, name = 'sine.wav' } = options;
  const file = path.join(directory, name);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=${sampleRateHz}:duration=${seconds}`,
    '-c:a',
    'pcm_s16le',
    file,
  ]);
  return file;
}

/** A sine tone as 128 kb/s stereo MP3 at 44.1 kHz (needs resampling and a bit-reservoir preroll). */
export async function sineMp3(directory: string, seconds = 60): Promise<string> {
  const file = path.join(directory, 'sine.mp3');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-ac',
    '2',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    file,
  ]);
  return file;
}

/** A video with no audio stream (lavfi testsrc, H.264 in MP4). */
export async function videoWithoutAudio(directory: string): Promise<string> {
  const file = path.join(directory, 'video-only.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=duration=2:size=64x64:rate=5',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
  return file;
}

/** A text file with a media extension. */
export async function nonMediaFile(directory: string): Promise<string> {
  const file = path.join(directory, 'notes.wav');
  await writeFile(file, 'These are meeting notes, not audio.\n'.repeat(20));
  return file;
}

/** An empty file with a media extension. */
export async function emptyFile(directory: string): Promise<string> {
  const file = path.join(directory, 'empty.wav');
  await writeFile(file, new Uint8Array(0));
  return file;
}
