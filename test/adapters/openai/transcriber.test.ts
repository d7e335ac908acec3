// Proves OpenAITranscriber speaks the audio API through the real openai SDK against a local fake server: what it sends,
// how each failure maps to a typed result (a reset mid-reply is retryable, Retry-After is passed on), one request per
// call, and that the API key never leaks.
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OpenAITranscriber,
  promptCharsMax,
  type OpenAITranscriberOptions,
} from '../../../src/adapters/openai/index.js';
import { CredentialsRejectedError, retryAfterMsOf } from '../../../src/adapters/openai/errors.js';
import { WorkerUnfitError, type TranscribeResult } from '../../../src/ports.js';
import { testBytes } from '../../contracts/chunk-store.contract.js';
import { startOpenAIServer, transcriptFor, type FakeOpenAIServer } from '../../support/openai-server.js';

const apiKey = 'sk-test-0123456789abcdefSECRET';
let server: FakeOpenAIServer;

beforeEach(async () => {
  server = await startOpenAIServer({ apiKey });
});
afterEach(async () => {
  await server.close();
});

function transcriber(options: Partial<OpenAITranscriberOptions> = {}): OpenAITranscriber {
  return new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 2_000, logLevel: 'off', ...options });
}

const audio = testBytes(1, 2_000);
const audioSha = createHash('sha256').update(audio).digest('hex');

function expectNoKey(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  expect(text).not.toContain(apiKey);
  expect(text).not.toContain('SECRET');
}

describe('OpenAITranscriber happy path', () => {
  it('returns the text and sends the file, model, prompt and language', async () => {
    const result = await transcriber({ model: 'gpt-4o-mini-transcribe', language: 'en' }).transcribe({
      jobId: 'job-1',
      index: 3,
      audio,
      prompt: 'the previous chunk said hello',
    });
    expect(result).toEqual({ kind: 'ok', text: transcriptFor('job-1.chunk-3.wav', audioSha) });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      fileName: 'job-1.chunk-3.wav',
      jobId: 'job-1',
      index: 3,
      sha256: audioSha,
      prompt: 'the previous chunk said hello',
      model: 'gpt-4o-mini-transcribe',
      language: 'en',
      status: 200,
    });
  });

  it('sends no prompt for the first chunk, whisper-1 by default, and only the tail of a long prompt', async () => {
    const subject = transcriber();
    expect((await subject.transcribe({ jobId: 'job-1', index: 0, audio, prompt: null })).kind).toBe('ok');
    const longPrompt = `${'x'.repeat(5_000)}the end`;
    expect((await subject.transcribe({ jobId: 'job-1', index: 1, audio, prompt: longPrompt })).kind).toBe('ok');
    expect(server.requests[0]).toMatchObject({ prompt: null, model: 'whisper-1', language: null });
    expect(server.requests[1]?.prompt).toBe(longPrompt.slice(-promptCharsMax));
  });
});

