/**
 * Simulated twins of every port, each bound to one worker incarnation (its actor). Every call is a
 * scheduling point: it is queued on the scheduler and runs when the choice sequence picks it.
 *
 * Faults they inject, and why each is recoverable:
 * - store (the memory reference behind a fault layer): down for an interval (the call fails
 *   unapplied with StoreUnavailableError: the worker backs off and retries); a reply lost after
 *   the write was applied (every write is idempotent by request id, so the retry is safe);
 *   latency (reorders calls between workers: every write is fenced by epoch).
 * - chunk store: files deleted, truncated or corrupted by the world (reads verify size and sha256;
 *   the worker re-extracts that chunk alone from the source).
 * - media: source deleted (the job fails with source_missing when it needs the source again).
 * - transcriber: 429, 500, timeout (retried with backoff), 400 (the job fails with a reason).
 * - every call: the worker crashes before it runs or after it ran but before the reply (the lease
 *   expires and another worker recovers), or pauses past its lease (its writes are then fenced).
 */
import { createHash } from 'node:crypto';
import { storeCallSubject, storeOperations, type StoreOperationName } from '../src/core/store-operations.js';
import type { ChunkFileStatus } from '../src/core/planner.js';
import type { ChunkSpec } from '../src/core/types.js';
import type {
  ChunkDigest,
  ChunkRead,
  ChunkStore,
  ExtractResult,
  JobStore,
  Media,
  ProbeResult,
  TranscribeRequest,
  TranscribeResult,
  Transcriber,
  WriteResult,
} from '../src/ports.js';
import type { CallTarget, InjectedTranscriberFault } from './faults/index.js';
import { decorateStore, type StoreResult } from '../src/runtime/decorate-store.js';

/** What the twins need from the world. */
export interface TwinHost {
  /** Runs `body` as a scheduled call of `actor`, with faults applied. */
  portCall<T>(actor: string, call: PortCallSpec<T>): Promise<T>;
}

/** A port call as the world sees it. */
export interface PortCallSpec<T> {
  readonly port: 'store' | 'chunks' | 'media' | 'transcriber';
  readonly op: string;
  readonly target: CallTarget | 'other';
  readonly subject: string;
  readonly latencyMs: number;
  readonly body: () => Promise<T>;
  /** Short text of the result for the history. */
  readonly describe: (result: T) => string;
  /** The epoch a fenced store write carries. */
  readonly epoch?: number;
  /** Called once the call is really issued (a worker crashing just before it never issues it). */
  readonly onIssue?: () => void;
}

/**
 * Entries each process-wide cache below keeps before it starts again: a campaign names the same few job ids and
 * chunk indices run after run, so the sha256 of each is taken once and not once per extraction or transcription.
 */
const cacheEntriesMax = 4_096;

/** The bytes of each chunk source by `job:index`, never handed out (callers get a copy they may change). */
const contents = new Map<string, Uint8Array>();

/** The deterministic bytes of chunk `index` of `jobId`'s source (a fresh copy on each call). */
export function chunkContent(jobId: string, index: number): Uint8Array {
  const key = `${jobId}:${index}`;
  let data = contents.get(key);
  if (data === undefined) {
    const seed = createHash('sha256').update(key).digest();
    data = new Uint8Array(64);
    for (let offset = 0; offset < data.length; offset += 1) data[offset] = seed[offset % seed.length] ?? 0;
    if (contents.size >= cacheEntriesMax) contents.clear();
    contents.set(key, data);
  }
  return data.slice();
}

/** Audio no longer than this is remembered (a chunk source is 64 bytes; a damaged one fewer). */
const digestedBytesMax = 256;

/** Digests of short audio, keyed by a 32-bit FNV-1a hash of its bytes, with the bytes to tell collisions apart. */
const digests = new Map<number, { readonly bytes: Uint8Array; readonly digest: string }>();

/** The first 8 hex digits of the sha256 of `audio` (what the history and the simulated transcript show). */
export function audioDigest(audio: Uint8Array): string {
  if (audio.byteLength > digestedBytesMax) return createHash('sha256').update(audio).digest('hex').slice(0, 8);
  let key = 0x811c9dc5;
  for (let offset = 0; offset < audio.byteLength; offset += 1)
    key = Math.imul(key ^ (audio[offset] as number), 0x01000193);
  const known = digests.get(key);
  if (known !== undefined && sameBytes(known.bytes, audio)) return known.digest;
  const digest = createHash('sha256').update(audio).digest('hex').slice(0, 8);
  if (digests.size >= cacheEntriesMax) digests.clear();
  digests.set(key, { bytes: audio.slice(), digest });
  return digest;
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let offset = 0; offset < left.byteLength; offset += 1) if (left[offset] !== right[offset]) return false;
  return true;
}

/** The transcript the simulated transcriber returns for `audio` of chunk `index` of `jobId`. */
export function transcriptOf(jobId: string, index: number, audio: Uint8Array): string {
  return transcriptText(jobId, index, audioDigest(audio));
}

