/**
 * The core's assertions (assert.ts): assert passes on a truthy condition and otherwise throws an AssertionError with
 * its message; unreachable throws one naming what was not expected and the value.
 */
import { describe, expect, it } from 'vitest';
import { AssertionError, assert, unreachable } from '../../src/core/assert.js';

describe('assert and unreachable', () => {
  it('assert passes on a truthy condition and throws an AssertionError with the message otherwise', () => {
    expect(() => assert(1, 'never')).not.toThrow();
    expect(() => assert(0, 'zero is falsy')).toThrow(AssertionError);
    expect(() => assert(null, 'null is falsy')).toThrow('null is falsy');
    expect(new AssertionError('x').name).toBe('AssertionError');
  });

  it('unreachable throws an AssertionError naming what and the value', () => {
    expect(() => unreachable('surprise' as never, 'phase')).toThrow(
      new AssertionError('unreachable phase: "surprise"'),
    );
  });
});
