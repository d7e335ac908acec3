/**
 * The reference ChunkStore: chunk files held in memory, verified by size and sha256 exactly as
 * the file-system store verifies them. Writers put whole files (`put`); partial files exist only
 * as `.part` entries until published, so a crash mid-write never leaves a file that looks whole.
 * A tool that writes to a path (ffmpeg) writes through the ChunkWriter port: a partial file in a
 * temporary directory of its own, read into memory and removed when published or discarded.
 */
import { mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChunkFileStatus } from '../../core/planner.js';
import { describe, validateChunkIndex, validateJobId } from '../../core/types.js';
import { sha256Hex } from '../sha256.js';
import type { ChunkDigest, ChunkRead, ChunkStore, ChunkWriter } from '../../ports.js';

export { sha256Hex };

/** In-memory chunk files keyed by job and index, with partial files kept apart. */
export class MemoryChunkStore implements ChunkStore, ChunkWriter {
  private readonly files = new Map<string, Map<string, Uint8Array>>();
  /** Partial-file paths handed out by {@link partPath} and not yet published or discarded: path → chunk. */
  private readonly parts = new Map<string, string>();

  /** A fresh partial-file path for chunk `index`, in a temporary directory of its own (ChunkWriter). */
  async partPath(jobId: string, index: number): Promise<string> {
    validateJobId(jobId);
    validateChunkIndex(index);
    const directory = await mkdtemp(path.join(tmpdir(), 'chunkwise-part-'));
    const partPath = path.join(directory, `${index}.part`);
    this.parts.set(partPath, `${jobId}/${index}`);
    return partPath;
  }

  /** Reads the partial file at `partPath` into memory as chunk `index`, then removes it (ChunkWriter). */
  async publishPart(jobId: string, index: number, partPath: string): Promise<ChunkDigest> {
    this.requirePart(jobId, index, partPath);
    const data = new Uint8Array(await readFile(partPath));
    await this.dropPart(partPath);
    return this.put(jobId, index, data);
  }

  /**
   * Removes a partial file and its directory (ChunkWriter); one already published or discarded is fine (a path of
   * the same form: a `chunkwise-part-` directory in the temporary directory holding `<index>.part`).
   */
  async discardPart(jobId: string, index: number, partPath: string): Promise<void> {
    if (!this.parts.has(partPath)) {
      validateJobId(jobId);
      validateChunkIndex(index);
      const directory = path.dirname(partPath);
      const ours =
        path.dirname(directory) === tmpdir() &&
        path.basename(directory).startsWith('chunkwise-part-') &&
        path.basename(partPath) === `${index}.part`;
      if (!ours)
        throw new TypeError(`partPath ${describe(partPath)} is not a partial file of chunk ${index} of job ${jobId}`);
    } else this.requirePart(jobId, index, partPath);
    await this.dropPart(partPath);
  }

  private requirePart(jobId: string, index: number, partPath: string): void {
    validateJobId(jobId);
    validateChunkIndex(index);
    if (this.parts.get(partPath) !== `${jobId}/${index}`)
      throw new TypeError(`partPath ${describe(partPath)} is not a partial file of chunk ${index} of job ${jobId}`);
  }

  /**
   * Removes a partial file, then its directory if that is now empty: never a recursive removal, so that a path that
   * slipped past the checks above can cost at most that one file.
   */
  private async dropPart(partPath: string): Promise<void> {
    this.parts.delete(partPath);
    await rm(partPath, { force: true });
    await rmdir(path.dirname(partPath)).catch(() => undefined);
  }

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
