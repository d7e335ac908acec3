/** src/adapters/sha256.ts: the one-shot digests equal a Hash object's, for text (as UTF-8) and for bytes. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fc, test } from '../support/property.js';
import { sha256Bytes, sha256Hex } from '../../src/adapters/sha256.js';

describe('sha256', () => {
  test.prop([fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 300 }))], { numRuns: 200 })(
    "equals a Hash object's digest, as hex and as bytes",
    (data) => {
      const expected = createHash('sha256').update(data).digest();
      expect(sha256Bytes(data).equals(expected)).toBe(true);
      expect(sha256Hex(data)).toBe(expected.toString('hex'));
    },
  );

  it('gives the known digest of "abc"', () => {
    const text = 'abc';
    expect(sha256Hex(text)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Bytes(text).readUInt32LE(0)).toBe(0xbf1678ba);
  });
});
