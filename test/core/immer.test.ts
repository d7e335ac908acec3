/**
 * The core's own Immer instance: copy-on-write updates whose results are left unfrozen (freezing doubled the cost of a
 * simulated step), without touching Immer's global settings.
 */
import { produce as globalProduce } from 'immer';
import { describe, expect, it } from 'vitest';
import { produce } from '../../src/core/immer.js';

describe('the core produce', () => {
  it('copies what a recipe changes, shares what it does not, and freezes nothing', () => {
    const base = { changed: { value: 1 }, kept: { value: 2 } };
    const next = produce(base, (draft) => {
      draft.changed.value = 3;
    });
    expect(next).toEqual({ changed: { value: 3 }, kept: { value: 2 } });
    expect(base.changed.value).toBe(1);
    expect(next.kept).toBe(base.kept);
    expect(Object.isFrozen(next)).toBe(false);
    expect(Object.isFrozen(next.changed)).toBe(false);
  });

  it('leaves the global produce as Immer ships it (auto-freeze on)', () => {
    const next = globalProduce({ changed: { value: 1 } }, (draft) => {
      draft.changed.value = 2;
    });
    expect(Object.isFrozen(next)).toBe(true);
  });
});
