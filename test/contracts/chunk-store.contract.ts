/**
 * The ChunkStore contract: every implementation (the memory reference, the file-system store)
 * runs these same tests through a harness that writes files the way its writers do.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChunkDigest, ChunkStore } from '../../src/ports.js';

/** How a contract run writes and damages files of the store under test. */
export interface ChunkStoreHarness {
  readonly store: ChunkStore;
  /** Writes a whole chunk file the way the store's writers do and returns its digest. */
  write(jobId: string, index: number, data: Uint8Array): Promise<ChunkDigest>;
  /** Leaves a partial file of the chunk, as a writer that crashed mid-write does. */
  writePartial(jobId: string, index: number, data: Uint8Array): Promise<void>;
  /** Replaces a published chunk file's bytes without any check (corruption). */
  overwrite(jobId: string, index: number, data: Uint8Array): Promise<void>;
  /** Deletes one published chunk file. */
  deleteFile(jobId: string, index: number): Promise<void>;
  /** Number of files of the job, partial ones included. */
  fileCount(jobId: string): Promise<number>;
}

/** Deterministic test bytes: `length` bytes derived from `seed`. */
export function testBytes(seed: number, length = 4096): Uint8Array {
  const data = new Uint8Array(length);
  let state = seed * 2654435761 + 1;
  for (let offset = 0; offset < length; offset += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[offset] = state >>> 24;
  }
  return data;
}

