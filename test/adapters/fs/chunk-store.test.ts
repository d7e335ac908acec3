// Proves FsChunkStore's disk layout, atomic publish, root confinement, symlink refusal, owner marks and orphan sweep on
// real temporary directories.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsChunkStore, ownerMarkFileName } from '../../../src/adapters/fs/index.js';
import { testBytes } from '../../contracts/chunk-store.contract.js';
import { useTempDirectories } from '../../support/media.js';

const temp = useTempDirectories('chunkwise-fs-');

async function publishBytes(store: FsChunkStore, jobId: string, index: number, data: Uint8Array) {
  const part = await store.partPath(jobId, index);
  await writeFile(part, data);
  return store.publish(jobId, index, part);
}

/** The files of a job directory other than its owner mark. */
async function files(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name !== ownerMarkFileName);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('FsChunkStore layout and publish', () => {
  it('keeps one directory per job and names chunk files <index>.<extension>', async () => {
    const root = await temp.make();
    const store = new FsChunkStore({ root });
    await publishBytes(store, 'job-1', 0, testBytes(1));
    await publishBytes(store, 'job-1', 12, testBytes(2));
    expect((await readdir(root)).sort()).toEqual(['job-1']);
    expect((await readdir(path.join(root, 'job-1'))).sort()).toEqual([ownerMarkFileName, '0.wav', '12.wav']);
    expect(store.chunkPath('job-1', 12)).toBe(path.join(root, 'job-1', '12.wav'));
  });

  it('uses the configured extension', async () => {
    const store = new FsChunkStore({ root: await temp.make(), extension: 'flac' });
    await publishBytes(store, 'job-1', 0, testBytes(3));
    expect(await files(store.jobDirectory('job-1'))).toEqual(['0.flac']);
  });

  it('publish renames the partial file, returns the digest of its bytes, and leaves no partial file', async () => {
    const store = new FsChunkStore({ root: await temp.make() });
    const data = testBytes(4, 10_000);
    const part = await store.partPath('job-1', 0);
    expect(path.dirname(part)).toBe(store.jobDirectory('job-1'));
    expect(path.basename(part)).toMatch(/^0\.wav\.[0-9a-f]{16}\.part$/);
    await writeFile(part, data);
    expect(await store.publish('job-1', 0, part)).toEqual({ bytes: data.byteLength, sha256: sha256(data) });
    expect(await files(store.jobDirectory('job-1'))).toEqual(['0.wav']);
    expect(Buffer.from(await readFile(store.chunkPath('job-1', 0))).equals(Buffer.from(data))).toBe(true);
  });

  it('gives each writer its own partial file, so two writers of one chunk never share a file', async () => {
    const store = new FsChunkStore({ root: await temp.make() });
    const first = await store.partPath('job-1', 0);
    const second = await store.partPath('job-1', 0);
    expect(first).not.toBe(second);
    await writeFile(first, testBytes(5));
    await writeFile(second, testBytes(6));
    const digestFirst = await store.publish('job-1', 0, first);
    const digestSecond = await store.publish('job-1', 0, second);
    expect(await store.check('job-1', 0, digestSecond)).toBe('ok');
    expect(await store.check('job-1', 0, digestFirst)).toBe('corrupt');
  });

  it('discardPart removes a partial file and tolerates one already gone', async () => {
    const store = new FsChunkStore({ root: await temp.make() });
    const part = await store.partPath('job-1', 0);
    await writeFile(part, testBytes(7));
    await store.discardPart('job-1', 0, part);
    await store.discardPart('job-1', 0, part);
    expect(await files(store.jobDirectory('job-1'))).toEqual([]);
  });

  it('publish of a missing partial file throws and publishes nothing', async () => {
    const store = new FsChunkStore({ root: await temp.make() });
    const part = await store.partPath('job-1', 0);
    await expect(store.publish('job-1', 0, part)).rejects.toThrow(/ENOENT/);
    expect(await files(store.jobDirectory('job-1'))).toEqual([]);
  });

  it('publish and discardPart refuse a path that is not a partial file of that chunk', async () => {
    const root = await temp.make();
    const store = new FsChunkStore({ root });
    const part = await store.partPath('job-1', 0);
    await writeFile(part, testBytes(8));
    await expect(store.publish('job-1', 1, part)).rejects.toThrow(TypeError);
    await expect(store.publish('job-2', 0, part)).rejects.toThrow(TypeError);
    await expect(store.publish('job-1', 0, store.chunkPath('job-1', 0))).rejects.toThrow(TypeError);
    await expect(store.publish('job-1', 0, path.join(root, '..', 'elsewhere', path.basename(part)))).rejects.toThrow(
      TypeError,
    );
    await expect(store.discardPart('job-1', 0, path.join(root, 'job-1', '..', '..', 'x.part'))).rejects.toThrow(
      TypeError,
    );
  });

  it('rejects a bad configuration or a bad digest at the boundary', async () => {
    expect(() => new FsChunkStore({ root: '' })).toThrow(TypeError);
    expect(() => new FsChunkStore({ root: '/tmp', extension: '.wav' })).toThrow(TypeError);
    expect(() => new FsChunkStore({ root: '/tmp', extension: 'part' })).toThrow(TypeError);
    const store = new FsChunkStore({ root: await temp.make() });
    await expect(store.check('job-1', 0, { bytes: 1, sha256: 'nope' })).rejects.toThrow(TypeError);
    await expect(store.check('job-1', 0, { bytes: -1, sha256: sha256(testBytes(1)) })).rejects.toThrow(RangeError);
  });

  it('answers missing, empty lists and empty sweeps while the root does not exist yet', async () => {
    const store = new FsChunkStore({ root: path.join(await temp.make(), 'not-yet') });
    expect(await store.check('job-1', 0, { bytes: 1, sha256: sha256(testBytes(1)) })).toBe('missing');
    expect(await store.listJobIds()).toEqual([]);
    expect(await store.sweep(async () => false)).toEqual([]);
    await store.removeJob('job-1');
  });
});

