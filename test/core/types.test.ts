/**
 * The value helpers of types.ts: each validator throws a TypeError or RangeError whose message names the field (the
 * default name or the one it is given) and returns good input unchanged, at its bounds too; clipMessage cuts a message
 * to messageCharsMax; describe prints a value for a message; isTerminal; isSha256Hex, whose memory of digests it
 * passed must never make it accept one it would refuse. Table tests plus properties over random
 * valid values.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import {
  chunkLengthMsMax,
  chunkLengthMsMin,
  chunksPerJobMax,
  mediaDurationMsMax,
  messageCharsMax,
  sourceCharsMax,
  workerIdCharsMax,
} from '../../src/core/limits.js';
import {
  clipMessage,
  describe as describeValue,
  isSha256Hex,
  isTerminal,
  phases,
  validateChunkIndex,
  validateChunkLengthMs,
  validateDurationMs,
  validateJobId,
  validatePositiveInteger,
  validateSource,
  validateWorkerId,
} from '../../src/core/types.js';
import { expectNamed } from './support.js';

describe('validators', () => {
  it.each<[string, unknown]>([
    ['empty', ''],
    ['too long', 'j'.repeat(129)],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
    ['a dot', 'a.b'],
    ['a number', 7],
    ['null', null],
    ['an object', {}],
  ])('validateJobId refuses %s with a TypeError naming jobId (or the given field)', (_label, value) => {
    expectNamed(() => validateJobId(value), TypeError, 'jobId');
    expectNamed(() => validateJobId(value, 'request.jobId'), TypeError, 'request.jobId');
  });

  test.prop([fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/)])(
    'validateJobId returns every valid id unchanged',
    (value) => {
      expect(validateJobId(value)).toBe(value);
    },
  );

  it.each<[string, unknown]>([
    ['empty', ''],
    ['too long', 'w'.repeat(workerIdCharsMax + 1)],
    ['a space', 'w 1'],
    ['a slash', 'w/1'],
    ['a number', 1],
    ['undefined', undefined],
  ])('validateWorkerId refuses %s with a TypeError naming workerId', (_label, value) => {
    expectNamed(() => validateWorkerId(value), TypeError, 'workerId');
    expectNamed(() => validateWorkerId(value, 'owner'), TypeError, 'owner');
  });

  it('validateWorkerId accepts ids of [A-Za-z0-9_.:#@-] up to the limit', () => {
    for (const value of ['w', 'host-1:pid#2@zone.a_b', 'w'.repeat(workerIdCharsMax)])
      expect(validateWorkerId(value)).toBe(value);
  });

  it('validateWorkerId names an empty id and the characters it accepts', () => {
    expect(() => validateWorkerId('')).toThrow(
      new TypeError('workerId must be 1-128 characters of [A-Za-z0-9_.:#@-], got ""'),
    );
  });

  it.each<[string, unknown]>([
    ['empty', ''],
    ['too long', 's'.repeat(sourceCharsMax + 1)],
    ['with NUL', 'a\0b'],
    ['a number', 3],
  ])('validateSource refuses %s with a TypeError naming source', (_label, value) => {
    expectNamed(() => validateSource(value), TypeError, 'source');
  });

  it('validateSource accepts paths and URIs up to the limit', () => {
    for (const value of ['/media/a.wav', 's3://bucket/key with spaces.mp3', 's'.repeat(sourceCharsMax)])
      expect(validateSource(value)).toBe(value);
  });

  it.each<[string, unknown]>([
    ['below the minimum', chunkLengthMsMin - 1],
    ['above the maximum', chunkLengthMsMax + 1],
    ['fractional', 1_500.5],
    ['NaN', Number.NaN],
    ['a string', '1000'],
  ])('validateChunkLengthMs refuses %s with a RangeError naming chunkLengthMs', (_label, value) => {
    expectNamed(() => validateChunkLengthMs(value), RangeError, 'chunkLengthMs');
  });

  it('validateChunkLengthMs accepts both bounds', () => {
    expect(validateChunkLengthMs(chunkLengthMsMin)).toBe(chunkLengthMsMin);
    expect(validateChunkLengthMs(chunkLengthMsMax)).toBe(chunkLengthMsMax);
  });

  it.each<[string, unknown]>([
    ['zero', 0],
    ['negative', -1],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['beyond 48 h', mediaDurationMsMax + 1],
    ['a string', '5'],
  ])('validateDurationMs refuses %s with a RangeError naming durationMs', (_label, value) => {
    expectNamed(() => validateDurationMs(value), RangeError, 'durationMs');
  });

  it('validateDurationMs accepts fractional and maximal durations', () => {
    expect(validateDurationMs(0.5)).toBe(0.5);
    expect(validateDurationMs(mediaDurationMsMax)).toBe(mediaDurationMsMax);
  });

  it.each<[string, unknown]>([
    ['zero', 0],
    ['negative', -3],
    ['fractional', 2.5],
    ['unsafe', 2 ** 53],
    ['a string', '1'],
  ])('validatePositiveInteger refuses %s with a RangeError naming the field', (_label, value) => {
    expectNamed(() => validatePositiveInteger(value, 'epoch'), RangeError, 'epoch');
  });

  it.each<[string, unknown]>([
    ['negative', -1],
    ['the limit', chunksPerJobMax],
    ['fractional', 0.5],
    ['a string', '0'],
  ])('validateChunkIndex refuses %s with a RangeError naming the index field', (_label, value) => {
    expectNamed(() => validateChunkIndex(value), RangeError, 'index');
    expectNamed(() => validateChunkIndex(value, 'chunks[3].index'), RangeError, 'chunks[3].index');
  });

  it('validatePositiveInteger and validateChunkIndex accept their bounds', () => {
    expect(validatePositiveInteger(1, 'epoch')).toBe(1);
    expect(validatePositiveInteger(Number.MAX_SAFE_INTEGER, 'epoch')).toBe(Number.MAX_SAFE_INTEGER);
    expect(validateChunkIndex(0)).toBe(0);
    expect(validateChunkIndex(chunksPerJobMax - 1)).toBe(chunksPerJobMax - 1);
  });
});

describe('clipMessage', () => {
  test.prop([fc.string({ maxLength: 3 * messageCharsMax })])(
    'keeps short messages and cuts long ones to messageCharsMax',
    (message) => {
      const clipped = clipMessage(message);
      expect(clipped.length).toBeLessThanOrEqual(messageCharsMax);
      if (message.length <= messageCharsMax) expect(clipped).toBe(message);
      else expect(clipped).toBe(`${message.slice(0, messageCharsMax - 1)}…`);
    },
  );

  it('keeps a message of exactly messageCharsMax characters and clips one more', () => {
    const longest = 'm'.repeat(messageCharsMax);
    expect(clipMessage(longest)).toBe(longest);
    expect(clipMessage(`${longest}m`)).toBe(`${'m'.repeat(messageCharsMax - 1)}…`);
  });
});

describe('describe (a value in a message)', () => {
  it('prints short values and names the type of others', () => {
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('x'.repeat(50))).toBe(JSON.stringify(`${'x'.repeat(40)}…`));
    expect([7, true, null, undefined].map(describeValue)).toEqual(['7', 'true', 'null', 'undefined']);
    expect([{}, [], () => 0, 1n, Symbol('s')].map(describeValue)).toEqual([
      'object',
      'object',
      'function',
      'bigint',
      'symbol',
    ]);
  });

  it('prints a 40-character string whole and cuts a 41-character one', () => {
    expect(describeValue('s'.repeat(40))).toBe(JSON.stringify('s'.repeat(40)));
    expect(describeValue('s'.repeat(41))).toBe(JSON.stringify(`${'s'.repeat(40)}…`));
    expect(describeValue(-2.5)).toBe('-2.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
  });
});

describe('isTerminal', () => {
  it('holds for completed and failed only', () => {
    expect(phases.filter(isTerminal)).toEqual(['completed', 'failed']);
  });
});

describe('isSha256Hex', () => {
  const digest = 'ab'.repeat(32);

  it('accepts 64 lowercase hex digits, and nothing else', () => {
    expect(isSha256Hex(digest)).toBe(true);
    expect(isSha256Hex('0123456789abcdef'.repeat(4))).toBe(true);
    for (const bad of [
      digest.toUpperCase(),
      digest.slice(1),
      `${digest}0`,
      `${digest.slice(1)}g`,
      '',
      ` ${digest.slice(1)}`,
    ])
      expect(isSha256Hex(bad), bad).toBe(false);
    for (const bad of [undefined, null, 42, [digest], { digest }]) expect(isSha256Hex(bad)).toBe(false);
  });

  test.prop([fc.string({ maxLength: 70 }), fc.stringMatching(/^[0-9a-f]{64}$/)], { numRuns: 300 })(
    'answers as the pattern does, asked once or again, past the size of its memory',
    (anything, wellFormed) => {
      const expected = /^[0-9a-f]{64}$/.test(anything);
      expect(isSha256Hex(anything)).toBe(expected);
      expect(isSha256Hex(wellFormed)).toBe(true);
      expect(isSha256Hex(anything)).toBe(expected);
    },
  );

  it('still answers after its memory filled up and was cleared', () => {
    const many = Array.from({ length: 5000 }, (_, index) => index.toString(16).padStart(64, '0'));
    for (const value of many) expect(isSha256Hex(value)).toBe(true);
    expect(many.every((value) => isSha256Hex(value))).toBe(true);
    expect(isSha256Hex(`${many[0]?.slice(1)}G`)).toBe(false);
  });
});