function digestOf(data: Uint8Array): ChunkDigest {
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

const invalidJobIds = ['', '..', '../escape', 'a/b', '/etc', 'x\0y', 'job.1', 'a'.repeat(129)];

/** Registers the contract tests for one ChunkStore implementation. */
export function chunkStoreContract(name: string, make: () => Promise<ChunkStoreHarness>): void {
  describe(`ChunkStore contract: ${name}`, () => {
    let harness: ChunkStoreHarness;
    beforeEach(async () => {
      harness = await make();
    });

    it('write returns the size and sha256 of the bytes, and check says ok', async () => {
      const data = testBytes(1);
      const digest = await harness.write('job-1', 0, data);
      expect(digest).toEqual(digestOf(data));
      expect(await harness.store.check('job-1', 0, digest)).toBe('ok');
    });

    it('read returns exactly the bytes written, verified', async () => {
      const data = testBytes(2);
      const digest = await harness.write('job-1', 3, data);
      const read = await harness.store.read('job-1', 3, digest);
      expect(read.kind).toBe('ok');
      if (read.kind === 'ok') expect(Buffer.from(read.data).equals(Buffer.from(data))).toBe(true);
    });

    it('an empty chunk file is a file like any other', async () => {
      const digest = await harness.write('job-1', 0, new Uint8Array(0));
      expect(digest.bytes).toBe(0);
      expect(await harness.store.check('job-1', 0, digest)).toBe('ok');
    });

    it('a chunk never written, or of an unknown job, is missing', async () => {
      const digest = digestOf(testBytes(3));
      expect(await harness.store.check('job-1', 0, digest)).toBe('missing');
      expect(await harness.store.read('job-1', 0, digest)).toEqual({ kind: 'missing' });
      await harness.write('job-1', 0, testBytes(3));
      expect(await harness.store.check('job-1', 1, digest)).toBe('missing');
      expect(await harness.store.check('job-2', 0, digest)).toBe('missing');
    });

    it('a deleted chunk file is missing', async () => {
      const digest = await harness.write('job-1', 0, testBytes(4));
      await harness.deleteFile('job-1', 0);
      expect(await harness.store.check('job-1', 0, digest)).toBe('missing');
    });

    it('a file of another size is corrupt (size mismatch), for check and read', async () => {
      const data = testBytes(5);
      const digest = await harness.write('job-1', 0, data);
      await harness.overwrite('job-1', 0, data.subarray(0, data.byteLength - 1));
      expect(await harness.store.check('job-1', 0, digest)).toBe('corrupt');
      const read = await harness.store.read('job-1', 0, digest);
      expect(read).toEqual({ kind: 'corrupt', detail: `size ${data.byteLength - 1}, expected ${data.byteLength}` });
    });

    it('a file of the same size with other bytes is corrupt (sha256 mismatch), for check and read', async () => {
      const data = testBytes(6);
      const digest = await harness.write('job-1', 0, data);
      const flipped = Uint8Array.from(data);
      flipped[100] = (flipped[100] ?? 0) ^ 0xff;
      await harness.overwrite('job-1', 0, flipped);
      expect(await harness.store.check('job-1', 0, digest)).toBe('corrupt');
      const read = await harness.store.read('job-1', 0, digest);
      expect(read.kind).toBe('corrupt');
      if (read.kind === 'corrupt') expect(read.detail).toMatch(/^sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…$/);
    });

    it('a digest that does not describe the file makes it corrupt', async () => {
      const digest = await harness.write('job-1', 0, testBytes(7));
      const other = digestOf(testBytes(8));
      expect(await harness.store.check('job-1', 0, other)).toBe('corrupt');
      expect(await harness.store.check('job-1', 0, { bytes: digest.bytes + 1, sha256: digest.sha256 })).toBe('corrupt');
    });

    it('rewriting a chunk replaces it whole', async () => {
      const first = await harness.write('job-1', 0, testBytes(9));
      const second = await harness.write('job-1', 0, testBytes(10, 100));
      expect(await harness.store.check('job-1', 0, second)).toBe('ok');
      expect(await harness.store.check('job-1', 0, first)).toBe('corrupt');
    });

    it('a partial file is invisible to check and read', async () => {
      const data = testBytes(11);
      await harness.writePartial('job-1', 0, data);
      expect(await harness.store.check('job-1', 0, digestOf(data))).toBe('missing');
      expect(await harness.store.read('job-1', 0, digestOf(data))).toEqual({ kind: 'missing' });
    });

    it('a partial file beside a published one does not change it', async () => {
      const digest = await harness.write('job-1', 0, testBytes(12));
      await harness.writePartial('job-1', 0, testBytes(13));
      expect(await harness.store.check('job-1', 0, digest)).toBe('ok');
    });

    it('removeJob removes every file of the job, partial ones included, and only that job', async () => {
      const digest = await harness.write('job-1', 0, testBytes(14));
      await harness.write('job-1', 1, testBytes(15));
      await harness.writePartial('job-1', 2, testBytes(16));
      const other = await harness.write('job-2', 0, testBytes(17));
      expect(await harness.fileCount('job-1')).toBe(3);
      await harness.store.removeJob('job-1');
      expect(await harness.fileCount('job-1')).toBe(0);
      expect(await harness.store.check('job-1', 0, digest)).toBe('missing');
      expect(await harness.store.check('job-2', 0, other)).toBe('ok');
    });

    it('removeJob is idempotent, also for a job that never had files', async () => {
      await harness.write('job-1', 0, testBytes(18));
      await harness.store.removeJob('job-1');
      await harness.store.removeJob('job-1');
      await harness.store.removeJob('never-seen');
      expect(await harness.store.listJobIds()).toEqual([]);
    });

    it('listJobIds lists the jobs that have any file, partial ones included', async () => {
      expect(await harness.store.listJobIds()).toEqual([]);
      await harness.write('job-b', 0, testBytes(19));
      await harness.write('job-a', 0, testBytes(20));
      await harness.writePartial('job-c', 0, testBytes(21));
      expect((await harness.store.listJobIds()).sort()).toEqual(['job-a', 'job-b', 'job-c']);
      await harness.store.removeJob('job-b');
      expect((await harness.store.listJobIds()).sort()).toEqual(['job-a', 'job-c']);
    });

    it('rejects invalid job ids with a TypeError in every operation (no path traversal)', async () => {
      const digest = digestOf(testBytes(22));
      for (const jobId of invalidJobIds) {
        await expect(harness.store.check(jobId, 0, digest), jobId).rejects.toThrow(TypeError);
        await expect(harness.store.read(jobId, 0, digest), jobId).rejects.toThrow(TypeError);
        await expect(harness.store.removeJob(jobId), jobId).rejects.toThrow(TypeError);
        await expect(harness.write(jobId, 0, testBytes(22)), jobId).rejects.toThrow(TypeError);
      }
      expect(await harness.store.listJobIds()).toEqual([]);
    });

    it('rejects invalid chunk indexes with a RangeError', async () => {
      const digest = digestOf(testBytes(23));
      for (const index of [-1, 1.5, Number.NaN, 10_000]) {
        await expect(harness.store.check('job-1', index, digest), String(index)).rejects.toThrow(RangeError);
        await expect(harness.store.read('job-1', index, digest), String(index)).rejects.toThrow(RangeError);
      }
    });
  });
}
