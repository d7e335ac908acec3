/**
 * The differential slice of a default campaign: runs played through the memory reference and
 * through the Redis adapter's Lua (ioredis-mock) must give equal histories. A Lua bug that the
 * memory-store campaign cannot see, since it never runs a script, is found by the slice.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { commandName, loadScripts } from '../../src/adapters/redis/index.js';
import { palette } from '../../sim/report.js';
import { differentialText } from '../../sim/cli.js';
import { differentialRun, differentialScenario } from '../../sim/differential.js';
import { closeStores, storeOption } from '../../sim/stores.js';

/** commit-chunk without the cap of 99 on progress before completion: the last commit says 100 %. */
function uncappedProgress(redis: Redis): void {
  const script = loadScripts().get('commit-chunk');
  if (script === undefined) throw new Error('no commit-chunk script');
  const lua = script.lua.replace(
    'math.min(99, math.floor(100 * completed / total))',
    'math.floor(100 * completed / total)',
  );
  expect(lua).not.toBe(script.lua);
  redis.defineCommand(commandName('commit-chunk'), { numberOfKeys: script.numberOfKeys, lua });
}

describe('the differential slice', () => {
  it('finds the Redis adapter agreeing with the reference on correct scripts', async () => {
    const adapter = await storeOption('ioredis-mock', { roundTrips: 'atomic' });
    try {
      for (let index = 0; index < 6; index += 1) {
        const run = await differentialRun(7, index, adapter);
        expect(run.divergence, `run ${index}`).toBeUndefined();
        expect(run.violations).toEqual([]);
        expect(run.same).toBe(true);
      }
    } finally {
      await closeStores();
    }
  }, 120_000);

  it('finds a planted Lua bug, says where the histories part, and gives the run to replay', async () => {
    const adapter = await storeOption('ioredis-mock', { roundTrips: 'atomic', prepare: uncappedProgress });
    try {
      let found;
      for (let index = 0; index < 24 && found === undefined; index += 1) {
        const run = await differentialRun(7, index, adapter);
        if (!run.same) found = run;
      }
      expect(found, 'a divergence within 24 runs').toBeDefined();
      expect(found?.divergence?.adapter).not.toEqual(found?.divergence?.reference);
      expect(differentialScenario(7, found?.index ?? -1)).toBeDefined();
      const text = differentialText(found === undefined ? [] : [found], palette(false));
      expect(text).toMatch(/differ at (history entry #\d+|event \d+ of job\d+)/);
      expect(text).toContain(`--replay ${found?.replay ?? ''}`);
    } finally {
      await closeStores();
    }
  }, 120_000);
});
