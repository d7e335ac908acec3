/**
 * Chunk files through the real file-system store in simulation (`--chunk-files fs`): a worker
 * killed in the middle of an extraction leaves a partial file, the engine clears it with the job
 * (P8), runs are deterministic, and the temporary directory goes with the run.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { playRun, simulate } from '../../sim/campaign.js';
import type { Scenario } from '../../sim/faults.js';

const scenario: Scenario = {
  jobs: [{ id: 'job0', chunks: 3, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
  workers: 1,
  faults: [{ kind: 'crash', worker: 0, target: 'extract', nth: 2, when: 'before' }],
  latencies: { storeMaxMs: 0, mediaMs: 5, transcribeMs: 5 },
  faultPhaseMs: 30_000,
  seed: 3,
  choices: [],
};

const simDirectories = () => readdirSync(tmpdir()).filter((name) => name.startsWith('chunkwise-sim-'));

describe('chunk files in simulation', () => {
  for (const chunkFiles of ['memory', 'fs'] as const) {
    it(`${chunkFiles}: a crash mid-extraction leaves a partial file, and the job's end clears it`, async () => {
      const before = simDirectories();
      const { record, violations } = await simulate(scenario, { chunkFiles });
      expect(violations).toEqual([]);
      const partial = record.history.entries.find((entry) => entry.kind === 'file' && entry.op === 'partial');
      expect(partial).toMatchObject({ job: 'job0', index: 1 });
      expect(record.jobs.get('job0')?.phase).toBe('completed');
      expect(record.files.get('job0')).toEqual([]);
      expect(simDirectories()).toEqual(before);
    });
  }

  it('fs: the same run gives the same history twice', async () => {
    const first = await playRun(9, 3, { world: { chunkFiles: 'fs' } });
    const second = await playRun(9, 3, { world: { chunkFiles: 'fs' } });
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(first.failed).toBeUndefined();
  });
});
