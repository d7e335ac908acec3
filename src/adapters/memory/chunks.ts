/**
 * The reference ChunkStore: chunk files held in memory, verified by size and sha256 exactly as
 * the file-system store verifies them. Writers put whole files (`put`); partial files exist only
 * as `.part` entries until published, so a crash mid-write never leaves a file that looks whole.
 */
import { createHash } from 'node:crypto';
import type { ChunkFileStatus } from '../../core/planner.js';
import { validateChunkIndex, validateJobId } from '../../core/types.js';
import type { ChunkDigest, ChunkRead, ChunkStore } from '../../ports.js';

/** sha256 of `data` as lowercase hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** In-memory chunk files keyed by job and index, with partial files kept apart. */
export class MemoryChunkStore implements ChunkStore {
  private readonly files = new Map<string, Map<string, Uint8Array>>();

  /** Writes a partial file (`<index>.part`), as an extraction in progress does. */
  putPart(jobId: string, index: number, data: Uint8Array): void {
    this.dir(jobId).set(`${index}.part`, data);
  }

  /** Publishes a partial file under its final name (the rename). */
  publish(jobId: string, index: number): ChunkDigest {
    const dir = this.dir(jobId);
    const data = dir.get(`${index}.part`);
    if (data === undefined) throw new Error(`no partial file for chunk ${index} of job ${jobId}`);
    dir.delete(`${index}.part`);
    dir.set(String(index), data);
    return { bytes: data.byteLength, sha256: sha256Hex(data) };
  }

  /** Writes a whole chunk file at once and returns its digest. */
  put(jobId: string, index: number, data: Uint8Array): ChunkDigest {
    this.putPart(jobId, index, data);
    return this.publish(jobId, index);
  }

  /** The raw bytes of a chunk file, or undefined (no verification). */
  peek(jobId: string, index: number): Uint8Array | undefined {
    return this.files.get(jobId)?.get(String(index));
  }

  /** Replaces a chunk file's bytes without any check (fault injection). */
  overwrite(jobId: string, index: number, data: Uint8Array): void {
    this.dir(jobId).set(String(index), data);
  }

  /** Deletes one chunk file (fault injection). */
  deleteFile(jobId: string, index: number): void {
    this.files.get(jobId)?.delete(String(index));
  }

  /** Names of every file of a job, partial files included. */
  fileNames(jobId: string): string[] {
    return [...(this.files.get(jobId)?.keys() ?? [])];
  }

  async check(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkFileStatus> {
    return (await this.read(jobId, index, expected)).kind;
  }

  async read(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkRead> {
    validateJobId(jobId);
    validateChunkIndex(index);
    const data = this.peek(jobId, index);
    if (data === undefined) return { kind: 'missing' };
    if (data.byteLength !== expected.bytes)
      return { kind: 'corrupt', detail: `size ${data.byteLength}, expected ${expected.bytes}` };
    const actual = sha256Hex(data);
    if (actual !== expected.sha256)
      return { kind: 'corrupt', detail: `sha256 ${actual.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…` };
    return { kind: 'ok', data };
  }

  async removeJob(jobId: string): Promise<void> {
    validateJobId(jobId);
    this.files.delete(jobId);
  }

  async listJobIds(): Promise<string[]> {
    return [...this.files.entries()].filter(([, dir]) => dir.size > 0).map(([jobId]) => jobId);
  }

  private dir(jobId: string): Map<string, Uint8Array> {
    validateJobId(jobId);
    let dir = this.files.get(jobId);
    if (dir === undefined) {
      dir = new Map();
      this.files.set(jobId, dir);
    }
    return dir;
  }
}
