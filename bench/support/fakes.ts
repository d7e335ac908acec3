/**
 * Simple in-process ports for benchmarks on real time: media that writes deterministic chunk bytes
 * into a MemoryChunkStore, a transcriber that answers after an optional delay and logs when each
 * request arrived, and a kill switch that turns a worker into a crashed one (every later port call
 * of it never returns, so its lease stops being renewed and expires, as a dead process's would).
 */
import { createHash } from 'node:crypto';
import type { MemoryChunkStore } from '../../src/adapters/memory/index.js';
import type { ChunkSpec } from '../../src/core/types.js';
import type {
  ExtractResult,
  JobStore,
  Media,
  ProbeResult,
  TranscribeRequest,
  TranscribeResult,
  Transcriber,
} from '../../src/ports.js';
import { decorateStore, type StoreArgs } from '../../src/runtime/decorate-store.js';

/** Wall-clock ms with sub-ms resolution, comparable with Date.now() and the Redis server clock on this host. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits `ms`, or one macrotask turn when `ms` is 0. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => (ms <= 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));
}

/** The deterministic bytes of chunk `index` of `source`: `size` bytes. */
export function chunkBytes(source: string, index: number, size: number): Uint8Array {
  const seed = createHash('sha256').update(`${source}|${index}`).digest();
  const data = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 1) data[offset] = (seed[offset % seed.length] ?? 0) ^ (offset & 0xff);
  return data;
}

/** Media whose sources are registered by duration; extraction puts `chunkBytesSize` bytes per chunk. */
export class BenchMedia implements Media {
  readonly durations = new Map<string, number>();
  constructor(
    private readonly chunkStore: MemoryChunkStore,
    private readonly chunkBytesSize: number,
    private readonly latencyMs = 0,
  ) {}

  async probe(source: string): Promise<ProbeResult> {
    await delay(this.latencyMs);
    const durationMs = this.durations.get(source);
    return durationMs === undefined
      ? { kind: 'source_missing', message: `no source ${source}` }
      : { kind: 'ok', durationMs };
  }

  async extractChunk(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): Promise<ExtractResult> {
    await delay(this.latencyMs);
    const digest = this.chunkStore.put(
      request.jobId,
      request.chunk.index,
      chunkBytes(request.source, request.chunk.index, this.chunkBytesSize),
    );
    return { kind: 'ok', bytes: digest.bytes, sha256: digest.sha256 };
  }
}

/** One transcription request as it arrived. */
export interface TranscriptionCall {
  readonly workerId: string;
  readonly jobId: string;
  readonly index: number;
  readonly atEpochMs: number;
}

/** A transcriber answering `<job>#<index>` after `latencyMs`; every request is logged. */
export class BenchTranscriber implements Transcriber {
  constructor(
    private readonly workerId: string,
    private readonly calls: TranscriptionCall[],
    private readonly latencyMs = 0,
  ) {}

  async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    this.calls.push({ workerId: this.workerId, jobId: request.jobId, index: request.index, atEpochMs: epochMs() });
    await delay(this.latencyMs);
    return { kind: 'ok', text: `${request.jobId}#${request.index}:${request.audio.byteLength}` };
  }
}

/** A switch that, once thrown, makes every wrapped port call hang forever (a crashed process). */
export class KillSwitch {
  killed = false;

  /** Wraps every method of `target`: a call after the kill, or a reply arriving after it, never settles. */
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (this.killed) return new Promise(() => {});
          const result: unknown = await (value as (...parameters: unknown[]) => unknown).apply(object, args);
          if (this.killed) return new Promise(() => {});
          return result;
        };
      },
    });
  }
}

/**
 * A store whose listRecoverableJobs only shows jobs in `visible` (keeps a benchmark's worker off jobs still being set
 * up).
 */
export function gatedStore(store: JobStore, visible: ReadonlySet<string>, onClaim?: (jobId: string) => void): JobStore {
  return decorateStore(store, (name, args, proceed) => {
    if (name === 'listRecoverableJobs')
      return proceed().then((ids) => (ids as string[]).filter((jobId) => visible.has(jobId)) as typeof ids);
    if (name === 'claimJob') onClaim?.((args as StoreArgs<'claimJob'>)[0].jobId);
    return proceed();
  });
}
