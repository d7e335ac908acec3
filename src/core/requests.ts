/**
 * Boundary checks of store requests. Every JobStore implementation calls these before touching
 * state, so bad input is a TypeError or RangeError naming the field, and nothing is written.
 */
import { chunkTranscriptCharsMax, leaseDurationMsMax, recoveryAttemptsMaxLimit, requestIdCharsMax } from './limits.js';
import type {
  ClaimRequest,
  CommitRequest,
  CreateRequest,
  FailRequest,
  Fenced,
  PlanRequest,
  QuarantineRequest,
  RecreatedRequest,
  RenewRequest,
} from './operations.js';
import {
  describe,
  failureReasons,
  isSha256Hex,
  validateChunkIndex,
  validateChunkLengthMs,
  validateDurationMs,
  validateJobId,
  validatePositiveInteger,
  validateSource,
  validateWorkerId,
} from './types.js';

function validateRequestId(value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > requestIdCharsMax) {
    throw new TypeError(`requestId must be a string of 1-${requestIdCharsMax} characters, got ${describe(value)}`);
  }
}

function validateLeaseMs(value: unknown): void {
  validatePositiveInteger(value, 'leaseMs');
  if ((value as number) > leaseDurationMsMax)
    throw new RangeError(`leaseMs must be at most ${leaseDurationMsMax}, got ${String(value)}`);
}

function validateDigest(bytes: unknown, sha256: unknown, field: string): void {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`${field}.bytes must be a non-negative integer, got ${describe(bytes)}`);
  }
  if (!isSha256Hex(sha256)) {
    throw new TypeError(`${field}.sha256 must be 64 lowercase hex digits, got ${describe(sha256)}`);
  }
}

export function validateCreate(request: CreateRequest): void {
  validateJobId(request.jobId);
  validateSource(request.source);
  validateChunkLengthMs(request.chunkLengthMs);
}

export function validateClaim(request: ClaimRequest): void {
  validateJobId(request.jobId);
  validateWorkerId(request.workerId);
  validateLeaseMs(request.leaseMs);
  validatePositiveInteger(request.recoveryAttemptsMax, 'recoveryAttemptsMax');
  if (request.recoveryAttemptsMax > recoveryAttemptsMaxLimit) {
    throw new RangeError(
      `recoveryAttemptsMax must be at most ${recoveryAttemptsMaxLimit}, got ${request.recoveryAttemptsMax}`,
    );
  }
  validateRequestId(request.requestId);
}

export function validateRenew(request: RenewRequest): void {
  validateJobId(request.jobId);
  validateWorkerId(request.workerId);
  validatePositiveInteger(request.epoch, 'epoch');
  validateLeaseMs(request.leaseMs);
}

export function validateFenced(request: Fenced): void {
  validateJobId(request.jobId);
  validateWorkerId(request.workerId);
  validatePositiveInteger(request.epoch, 'epoch');
  validateRequestId(request.requestId);
}

export function validatePlan(request: PlanRequest): void {
  validateFenced(request);
  validateDurationMs(request.durationMs);
  if (!Array.isArray(request.chunks)) throw new TypeError('chunks must be an array');
  request.chunks.forEach((chunk, position) => {
    validateChunkIndex(chunk.index, `chunks[${position}].index`);
    validateDigest(chunk.bytes, chunk.sha256, `chunks[${position}]`);
  });
}

export function validateRecreated(request: RecreatedRequest): void {
  validateFenced(request);
  validateChunkIndex(request.index);
  if (request.reason !== 'missing' && request.reason !== 'corrupt') {
    throw new TypeError(`reason must be "missing" or "corrupt", got ${describe(request.reason)}`);
  }
  validateDigest(request.bytes, request.sha256, 'chunk');
}

export function validateCommit(request: CommitRequest): void {
  validateFenced(request);
  validateChunkIndex(request.index);
  if (typeof request.transcript !== 'string' || request.transcript.length > chunkTranscriptCharsMax) {
    throw new TypeError(
      `transcript must be a string of at most ${chunkTranscriptCharsMax} characters, got ${describe(request.transcript)}`,
    );
  }
}

export function validateQuarantine(request: QuarantineRequest & { readonly requestId: string }): void {
  validateJobId(request.jobId);
  validateWorkerId(request.workerId);
  validateRequestId(request.requestId);
  if (typeof request.message !== 'string')
    throw new TypeError(`message must be a string, got ${describe(request.message)}`);
}

export function validateFail(request: FailRequest): void {
  validateFenced(request);
  if (!failureReasons.includes(request.reason)) {
    throw new TypeError(`reason must be one of ${failureReasons.join(', ')}, got ${describe(request.reason)}`);
  }
  if (typeof request.message !== 'string')
    throw new TypeError(`message must be a string, got ${describe(request.message)}`);
  if (request.chunkIndex !== undefined) validateChunkIndex(request.chunkIndex, 'chunkIndex');
}