/** The simulated transcript of audio whose {@link audioDigest} is `digest`. */
export function transcriptText(jobId: string, index: number, digest: string): string {
  return `${jobId}/${index}:${digest}`;
}

/** Transcripts of intact chunk sources by `job:index` (see {@link expectedTranscript}). */
const expectedTranscripts = new Map<string, string>();

/** The transcript of chunk `index` of `jobId` from its intact source: what a crash-free run commits. */
export function expectedTranscript(jobId: string, index: number): string {
  const key = `${jobId}:${index}`;
  let text = expectedTranscripts.get(key);
  if (text === undefined) {
    text = transcriptOf(jobId, index, chunkContent(jobId, index));
    if (expectedTranscripts.size >= cacheEntriesMax) expectedTranscripts.clear();
    expectedTranscripts.set(key, text);
  }
  return text;
}

function resultKind(result: { kind: string }): string {
  return result.kind;
}

function writeKind(result: WriteResult): string {
  return result.kind === 'ok' ? (result.duplicate ? 'ok duplicate' : 'ok') : result.kind;
}

/** The text of a store call's result in the history, for each operation. */
const storeResultText: { readonly [K in StoreOperationName]: (result: StoreResult<K>) => string } = {
  createJob: resultKind,
  claimJob: (result) =>
    result.kind === 'ok'
      ? `ok epoch ${result.job.epoch}${result.recovery ? ' recovery' : ''}${result.duplicate ? ' duplicate' : ''}`
      : result.kind,
  renewLease: resultKind,
  recordChunkPlan: writeKind,
  recordChunkRecreated: writeKind,
  markResumed: writeKind,
  commitChunk: writeKind,
  completeJob: writeKind,
  failJob: writeKind,
  releaseJob: writeKind,
  quarantineJob: writeKind,
  listRecoverableJobs: (ids) => `[${ids.join(',')}]`,
  getJob: (job) => job?.phase ?? 'null',
  readEvents: (events) => `${events.length} events`,
};

/** The operations a fault plan can aim at by name (every other store call is `other`). */
const storeTargets: Partial<Record<StoreOperationName, CallTarget>> = {
  claimJob: 'claim',
  commitChunk: 'commit',
  completeJob: 'complete',
};

/**
 * The memory reference store behind the fault layer: every operation is a scheduled call of
 * `actor`, with the latency `latencyMs` draws; a fenced write carries its request's epoch for the history.
 */
export function simStore(host: TwinHost, actor: string, inner: JobStore, latencyMs: () => number): JobStore {
  return decorateStore(inner, (name, args, proceed) => {
    // One shape for every store call (an absent epoch is undefined), not a spread of an object made for it.
    return host.portCall(actor, {
      port: 'store',
      op: name,
      target: storeTargets[name] ?? 'other',
      subject: storeCallSubject(name, args),
      latencyMs: latencyMs(),
      body: proceed,
      describe: storeResultText[name] as (result: StoreResult<typeof name>) => string,
      epoch: storeOperations[name].fenced ? (args[0] as { readonly epoch: number }).epoch : undefined,
    });
  });
}

/** Chunk files in memory; the world damages them. */
export class SimChunkStore implements ChunkStore {
  constructor(
    private readonly host: TwinHost,
    private readonly actor: string,
    private readonly inner: ChunkStore,
  ) {}

