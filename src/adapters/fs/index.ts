/**
 * Chunk files on disk: atomic writes (`.part` → fsync → rename → fsync directory), sha256-verified reads, orphan sweep.
 */
export { FsChunkStore, chunkFileBytesMax, ownerMarkFileName, type FsChunkStoreOptions } from './chunk-store.js';
