/**
 * Boundaries and messages of the core's small helpers: limits at their maxima, clipping and describing values at their
 * cut-offs, request validators naming what they expect, and event errors listing every issue.
 */
import { describe, expect, it } from 'vitest';
import { EventSchemaError, eventNames, parseEvent, stamp, validateEventName } from '../../src/core/events.js';
import {
  defaultLimits,
  leaseDurationMsMax,
  messageCharsMax,
  recoveryAttemptsMaxLimit,
  validateLimits,
} from '../../src/core/limits.js';
import * as requests from '../../src/core/requests.js';
import { clipMessage, describe as describeValue, failureReasons, validateWorkerId } from '../../src/core/types.js';
import { extractedPlan, sha } from './support.js';

const fence = { jobId: 'job-1', workerId: 'w1', epoch: 1, requestId: 'r-1' };

describe('validateLimits at the maxima', () => {
  it('accepts a lease of exactly leaseDurationMsMax and exactly recoveryAttemptsMaxLimit recoveries', () => {
    const limits = {
      ...defaultLimits,
      leaseDurationMs: leaseDurationMsMax,
      recoveryAttemptsMax: recoveryAttemptsMaxLimit,
    };
    expect(validateLimits(limits)).toBe(limits);
  });

  it('names a limit that is not a number at all', () => {
    expect(() => validateLimits({ ...defaultLimits, idlePollIntervalMs: '1000' as unknown as number })).toThrow(
      new RangeError('limits.idlePollIntervalMs must be a positive integer, got 1000'),
    );
  });
});

describe('clipMessage and describe at their cut-offs', () => {
  it('keeps a message of exactly messageCharsMax characters and clips one more', () => {
    const longest = 'm'.repeat(messageCharsMax);
    expect(clipMessage(longest)).toBe(longest);
    expect(clipMessage(`${longest}m`)).toBe(`${'m'.repeat(messageCharsMax - 1)}…`);
  });

  it('prints a 40-character string whole and cuts a 41-character one', () => {
    expect(describeValue('s'.repeat(40))).toBe(JSON.stringify('s'.repeat(40)));
    expect(describeValue('s'.repeat(41))).toBe(JSON.stringify(`${'s'.repeat(40)}…`));
    expect(describeValue(-2.5)).toBe('-2.5');
    expect(describeValue(Number.NaN)).toBe('NaN');
  });

  it('validateWorkerId names an empty id', () => {
    expect(() => validateWorkerId('')).toThrow(
      new TypeError('workerId must be 1-128 characters of [A-Za-z0-9_.:#@-], got ""'),
    );
  });
});

describe('request validators say what they expect', () => {
  it('a digest of exactly 64 hex digits, nothing before or after', () => {
    const recreated = { ...fence, index: 0, reason: 'missing' as const, bytes: 1 };
    expect(() => requests.validateRecreated({ ...recreated, sha256: sha(1) })).not.toThrow();
    for (const sha256 of [`a${sha(1)}`, `${sha(1)}a`]) {
      expect(() => requests.validateRecreated({ ...recreated, sha256 })).toThrow(
        new TypeError(`chunk.sha256 must be 64 lowercase hex digits, got ${describeValue(sha256)}`),
      );
    }
  });

  it('chunks that are an array', () => {
    const plan = { ...fence, durationMs: 3_000, chunks: extractedPlan(3_000, 1_000) };
    expect(() => requests.validatePlan({ ...plan, chunks: { length: 0, forEach: () => {} } as never })).toThrow(
      new TypeError('chunks must be an array'),
    );
    expect(() => requests.validatePlan({ ...plan, chunks: {} as never })).toThrow(
      new TypeError('chunks must be an array'),
    );
  });

  it('a failure reason from the list', () => {
    expect(() => requests.validateFail({ ...fence, reason: 'oops' as never, message: '' })).toThrow(
      new TypeError(`reason must be one of ${failureReasons.join(', ')}, got "oops"`),
    );
  });

  it('a quarantine with a job id, worker id, request id and message', () => {
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

describe('event errors', () => {
  it('an unknown name lists the known ones, comma-separated', () => {
    expect(() => validateEventName('nope')).toThrow(
      new TypeError(`event must be one of ${eventNames.join(', ')}, got "nope"`),
    );
  });

  it('a malformed event lists each issue with its field, separated by semicolons', () => {
    const event = stamp(
      { event: 'chunk_transcribed', chunk_index: 0, text_length: 1 },
      { jobId: 'job-1', seq: 1, timestampMs: 0, workerId: 'w1', epoch: 1, recovery: false },
    );
    let thrown: unknown;
    try {
      parseEvent({ ...event, seq: 0, chunk_index: -1 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventSchemaError);
    const issues = (thrown as EventSchemaError).issues.split('; ');
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^seq: /);
    expect(issues[1]).toMatch(/^chunk_index: /);
  });
});
