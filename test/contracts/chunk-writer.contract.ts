/**
 * The ChunkWriter contract (src/ports.ts): how a tool that writes to a path (ffmpeg) gets chunk files into a chunk
 * store, whole or not at all. Every implementation runs this same suite (chunk-writer.test.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChunkDigest, ChunkStore, ChunkWriter } from '../../src/ports.js';
import { testBytes } from './chunk-store.contract.js';

/** A writer under test, with the store that reads what it published. */
export interface ChunkWriterHarness {
  readonly writer: ChunkWriter & ChunkStore;
  cleanup(): Promise<void>;
}

function digestOf(data: Uint8Array): ChunkDigest {
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Errors' `code` (ENOENT, …), or undefined. */
function codeOf(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

export function chunkWriterContract(name: string, make: () => Promise<ChunkWriterHarness>): void {
  describe(`ChunkWriter contract: ${name}`, () => {
    const harnesses: ChunkWriterHarness[] = [];
    const writerOf = async () => {
      const harness = await make();
      harnesses.push(harness);
      return harness.writer;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((harness) => harness.cleanup()));
    });

    it('publishes what the tool wrote at the part path: the digest of those bytes, readable, the part gone', async () => {
      const writer = await writerOf();
      const data = testBytes(1);
      const part = await writer.partPath('job-a', 0);
      await writeFile(part, data);
      const digest = await writer.publishPart('job-a', 0, part);
      expect(digest).toEqual(digestOf(data));
      const read = await writer.read('job-a', 0, digest);
      expect(read.kind).toBe('ok');
      if (read.kind === 'ok') expect(Buffer.from(read.data).equals(Buffer.from(data))).toBe(true);
      expect(existsSync(part)).toBe(false);
      expect(await writer.listJobIds()).toEqual(['job-a']);
    });

    it('hands out a fresh path on every call, for the same chunk too', async () => {
      const writer = await writerOf();
      const paths = [
        await writer.partPath('job-a', 0),
        await writer.partPath('job-a', 0),
        await writer.partPath('job-a', 1),
        await writer.partPath('job-b', 0),
      ];
      expect(new Set(paths).size).toBe(paths.length);
      for (const [index, part] of paths.entries())
        await writer.discardPart(index === 3 ? 'job-b' : 'job-a', index === 2 ? 1 : 0, part);
    });

    it('a discarded part publishes nothing, and discarding it again (or after publishing) is fine', async () => {
      const writer = await writerOf();
      const data = testBytes(2);
      const part = await writer.partPath('job-a', 3);
      await writeFile(part, data);
      await writer.discardPart('job-a', 3, part);
      expect(existsSync(part)).toBe(false);
      expect((await writer.read('job-a', 3, digestOf(data))).kind).toBe('missing');
      await writer.discardPart('job-a', 3, part);
      const again = await writer.partPath('job-a', 3);
      await writeFile(again, data);
      await writer.publishPart('job-a', 3, again);
      await writer.discardPart('job-a', 3, again);
      expect((await writer.read('job-a', 3, digestOf(data))).kind).toBe('ok');
    });

    it('a part the tool never wrote fails to publish with ENOENT, and the chunk stays missing', async () => {
      const writer = await writerOf();
      const part = await writer.partPath('job-a', 0);
      const failure = await writer.publishPart('job-a', 0, part).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(codeOf(failure)).toBe('ENOENT');
      expect((await writer.read('job-a', 0, digestOf(new Uint8Array(0)))).kind).toBe('missing');
      await writer.discardPart('job-a', 0, part);
    });

    it('a re-extracted chunk replaces the published one', async () => {
      const writer = await writerOf();
      const first = await writer.partPath('job-a', 0);
      await writeFile(first, testBytes(3));
      const old = await writer.publishPart('job-a', 0, first);
      const second = await writer.partPath('job-a', 0);
      await writeFile(second, testBytes(4, 1000));
      const fresh = await writer.publishPart('job-a', 0, second);
      expect(fresh).toEqual(digestOf(testBytes(4, 1000)));
      expect((await writer.read('job-a', 0, fresh)).kind).toBe('ok');
      expect((await writer.read('job-a', 0, old)).kind).toBe('corrupt');
    });

    it('refuses a path it did not hand out for that chunk, with a TypeError naming it', async () => {
      const writer = await writerOf();
      const part = await writer.partPath('job-a', 0);
      await writeFile(part, testBytes(5));
      await expect(writer.publishPart('job-a', 1, part)).rejects.toThrow(TypeError);
      await expect(writer.publishPart('job-b', 0, part)).rejects.toThrow(TypeError);
      // A file of the test's own outside the writer's parts: refused, and still there. Never a system path: a
      // mutant that drops the check would delete what it names.
      const foreign = path.join(await mkdtemp(path.join(tmpdir(), 'chunkwise-foreign-')), 'keep.bin');
      await writeFile(foreign, testBytes(6));
      await expect(writer.publishPart('job-a', 0, foreign)).rejects.toThrow(foreign);
      await expect(writer.discardPart('job-a', 0, foreign)).rejects.toThrow(TypeError);
      expect(existsSync(foreign)).toBe(true);
      await rm(path.dirname(foreign), { recursive: true, force: true });
      expect(existsSync(part)).toBe(true);
      await writer.discardPart('job-a', 0, part);
    });

    it('refuses a bad job id or chunk index before touching anything', async () => {
      const writer = await writerOf();
      await expect(writer.partPath('../escape', 0)).rejects.toThrow(TypeError);
      await expect(writer.partPath('job-a', -1)).rejects.toThrow(RangeError);
      await expect(writer.partPath('job-a', 1.5)).rejects.toThrow(RangeError);
      expect(await writer.listJobIds()).toEqual([]);
    });
  });
}
