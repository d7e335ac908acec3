/** Helpers of the end-to-end recovery tests: a worker that dies mid-job, and waiting for a condition. */
import type { ChunkStore, JobStore, Media, Transcriber } from '../../src/ports.js';

/** The four ports a worker runs on. */
export interface WorkerPorts {
  readonly store: JobStore;
  readonly chunkStore: ChunkStore;
  readonly media: Media;
  readonly transcriber: Transcriber;
}

/** Polls `condition` every 50 ms until it holds; a rejection counts as not yet (and is named on timeout). */
export async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (
    !(await condition().catch((error: unknown) => {
      lastError = error;
      return false;
    }))
  ) {
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`;
      throw new Error(`timed out waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Ports that hang forever once `dead.value` is set: the worker is dead to the world. */
export function killable<T extends object>(target: T, dead: { value: boolean }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        dead.value ? new Promise(() => {}) : (value as (...inner: unknown[]) => unknown).apply(object, args);
    },
  });
}

/** `ports` for a worker that dies (every port hangs) right after its `commits`-th chunk commit. */
export function dyingAfterCommits(
  ports: WorkerPorts,
  commits: number,
): { ports: WorkerPorts; dead: { value: boolean } } {
  const dead = { value: false };
  let committed = 0;
  const store = killable(ports.store, dead);
  const counting: JobStore = Object.create(store) as JobStore;
  counting.commitChunk = async (request) => {
    const result = await store.commitChunk(request);
    committed += 1;
    if (committed === commits) dead.value = true;
    return result;
  };
  return {
    dead,
    ports: {
      store: counting,
      chunkStore: killable(ports.chunkStore, dead),
      media: killable(ports.media, dead),
      transcriber: killable(ports.transcriber, dead),
    },
  };
}