  check(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkFileStatus> {
    return this.host.portCall(this.actor, {
      port: 'chunks',
      op: 'check',
      target: 'other',
      subject: `${jobId}/${index}`,
      latencyMs: 1,
      body: () => this.inner.check(jobId, index, expected),
      describe: (status) => status,
    });
  }
  read(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkRead> {
    return this.host.portCall(this.actor, {
      port: 'chunks',
      op: 'read',
      target: 'other',
      subject: `${jobId}/${index}`,
      latencyMs: 1,
      body: () => this.inner.read(jobId, index, expected),
      describe: resultKind,
    });
  }
  removeJob(jobId: string): Promise<void> {
    return this.host.portCall(this.actor, {
      port: 'chunks',
      op: 'removeJob',
      target: 'other',
      subject: jobId,
      latencyMs: 1,
      body: () => this.inner.removeJob(jobId),
      describe: () => 'ok',
    });
  }
  listJobIds(): Promise<string[]> {
    return this.host.portCall(this.actor, {
      port: 'chunks',
      op: 'listJobIds',
      target: 'other',
      subject: '*',
      latencyMs: 1,
      body: () => this.inner.listJobIds(),
      describe: (ids) => `[${ids.join(',')}]`,
    });
  }
}

/** What the simulated media twin needs from the world. */
export interface MediaWorld {
  sourceExists(jobId: string): boolean;
  durationMsOf(source: string): number | undefined;
  jobIdOf(source: string): string | undefined;
  writeChunk(
    actor: string,
    jobId: string,
    index: number,
    data: Uint8Array,
  ): { bytes: number; sha256: string } | Promise<{ bytes: number; sha256: string }>;
  /** The message of a retryable error injected into this media call, if any (counted per call while faults are on). */
  nextMediaFault?(jobId: string | undefined): string | undefined;
}

/** Media tools over simulated sources: probing and extraction are deterministic. */
export class SimMedia implements Media {
  constructor(
    private readonly host: TwinHost,
    private readonly actor: string,
    private readonly world: MediaWorld,
    private readonly latencyMs: () => number,
  ) {}

  probe(source: string): Promise<ProbeResult> {
    return this.host.portCall(this.actor, {
      port: 'media',
      op: 'probe',
      target: 'other',
      subject: source,
      latencyMs: this.latencyMs(),
      body: async (): Promise<ProbeResult> => {
        const jobId = this.world.jobIdOf(source);
        const durationMs = this.world.durationMsOf(source);
        const failure = this.world.nextMediaFault?.(jobId);
        if (failure !== undefined) return { kind: 'error', retryable: true, message: failure };
        if (jobId === undefined || durationMs === undefined || !this.world.sourceExists(jobId))
          return { kind: 'source_missing', message: `${source} does not exist` };
        return { kind: 'ok', durationMs };
      },
      describe: resultKind,
    });
  }

  extractChunk(request: {
    readonly jobId: string;
    readonly source: string;
    readonly chunk: ChunkSpec;
  }): Promise<ExtractResult> {
    const { jobId, chunk } = request;
    return this.host.portCall(this.actor, {
      port: 'media',
      op: 'extractChunk',
      target: 'extract',
      subject: `${jobId}/${chunk.index}`,
      latencyMs: this.latencyMs(),
      body: async (): Promise<ExtractResult> => {
        const failure = this.world.nextMediaFault?.(jobId);
        if (failure !== undefined) return { kind: 'error', retryable: true, message: failure };
        if (!this.world.sourceExists(jobId))
          return { kind: 'source_missing', message: `${request.source} does not exist` };
        const digest = await this.world.writeChunk(this.actor, jobId, chunk.index, chunkContent(jobId, chunk.index));
        return { kind: 'ok', ...digest };
      },
      describe: resultKind,
    });
  }
}

/** What the simulated transcriber needs from the world. */
export interface TranscriberWorld {
  /** The injected error for this call, if any (counted per call while faults are on). */
  nextTranscriberFault(jobId: string): InjectedTranscriberFault | undefined;
  /** Records the call as issued; returns the digest of its audio (what the simulated transcript is made of). */
  recordTranscription(actor: string, request: TranscribeRequest): string;
}

export type { InjectedTranscriberFault } from './faults/index.js';

/** How long an injected transcriber timeout holds the call before it fails. */
export const transcriberTimeoutMs = 30_000;

/**
 * A transcriber whose text is derived from job, chunk and audio bytes, or, when the caller gives one, a transcriber
 * of its own, with the faults of the plan injected around it either way.
 */
export class SimTranscriber implements Transcriber {
  constructor(
    private readonly host: TwinHost,
    private readonly actor: string,
    private readonly world: TranscriberWorld,
    /** A transcriber of the caller's own, asked whenever no fault is injected; the simulated text otherwise. */
    private readonly own: Transcriber | undefined,
    private readonly latencyMs: () => number,
  ) {}

  transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    const fault = this.world.nextTranscriberFault(request.jobId);
    const latencyMs = fault?.error === 'timeout' ? transcriberTimeoutMs : this.latencyMs();
    // The audio as sent, digested once for the history and the transcript alike.
    let digest: string | undefined;
    return this.host.portCall(this.actor, {
      port: 'transcriber',
      op: 'transcribe',
      target: 'transcribe',
      subject: `${request.jobId}/${request.index}`,
      latencyMs,
      onIssue: () => {
        digest = this.world.recordTranscription(this.actor, request);
      },
      body: async (): Promise<TranscribeResult> => {
        if (fault?.error === 'timeout')
          return { kind: 'error', retryable: true, status: null, message: 'request timed out' };
        if (fault?.error === 'reset')
          return { kind: 'error', retryable: true, status: null, message: 'connection cut mid-reply (terminated)' };
        if (fault !== undefined) {
          return {
            kind: 'error',
            retryable: fault.error !== 400,
            status: fault.error,
            message: `HTTP ${fault.error}`,
            ...(fault.retryAfterMs === undefined ? {} : { retryAfterMs: fault.retryAfterMs }),
          };
        }
        if (this.own !== undefined) return this.own.transcribe(request);
        const text =
          digest === undefined
            ? transcriptOf(request.jobId, request.index, request.audio)
            : transcriptText(request.jobId, request.index, digest);
        return { kind: 'ok', text };
      },
      describe: (result) => (result.kind === 'ok' ? 'ok' : `error ${result.status ?? 'timeout'}`),
    });
  }
}
