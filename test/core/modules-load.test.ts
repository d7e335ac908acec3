/**
 * Every module of the engine loads and exports what it promises: each is imported inside a test, so a module that
 * throws while loading (a schema that cannot be built, say) fails a test instead of only failing to collect a file.
 */
import { describe, expect, it } from 'vitest';

const modules: Record<string, readonly string[]> = {
  '../../src/core/assert.js': ['AssertionError', 'assert', 'unreachable'],
  '../../src/core/backoff.js': ['backoffDelayMs'],
  '../../src/core/events.js': [
    'eventSchemas',
    'eventNames',
    'jobEventSchema',
    'parseEvent',
    'stamp',
    'validateEventName',
  ],
  '../../src/core/immer.js': ['produce'],
  '../../src/core/invariants.js': ['jobInvariantProblems'],
  '../../src/core/limits.js': ['defaultLimits', 'validateLimits'],
  '../../src/core/operations.js': ['claim', 'commit', 'complete', 'create', 'fail', 'quarantine', 'release', 'renew'],
  '../../src/core/planner.js': ['planChunks', 'planRecovery'],
  '../../src/core/progress.js': ['assembleTranscript', 'committedCount', 'progressPercent'],
  '../../src/core/requests.js': [
    'validateClaim',
    'validateCommit',
    'validateCreate',
    'validateFail',
    'validateQuarantine',
  ],
  '../../src/core/store-operations.js': ['storeOperations', 'storeWrites', 'replayStoreWrite', 'storeWriteRequest'],
  '../../src/core/transition.js': ['initialTransition', 'transition'],
  '../../src/core/types.js': ['failureReasons', 'phases', 'validateJobId'],
  '../../src/runtime/index.js': ['Worker', 'systemClock', 'decorateStore'],
  '../../src/adapters/memory/index.js': ['MemoryChunkStore', 'MemoryJobStore', 'sha256Hex'],
};

describe('engine modules', () => {
  it.each(Object.entries(modules))('%s loads and exports its API', async (path, names) => {
    const loaded = (await import(path)) as Record<string, unknown>;
    for (const name of names) expect(loaded[name], name).toBeDefined();
  });

  it('the event schema tells events apart by their name', async () => {
    const { jobEventSchema } = await import('../../src/core/events.js');
    const result = jobEventSchema.safeParse({
      event: 'chunk_transcribed',
      job_id: 'j',
      seq: 0,
      timestamp: 0,
      worker_id: 'w',
      epoch: 1,
      recovery: false,
      chunk_index: 0,
      text_length: 0,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['seq']]);
  });
});
