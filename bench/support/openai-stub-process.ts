/**
 * sim/live's stand-in of the OpenAI transcription endpoint, run in a process of its own so that its work (reading and
 * parsing each multipart upload, hashing the audio) does not share the measured process's event loop, as the real
 * API does not. Run as a script, it starts the server with a fixed latency, prints `{"baseURL": …}` as one line on
 * stdout, and closes when its stdin ends (the parent ended or closed it) or on SIGTERM.
 *
 *   node --import tsx bench/support/openai-stub-process.ts <apiKey> <latencyMs>
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startOpenAIServer } from '../../sim/live/openai-server.js';

/** Longest the child may take to print its address, in ms. */
const startTimeoutMs = 30_000;

/** A stand-in running in a child process. */
export interface StubProcess {
  readonly baseURL: string;
  readonly pid: number;
  /** Closes the child's stdin and waits for it to exit (SIGTERM after a grace period). */
  close(): Promise<void>;
}

/** Starts the stand-in in a child process answering every transcription after `latencyMs`. */
export async function startStubProcess(apiKey: string, latencyMs: number): Promise<StubProcess> {
  const entry = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', entry, apiKey, String(latencyMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const baseURL = await firstLine(child);
    return {
      baseURL,
      pid: child.pid ?? -1,
      close: async () => {
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    throw error;
  }
}

/** The base URL the child prints first. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-in did not start in time')), startTimeoutMs);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        const { baseURL } = JSON.parse(line) as { baseURL: unknown };
        if (typeof baseURL !== 'string') throw new TypeError(`no baseURL in ${line}`);
        resolve(baseURL);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the stand-in exited with ${String(code)} before it started`));
    });
  });
}

async function serve(apiKey: string, latencyMs: number): Promise<void> {
  const server = await startOpenAIServer({ apiKey, latencyMs: () => latencyMs });
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    void server.close().then(() => process.exit(0));
  };
  process.stdin.on('end', close);
  process.stdin.on('error', close);
  process.stdin.resume();
  process.once('SIGTERM', close);
  process.stdout.write(`${JSON.stringify({ baseURL: server.baseURL })}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [apiKey, latency] = process.argv.slice(2);
  const latencyMs = Number(latency);
  if (apiKey === undefined || !Number.isSafeInteger(latencyMs) || latencyMs < 0)
    throw new TypeError('usage: openai-stub-process.ts <apiKey> <latencyMs>');
  await serve(apiKey, latencyMs);
}
