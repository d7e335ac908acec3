// Proves MemoryChunkStore and FsChunkStore keep the same ChunkStore contract by running one suite against both.
import { readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { MemoryChunkStore } from '../../../src/adapters/memory/chunks.js';
import { FsChunkStore, ownerMarkFileName } from '../../../src/adapters/fs/index.js';
import { chunkStoreContract } from '../../contracts/chunk-store.contract.js';
import { useTempDirectories } from '../../support/media.js';

chunkStoreContract('MemoryChunkStore', async () => {
  const store = new MemoryChunkStore();
  return {
    store,
    write: async (jobId, index, data) => store.put(jobId, index, data),
    writePartial: async (jobId, index, data) => store.putPart(jobId, index, data),
    overwrite: async (jobId, index, data) => store.overwrite(jobId, index, data),
    deleteFile: async (jobId, index) => store.deleteFile(jobId, index),
    fileCount: async (jobId) => store.fileNames(jobId).length,
  };
});

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
