/**
 * How an OpenAI SDK failure maps to the Transcriber port's error result, and how secrets are
 * kept out of every message.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { clipMessage } from '../../core/types.js';
import { WorkerUnfitError, type TranscribeResult } from '../../ports.js';

/** The error variant of a transcription result. */
export type TranscribeError = Extract<TranscribeResult, { kind: 'error' }>;

/**
 * Statuses worth another attempt: request timeout, conflict, rate limit and every server error
 * (the statuses the SDK itself would retry). Every other status (400, 401, 403, 404, 413,
 * 422, …) means the same request would fail again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The API rejected the worker's credentials (401, 403): the worker's fault, not the chunk's. Thrown, not returned,
 * so that no job is failed for it (see WorkerUnfitError).
 */
export class CredentialsRejectedError extends WorkerUnfitError {
  override readonly name = 'CredentialsRejectedError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, 'configuration');
  }
}

/** True for the statuses that say the credentials, not the request, are wrong. */
export function isCredentialsStatus(status: number): boolean {
  return status === 401 || status === 403;
}

/**
 * Maps anything the SDK threw to a typed error result; `scrub` cleans its message. Throws CredentialsRejectedError
 * for a 401 or 403.
 */
export function transcribeErrorOf(error: unknown, timeoutMs: number, scrub: (text: string) => string): TranscribeError {
  const result = (retryable: boolean, status: number | null, message: string): TranscribeError => ({
    kind: 'error',
    retryable,
    status,
    message: clipMessage(scrub(message)),
  });
  if (error instanceof APIConnectionTimeoutError)
    return result(true, null, `transcription request timed out after ${timeoutMs} ms`);
  if (error instanceof APIConnectionError)
    return result(true, null, `transcription request failed to connect: ${causeMessage(error)}`);
  if (error instanceof APIUserAbortError) return result(true, null, 'transcription request was aborted');
  if (error instanceof APIError && typeof error.status === 'number') {
    // The SDK's message starts with the status already.
    const detail = error.message.startsWith(`${error.status} `)
      ? error.message.slice(`${error.status} `.length)
      : error.message;
    const message = `transcription request failed with HTTP ${error.status}: ${detail}`;
    if (isCredentialsStatus(error.status))
      throw new CredentialsRejectedError(
        clipMessage(scrub(`the API rejected the credentials: ${message}`)),
        error.status,
      );
    const failed = result(isRetryableStatus(error.status), error.status, message);
    const retryAfterMs = retryAfterMsOf(error.headers);
    return retryAfterMs === undefined || !failed.retryable ? failed : { ...failed, retryAfterMs };
  }
  if (error instanceof SyntaxError)
    return result(false, null, `response is not a transcription: its body is not valid JSON (${error.message})`);
  // A connection cut while the answer was read ("terminated", "other side closed", ECONNRESET): another attempt may
  // pass.
  if (isNetworkFailure(error)) return result(true, null, `transcription request was cut off: ${networkMessage(error)}`);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return result(false, null, `transcription request failed unexpectedly: ${text}`);
}

/** Error codes of a connection that failed or was cut (Node and undici). */
const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * True for a fetch failure of the network itself (undici's `TypeError: terminated` / `fetch failed`, or a network error
 * code in the cause chain).
 */
function isNetworkFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= causeDepthMax && current instanceof Error; depth += 1) {
    if (current instanceof TypeError && (current.message === 'terminated' || current.message === 'fetch failed'))
      return true;
    const code = 'code' in current && typeof current.code === 'string' ? current.code : undefined;
    if (code !== undefined && networkCodes.has(code)) return true;
    current = current.cause;
  }
  return false;
}

function networkMessage(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth <= causeDepthMax && current instanceof Error; depth += 1) {
    const code = 'code' in current && typeof current.code === 'string' ? ` (${current.code})` : '';
    parts.push(`${current.message}${code}`);
    current = current.cause;
  }
  return parts.join(': ');
}

/** Longest wait read from a Retry-After header; longer ones are capped by the runtime's limit anyway. */
const retryAfterMsRead = 24 * 3_600_000;

/**
 * The wait an answer asked for, in ms: `retry-after-ms`, else `retry-after` in seconds or as an
 * HTTP date; undefined when absent or unreadable.
 */
export function retryAfterMsOf(
  headers: { get(name: string): string | null } | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (headers === undefined || typeof headers.get !== 'function') return undefined;
  const bounded = (ms: number) =>
    Number.isFinite(ms) && ms >= 0 ? Math.min(Math.ceil(ms), retryAfterMsRead) : undefined;
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return bounded(Number(milliseconds));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return bounded(Number(value) * 1_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : bounded(Math.max(0, date - nowMs));
}

/** Most links of an error's cause chain quoted in a message. */
const causeDepthMax = 4;

/** The connection error's message with its causes (e.g. `fetch failed`, then `ECONNREFUSED`). */
function causeMessage(error: APIConnectionError): string {
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; depth < causeDepthMax && cause instanceof Error; depth += 1) {
    const code = 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
    parts.push(`${cause.message}${code}`);
    cause = cause.cause;
  }
  return parts.map((part) => part.replace(/\.$/, '')).join(': ');
}

/** Replacement text for a removed secret. */
export const redacted = '[redacted]';

/**
 * A function that removes `secret` from a text, together with anything shaped like a bearer
 * token or an OpenAI key, in case a server or a library echoes a credential back.
 */
export function secretScrubber(secret: string): (text: string) => string {
  return (text) => {
    let clean = secret.length > 0 ? text.split(secret).join(redacted) : text;
    clean = clean.replace(/(Bearer\s+)[^\s"',;]+/gi, `$1${redacted}`);
    clean = clean.replace(/\bsk-[A-Za-z0-9_-]{8,}/g, redacted);
    return clean;
  };
}
