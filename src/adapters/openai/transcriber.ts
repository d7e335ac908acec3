/**
 * The Transcriber port on the official OpenAI SDK. One call is one HTTP request: the SDK's own
 * retries are off (`maxRetries: 0`) because the runtime owns retries and backoff, and counts
 * attempts against its limits. Every failure comes back as a typed error result whose message
 * never carries the API key.
 */
import { format } from 'node:util';
import OpenAI, { toFile } from 'openai';
import { chunkTranscriptCharsMax } from '../../core/limits.js';
import { describe, validateChunkIndex, validateJobId } from '../../core/types.js';
import type { TranscribeRequest, TranscribeResult, Transcriber } from '../../ports.js';
import { secretScrubber, transcribeErrorOf } from './errors.js';

/** Models that accept `audio/transcriptions` with a JSON `{ text }` response. */
export const transcriptionModels = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'] as const;
/** One of {@link transcriptionModels}. */
export type TranscriptionModel = (typeof transcriptionModels)[number];

/** Default limit on one transcription request. */
export const transcriptionTimeoutMsDefault = 120_000;
/** Longest a caller may let one transcription request take. */
export const transcriptionTimeoutMsMax = 600_000;
/**
 * Most characters of the previous chunk's text sent as the prompt. Whisper reads only the last
 * 224 tokens of a prompt, so the tail is kept; the bound also keeps the request small.
 */
export const promptCharsMax = 1_000;

/** Where the SDK's own log lines go. Every line passes through the key scrubber first. */
export interface TranscriberLogger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Options of {@link OpenAITranscriber}. */
export interface OpenAITranscriberOptions {
  /** API key; default `OPENAI_API_KEY`. Missing in both is a TypeError. */
  readonly apiKey?: string;
  /** API base URL, e.g. `http://127.0.0.1:8080/v1`; default the SDK's (`OPENAI_BASE_URL`, else api.openai.com). */
  readonly baseURL?: string;
  /** Default `whisper-1`. */
  readonly model?: TranscriptionModel;
  /** ISO-639-1 language of the audio, e.g. `en`; default: detected by the model. */
  readonly language?: string;
  /** Limit on one request (default 120 s). Past it the result is a retryable error. */
  readonly timeoutMs?: number;
  /** Destination of the SDK's log lines (default: console). */
  readonly logger?: TranscriberLogger;
  /** The SDK's log level (default: `OPENAI_LOG`, else `warn`). */
  readonly logLevel?: 'off' | 'error' | 'warn' | 'info' | 'debug';
}

/** Speech to text for one chunk through `POST /audio/transcriptions`. */
export class OpenAITranscriber implements Transcriber {
  readonly model: TranscriptionModel;
  readonly language: string | null;
  readonly timeoutMs: number;
  // Private fields: neither the client nor the scrubber (which holds the key) shows in util.inspect.
  readonly #client: OpenAI;
  readonly #scrub: (text: string) => string;

  constructor(options: OpenAITranscriberOptions = {}) {
    const apiKey = options.apiKey ?? process.env['OPENAI_API_KEY'];
    if (typeof apiKey !== 'string' || apiKey.trim().length === 0) {
      throw new TypeError('apiKey is missing: pass options.apiKey or set OPENAI_API_KEY');
    }
    const model = options.model ?? 'whisper-1';
    if (!(transcriptionModels as readonly string[]).includes(model)) {
      throw new TypeError(`model must be one of ${transcriptionModels.join(', ')}, got ${describe(model)}`);
    }
    if (options.language !== undefined && !/^[a-z]{2,3}$/.test(options.language)) {
      throw new TypeError(`language must be an ISO-639-1 code such as "en", got ${describe(options.language)}`);
    }
    const timeoutMs = options.timeoutMs ?? transcriptionTimeoutMsDefault;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > transcriptionTimeoutMsMax) {
      throw new RangeError(
        `timeoutMs must be an integer in [1, ${transcriptionTimeoutMsMax}], got ${describe(timeoutMs)}`,
      );
    }
    this.model = model;
    this.language = options.language ?? null;
    this.timeoutMs = timeoutMs;
    this.#scrub = secretScrubber(apiKey);
    this.#client = new OpenAI({
      apiKey,
      ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
      maxRetries: 0,
      timeout: timeoutMs,
      logger: scrubbingLogger(options.logger ?? console, this.#scrub),
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    });
  }

  async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    validateRequest(request);
    let response: unknown;
    try {
      response = await this.#client.audio.transcriptions.create(
        {
          file: await toFile(request.audio, uploadFileName(request), { type: 'audio/wav' }),
          model: this.model,
          response_format: 'json',
          ...(request.prompt === null || request.prompt.length === 0
            ? {}
            : { prompt: request.prompt.slice(-promptCharsMax) }),
          ...(this.language === null ? {} : { language: this.language }),
        },
        request.signal === undefined ? {} : { signal: request.signal },
      );
    } catch (error) {
      return transcribeErrorOf(error, this.timeoutMs, this.#scrub);
    }
    return this.interpret(response);
  }

  /** Accepts only a JSON object with a string `text` within the transcript limit. */
  private interpret(response: unknown): TranscribeResult {
    const text = typeof response === 'object' && response !== null && 'text' in response ? response.text : undefined;
    if (typeof text !== 'string') {
      const shape =
        typeof response === 'string'
          ? 'a text body'
          : typeof response === 'object' && response !== null
            ? 'an object without a string "text"'
            : describe(response);
      return {
        kind: 'error',
        retryable: false,
        status: null,
        message: `response is not a transcription: expected JSON with a string "text", got ${shape}`,
      };
    }
    if (text.length > chunkTranscriptCharsMax) {
      return {
        kind: 'error',
        retryable: false,
        status: null,
        message: `transcript of ${text.length} characters exceeds ${chunkTranscriptCharsMax}`,
      };
    }
    return { kind: 'ok', text };
  }
}

/**
 * The name a chunk is uploaded under, `<jobId>.chunk-<index>.wav`: it tells an API log (or a test
 * server) which chunk of which job a request carried. The model ignores it.
 */
export function uploadFileName(request: Pick<TranscribeRequest, 'jobId' | 'index'>): string {
  return `${request.jobId}.chunk-${request.index}.wav`;
}

function validateRequest(request: TranscribeRequest): void {
  validateJobId(request.jobId, 'request.jobId');
  validateChunkIndex(request.index, 'request.index');
  if (!(request.audio instanceof Uint8Array) || request.audio.byteLength === 0) {
    throw new TypeError('request.audio must be a non-empty Uint8Array');
  }
  if (request.prompt !== null && typeof request.prompt !== 'string') {
    throw new TypeError(`request.prompt must be a string or null, got ${describe(request.prompt)}`);
  }
}

type LogFunction = (message: unknown, ...rest: unknown[]) => void;

/** A logger that formats each line, scrubs it, then hands it to `target`. */
function scrubbingLogger(
  target: TranscriberLogger,
  scrub: (text: string) => string,
): Record<keyof TranscriberLogger, LogFunction> {
  const line = (message: unknown, rest: unknown[]): string => scrub(format(message, ...rest));
  return {
    error: (message: unknown, ...rest: unknown[]) => target.error(line(message, rest)),
    warn: (message: unknown, ...rest: unknown[]) => target.warn(line(message, rest)),
    info: (message: unknown, ...rest: unknown[]) => target.info(line(message, rest)),
    debug: (message: unknown, ...rest: unknown[]) => target.debug(line(message, rest)),
  };
}
