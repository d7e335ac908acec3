/**
 * A local stand-in for the OpenAI audio API: `POST /v1/audio/transcriptions` on 127.0.0.1 with
 * a random port. It parses the multipart request with the Web `Request.formData()`, answers
 * `{ text }` derived from the file's name and sha256, logs every request, checks the bearer
 * key, and injects faults on demand: one queued fault per request, in arrival order; an error
 * window in which every request gets an error status; and a latency before every answer.
 *
 * A client may put a tag in front of the path, `/as/<tag>/v1/audio/transcriptions` (its base URL
 * is {@link FakeOpenAIServer.clientURL}), so that the log tells which process sent each request.
 * A file named `<jobId>.chunk-<index>.wav`, as OpenAITranscriber names its uploads, is logged
 * with its job and chunk.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the next request meets instead of a transcription. */
export type TranscriptionFault =
  /**
   * An error status with an OpenAI-shaped error body; `echoAuthorization` puts the request's Authorization header in
   * the message.
   */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly echoAuthorization?: boolean;
      readonly retryAfter?: string;
    }
  /** Starts a 200 answer, then cuts the connection mid-body (a reset: the client sees "terminated"). */
  | { readonly kind: 'reset' }
  /** Waits `ms` before answering normally (longer than the client's timeout: the client gives up). */
  | { readonly kind: 'stall'; readonly ms: number }
  /** Answers 200 with a body that is not a transcription. */
  | { readonly kind: 'not_transcription'; readonly body: string; readonly contentType: string };

/** One request as the server saw it. */
export interface LoggedRequest {
  /** When the request's headers arrived (epoch ms, this machine's clock). */
  readonly atMs: number;
  /** The tag of the path the request came through, or null for the untagged path. */
  readonly client: string | null;
  readonly fileName: string | null;
  /** Job and chunk of a file named `<jobId>.chunk-<index>.wav`, else null. */
  readonly jobId: string | null;
  readonly index: number | null;
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
  /**
   * Until `untilMs` (epoch ms), every transcription request is answered with the status `status()`
   * picks, with a `Retry-After` header when `retryAfter` is given.
   */
  failUntil(untilMs: number, status: () => number, retryAfter?: string): void;
  /** Base URL for a client tagged `tag` (any non-empty string). */
  clientURL(tag: string): string;
  close(): Promise<void>;
}

/** Options of {@link startOpenAIServer}. */
export interface OpenAIServerOptions {
  readonly apiKey: string;
  /** Delay before each answer to a transcription request, in ms (default none). */
  readonly latencyMs?: () => number;
}

/** Largest request body accepted (the API's 25 MB plus multipart overhead). */
const requestBytesMax = 26 * 1024 * 1024;

/** The transcript the server returns for a file: a pure function of its name and bytes. */
export function transcriptFor(fileName: string, sha256: string): string {
  return `transcript of ${fileName} ${sha256.slice(0, 16)}`;
}

/** Job and chunk of an upload named `<jobId>.chunk-<index>.wav`, or null. */
export function chunkOfFileName(fileName: string): { readonly jobId: string; readonly index: number } | null {
  const match = /^([A-Za-z0-9_-]{1,128})\.chunk-(\d{1,9})\.wav$/.exec(fileName);
  return match === null ? null : { jobId: match[1] ?? '', index: Number(match[2]) };
}

const routePattern = /^(?:\/as\/([^/?]+))?\/v1\/audio\/transcriptions$/;

/** Starts the server; close it after the test. */
export async function startOpenAIServer(options: OpenAIServerOptions): Promise<FakeOpenAIServer> {
  const requests: LoggedRequest[] = [];
  const faults: TranscriptionFault[] = [];
  const stalls = new Set<NodeJS.Timeout>();
  const failing: { untilMs: number; status: () => number; retryAfter?: string } = { untilMs: 0, status: () => 500 };
  const later = (ms: number, answer: () => void) => {
    if (ms <= 0) return answer();
    const timer = setTimeout(() => {
      stalls.delete(timer);
      answer();
    }, ms);
    stalls.add(timer);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const atMs = Date.now();
    const route = routePattern.exec(request.url ?? '');
    const client = route?.[1] === undefined ? null : decodeURIComponent(route[1]);
    const body = await readBody(request);
    const log = (entry: Partial<LoggedRequest> & { status: number }) =>
      requests.push({
        atMs,
        client,
        fileName: null,
        jobId: null,
        index: null,
        sha256: null,
        prompt: null,
        model: null,
        language: null,
        fault: null,
        ...entry,
      });
    if (request.method !== 'POST' || route === null) {
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
    const seen = {
      fileName: file.name,
      jobId: chunkOfFileName(file.name)?.jobId ?? null,
      index: chunkOfFileName(file.name)?.index ?? null,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      prompt: field('prompt'),
      model: field('model'),
      language: field('language'),
    };
    const windowFault: TranscriptionFault = {
      kind: 'status',
      status: failing.status(),
      ...(failing.retryAfter === undefined ? {} : { retryAfter: failing.retryAfter }),
    };
    const fault: TranscriptionFault | null = faults.shift() ?? (atMs < failing.untilMs ? windowFault : null);
    const text = transcriptFor(seen.fileName, seen.sha256);
    const delayMs = options.latencyMs?.() ?? 0;
    if (fault === null) {
      log({ ...seen, status: 200 });
      return later(delayMs, () => sendJson(response, 200, { text }));
    }
    switch (fault.kind) {
      case 'status': {
        log({ ...seen, status: fault.status, fault: fault.kind });
        const message =
          fault.echoAuthorization === true
            ? `upstream rejected request with ${authorization}`
            : `injected ${fault.status}`;
        return later(delayMs, () =>
          sendError(
            response,
            fault.status,
            message,
            fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
          ),
        );
      }
      case 'reset': {
        log({ ...seen, status: 200, fault: fault.kind });
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        response.write('{"text":"half an ans');
        setTimeout(() => response.socket?.destroy(), 20);
        return;
      }
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
    failUntil: (untilMs, status, retryAfter) => {
      failing.untilMs = untilMs;
      failing.status = status;
      if (retryAfter === undefined) delete failing.retryAfter;
      else failing.retryAfter = retryAfter;
    },
    clientURL: (tag) => {
      if (typeof tag !== 'string' || tag.length === 0) throw new TypeError('tag must be a non-empty string');
      return `http://127.0.0.1:${port}/as/${encodeURIComponent(tag)}/v1`;
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

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // The client may have gone (a killed worker) while the answer waited.
  if (response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, { error: { message, type: 'invalid_request_error', param: null, code: null } }, headers);
}
