/**
 * Request validation (requests.ts): the checks a store runs on a request before any operation, so that bad input is a
 * TypeError or RangeError whose message names the field (what it expects, where the field has a fixed form), and good
 * input passes; a table of one bad field per row for each validator.
 */
import { describe, expect, it } from 'vitest';
import {
  chunkTranscriptCharsMax,
  chunksPerJobMax,
  leaseDurationMsMax,
  recoveryAttemptsMaxLimit,
  requestIdCharsMax,
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
import { describe as describeValue, failureReasons } from '../../src/core/types.js';
import { expectNamed, extractedPlan, sha, type ErrorType } from './support.js';

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

  it('validateRecreated wants a digest of exactly 64 hex digits, nothing before or after', () => {
    const recreated = { ...fence, index: 0, reason: 'missing' as const, bytes: 1 };
    expect(() => requests.validateRecreated({ ...recreated, sha256: sha(1) })).not.toThrow();
    for (const sha256 of [`a${sha(1)}`, `${sha(1)}a`]) {
      expect(() => requests.validateRecreated({ ...recreated, sha256 })).toThrow(
        new TypeError(`chunk.sha256 must be 64 lowercase hex digits, got ${describeValue(sha256)}`),
      );
    }
  });

  it('validatePlan wants chunks that are an array, not an array-like object', () => {
    expect(() => requests.validatePlan({ ...plan, chunks: { length: 0, forEach: () => {} } as never })).toThrow(
      new TypeError('chunks must be an array'),
    );
    expect(() => requests.validatePlan({ ...plan, chunks: {} as never })).toThrow(
      new TypeError('chunks must be an array'),
    );
  });

  it('validateFail wants a failure reason from the list, and lists them', () => {
    expect(() => requests.validateFail({ ...fence, reason: 'oops' as never, message: '' })).toThrow(
      new TypeError(`reason must be one of ${failureReasons.join(', ')}, got "oops"`),
    );
  });

  it('validateQuarantine wants a job id, worker id, request id and message', () => {
    const quarantine = { jobId: 'job-1', workerId: 'w1', requestId: 'r-1', message: 'broken' };
    expect(() => requests.validateQuarantine(quarantine)).not.toThrow();
    expect(() => requests.validateQuarantine({ ...quarantine, jobId: 'a b' })).toThrow(/^jobId must match/);
    expect(() => requests.validateQuarantine({ ...quarantine, workerId: '' })).toThrow(/^workerId must be/);
    expect(() => requests.validateQuarantine({ ...quarantine, requestId: '' })).toThrow(/^requestId must be/);
    expect(() => requests.validateQuarantine({ ...quarantine, message: 7 as unknown as string })).toThrow(
      new TypeError('message must be a string, got 7'),
    );
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
