/**
 * Chunk files on disk, one directory per job under a configured root:
 *
 * ```
 * <root>/<jobId>/<index>.<extension>                  a published chunk file
 * <root>/<jobId>/<index>.<extension>.<nonce>.part     a partial file being written
 * <root>/<jobId>/.chunkwise-owner                   the owner mark: the store's namespace
 * ```
 *
 * The root may be shared with other things (a mistyped directory, another deployment): the store
 * touches only job directories that carry its owner mark with its own namespace. It writes the
 * mark when it creates a job directory, refuses to write into a directory that is someone
 * else's, and its sweep and removeJob delete only marked directories (an unmarked directory that
 * is empty, which a crash between mkdir and the mark leaves, is removed with rmdir, which cannot
 * delete anything else). Symlinks in the root are never followed or removed.
 *
 * A writer asks for a partial file with {@link FsChunkStore.partPath}, writes it, and calls
 * {@link FsChunkStore.publish}, which fsyncs it, renames it to its final name and fsyncs the
 * directory: a crash at any point leaves either no final file or a whole one. Each partial file
 * has its own nonce so that two writers of the same chunk (a paused owner and its successor)
 * never write into the same file. Readers verify size and sha256 of exactly the bytes they read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import { assert } from '../../core/assert.js';
import type { ChunkFileStatus } from '../../core/planner.js';
import { describe, isSha256Hex, validateChunkIndex, validateJobId } from '../../core/types.js';
import type { ChunkDigest, ChunkRead, ChunkStore, ChunkWriter } from '../../ports.js';
import { sha256Hex } from '../sha256.js';

/** Largest chunk file the store reads or hashes (a chunk is sized for an upload limit far below). */
export const chunkFileBytesMax = 1024 * 1024 * 1024;
/** Size of the buffer used to hash a file. */
const hashBufferBytes = 1024 * 1024;
const extensionPattern = /^[a-z0-9]{1,16}$/;

/** Options of {@link FsChunkStore}. */
export interface FsChunkStoreOptions {
  /** The directory holding one directory per job. Created when first written. */
  readonly root: string;
  /** Extension of chunk files, without the dot (default `wav`). */
  readonly extension?: string;
  /**
   * Whose job directories these are (default `chunkwise`): written into each job directory's
   * owner mark; directories with another namespace, or none, are never touched. Give each
   * deployment that may share a root its own (the CLI uses the Redis key prefix).
   */
  readonly namespace?: string;
}

/** Times a job directory removed while being made is made again. */
const directoryAttemptsMax = 3;

/** Name of the owner mark in a job directory. */
export const ownerMarkFileName = '.chunkwise-owner';
const markTempPattern = /^\.chunkwise-owner\.[0-9a-f]{16}\.tmp$/;
/** Longest namespace, in characters. */
export const namespaceCharsMax = 200;

/** Chunk files on disk, written atomically (`.part` → fsync → rename → fsync directory) and verified on read. */
export class FsChunkStore implements ChunkStore, ChunkWriter {
  /** Absolute path of the root directory. */
  readonly root: string;
  /** Extension of chunk files, without the dot. */
  readonly extension: string;

  constructor(options: FsChunkStoreOptions) {
    if (typeof options.root !== 'string' || options.root.length === 0 || options.root.includes('\0')) {
      throw new TypeError(`root must be a non-empty path, got ${describe(options.root)}`);
    }
    const extension = options.extension ?? 'wav';
    if (!extensionPattern.test(extension) || extension === 'part') {
      throw new TypeError(`extension must match [a-z0-9]{1,16} and not be "part", got ${describe(extension)}`);
    }
    const namespace = options.namespace ?? 'chunkwise';
    if (
      typeof namespace !== 'string' ||
      namespace.length === 0 ||
      namespace.length > namespaceCharsMax ||
      [...namespace].some((character) => character < ' ' || character === '\u007f')
    ) {
      throw new TypeError(
        `namespace must be 1 to 200 characters without control characters, got ${describe(namespace)}`,
      );
    }
    this.root = path.resolve(options.root);
    this.extension = extension;
    this.namespace = namespace;
  }

  /** The namespace written into (and required of) every job directory's owner mark. */
  readonly namespace: string;

  /** The directory of a job's files. Throws a TypeError for an invalid job id. */
  jobDirectory(jobId: string): string {
    return this.confined(validateJobId(jobId));
  }

