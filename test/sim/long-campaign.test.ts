/** The correct engine keeps every promise over a long campaign: 250 runs of campaign seed 2026. Extended suite. */
import { describe, expect, it } from 'vitest';
import { playRun } from '../../sim/campaign.js';

describe('the correct engine', () => {
  it('keeps every promise over a long campaign', async () => {
    const failures = [];
    for (let index = 0; index < 250; index += 1) {
      const summary = await playRun(2026, index);
      if (summary.failed !== undefined) failures.push({ index, ...summary.failed });
    }
    expect(
      failures.map((failure) => `run ${failure.index}: ${failure.promise}: ${failure.violations[0]?.message}`),
    ).toEqual([]);
  }, 180_000);
});