describe('OpenAITranscriber error mapping', () => {
  const cases: [string, Parameters<FakeOpenAIServer['inject']>[0], boolean, number | null, RegExp][] = [
    ['429 rate limit', { kind: 'status', status: 429 }, true, 429, /HTTP 429/],
    ['500 server error', { kind: 'status', status: 500 }, true, 500, /HTTP 500/],
    ['503 unavailable', { kind: 'status', status: 503 }, true, 503, /HTTP 503/],
    ['400 bad request', { kind: 'status', status: 400 }, false, 400, /HTTP 400/],
    ['413 too large', { kind: 'status', status: 413 }, false, 413, /HTTP 413/],
    ['422 unprocessable', { kind: 'status', status: 422 }, false, 422, /HTTP 422/],
    [
      'a JSON body without text',
      { kind: 'not_transcription', body: '{"result":42}', contentType: 'application/json' },
      false,
      null,
      /not a transcription/,
    ],
    [
      'a JSON body whose text is not a string',
      { kind: 'not_transcription', body: '{"text":42}', contentType: 'application/json' },
      false,
      null,
      /not a transcription/,
    ],
    [
      'a plain text body',
      { kind: 'not_transcription', body: 'hello', contentType: 'text/plain' },
      false,
      null,
      /not a transcription/,
    ],
    [
      'invalid JSON',
      { kind: 'not_transcription', body: '{"text":', contentType: 'application/json' },
      false,
      null,
      /not a transcription/,
    ],
  ];
  for (const [name, fault, retryable, status, message] of cases) {
    it(`maps ${name} to ${retryable ? 'a retryable' : 'a final'} error, in one request`, async () => {
      server.inject(fault);
      const result = await transcriber().transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });
      expect(result).toMatchObject({ kind: 'error', retryable, status, message: expect.stringMatching(message) });
      expect(server.requests).toHaveLength(1);
      expectNoKey(result);
    });
  }

  it('throws CredentialsRejectedError for a 401 (wrong key), without the key the server echoed', async () => {
    const rejected = await transcriber({ apiKey: `${apiKey}-wrong` })
      .transcribe({ jobId: 'job-1', index: 0, audio, prompt: null })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(rejected).toBeInstanceOf(CredentialsRejectedError);
    expect(rejected).toBeInstanceOf(WorkerUnfitError);
    expect(rejected).toMatchObject({ status: 401, kind: 'configuration', message: expect.stringMatching(/HTTP 401/) });
    expect(server.requests).toEqual([expect.objectContaining({ status: 401 })]);
    expect((rejected as Error).message).not.toContain(apiKey);
    expect((rejected as Error).message).toContain('[redacted]');
  });

  it('throws CredentialsRejectedError for a 403 (a key without access), in one request', async () => {
    server.inject({ kind: 'status', status: 403 });
    await expect(transcriber().transcribe({ jobId: 'job-1', index: 0, audio, prompt: null })).rejects.toMatchObject({
      name: 'CredentialsRejectedError',
      status: 403,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('scrubs the Authorization header when a server echoes it in an error', async () => {
    server.inject({ kind: 'status', status: 502, echoAuthorization: true });
    const result = await transcriber().transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });
    expect(result).toMatchObject({ kind: 'error', retryable: true, status: 502 });
    expectNoKey(result);
  });

  it('maps a stalled response past the timeout to a retryable error', async () => {
    server.inject({ kind: 'stall', ms: 3_000 });
    const startedAtMs = Date.now();
    const result = await transcriber({ timeoutMs: 300 }).transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });
    expect(result).toMatchObject({
      kind: 'error',
      retryable: true,
      status: null,
      message: expect.stringMatching(/timed out after 300 ms/),
    });
    expect(Date.now() - startedAtMs).toBeLessThan(2_500);
    expect(server.requests).toHaveLength(1);
  });

  it('maps a refused connection to a retryable error', async () => {
    const baseURL = server.baseURL;
    await server.close();
    const result = await new OpenAITranscriber({ apiKey, baseURL, timeoutMs: 2_000, logLevel: 'off' }).transcribe({
      jobId: 'job-1',
      index: 0,
      audio,
      prompt: null,
    });
    expect(result).toMatchObject({
      kind: 'error',
      retryable: true,
      status: null,
      message: expect.stringMatching(/connect/),
    });
    server = await startOpenAIServer({ apiKey });
  });

  it('makes exactly one request per call even on 429 (the SDK does not retry), then succeeds on the next call', async () => {
    server.inject({ kind: 'status', status: 429 }, { kind: 'status', status: 500 });
    const subject = transcriber();
    const results: TranscribeResult[] = [];
    for (let call = 0; call < 3; call += 1)
      results.push(await subject.transcribe({ jobId: 'job-1', index: 0, audio, prompt: null }));
    expect(results.map((result) => (result.kind === 'ok' ? 'ok' : result.status))).toEqual([429, 500, 'ok']);
    expect(server.requests.map((request) => request.status)).toEqual([429, 500, 200]);
  });
});

