/** The ChunkWriter contract on FsChunkStore (MemoryChunkStore: test/adapters/memory/chunk-contracts.test.ts). */
import { rm } from 'node:fs/promises';
import { FsChunkStore } from '../../src/adapters/fs/index.js';
import { chunkWriterContract } from './chunk-writer.contract.js';
import { useTempDirectories } from '../support/media.js';

const temp = useTempDirectories('chunkwise-writer-contract-');

chunkWriterContract('FsChunkStore', async () => {
  const root = await temp.make();
  return { writer: new FsChunkStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});
