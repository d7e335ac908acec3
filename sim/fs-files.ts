/**
 * Chunk files of a simulated world: the memory reference, or the real file-system store
 * (`FsChunkStore`) on a temporary directory of its own (`--chunk-files fs`), so that its partial
 * files, owner marks, atomic publication and removal run under the simulator's faults. Writes go
 * through the store's own `partPath` → write → `publish`; a crash in the middle of an extraction
 * leaves a partial file behind, as a killed process does. Fault injection (damage, deletion) and
 * the checkers read the directory directly and synchronously.
 */
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryChunkStore } from '../src/adapters/memory/chunks.js';
import { FsChunkStore, ownerMarkFileName } from '../src/adapters/fs/index.js';
import type { ChunkFileStatus } from '../src/core/planner.js';
import type { ChunkDigest, ChunkRead, ChunkStore } from '../src/ports.js';

/** Where the chunk files of a simulated world live. */
export type ChunkFilesKind = 'memory' | 'fs';
export const chunkFilesKinds: readonly ChunkFilesKind[] = ['memory', 'fs'];

/** What the world does with chunk files besides the ChunkStore port the workers use. */
export interface SimChunkFiles extends ChunkStore {
  /** Writes a whole chunk file (partial file, then published) and returns its digest. */
  put(jobId: string, index: number, data: Uint8Array): ChunkDigest | Promise<ChunkDigest>;
  /** Leaves a partial file, as a writer killed mid-write does. */
  putPart(jobId: string, index: number, data: Uint8Array): void | Promise<void>;
  /** The raw bytes of a chunk file, or undefined. */
  peek(jobId: string, index: number): Uint8Array | undefined;
  /** Replaces a chunk file's bytes (fault injection). */
  overwrite(jobId: string, index: number, data: Uint8Array): void;
  /** Deletes a chunk file (fault injection). */
  deleteFile(jobId: string, index: number): void;
  /** Every file of a job, partial files included (the owner mark excepted). */
  fileNames(jobId: string): string[];
  /** Removes what the files took (a temporary directory). */
  close?(): void;
}

/** The chunk files of one world. */
export function simChunkFiles(kind: ChunkFilesKind = 'memory'): SimChunkFiles {
  return kind === 'fs' ? new FsChunkFiles() : new MemoryChunkStore();
}

/** FsChunkStore on a temporary directory, with the world's synchronous views. */
class FsChunkFiles implements SimChunkFiles {
  private readonly store: FsChunkStore;
  private scratch = 0;

  constructor() {
    this.store = new FsChunkStore({
      root: mkdtempSync(path.join(tmpdir(), 'chunkwise-sim-')),
      namespace: 'chunkwise-sim',
    });
  }

  async put(jobId: string, index: number, data: Uint8Array): Promise<ChunkDigest> {
    const part = await this.store.partPath(jobId, index);
    await writeFile(part, data);
    return this.store.publish(jobId, index, part);
  }

  async putPart(jobId: string, index: number, data: Uint8Array): Promise<void> {
    await writeFile(await this.store.partPath(jobId, index), data);
  }

  peek(jobId: string, index: number): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.store.chunkPath(jobId, index)));
    } catch {
      return undefined;
    }
  }

  overwrite(jobId: string, index: number, data: Uint8Array): void {
    // As writers do: a new file renamed over the old one, so no reader sees a torn file.
    this.scratch += 1;
    const temporary = path.join(this.store.jobDirectory(jobId), `.damage-${this.scratch}.tmp`);
    writeFileSync(temporary, data);
    renameSync(temporary, this.store.chunkPath(jobId, index));
  }

  deleteFile(jobId: string, index: number): void {
    rmSync(this.store.chunkPath(jobId, index), { force: true });
  }

  fileNames(jobId: string): string[] {
    try {
      return readdirSync(this.store.jobDirectory(jobId))
        .filter((name) => name !== ownerMarkFileName)
        .sort();
    } catch {
      return [];
    }
  }

  check(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkFileStatus> {
    return this.store.check(jobId, index, expected);
  }

  read(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkRead> {
    return this.store.read(jobId, index, expected);
  }

  removeJob(jobId: string): Promise<void> {
    return this.store.removeJob(jobId);
  }

  listJobIds(): Promise<string[]> {
    return this.store.listJobIds();
  }

  close(): void {
    rmSync(this.store.root, { recursive: true, force: true });
  }
}
