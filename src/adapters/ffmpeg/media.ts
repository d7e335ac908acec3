/**
 * The Media port on ffmpeg: probe a local source with ffprobe, extract one chunk of it as
 * 16-bit PCM WAV through a {@link ChunkWriter} (FsChunkStore, MemoryChunkStore), whole or not
 * at all, with the same bytes every time the same chunk is extracted.
 */
import { chunkLengthMsMax, chunkLengthMsMin, chunkTailMsMin } from '../../core/limits.js';
import {
  clipMessage,
  describe,
  validateChunkIndex,
  validateChunkLengthMs,
  validateJobId,
  type ChunkSpec,
} from '../../core/types.js';
import type { ChunkDigest, ChunkWriter, ExtractResult, Media, ProbeResult } from '../../ports.js';
import { extractionOptions, reserveFfmpegPath, runFfmpeg } from './extract.js';
import { probeSource } from './probe.js';
import { ToolUnavailableError, errorCode, inputUrl, statSource, toolMessage } from './source.js';

/** Default upload limit of one chunk file: the OpenAI audio API's 25 MB. */
export const uploadBytesMaxDefault = 25 * 1024 * 1024;
/** Default limit on one ffprobe or ffmpeg run. */
export const toolTimeoutMsDefault = 120_000;
/** Longest a caller may let one ffprobe or ffmpeg run take. */
export const toolTimeoutMsMax = 3_600_000;
/**
 * Generous bound on a WAV header: RIFF (12) + fmt (8 + up to 40 for WAVE_FORMAT_EXTENSIBLE) +
 * data (8) is at most 68 bytes; the bit-exact mono/stereo header ffmpeg writes is 44.
 */
export const wavHeaderBytesMax = 1_024;
/** Bytes per sample per channel of pcm_s16le. */
const bytesPerSample = 2;

/** Output container of chunk files. Only 16-bit PCM WAV: its size is a pure function of duration. */
export type ChunkFormat = 'wav';

/** Options of {@link FfmpegMedia}. */
export interface FfmpegMediaOptions {
  /** Where chunk files go (FsChunkStore, MemoryChunkStore or any {@link ChunkWriter}). */
  readonly chunkStore: ChunkWriter;
  /** ffmpeg binary; default `FFMPEG_PATH`, else `ffmpeg` on the PATH. */
  readonly ffmpegPath?: string;
  /** ffprobe binary; default `FFPROBE_PATH`, else `ffprobe` on the PATH. */
  readonly ffprobePath?: string;
  /** Output sample rate (default 16000, what speech-to-text models use). */
  readonly sampleRateHz?: number;
  /** Output channels, 1 or 2 (default 1). */
  readonly channels?: number;
  /** Output format (default `wav`, pcm_s16le). */
  readonly format?: ChunkFormat;
  /** Largest chunk file the transcriber accepts (default 25 MiB). */
  readonly uploadBytesMax?: number;
  /** Limit on one ffprobe or ffmpeg run; past it the process is killed (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * Probes sources and extracts chunks with ffmpeg. Sources are local paths, always read as
 * files (`file:` protocol, no other protocol allowed, so a playlist cannot make ffmpeg fetch
 * URLs). Problems of the source or of one ffmpeg run (including a timeout) come back as typed
 * results; an ffmpeg or ffprobe that cannot be started at all throws {@link ToolUnavailableError},
 * and a file-system error of the chunk store is thrown as it is, except one: a partial file or job
 * directory that vanished before publishing (the job ended and its directory was removed under a
 * worker that had lost it) is a retryable error, so the worker's lease check before the retry
 * ends its part in the job.
 */
export class FfmpegMedia implements Media {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly sampleRateHz: number;
  readonly channels: number;
  readonly format: ChunkFormat;
  readonly uploadBytesMax: number;
  readonly timeoutMs: number;
  private readonly chunkStore: ChunkWriter;

  constructor(options: FfmpegMediaOptions) {
    this.chunkStore = options.chunkStore;
    this.ffmpegPath = toolPath(options.ffmpegPath ?? process.env['FFMPEG_PATH'], 'ffmpeg', 'ffmpegPath');
    this.ffprobePath = toolPath(options.ffprobePath ?? process.env['FFPROBE_PATH'], 'ffprobe', 'ffprobePath');
    this.sampleRateHz = integerIn(options.sampleRateHz ?? 16_000, 8_000, 192_000, 'sampleRateHz');
    this.channels = integerIn(options.channels ?? 1, 1, 2, 'channels');
    this.format = options.format ?? 'wav';
    if (this.format !== 'wav') throw new TypeError(`format must be "wav", got ${describe(this.format)}`);
    this.uploadBytesMax = integerIn(
      options.uploadBytesMax ?? uploadBytesMaxDefault,
      1,
      Number.MAX_SAFE_INTEGER,
      'uploadBytesMax',
    );
    this.timeoutMs = integerIn(options.timeoutMs ?? toolTimeoutMsDefault, 1, toolTimeoutMsMax, 'timeoutMs');
    if (this.maxChunkLengthMs() < chunkLengthMsMin) {
      throw new RangeError(
        `uploadBytesMax ${this.uploadBytesMax} holds less than ${chunkLengthMsMin} ms of ${this.sampleRateHz} Hz × ${this.channels} channel audio`,
      );
    }
    reserveFfmpegPath(this.ffmpegPath);
  }

