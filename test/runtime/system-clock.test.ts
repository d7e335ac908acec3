/**
 * The system clock reads wall time and really waits: now() is Date.now(), and sleep(ms) resolves no earlier than ms
 * later.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/runtime/index.js';

describe('systemClock', () => {
  it('reads wall time and waits at least the asked time', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const started = performance.now();
    await systemClock.sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before + 25);
  });
});
