// The ChunkStore contract on FsChunkStore (test/adapters/memory/chunk-contracts.test.ts runs it on MemoryChunkStore).
import { readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { FsChunkStore, ownerMarkFileName } from '../../../src/adapters/fs/index.js';
import { chunkStoreContract } from '../../contracts/chunk-store.contract.js';
import { useTempDirectories } from '../../support/media.js';

const temp = useTempDirectories('chunkwise-fs-contract-');

chunkStoreContract('FsChunkStore', async () => {
  const store = new FsChunkStore({ root: await temp.make() });
  return {
    store,
    write: async (jobId, index, data) => {
      const part = await store.partPath(jobId, index);
      await writeFile(part, data);
      return store.publish(jobId, index, part);
    },
    writePartial: async (jobId, index, data) => {
      await writeFile(await store.partPath(jobId, index), data);
    },
    overwrite: async (jobId, index, data) => {
      await rm(store.chunkPath(jobId, index), { force: true });
      await writeFile(store.chunkPath(jobId, index), data);
    },
    deleteFile: async (jobId, index) => unlink(store.chunkPath(jobId, index)),
    fileCount: async (jobId) =>
      (await readdir(store.jobDirectory(jobId)).catch(() => [])).filter((name) => name !== ownerMarkFileName).length,
  };
});
