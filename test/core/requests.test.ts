/**
 * Boundary validators of types.ts, requests.ts and limits.ts: every bad field throws a TypeError or RangeError whose
 * message names the field, and good input passes unchanged; table tests plus properties over random valid values.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import {
  chunkLengthMsMax,
  chunkLengthMsMin,
  chunkTranscriptCharsMax,
  chunksPerJobMax,
  defaultLimits,
  leaseDurationMsMax,
  mediaDurationMsMax,
  messageCharsMax,
  recoveryAttemptsMaxLimit,
  requestIdCharsMax,
  sourceCharsMax,
  validateLimits,
  workerIdCharsMax,
  type Limits,
} from '../../src/core/limits.js';
import type {
  ClaimRequest,
  CommitRequest,
  CreateRequest,
  FailRequest,
  Fenced,
  PlanRequest,
  RecreatedRequest,
  RenewRequest,
} from '../../src/core/operations.js';
import * as requests from '../../src/core/requests.js';
import {
  clipMessage,
  describe as describeValue,
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
import { extractedPlan, sha } from './support.js';

type ErrorType = typeof TypeError | typeof RangeError;

function expectNamed(call: () => unknown, type: ErrorType, field: string): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toContain(field);
}

describe('types.ts validators', () => {
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

  test.prop([fc.string({ maxLength: 3 * messageCharsMax })])(
    'clipMessage keeps short messages and cuts long ones to messageCharsMax',
    (message) => {
      const clipped = clipMessage(message);
      expect(clipped.length).toBeLessThanOrEqual(messageCharsMax);
      if (message.length <= messageCharsMax) expect(clipped).toBe(message);
      else expect(clipped).toBe(`${message.slice(0, messageCharsMax - 1)}…`);
    },
  );

  it('describe prints short values and names the type of others', () => {
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

  it('isTerminal holds for completed and failed only', () => {
    expect(phases.filter(isTerminal)).toEqual(['completed', 'failed']);
  });
});

const fence: Fenced = { jobId: 'job-1', workerId: 'w1', epoch: 1, requestId: 'r-1' };
const plan: PlanRequest = { ...fence, durationMs: 3_000, chunks: extractedPlan(3_000, 1_000) };

describe('requests.ts validators', () => {
  it('accept good requests', () => {
    expect(() => requests.validateCreate({ jobId: 'job-1', source: '/a.wav', chunkLengthMs: 1_000 })).not.toThrow();
    expect(() =>
      requests.validateClaim({
        jobId: 'job-1',
        workerId: 'w1',
        leaseMs: leaseDurationMsMax,
        recoveryAttemptsMax: recoveryAttemptsMaxLimit,
        requestId: 'r'.repeat(requestIdCharsMax),
      }),
    ).not.toThrow();
    expect(() => requests.validateRenew({ jobId: 'job-1', workerId: 'w1', epoch: 3, leaseMs: 1 })).not.toThrow();
    expect(() => requests.validateFenced(fence)).not.toThrow();
    expect(() => requests.validatePlan(plan)).not.toThrow();
    expect(() =>
      requests.validateRecreated({ ...fence, index: 2, reason: 'corrupt', bytes: 0, sha256: sha(1) }),
    ).not.toThrow();
    expect(() =>
      requests.validateCommit({ ...fence, index: 0, transcript: 't'.repeat(chunkTranscriptCharsMax) }),
    ).not.toThrow();
    expect(() =>
      requests.validateFail({ ...fence, reason: 'media_invalid', message: '', chunkIndex: 0 }),
    ).not.toThrow();
  });

  it.each<[string, () => void, ErrorType, string]>([
    [
      'create: jobId',
      () => requests.validateCreate({ jobId: '', source: '/a', chunkLengthMs: 1_000 }),
      TypeError,
      'jobId',
    ],
    [
      'create: source',
      () => requests.validateCreate({ jobId: 'j', source: '', chunkLengthMs: 1_000 }),
      TypeError,
      'source',
    ],
    [
      'create: chunkLengthMs',
      () => requests.validateCreate({ jobId: 'j', source: '/a', chunkLengthMs: 1 } as CreateRequest),
      RangeError,
      'chunkLengthMs',
    ],
    ['claim: jobId', () => requests.validateClaim({ ...claim(), jobId: 'a b' }), TypeError, 'jobId'],
    ['claim: workerId', () => requests.validateClaim({ ...claim(), workerId: '' }), TypeError, 'workerId'],
    ['claim: leaseMs zero', () => requests.validateClaim({ ...claim(), leaseMs: 0 }), RangeError, 'leaseMs'],
    [
      'claim: leaseMs too long',
      () => requests.validateClaim({ ...claim(), leaseMs: leaseDurationMsMax + 1 }),
      RangeError,
      'leaseMs',
    ],
    [
      'claim: recoveryAttemptsMax zero',
      () => requests.validateClaim({ ...claim(), recoveryAttemptsMax: 0 }),
      RangeError,
      'recoveryAttemptsMax',
    ],
    [
      'claim: recoveryAttemptsMax too large',
      () => requests.validateClaim({ ...claim(), recoveryAttemptsMax: recoveryAttemptsMaxLimit + 1 }),
      RangeError,
      'recoveryAttemptsMax',
    ],
    ['claim: requestId empty', () => requests.validateClaim({ ...claim(), requestId: '' }), TypeError, 'requestId'],
    [
      'claim: requestId too long',
      () => requests.validateClaim({ ...claim(), requestId: 'r'.repeat(requestIdCharsMax + 1) }),
      TypeError,
      'requestId',
    ],
    [
      'claim: requestId not a string',
      () => requests.validateClaim({ ...claim(), requestId: 5 as unknown as string }),
      TypeError,
      'requestId',
    ],
    ['renew: epoch', () => requests.validateRenew({ ...renew(), epoch: 0 }), RangeError, 'epoch'],
    ['renew: leaseMs', () => requests.validateRenew({ ...renew(), leaseMs: Number.NaN }), RangeError, 'leaseMs'],
    ['renew: workerId', () => requests.validateRenew({ ...renew(), workerId: 'a b' }), TypeError, 'workerId'],
    ['renew: jobId', () => requests.validateRenew({ ...renew(), jobId: '' }), TypeError, 'jobId'],
    ['fenced: jobId', () => requests.validateFenced({ ...fence, jobId: '..' }), TypeError, 'jobId'],
    ['fenced: workerId', () => requests.validateFenced({ ...fence, workerId: 'w 1' }), TypeError, 'workerId'],
    ['fenced: epoch', () => requests.validateFenced({ ...fence, epoch: -1 }), RangeError, 'epoch'],
    ['fenced: requestId', () => requests.validateFenced({ ...fence, requestId: '' }), TypeError, 'requestId'],
    ['plan: epoch', () => requests.validatePlan({ ...plan, epoch: 1.5 }), RangeError, 'epoch'],
    ['plan: durationMs', () => requests.validatePlan({ ...plan, durationMs: 0 }), RangeError, 'durationMs'],
    [
      'plan: chunks not an array',
      () => requests.validatePlan({ ...plan, chunks: {} as unknown as PlanRequest['chunks'] }),
      TypeError,
      'chunks',
    ],
    [
      'plan: chunk index',
      () =>
        requests.validatePlan({
          ...plan,
          chunks: plan.chunks.map((chunk, position) => (position === 1 ? { ...chunk, index: -1 } : chunk)),
        }),
      RangeError,
      'chunks[1].index',
    ],
    [
      'plan: chunk bytes',
      () =>
        requests.validatePlan({
          ...plan,
          chunks: plan.chunks.map((chunk, position) => (position === 2 ? { ...chunk, bytes: -1 } : chunk)),
        }),
      RangeError,
      'chunks[2].bytes',
    ],
    [
      'plan: chunk bytes not a number',
      () =>
        requests.validatePlan({
          ...plan,
          chunks: plan.chunks.map((chunk) => ({ ...chunk, bytes: '1' as unknown as number })),
        }),
      RangeError,
      'chunks[0].bytes',
    ],
    [
      'plan: chunk sha256',
      () =>
        requests.validatePlan({
          ...plan,
          chunks: plan.chunks.map((chunk) => ({ ...chunk, sha256: chunk.sha256.toUpperCase() })),
        }),
      TypeError,
      'chunks[0].sha256',
    ],
    [
      'recreated: index',
      () => requests.validateRecreated({ ...recreated(), index: chunksPerJobMax }),
      RangeError,
      'index',
    ],
    [
      'recreated: reason',
      () => requests.validateRecreated({ ...recreated(), reason: 'gone' as RecreatedRequest['reason'] }),
      TypeError,
      'reason',
    ],
    ['recreated: bytes', () => requests.validateRecreated({ ...recreated(), bytes: 1.5 }), RangeError, 'chunk.bytes'],
    [
      'recreated: sha256',
      () => requests.validateRecreated({ ...recreated(), sha256: 'abc' }),
      TypeError,
      'chunk.sha256',
    ],
    [
      'recreated: requestId',
      () => requests.validateRecreated({ ...recreated(), requestId: '' }),
      TypeError,
      'requestId',
    ],
    ['commit: index', () => requests.validateCommit({ ...commit(), index: -1 }), RangeError, 'index'],
    [
      'commit: transcript not a string',
      () => requests.validateCommit({ ...commit(), transcript: null as unknown as string }),
      TypeError,
      'transcript',
    ],
    [
      'commit: transcript too long',
      () => requests.validateCommit({ ...commit(), transcript: 't'.repeat(chunkTranscriptCharsMax + 1) }),
      TypeError,
      'transcript',
    ],
    ['commit: epoch', () => requests.validateCommit({ ...commit(), epoch: 0 }), RangeError, 'epoch'],
    [
      'fail: reason',
      () => requests.validateFail({ ...failure(), reason: 'bogus' as FailRequest['reason'] }),
      TypeError,
      'reason',
    ],
    [
      'fail: message',
      () => requests.validateFail({ ...failure(), message: 3 as unknown as string }),
      TypeError,
      'message',
    ],
    ['fail: chunkIndex', () => requests.validateFail({ ...failure(), chunkIndex: -2 }), RangeError, 'chunkIndex'],
    ['fail: workerId', () => requests.validateFail({ ...failure(), workerId: '' }), TypeError, 'workerId'],
  ])('%s: throws naming the field', (_label, call, type, field) => {
    expectNamed(call, type, field);
  });
});

function claim(): ClaimRequest {
  return { jobId: 'job-1', workerId: 'w1', leaseMs: 1_000, recoveryAttemptsMax: 3, requestId: 'r-1' };
}
function renew(): RenewRequest {
  return { jobId: 'job-1', workerId: 'w1', epoch: 1, leaseMs: 1_000 };
}
function recreated(): RecreatedRequest {
  return { ...fence, index: 1, reason: 'missing', bytes: 10, sha256: sha(2) };
}
function commit(): CommitRequest {
  return { ...fence, index: 1, transcript: 'text' };
}
function failure(): FailRequest {
  return { ...fence, reason: 'transcription_failed', message: 'boom' };
}

describe('validateLimits', () => {
  it('accepts the defaults and returns them', () => {
    expect(validateLimits(defaultLimits)).toBe(defaultLimits);
  });

  test.prop([
    fc.constantFrom(...(Object.keys(defaultLimits) as (keyof Limits)[])),
    fc.constantFrom(0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number),
  ])('rejects a non-positive-integer value of any field with a RangeError naming it', (field, value) => {
    expectNamed(() => validateLimits({ ...defaultLimits, [field]: value }), RangeError, `limits.${field}`);
  });

  it('rejects a renew interval that is not below the lease', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: 5_000, leaseRenewIntervalMs: 5_000 }),
      RangeError,
      'limits.leaseRenewIntervalMs',
    );
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: 5_000, leaseRenewIntervalMs: 6_000 }),
      RangeError,
      'limits.leaseDurationMs',
    );
  });

  it('rejects a base delay above the cap and accepts equal ones', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, retryDelayBaseMs: 2_000, retryDelayMaxMs: 1_000 }),
      RangeError,
      'limits.retryDelayBaseMs',
    );
    expect(() => validateLimits({ ...defaultLimits, retryDelayBaseMs: 1_000, retryDelayMaxMs: 1_000 })).not.toThrow();
  });

  // Regression: limits that every claim would be refused for are refused by validateLimits itself.
  it('rejects a lease longer than any claim may ask for', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, leaseDurationMs: leaseDurationMsMax + 1 }),
      RangeError,
      'limits.leaseDurationMs',
    );
  });

  it('rejects more recovery attempts than any claim may pass', () => {
    expectNamed(
      () => validateLimits({ ...defaultLimits, recoveryAttemptsMax: recoveryAttemptsMaxLimit + 1 }),
      RangeError,
      'limits.recoveryAttemptsMax',
    );
  });
});