  /** The final path of chunk `index` of a job (whether or not the file exists). */
  chunkPath(jobId: string, index: number): string {
    return this.confined(validateJobId(jobId), this.chunkFileName(validateChunkIndex(index)));
  }

  /**
   * Creates the job's directory if needed and returns a fresh partial-file path for chunk
   * `index`, unique to this call. Write it, then {@link publish} it (or {@link discardPart} it).
   * Throws if the job's directory exists but is not a real directory (a symlink is never followed).
   */
  async partPath(jobId: string, index: number): Promise<string> {
    const directory = this.jobDirectory(jobId);
    validateChunkIndex(index);
    await this.makeJobDirectory(directory);
    const nonce = randomBytes(8).toString('hex');
    return this.confined(jobId, `${this.chunkFileName(index)}.${nonce}.part`);
  }

  /**
   * Publishes a partial file written at `partPath` as chunk `index`: fsyncs it, hashes it,
   * renames it over the final name and fsyncs the directory. Returns the digest of the
   * published bytes. On failure nothing is published (the final name is removed if the rename
   * happened but the directory could not be synced) and the error is thrown.
   */
  async publish(jobId: string, index: number, partPath: string): Promise<ChunkDigest> {
    const finalPath = this.chunkPath(jobId, index);
    this.requirePartPath(jobId, index, partPath);
    const handle = await open(partPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    let digest: ChunkDigest;
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error(`partial file ${partPath} is not a regular file`);
      if (stats.size > chunkFileBytesMax)
        throw new Error(`partial file ${partPath} has ${stats.size} bytes, more than ${chunkFileBytesMax}`);
      await handle.sync();
      digest = await hashHandle(handle, stats.size);
    } finally {
      await handle.close();
    }
    await rename(partPath, finalPath);
    try {
      await fsyncDirectory(path.dirname(finalPath));
    } catch (error) {
      await unlink(finalPath).catch(() => undefined);
      throw error;
    }
    return digest;
  }

  /** {@link publish} under the name of the {@link ChunkWriter} port. */
  async publishPart(jobId: string, index: number, partPath: string): Promise<ChunkDigest> {
    return this.publish(jobId, index, partPath);
  }

  /** Removes a partial file (a failed or abandoned write). Missing files are fine. */
  async discardPart(jobId: string, index: number, partPath: string): Promise<void> {
    this.requirePartPath(jobId, index, partPath);
    await rm(partPath, { force: true });
  }

