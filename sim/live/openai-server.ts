/**
 * A local stand-in for the OpenAI audio API: `POST /v1/audio/transcriptions` on 127.0.0.1 with
 * a random port. It parses the multipart request with the Web `Request.formData()`, answers
 * `{ text }` derived from the file's name and sha256, logs every request, checks the bearer
 * key, and injects faults on demand (one queued fault per request, in arrival order).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the next request meets instead of a transcription. */
export type TranscriptionFault =
  /** An error status with an OpenAI-shaped error body; `echoAuthorization` puts the request's Authorization header in the message. */
  | { readonly kind: 'status'; readonly status: number; readonly echoAuthorization?: boolean }
  /** Waits `ms` before answering normally (longer than the client's timeout: the client gives up). */
  | { readonly kind: 'stall'; readonly ms: number }
  /** Answers 200 with a body that is not a transcription. */
  | { readonly kind: 'not_transcription'; readonly body: string; readonly contentType: string };

/** One request as the server saw it. */
export interface LoggedRequest {
  readonly atMs: number;
  readonly fileName: string | null;
  readonly sha256: string | null;
  readonly prompt: string | null;
  readonly model: string | null;
  readonly language: string | null;
  readonly status: number;
  readonly fault: TranscriptionFault['kind'] | null;
}

/** The running server. */
export interface FakeOpenAIServer {
  /** Base URL for the SDK, `http://127.0.0.1:<port>/v1`. */
  readonly baseURL: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly LoggedRequest[];
  /** Queues faults; each is consumed by one request. */
  inject(...faults: TranscriptionFault[]): void;
  close(): Promise<void>;
}

/** Largest request body accepted (the API's 25 MB plus multipart overhead). */
const requestBytesMax = 26 * 1024 * 1024;

/** The transcript the server returns for a file: a pure function of its name and bytes. */
export function transcriptFor(fileName: string, sha256: string): string {
  return `transcript of ${fileName} ${sha256.slice(0, 16)}`;
}

/** Starts the server; close it after the test. */
export async function startOpenAIServer(options: { readonly apiKey: string }): Promise<FakeOpenAIServer> {
  const requests: LoggedRequest[] = [];
  const faults: TranscriptionFault[] = [];
  const stalls = new Set<NodeJS.Timeout>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const log = (entry: Partial<LoggedRequest> & { status: number }) =>
      requests.push({ atMs: Date.now(), fileName: null, sha256: null, prompt: null, model: null, language: null, fault: null, ...entry });
    if (request.method !== 'POST' || request.url !== '/v1/audio/transcriptions') {
      log({ status: 404 });
      return sendError(response, 404, `no route ${request.method ?? ''} ${request.url ?? ''}`);
    }
    if (body === null) {
      log({ status: 413 });
      return sendError(response, 413, 'request too large');
    }
    const authorization = request.headers.authorization ?? '';
    if (authorization !== `Bearer ${options.apiKey}`) {
      log({ status: 401 });
      return sendError(response, 401, `Incorrect API key provided: ${authorization.replace(/^Bearer /, '')}`);
    }
    const form = await new Request('http://127.0.0.1/v1/audio/transcriptions', {
      method: 'POST',
      headers: { 'content-type': request.headers['content-type'] ?? '' },
      body,
    }).formData();
    const file = form.get('file');
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : null;
    };
    if (typeof file === 'string' || file === null || field('model') === null) {
      log({ status: 400, model: field('model') });
      return sendError(response, 400, 'file and model are required');
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const seen = { fileName: file.name, sha256: createHash('sha256').update(bytes).digest('hex'), prompt: field('prompt'), model: field('model'), language: field('language') };
    const fault = faults.shift() ?? null;
    const text = transcriptFor(seen.fileName, seen.sha256);
    if (fault === null) {
      log({ ...seen, status: 200 });
      return sendJson(response, 200, { text });
    }
    switch (fault.kind) {
      case 'status':
        log({ ...seen, status: fault.status, fault: fault.kind });
        return sendError(response, fault.status, fault.echoAuthorization === true ? `upstream rejected request with ${authorization}` : `injected ${fault.status}`);
      case 'stall': {
        log({ ...seen, status: 200, fault: fault.kind });
        const timer = setTimeout(() => {
          stalls.delete(timer);
          if (!response.destroyed) sendJson(response, 200, { text });
        }, fault.ms);
        stalls.add(timer);
        return;
      }
      case 'not_transcription':
        log({ ...seen, status: 200, fault: fault.kind });
        response.writeHead(200, { 'content-type': fault.contentType });
        response.end(fault.body);
        return;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, `test server failed: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    inject: (...more) => {
      faults.push(...more);
    },
    close: async () => {
      for (const timer of stalls) clearTimeout(timer);
      stalls.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The whole request body, or null past requestBytesMax. */
async function readBody(request: IncomingMessage): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of request) {
    const buffer = part as Buffer;
    total += buffer.length;
    if (total > requestBytesMax) return null;
    parts.push(buffer);
  }
  return Buffer.concat(parts);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, message: string): void {
  sendJson(response, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });
}
