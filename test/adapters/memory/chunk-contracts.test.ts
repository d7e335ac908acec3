/**
 * The ChunkStore and ChunkWriter contracts on MemoryChunkStore (test/adapters/fs/contract.test.ts and
 * test/contracts/chunk-writer.test.ts run them on FsChunkStore). Its partial files live in directories of its own
 * under the temporary directory; the contracts touch no other path but files of their own.
 */
import { MemoryChunkStore } from '../../../src/adapters/memory/chunks.js';
import { chunkStoreContract } from '../../contracts/chunk-store.contract.js';
import { chunkWriterContract } from '../../contracts/chunk-writer.contract.js';

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

chunkWriterContract('MemoryChunkStore', async () => ({ writer: new MemoryChunkStore(), cleanup: async () => {} }));