  /**
   * `ok`, `missing`, or `corrupt` (size or sha256 mismatch, or not a regular file). Partial
   * files are invisible; a symlinked job directory counts as missing and a symlinked chunk file
   * as corrupt: neither is followed.
   */
  async check(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkFileStatus> {
    const read = await this.verify(jobId, index, expected, false);
    return read.kind === 'ok' ? 'ok' : read.kind;
  }

  /** The file's bytes, read once and verified (size, then sha256 of exactly those bytes); see {@link check}. */
  async read(jobId: string, index: number, expected: ChunkDigest): Promise<ChunkRead> {
    return this.verify(jobId, index, expected, true);
  }

  /**
   * Removes the job's directory, partial files included, if it is this store's (marked) or empty; anything else is left
   * alone. Idempotent.
   */
  async removeJob(jobId: string): Promise<void> {
    const directory = this.jobDirectory(jobId);
    const owner = await this.ownership(directory);
    if (owner === 'ours') await rm(directory, { recursive: true, force: true });
    else if (owner === 'empty') await this.removeEmpty(directory);
  }

  /**
   * Sorted ids of the job directories in the root that are this store's (marked with its
   * namespace) or empty, so that a sweep built on this list (and on removeJob) also clears what a
   * crashed writer left behind, and nothing else.
   */
  async listJobIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const entry of await this.jobEntries()) {
      const owner = await this.ownership(path.join(this.root, entry.name));
      if (owner === 'ours' || owner === 'empty') ids.push(entry.name);
    }
    return ids;
  }

  /**
   * Whose directory this is: `ours` (marked with this namespace), `empty`, `absent`, or `foreign`
   * (another namespace, no mark with files in it, or not a real directory).
   */
  private async ownership(directory: string): Promise<'ours' | 'empty' | 'absent' | 'foreign'> {
    if (!(await this.isRealDirectory(directory))) {
      return (await lstat(directory).then(
        () => true,
        () => false,
      ))
        ? 'foreign'
        : 'absent';
    }
    // The mark first: a job directory is read on every chunk written, and it is nearly always ours.
    const mark = await readFile(path.join(directory, ownerMarkFileName), {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    }).then(
      (text) => ({ text }),
      (error: unknown) => ({ code: errorCode(error) }),
    );
    if ('text' in mark) return mark.text === this.namespace ? 'ours' : 'foreign';
    if (mark.code !== 'ENOENT') return 'foreign';
    const entries = await readdir(directory).catch(() => undefined);
    if (entries === undefined) return (await this.isRealDirectory(directory)) ? 'foreign' : 'absent';
    // Another writer linked its mark in between: read the mark again rather than take it for a stranger's file.
    if (entries.includes(ownerMarkFileName))
      return (await this.markText(directory)) === this.namespace ? 'ours' : 'foreign';
    // Only half-written marks (of a writer that is marking it now, or crashed doing so): unclaimed.
    return entries.every((name) => markTempPattern.test(name)) ? 'empty' : 'foreign';
  }

  /** The text of a job directory's owner mark, or undefined when it cannot be read. */
  private async markText(directory: string): Promise<string | undefined> {
    return readFile(path.join(directory, ownerMarkFileName), {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    }).catch(() => undefined);
  }

  /**
   * Creates (or finds) a job directory and marks it. Another worker may remove the directory
   * meanwhile (the job ended): it is made again, a few times; after that the error has code
   * ENOENT, which a writer treats as a retryable vanishing.
   */
  private async makeJobDirectory(directory: string): Promise<void> {
    for (let attempt = 1; attempt <= directoryAttemptsMax; attempt += 1) {
      const created = await mkdir(directory, { recursive: true });
      if (created !== undefined) await fsyncDirectory(this.root);
      if (!(await this.isRealDirectory(directory))) {
        if (
          await lstat(directory).then(
            () => true,
            () => false,
          )
        )
          await this.requireRealDirectory(directory);
        continue;
      }
      try {
        await this.claimDirectory(directory);
        return;
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' && (await this.ownership(directory)) !== 'absent') throw error;
      }
    }
    throw Object.assign(
      new Error(`job directory ${directory} was removed while it was being made, ${directoryAttemptsMax} times`),
      { code: 'ENOENT' },
    );
  }

  /**
   * Marks a job directory as this store's, or throws if it is someone else's. The mark is written
   * to a temporary file and linked into place, so a mark is never seen half written and two
   * writers marking at once agree.
   */
  private async claimDirectory(directory: string): Promise<void> {
    const owner = await this.ownership(directory);
    if (owner === 'ours') return;
    if (owner === 'empty') {
      const temporary = path.join(directory, `${ownerMarkFileName}.${randomBytes(8).toString('hex')}.tmp`);
      const handle = await open(
        temporary,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      );
      try {
        await handle.writeFile(this.namespace);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await link(temporary, path.join(directory, ownerMarkFileName)).catch(ignoreCodes('EEXIST'));
      await unlink(temporary).catch(ignoreCodes('ENOENT'));
      if ((await this.ownership(directory)) === 'ours') return;
    }
    throw new Error(
      `job directory ${directory} exists and is not this store's (no owner mark "${this.namespace}"): refusing to write into it`,
    );
  }

  /** Removes an unclaimed directory: its half-written marks, then the directory (rmdir: only if empty). */
  private async removeEmpty(directory: string): Promise<void> {
    for (const name of await readdir(directory).catch(() => [])) {
      if (markTempPattern.test(name)) await unlink(path.join(directory, name)).catch(ignoreCodes('ENOENT'));
    }
    await rmdir(directory).catch(ignoreCodes('ENOENT', 'ENOTEMPTY', 'EEXIST'));
  }

  /**
   * Removes the files of every job for which `isLive` resolves false (terminal or unknown jobs:
   * the orphans of crashed workers), empty and symlinked job directories included, and returns
   * the removed job ids in order. Names in the root that are not job ids are left alone.
   */
  async sweep(isLive: (jobId: string) => Promise<boolean>): Promise<string[]> {
    const removed: string[] = [];
    for (const jobId of await this.listJobIds()) {
      if (await isLive(jobId)) continue;
      await this.removeJob(jobId);
      removed.push(jobId);
    }
    return removed;
  }

  /** Directories and symlinks in the root whose names are job ids, sorted; none if the root does not exist. */
  private async jobEntries(): Promise<Dirent[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && isJobId(entry.name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Verifies a chunk file; returns its bytes when `returnData` (an empty array otherwise). */
  private async verify(jobId: string, index: number, expected: ChunkDigest, returnData: boolean): Promise<ChunkRead> {
    const filePath = this.chunkPath(jobId, index);
    validateDigest(expected);
    if (!(await this.isRealDirectory(path.dirname(filePath)))) return { kind: 'missing' };
    let handle: FileHandle;
    try {
      handle = await open(filePath, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return { kind: 'missing' };
      if (code === 'ELOOP') return { kind: 'corrupt', detail: 'not a regular file (symlink)' };
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { kind: 'corrupt', detail: 'not a regular file' };
      if (stats.size !== expected.bytes)
        return { kind: 'corrupt', detail: `size ${stats.size}, expected ${expected.bytes}` };
      // Files are replaced by rename only, never rewritten in place: the open inode cannot change under us.
      const data = returnData ? await readUpTo(handle, expected.bytes) : null;
      const actual =
        data === null ? await hashHandle(handle, expected.bytes) : { bytes: data.byteLength, sha256: sha256Hex(data) };
      if (actual.bytes !== expected.bytes)
        return { kind: 'corrupt', detail: `size ${actual.bytes}, expected ${expected.bytes}` };
      if (actual.sha256 !== expected.sha256) {
        return {
          kind: 'corrupt',
          detail: `sha256 ${actual.sha256.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…`,
        };
      }
      return { kind: 'ok', data: data ?? new Uint8Array(0) };
    } finally {
      await handle.close();
    }
  }

  private chunkFileName(index: number): string {
    return `${index}.${this.extension}`;
  }

  /** Resolves `segments` under the root and asserts the result stays inside it. */
  private confined(...segments: string[]): string {
    const resolved = path.resolve(this.root, ...segments);
    assert(resolved.startsWith(this.root + path.sep), `path ${resolved} escapes the chunk store root ${this.root}`);
    return resolved;
  }

  private requirePartPath(jobId: string, index: number, partPath: string): void {
    const directory = this.jobDirectory(jobId);
    const name = path.basename(partPath);
    const prefix = `${this.chunkFileName(validateChunkIndex(index))}.`;
    if (
      path.resolve(partPath) !== path.join(directory, name) ||
      !name.startsWith(prefix) ||
      !/^[0-9a-f]{16}\.part$/.test(name.slice(prefix.length))
    ) {
      throw new TypeError(`partPath ${describe(partPath)} is not a partial file of chunk ${index} of job ${jobId}`);
    }
  }

  private async isRealDirectory(directory: string): Promise<boolean> {
    try {
      return (await lstat(directory)).isDirectory();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  private async requireRealDirectory(directory: string): Promise<void> {
    if (!(await this.isRealDirectory(directory))) {
      throw new Error(`job directory ${directory} is not a directory (symlinks are not followed)`);
    }
  }
}

function ignoreCodes(...codes: string[]): (error: unknown) => void {
  return (error) => {
    if (!codes.includes(errorCode(error) ?? '')) throw error;
  };
}

function isJobId(name: string): boolean {
  try {
    validateJobId(name);
    return true;
  } catch {
    return false;
  }
}

function validateDigest(expected: ChunkDigest): void {
  if (!Number.isSafeInteger(expected.bytes) || expected.bytes < 0 || expected.bytes > chunkFileBytesMax) {
    throw new RangeError(
      `expected.bytes must be an integer in [0, ${chunkFileBytesMax}], got ${describe(expected.bytes)}`,
    );
  }
  if (!isSha256Hex(expected.sha256)) {
    throw new TypeError(`expected.sha256 must be 64 lowercase hex digits, got ${describe(expected.sha256)}`);
  }
}

/** Reads up to `bytesMax` bytes from the start of a file; fewer if the file is shorter. */
async function readUpTo(handle: FileHandle, bytesMax: number): Promise<Uint8Array> {
  const data = new Uint8Array(bytesMax);
  let offset = 0;
  while (offset < bytesMax) {
    const { bytesRead } = await handle.read(data, offset, bytesMax - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return offset === bytesMax ? data : data.subarray(0, offset);
}

/** Hashes a file's first `bytesMax` bytes (its whole content when its size is `bytesMax`). */
async function hashHandle(handle: FileHandle, bytesMax: number): Promise<ChunkDigest> {
  const hash = createHash('sha256');
  const buffer = new Uint8Array(Math.min(hashBufferBytes, Math.max(1, bytesMax)));
  let offset = 0;
  while (offset < bytesMax) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, bytesMax - offset), offset);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return { bytes: offset, sha256: hash.digest('hex') };
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}