  /** Bytes of one second of output audio (32000 for 16 kHz mono s16). */
  bytesPerSecond(): number {
    return this.sampleRateHz * this.channels * bytesPerSample;
  }

  /**
   * The longest chunk, in whole seconds, whose file stays within `uploadBytesMax` header
   * included (819 000 ms for 16 kHz mono under 25 MiB), capped at chunkLengthMsMax.
   */
  maxChunkLengthMs(): number {
    const audioBytes = this.uploadBytesMax - wavHeaderBytesMax;
    const wholeSeconds = Math.floor(audioBytes / this.bytesPerSecond());
    // A short last piece is merged into the chunk before it (planChunks), which may then be up to
    // chunkTailMsMin longer: keep room for that.
    return Math.min(chunkLengthMsMax, Math.max(0, wholeSeconds * 1000 - chunkTailMsMin));
  }

  /**
   * The chunk length a job should use when `requestedMs` is asked for: the request, shortened
   * if needed so that every chunk file fits the upload limit. A service calls it once, when it
   * creates the job, and stores the result as the job's `chunkLengthMs` (the CreateRequest
   * field): every plan and every re-extraction during recovery then cuts the same chunks, and
   * none is too large to upload. Throws a RangeError for a request outside the limits.
   */
  effectiveChunkLengthMs(requestedMs: number): number {
    return Math.min(validateChunkLengthMs(requestedMs, 'requestedMs'), this.maxChunkLengthMs());
  }

  async probe(source: string): Promise<ProbeResult> {
    return probeSource(this.ffprobePath, source, this.timeoutMs);
  }

  async extractChunk(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): Promise<ExtractResult> {
    const { jobId, source, chunk } = request;
    validateJobId(jobId);
    this.validateChunk(chunk);
    const found = await statSource(source);
    if (found.kind !== 'ok') return found;
    let partPath: string;
    try {
      partPath = await this.chunkStore.partPath(jobId, chunk.index);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      return {
        kind: 'error',
        retryable: true,
        message: clipMessage(
          `the directory of job ${jobId} vanished while chunk ${chunk.index} was being written: ${(error as Error).message}`,
        ),
      };
    }
    let published = false;
    try {
      const run = await runFfmpeg(
        this.ffmpegPath,
        inputUrl(found.absolutePath),
        partPath,
        extractionOptions(chunk, this),
        this.timeoutMs,
      );
      switch (run.kind) {
        case 'unavailable':
          throw new ToolUnavailableError(`cannot run ffmpeg at ${this.ffmpegPath}: ${run.message}`);
        case 'timeout':
          return {
            kind: 'error',
            retryable: true,
            message: `ffmpeg timed out after ${this.timeoutMs} ms extracting chunk ${chunk.index} of ${source}`,
          };
        case 'failed': {
          const again = await statSource(source);
          if (again.kind === 'source_missing') return again;
          const detail = toolMessage(run.stderr, found.absolutePath, source) || run.message;
          return {
            kind: 'invalid',
            message: clipMessage(`ffmpeg could not extract chunk ${chunk.index} of ${source}: ${detail}`),
          };
        }
        case 'ok':
          break;
      }
      let digest: ChunkDigest;
      try {
        digest = await this.chunkStore.publishPart(jobId, chunk.index, partPath);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        return {
          kind: 'error',
          retryable: true,
          message: clipMessage(
            `chunk ${chunk.index} of job ${jobId} vanished before it was published: ${(error as Error).message}`,
          ),
        };
      }
      published = true;
      return { kind: 'ok', bytes: digest.bytes, sha256: digest.sha256 };
    } finally {
      if (!published) await this.chunkStore.discardPart(jobId, chunk.index, partPath);
    }
  }

  private validateChunk(chunk: ChunkSpec): void {
    validateChunkIndex(chunk.index, 'chunk.index');
    if (!Number.isSafeInteger(chunk.startMs) || chunk.startMs < 0) {
      throw new RangeError(`chunk.startMs must be a non-negative integer, got ${describe(chunk.startMs)}`);
    }
    // The last chunk of a plan may carry a merged short tail (planChunks).
    const maxMs = this.maxChunkLengthMs() + chunkTailMsMin - 1;
    if (!Number.isSafeInteger(chunk.durationMs) || chunk.durationMs <= 0 || chunk.durationMs > maxMs) {
      throw new RangeError(
        `chunk.durationMs must be an integer in [1, ${maxMs}] (the upload limit), got ${describe(chunk.durationMs)}`,
      );
    }
  }
}

function toolPath(value: string | undefined, fallback: string, field: string): string {
  const chosen = value === undefined || value === '' ? fallback : value;
  if (chosen.includes('\0')) throw new TypeError(`${field} must be a path without NUL, got ${describe(chosen)}`);
  return chosen;
}

function integerIn(value: number, min: number, max: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${field} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}