describe('OpenAITranscriber configuration and secrecy', () => {
  it('requires an API key, naming OPENAI_API_KEY', () => {
    vi.stubEnv('OPENAI_API_KEY', '');
    try {
      expect(() => new OpenAITranscriber({ baseURL: server.baseURL })).toThrow(TypeError);
      expect(() => new OpenAITranscriber({ baseURL: server.baseURL })).toThrow(/OPENAI_API_KEY/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('takes the key from OPENAI_API_KEY when none is passed', async () => {
    vi.stubEnv('OPENAI_API_KEY', apiKey);
    try {
      const result = await new OpenAITranscriber({ baseURL: server.baseURL, logLevel: 'off' }).transcribe({
        jobId: 'job-1',
        index: 0,
        audio,
        prompt: null,
      });
      expect(result.kind).toBe('ok');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('accepts the three transcription models and refuses any other with a TypeError', () => {
    for (const model of ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe'] as const) {
      expect(transcriber({ model }).model).toBe(model);
    }
    expect(() => transcriber({ model: 'gpt-4o' as 'whisper-1' })).toThrow(TypeError);
    expect(() => transcriber({ language: 'English' })).toThrow(TypeError);
    expect(() => transcriber({ timeoutMs: 0 })).toThrow(RangeError);
  });

  it('rejects a malformed request at the boundary', async () => {
    const subject = transcriber();
    await expect(subject.transcribe({ jobId: '../x', index: 0, audio, prompt: null })).rejects.toThrow(TypeError);
    await expect(subject.transcribe({ jobId: 'job-1', index: -1, audio, prompt: null })).rejects.toThrow(RangeError);
    await expect(
      subject.transcribe({ jobId: 'job-1', index: 0, audio: new Uint8Array(0), prompt: null }),
    ).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it('keeps the key out of inspection and out of the SDK debug log', async () => {
    const lines: string[] = [];
    const capture = (line: string) => {
      lines.push(line);
    };
    const subject = transcriber({
      logLevel: 'debug',
      logger: { error: capture, warn: capture, info: capture, debug: capture },
    });
    expectNoKey(inspect(subject, { depth: 10, showHidden: true }));
    server.inject({ kind: 'status', status: 500, echoAuthorization: true });
    await subject.transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });
    await subject.transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expectNoKey(line);
  });
});

describe('OpenAITranscriber on resets and Retry-After', () => {
  const transcribe = () => transcriber().transcribe({ jobId: 'job-1', index: 0, audio, prompt: null });

  it('makes a connection cut mid-reply a retryable error', async () => {
    server.inject({ kind: 'reset' });
    const result = await transcribe();
    expect(result).toMatchObject({ kind: 'error', retryable: true, status: null });
    expect(result.kind === 'error' ? result.message : '').toMatch(/cut off: terminated/);
    expect(server.requests).toHaveLength(1);
  });

  it('passes Retry-After (seconds) on as retryAfterMs', async () => {
    server.inject({ kind: 'status', status: 429, retryAfter: '30' });
    expect(await transcribe()).toMatchObject({ kind: 'error', retryable: true, status: 429, retryAfterMs: 30_000 });
  });

  it('reads retry-after-ms, seconds and HTTP dates, and ignores what it cannot read', () => {
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(retryAfterMsOf(headers({ 'retry-after-ms': '1500' }))).toBe(1_500);
    expect(retryAfterMsOf(headers({ 'retry-after': '2.5' }))).toBe(2_500);
    expect(
      retryAfterMsOf(
        headers({ 'retry-after': 'Mon, 30 Nov 2026 12:00:30 GMT' }),
        Date.parse('Mon, 30 Nov 2026 12:00:00 GMT'),
      ),
    ).toBe(30_000);
    expect(retryAfterMsOf(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMsOf(headers({}))).toBeUndefined();
    expect(retryAfterMsOf(undefined)).toBeUndefined();
  });
});