describe('FsChunkStore confinement', () => {
  it('keeps every path inside the root and rejects .. and absolute ids with a TypeError', async () => {
    const root = await temp.make();
    const store = new FsChunkStore({ root: path.join(root, 'chunks', '..', 'chunks') });
    expect(store.root).toBe(path.join(root, 'chunks'));
    expect(store.jobDirectory('job-1').startsWith(store.root + path.sep)).toBe(true);
    for (const jobId of ['..', '../job-1', '/etc', '/tmp/x', 'a/../..', '.', '']) {
      expect(() => store.jobDirectory(jobId), jobId).toThrow(TypeError);
      expect(() => store.chunkPath(jobId, 0), jobId).toThrow(TypeError);
      await expect(store.partPath(jobId, 0), jobId).rejects.toThrow(TypeError);
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('does not follow a symlinked job directory that points outside the root', async () => {
    const root = await temp.make();
    const outside = await temp.make();
    const data = testBytes(9);
    await writeFile(path.join(outside, '0.wav'), data);
    const store = new FsChunkStore({ root });
    await mkdir(root, { recursive: true });
    await symlink(outside, path.join(root, 'job-1'));
    const digest = { bytes: data.byteLength, sha256: sha256(data) };
    expect(await store.check('job-1', 0, digest)).toBe('missing');
    expect(await store.read('job-1', 0, digest)).toEqual({ kind: 'missing' });
    await expect(store.partPath('job-1', 0)).rejects.toThrow(/not a directory/);
    // Not the store's (a symlink carries no owner mark): neither listed nor removed, never entered.
    expect(await store.listJobIds()).toEqual([]);
    await store.removeJob('job-1');
    expect(await readdir(root)).toEqual(['job-1']);
    expect(await readdir(outside)).toEqual(['0.wav']);
  });

  it('does not follow a symlinked chunk file: it is corrupt, and a new publish replaces the link', async () => {
    const root = await temp.make();
    const outside = await temp.make();
    const data = testBytes(10);
    await writeFile(path.join(outside, 'secret.wav'), data);
    const store = new FsChunkStore({ root });
    await store.partPath('job-1', 0);
    await symlink(path.join(outside, 'secret.wav'), store.chunkPath('job-1', 0));
    const digest = { bytes: data.byteLength, sha256: sha256(data) };
    expect(await store.check('job-1', 0, digest)).toBe('corrupt');
    const fresh = await publishBytes(store, 'job-1', 0, testBytes(11));
    expect(await store.check('job-1', 0, fresh)).toBe('ok');
    expect(Buffer.from(await readFile(path.join(outside, 'secret.wav'))).equals(Buffer.from(data))).toBe(true);
  });
});

describe('FsChunkStore sweep', () => {
  it('removes the files of jobs that are not live, keeps live ones, and returns the removed ids', async () => {
    const root = await temp.make();
    const store = new FsChunkStore({ root });
    const live = await publishBytes(store, 'job-live', 0, testBytes(12));
    await publishBytes(store, 'job-done', 0, testBytes(13));
    await writeFile(await store.partPath('job-crashed', 4), testBytes(14));
    await store.partPath('job-empty', 0);
    expect(await store.listJobIds()).toEqual(['job-crashed', 'job-done', 'job-empty', 'job-live']);
    const asked: string[] = [];
    const removed = await store.sweep(async (jobId) => {
      asked.push(jobId);
      return jobId === 'job-live';
    });
    expect(removed).toEqual(['job-crashed', 'job-done', 'job-empty']);
    expect(asked.sort()).toEqual(['job-crashed', 'job-done', 'job-empty', 'job-live']);
    expect(await readdir(root)).toEqual(['job-live']);
    expect(await store.check('job-live', 0, live)).toBe('ok');
    expect(await store.sweep(async (jobId) => jobId === 'job-live')).toEqual([]);
  });

  it('ignores names in the root that are not job ids, and files named like job ids', async () => {
    const root = await temp.make();
    const outside = await temp.make();
    await writeFile(path.join(outside, 'keep.txt'), 'keep');
    const store = new FsChunkStore({ root });
    await publishBytes(store, 'job-1', 0, testBytes(15));
    await mkdir(path.join(root, 'not a job'));
    await writeFile(path.join(root, 'not a job', 'x'), 'x');
    await mkdir(path.join(root, '.hidden'));
    await writeFile(path.join(root, 'job.lock'), 'lock');
    await writeFile(path.join(root, 'plain-file'), 'file');
    await symlink(outside, path.join(root, 'link.to.outside'));
    const asked: string[] = [];
    const removed = await store.sweep(async (jobId) => {
      asked.push(jobId);
      return false;
    });
    expect(removed).toEqual(['job-1']);
    expect(asked).toEqual(['job-1']);
    expect((await readdir(root)).sort()).toEqual(['.hidden', 'job.lock', 'link.to.outside', 'not a job', 'plain-file']);
    expect(await readdir(outside)).toEqual(['keep.txt']);
  });

  it('leaves a symlinked job directory alone, and what it points to', async () => {
    const root = await temp.make();
    const outside = await temp.make();
    await writeFile(path.join(outside, '0.wav'), 'audio');
    await symlink(outside, path.join(root, 'job-1'));
    const store = new FsChunkStore({ root });
    expect(await store.sweep(async () => false)).toEqual([]);
    expect(await readdir(root)).toEqual(['job-1']);
    expect(await readdir(outside)).toEqual(['0.wav']);
  });

  it("never removes a folder it did not mark: folders named like job ids, another namespace's, a non-empty unmarked one", async () => {
    const root = await temp.make();
    for (const folder of ['important-data', 'backups_2026']) {
      await mkdir(path.join(root, folder));
      await writeFile(path.join(root, folder, 'keep.txt'), 'keep');
    }
    const other = new FsChunkStore({ root, namespace: 'other-deployment:' });
    await publishBytes(other, 'job-theirs', 0, testBytes(16));
    const store = new FsChunkStore({ root, namespace: 'chunkwise:' });
    await publishBytes(store, 'job-mine', 0, testBytes(17));
    await mkdir(path.join(root, 'job-empty'));
    expect(await store.listJobIds()).toEqual(['job-empty', 'job-mine']);
    expect(await store.sweep(async () => false)).toEqual(['job-empty', 'job-mine']);
    for (const jobId of ['important-data', 'backups_2026', 'job-theirs']) await store.removeJob(jobId);
    expect((await readdir(root)).sort()).toEqual(['backups_2026', 'important-data', 'job-theirs']);
    expect(await readdir(path.join(root, 'important-data'))).toEqual(['keep.txt']);
    expect(await other.listJobIds()).toEqual(['job-theirs']);
    await expect(store.partPath('important-data', 0)).rejects.toThrow(/not this store's/);
    await expect(store.partPath('job-theirs', 0)).rejects.toThrow(/not this store's/);
    expect(await readdir(path.join(root, 'important-data'))).toEqual(['keep.txt']);
  });

  it('lets many writers create and mark one new job directory at once', async () => {
    const root = await temp.make();
    const store = new FsChunkStore({ root });
    const parts = await Promise.all(Array.from({ length: 20 }, (_, index) => store.partPath('job-race', index)));
    expect(new Set(parts).size).toBe(20);
    expect(await readdir(store.jobDirectory('job-race'))).toEqual([ownerMarkFileName]);
    expect(await store.listJobIds()).toEqual(['job-race']);
  });

  it('refuses a namespace that cannot be written as a mark', () => {
    for (const namespace of ['', 'x'.repeat(201), 'tab\t', 'line\nbreak']) {
      expect(() => new FsChunkStore({ root: '/tmp/x', namespace }), JSON.stringify(namespace)).toThrow(TypeError);
    }
  });
});
