// Proves FfmpegMedia probes, plans and extracts chunks with the real ffmpeg binaries: exact sizes, sha256,
// byte-identical re-extraction, upload limits, typed results for bad inputs, and killed timeouts.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { FfmpegMedia, ToolUnavailableError, uploadBytesMaxDefault } from '../../../src/adapters/ffmpeg/index.js';
import { FsChunkStore, ownerMarkFileName } from '../../../src/adapters/fs/index.js';
import { MemoryChunkStore } from '../../../src/adapters/memory/index.js';
import { planChunks } from '../../../src/core/planner.js';
import { chunkTailMsMin } from '../../../src/core/limits.js';
import type { ChunkSpec } from '../../../src/core/types.js';
import {
  emptyFile,
  nonMediaFile,
  sineMp3,
  sineWav,
  testFfmpegPath,
  testFfprobePath,
  useTempDirectories,
  videoWithoutAudio,
} from '../../support/media.js';

const run = promisify(execFile);
const temp = useTempDirectories('chunkwise-ffmpeg-');
/** 16 kHz mono s16: bytes per second of output audio. */
const bytesPerSecond = 32_000;
const wavHeaderBytes = 44;

async function setup(options: { uploadBytesMax?: number; timeoutMs?: number } = {}) {
  const directory = await temp.make();
  const chunkStore = new FsChunkStore({ root: path.join(directory, 'chunks') });
  const media = new FfmpegMedia({
    chunkStore,
    ffmpegPath: testFfmpegPath(),
    ffprobePath: testFfprobePath(),
    ...options,
  });
  return { directory, chunkStore, media };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The PCM samples of a WAV file (the payload of its `data` chunk). */
function wavPcm(wav: Uint8Array): Buffer {
  const buffer = Buffer.from(wav);
  let offset = 12;
  while (offset + 8 <= buffer.length) {
    const id = buffer.toString('ascii', offset, offset + 4);
    const size = buffer.readUInt32LE(offset + 4);
    if (id === 'data') return buffer.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

async function filesOf(chunkStore: FsChunkStore, jobId: string): Promise<string[]> {
  return (await readdir(chunkStore.jobDirectory(jobId)).catch(() => [])).filter((name) => name !== ownerMarkFileName);
}

async function extractAll(media: FfmpegMedia, jobId: string, source: string, chunks: readonly ChunkSpec[]) {
  const results = [];
  for (const chunk of chunks) results.push(await media.extractChunk({ jobId, source, chunk }));
  return results;
}

describe('FfmpegMedia.probe', () => {
  it('measures the duration of a 60 s tone', async () => {
    const { directory, media } = await setup();
    const result = await media.probe(await sineWav(directory));
    expect(result).toEqual({ kind: 'ok', durationMs: 60_000 });
  });

  it('measures the duration of a compressed source', async () => {
    const { directory, media } = await setup();
    const result = await media.probe(await sineMp3(directory, 20));
    expect(result.kind).toBe('ok');
    if (result.kind === 'ok') expect(Math.abs(result.durationMs - 20_000)).toBeLessThan(100);
  });

  it('tells a missing source from an invalid one', async () => {
    const { directory, media } = await setup();
    expect(await media.probe(path.join(directory, 'gone.wav'))).toMatchObject({
      kind: 'source_missing',
      message: expect.stringMatching(/does not exist/),
    });
    expect(await media.probe(await nonMediaFile(directory))).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/Invalid data/),
    });
    expect(await media.probe(await emptyFile(directory))).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/empty \(0 bytes\)/),
    });
    expect(await media.probe(await videoWithoutAudio(directory))).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/no audio stream \(streams: video\)/),
    });
    expect(await media.probe(directory)).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/directory/),
    });
  });

  it('throws ToolUnavailableError when ffprobe cannot be started', async () => {
    const { directory, chunkStore } = await setup();
    const media = new FfmpegMedia({
      chunkStore,
      ffmpegPath: testFfmpegPath(),
      ffprobePath: path.join(directory, 'no-ffprobe'),
    });
    await expect(media.probe(await sineWav(directory, { seconds: 2 }))).rejects.toThrow(ToolUnavailableError);
  });
});

