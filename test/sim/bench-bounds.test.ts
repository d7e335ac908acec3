/**
 * The bench's two bounds measure what they claim: the bare ceiling takes exactly the scheduling steps it is given, and
 * the pure machine's synchronous drive takes a synthetic job from its claim to a completed stop. No timing here.
 */
import { describe, expect, it } from 'vitest';
import { bareSchedule } from '../../bench/figures/throughput.js';
import { driveMachine } from '../../bench/support/machine-drive.js';

describe('bench bounds', () => {
  it('drives the real scheduler through exactly the steps asked, over several actors', async () => {
    for (const [steps, actors] of [
      [1, 1],
      [57, 3],
      [1_000, 6],
    ] as const)
      expect(await bareSchedule(steps, actors)).toBe(steps);
  });

  it('drives the pure machine through a synthetic job to its completion', () => {
    const small = driveMachine(1);
    const large = driveMachine(10);
    expect(small.outcome).toBe('completed');
    expect(large.outcome).toBe('completed');
    // Each further chunk is at least an extraction, a transcription and a commit.
    expect(large.transitions - small.transitions).toBeGreaterThanOrEqual(9 * 3);
  });
});
