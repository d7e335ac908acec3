/** Every ChunkWriter keeps the same contract: the file-system store and the memory store. */
import { rm } from 'node:fs/promises';
import { MemoryChunkStore } from '../../src/adapters/memory/index.js';
import { FsChunkStore } from '../../src/adapters/fs/index.js';
import { chunkWriterContract } from './chunk-writer.contract.js';
import { useTempDirectories } from '../support/media.js';

const temp = useTempDirectories('chunkwise-writer-contract-');

chunkWriterContract('FsChunkStore', async () => {
  const root = await temp.make();
  return { writer: new FsChunkStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

chunkWriterContract('MemoryChunkStore', async () => ({ writer: new MemoryChunkStore(), cleanup: async () => {} }));