describe('FfmpegMedia.extractChunk', () => {
  it('extracts every planned chunk with the exact size and sha256 of its file', async () => {
    const { directory, chunkStore, media } = await setup();
    const source = await sineWav(directory);
    const probe = await media.probe(source);
    if (probe.kind !== 'ok') throw new Error(probe.message);
    const chunks = planChunks(probe.durationMs, media.effectiveChunkLengthMs(15_000));
    expect(chunks).toHaveLength(4);
    const results = await extractAll(media, 'job-1', source, chunks);
    for (const [index, result] of results.entries()) {
      expect(result).toMatchObject({ kind: 'ok', bytes: wavHeaderBytes + 15 * bytesPerSecond });
      if (result.kind !== 'ok') continue;
      const file = await readFile(chunkStore.chunkPath('job-1', index));
      expect(sha256(file)).toBe(result.sha256);
      expect(await chunkStore.check('job-1', index, result)).toBe('ok');
    }
    expect((await filesOf(chunkStore, 'job-1')).sort()).toEqual(['0.wav', '1.wav', '2.wav', '3.wav']);
  });

  it('writes through any ChunkWriter: into a MemoryChunkStore, the same bytes as into files, no partial left', async () => {
    const { directory, chunkStore, media } = await setup();
    const memory = new MemoryChunkStore();
    const inMemory = new FfmpegMedia({
      chunkStore: memory,
      ffmpegPath: testFfmpegPath(),
      ffprobePath: testFfprobePath(),
    });
    const source = await sineWav(directory, { seconds: 10 });
    const chunk = { index: 1, startMs: 5_000, durationMs: 5_000 };
    const [onDisk, held] = await Promise.all([
      media.extractChunk({ jobId: 'job-1', source, chunk }),
      inMemory.extractChunk({ jobId: 'job-1', source, chunk }),
    ]);
    expect(held).toEqual(onDisk);
    expect(held).toMatchObject({ kind: 'ok', bytes: wavHeaderBytes + 5 * bytesPerSecond });
    if (held.kind !== 'ok') return;
    const read = await memory.read('job-1', 1, held);
    expect(read.kind).toBe('ok');
    if (read.kind === 'ok')
      expect(Buffer.from(read.data).equals(await readFile(chunkStore.chunkPath('job-1', 1)))).toBe(true);
    expect(memory.fileNames('job-1')).toEqual(['1']);
    const missing = await inMemory.extractChunk({ jobId: 'job-2', source: path.join(directory, 'gone.wav'), chunk });
    expect(missing.kind).toBe('source_missing');
    const invalid = await inMemory.extractChunk({ jobId: 'job-3', source: await nonMediaFile(directory), chunk });
    expect(invalid.kind).toBe('invalid');
    expect(await memory.listJobIds()).toEqual(['job-1']);
  });

  it('cuts sample-accurately: the chunks of an MP3 concatenate to the samples of a whole-file decode', async () => {
    const { directory, chunkStore, media } = await setup();
    const source = await sineMp3(directory, 24);
    const whole = path.join(directory, 'whole.wav');
    await run(testFfmpegPath(), [
      '-nostdin',
      '-v',
      'error',
      '-i',
      source,
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      whole,
    ]);
    const chunks = planChunks(24_000, 8_000);
    const results = await extractAll(media, 'job-1', source, chunks);
    expect(results.map((result) => result.kind)).toEqual(['ok', 'ok', 'ok']);
    const pieces = await Promise.all(
      chunks.map(async (chunk) => wavPcm(await readFile(chunkStore.chunkPath('job-1', chunk.index)))),
    );
    expect(pieces.map((piece) => piece.length)).toEqual([8 * bytesPerSecond, 8 * bytesPerSecond, 8 * bytesPerSecond]);
    const wholePcm = wavPcm(await readFile(whole));
    expect(Buffer.concat(pieces).equals(wholePcm.subarray(0, 24 * bytesPerSecond))).toBe(true);
  });

  it('re-extracts a deleted or corrupted chunk byte for byte, alone', async () => {
    const { directory, chunkStore, media } = await setup();
    const source = await sineMp3(directory, 30);
    const chunks = planChunks(30_000, 10_000);
    const first = await extractAll(media, 'job-1', source, chunks);
    const original = await Promise.all(chunks.map((chunk) => readFile(chunkStore.chunkPath('job-1', chunk.index))));
    const [chunk0, chunk1, chunk2] = chunks;
    const [digest0, digest1, digest2] = first;
    if (chunk1 === undefined || chunk2 === undefined || chunk0 === undefined) throw new Error('plan too short');
    if (digest0?.kind !== 'ok' || digest1?.kind !== 'ok' || digest2?.kind !== 'ok')
      throw new Error('extraction failed');

    await rm(chunkStore.chunkPath('job-1', 1));
    expect(await chunkStore.check('job-1', 1, digest1)).toBe('missing');
    expect(await media.extractChunk({ jobId: 'job-1', source, chunk: chunk1 })).toEqual(digest1);
    expect((await readFile(chunkStore.chunkPath('job-1', 1))).equals(original[1] ?? Buffer.alloc(0))).toBe(true);

    const corrupted = Buffer.from(original[2] ?? Buffer.alloc(0));
    corrupted[1000] = (corrupted[1000] ?? 0) ^ 0xff;
    await writeFile(chunkStore.chunkPath('job-1', 2), corrupted);
    expect(await chunkStore.check('job-1', 2, digest2)).toBe('corrupt');
    expect(await media.extractChunk({ jobId: 'job-1', source, chunk: chunk2 })).toEqual(digest2);
    expect((await readFile(chunkStore.chunkPath('job-1', 2))).equals(original[2] ?? Buffer.alloc(0))).toBe(true);

    expect(await chunkStore.check('job-1', 0, digest0)).toBe('ok');
    expect((await filesOf(chunkStore, 'job-1')).sort()).toEqual(['0.wav', '1.wav', '2.wav']);
  });

  it('lets two writers extract the same chunk at once: both succeed with the same digest', async () => {
    const { directory, chunkStore, media } = await setup();
    const source = await sineWav(directory, { seconds: 20 });
    const [chunk] = planChunks(20_000, 20_000);
    if (chunk === undefined) throw new Error('empty plan');
    const [one, two] = await Promise.all([
      media.extractChunk({ jobId: 'job-1', source, chunk }),
      media.extractChunk({ jobId: 'job-1', source, chunk }),
    ]);
    expect(one).toEqual(two);
    if (one?.kind === 'ok') expect(await chunkStore.check('job-1', 0, one)).toBe('ok');
    expect(await filesOf(chunkStore, 'job-1')).toEqual(['0.wav']);
  });

  it('returns typed results for bad sources and leaves no file of the chunk behind', async () => {
    const { directory, chunkStore, media } = await setup();
    const chunk = { index: 0, startMs: 0, durationMs: 5_000 };
    const cases: [string, string, RegExp][] = [
      [path.join(directory, 'gone.wav'), 'source_missing', /does not exist/],
      [await nonMediaFile(directory), 'invalid', /Invalid data/],
      [await emptyFile(directory), 'invalid', /empty/],
      [await videoWithoutAudio(directory), 'invalid', /matches no streams/],
    ];
    for (const [index, [source, kind, message]] of cases.entries()) {
      const jobId = `job-${index}`;
      const result = await media.extractChunk({ jobId, source, chunk });
      expect(result, source).toMatchObject({ kind, message: expect.stringMatching(message) });
      expect(await filesOf(chunkStore, jobId), source).toEqual([]);
    }
    // A missing or empty source is refused before the job's directory is made; ffmpeg failures leave it empty.
    expect(await chunkStore.listJobIds()).toEqual(['job-1', 'job-3']);
  });

  it('answers a retryable error, not an exception, when the job directory is removed while its chunk is written', async () => {
    // Found by chaos --live (seed 303): a worker paused in the middle of an extraction wakes after its
    // successor completed the job and removed its directory; publishing then met ENOENT, which escaped
    // into the worker loop as an unexpected error instead of ending in the lease check before a retry.
    const { directory, chunkStore, media } = await setup();
    const source = await sineWav(directory, { seconds: 10 });
    const publish = chunkStore.publish.bind(chunkStore);
    vi.spyOn(chunkStore, 'publish').mockImplementation(async (jobId, index, partPath) => {
      await chunkStore.removeJob(jobId);
      return publish(jobId, index, partPath);
    });
    const result = await media.extractChunk({
      jobId: 'job-1',
      source,
      chunk: { index: 0, startMs: 0, durationMs: 5_000 },
    });
    expect(result).toMatchObject({ kind: 'error', retryable: true, message: expect.stringMatching(/vanished/) });
    expect(await chunkStore.listJobIds()).toEqual([]);
  });

  it('reports source_missing when the source vanished after probing', async () => {
    const { directory, chunkStore, media } = await setup();
    const source = await sineWav(directory, { seconds: 10 });
    expect((await media.probe(source)).kind).toBe('ok');
    await rm(source);
    const result = await media.extractChunk({
      jobId: 'job-1',
      source,
      chunk: { index: 0, startMs: 0, durationMs: 5_000 },
    });
    expect(result.kind).toBe('source_missing');
    expect(await filesOf(chunkStore, 'job-1')).toEqual([]);
  });

  it('rejects a chunk length of 0 in planChunks and a malformed chunk at the boundary', async () => {
    const { directory, media } = await setup();
    const source = await sineWav(directory, { seconds: 2 });
    expect(() => planChunks(60_000, 0)).toThrow(RangeError);
    await expect(
      media.extractChunk({ jobId: 'job-1', source, chunk: { index: 0, startMs: 0, durationMs: 0 } }),
    ).rejects.toThrow(RangeError);
    await expect(
      media.extractChunk({ jobId: 'job-1', source, chunk: { index: -1, startMs: 0, durationMs: 1_000 } }),
    ).rejects.toThrow(RangeError);
    await expect(
      media.extractChunk({ jobId: 'job-1', source, chunk: { index: 0, startMs: -5, durationMs: 1_000 } }),
    ).rejects.toThrow(RangeError);
    await expect(
      media.extractChunk({ jobId: '../job', source, chunk: { index: 0, startMs: 0, durationMs: 1_000 } }),
    ).rejects.toThrow(TypeError);
  });
});

