/**
 * The OpenAI adapter's preflight: does the API accept the key? One cheap authenticated request through the SDK,
 * retrieving the configured model (`GET /models/<model>`), before a worker claims anything. A 401 or 403 is a key
 * the API rejects; a connection error, a timeout or a 5xx is an API that cannot be reached now. A 404 is no
 * rejection (the API checks the key first; a compatible server may have no models route), nor is a 429 (the key was
 * recognised). Messages never carry the key.
 */
import OpenAI from 'openai';
import { secretScrubber } from './errors.js';
import type { TranscriptionModel } from './transcriber.js';

/** How long the preflight request may take, in ms. */
export const credentialCheckTimeoutMs = 10_000;

/** What the preflight found. */
export type CredentialCheck =
  | { readonly kind: 'ok'; readonly note?: string }
  | { readonly kind: 'rejected'; readonly status: number | null; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

/** Options of {@link checkOpenAICredentials}. */
export interface CredentialCheckOptions {
  /** Default `OPENAI_API_KEY`; missing in both is `rejected`. */
  readonly apiKey?: string;
  readonly baseURL?: string;
  /** Default `whisper-1`. */
  readonly model?: TranscriptionModel;
  readonly timeoutMs?: number;
}

/** Retrieves the model with the key; see the module's comment for what each answer means. */
export async function checkOpenAICredentials(options: CredentialCheckOptions = {}): Promise<CredentialCheck> {
  const apiKey = options.apiKey ?? process.env['OPENAI_API_KEY'];
  if (typeof apiKey !== 'string' || apiKey.trim().length === 0)
    return { kind: 'rejected', status: null, message: 'no API key: set OPENAI_API_KEY' };
  const scrub = secretScrubber(apiKey);
  const model = options.model ?? 'whisper-1';
  const client = new OpenAI({
    apiKey,
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    maxRetries: 0,
    timeout: options.timeoutMs ?? credentialCheckTimeoutMs,
    logLevel: 'off',
  });
  try {
    await client.models.retrieve(model);
    return { kind: 'ok' };
  } catch (error) {
    if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
      const message = scrub(error.message);
      if (error.status === 401 || error.status === 403) return { kind: 'rejected', status: error.status, message };
      if (error.status === 404) return { kind: 'ok', note: `model ${model} not found (${message}); key not rejected` };
      if (error.status === 429) return { kind: 'ok', note: `rate limited (${message}); key recognised` };
      if (error.status >= 400 && error.status < 500) return { kind: 'rejected', status: error.status, message };
      return { kind: 'unreachable', message: `${error.status}: ${message}` };
    }
    // The SDK says "Connection error."; the causes under it say which (fetch failed: connect ECONNREFUSED …).
    const causes: string[] = [];
    for (let cause = (error as { cause?: unknown }).cause; cause instanceof Error && causes.length < 3;) {
      causes.push(cause.message);
      cause = (cause as { cause?: unknown }).cause;
    }
    const message = [error instanceof Error ? error.message : String(error), ...causes].join(': ');
    return { kind: 'unreachable', message: scrub(message) };
  }
}