describe('FfmpegMedia upload limit', () => {
  it('caps the chunk length so that a chunk file stays within 25 MiB', async () => {
    const { media } = await setup();
    expect(media.uploadBytesMax).toBe(uploadBytesMaxDefault);
    expect(media.maxChunkLengthMs()).toBe(818_000);
    expect(media.effectiveChunkLengthMs(3_600_000)).toBe(818_000);
    expect(media.effectiveChunkLengthMs(600_000)).toBe(600_000);
    // The longest chunk a plan makes: the cap plus a merged tail just under chunkTailMsMin.
    expect(wavHeaderBytes + ((818_000 + chunkTailMsMin - 1) / 1000) * bytesPerSecond).toBeLessThanOrEqual(
      uploadBytesMaxDefault,
    );
    expect(() => media.effectiveChunkLengthMs(0)).toThrow(RangeError);
  });

  it('produces chunk files within a small upload limit, and refuses longer chunks', async () => {
    const { directory, chunkStore, media } = await setup({ uploadBytesMax: 200_000 });
    expect(media.effectiveChunkLengthMs(60_000)).toBe(5_000);
    const source = await sineWav(directory, { seconds: 20 });
    const chunks = planChunks(20_000, media.effectiveChunkLengthMs(60_000));
    const results = await extractAll(media, 'job-1', source, chunks);
    for (const result of results) {
      expect(result.kind).toBe('ok');
      if (result.kind === 'ok') expect(result.bytes).toBeLessThanOrEqual(200_000);
    }
    expect((await filesOf(chunkStore, 'job-1')).length).toBe(4);
    await expect(
      media.extractChunk({ jobId: 'job-1', source, chunk: { index: 0, startMs: 0, durationMs: 6_000 } }),
    ).rejects.toThrow(RangeError);
  });

  it('refuses an upload limit below the shortest chunk', async () => {
    const { chunkStore } = await setup();
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), uploadBytesMax: 20_000 })).toThrow(
      RangeError,
    );
  });
});

describe('FfmpegMedia timeouts and configuration', () => {
  async function fifo(directory: string): Promise<string> {
    const file = path.join(directory, 'stalled.wav');
    await run('mkfifo', [file]);
    return file;
  }

  /** True when some process still has the FIFO open for reading. */
  async function fifoHasReader(file: string): Promise<boolean> {
    try {
      const handle = await open(file, constants.O_WRONLY | constants.O_NONBLOCK);
      await handle.close();
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'ENXIO') return false;
      throw error;
    }
  }

  it('kills an ffmpeg that exceeds the timeout and leaves no file', async () => {
    const { directory, chunkStore, media } = await setup({ timeoutMs: 300 });
    const source = await fifo(directory);
    const result = await media.extractChunk({
      jobId: 'job-1',
      source,
      chunk: { index: 0, startMs: 0, durationMs: 5_000 },
    });
    expect(result).toMatchObject({
      kind: 'error',
      retryable: true,
      message: expect.stringMatching(/timed out after 300 ms/),
    });
    expect(await fifoHasReader(source)).toBe(false);
    expect(await filesOf(chunkStore, 'job-1')).toEqual([]);
  });

  it('kills an ffprobe that exceeds the timeout', async () => {
    const { directory, media } = await setup({ timeoutMs: 300 });
    const source = await fifo(directory);
    expect(await media.probe(source)).toMatchObject({
      kind: 'error',
      retryable: true,
      message: expect.stringMatching(/timed out after 300 ms/),
    });
    expect(await fifoHasReader(source)).toBe(false);
  });

  it('honours FFMPEG_PATH and FFPROBE_PATH when no paths are given', async () => {
    const directory = await temp.make();
    await mkdir(path.join(directory, 'chunks'));
    vi.stubEnv('FFMPEG_PATH', testFfmpegPath());
    vi.stubEnv('FFPROBE_PATH', '/opt/ffprobe-from-env');
    try {
      const media = new FfmpegMedia({ chunkStore: new FsChunkStore({ root: path.join(directory, 'chunks') }) });
      expect(media.ffmpegPath).toBe(testFfmpegPath());
      expect(media.ffprobePath).toBe('/opt/ffprobe-from-env');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a second, different ffmpeg path in the same process and bad options', async () => {
    const { chunkStore } = await setup();
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: '/opt/other/ffmpeg' })).toThrow(/one ffmpeg per process/);
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), channels: 3 })).toThrow(RangeError);
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), sampleRateHz: 100 })).toThrow(RangeError);
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), format: 'mp3' as 'wav' })).toThrow(
      TypeError,
    );
  });
});
