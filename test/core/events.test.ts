/**
 * Event schemas (events.ts): every event the operations can emit validates, `stamp` fills the common fields, unknown
 * names are a TypeError naming `event` and listing the known ones, and malformed events are an EventSchemaError listing
 * each bad field; table tests plus a property over random common fields.
 */
import { fc, test } from '../support/property.js';
import { describe, expect, it } from 'vitest';
import {
  EventSchemaError,
  eventNames,
  eventSchemas,
  parseEvent,
  recoveryResults,
  recoveryTypes,
  stamp,
  validateEventName,
  type EventBody,
  type Stamp,
} from '../../src/core/events.js';

const at: Stamp = { jobId: 'job-1', seq: 4, timestampMs: 1_700_000_000_000, workerId: 'w1', epoch: 2, recovery: true };

/** One valid body of every event. */
const bodies: Record<(typeof eventNames)[number], EventBody> = {
  chunks_created: { event: 'chunks_created', total_chunks: 3, chunk_length_ms: 1_000, duration_ms: 2_500.5 },
  transcription_started: { event: 'transcription_started', total_chunks: 3 },
  chunk_transcribed: { event: 'chunk_transcribed', chunk_index: 0, text_length: 0 },
  chunk_failed: { event: 'chunk_failed', chunk_index: 2, error: 'e'.repeat(1_000), retryable: true },
  chunk_recreated: { event: 'chunk_recreated', chunk_index: 1, reason: 'corrupt' },
  progress_update: { event: 'progress_update', completed_chunks: 1, total_chunks: 3, progress: 33 },
  transcription_completed: { event: 'transcription_completed', total_chunks: 3, transcript_length: 12 },
  job_failed: { event: 'job_failed', reason: 'source_missing', message: 'gone' },
  recovery_started: {
    event: 'recovery_started',
    message: 'm',
    recovery_type: 'released',
    attempt: 1,
    previous_owner: 'w0',
    phase: 'transcribing',
  },
  processing_resumed: { event: 'processing_resumed', completed_chunks: 0, remaining_chunks: 3 },
  recovery_completed: {
    event: 'recovery_completed',
    recovery_result: 'job_completed',
    attempt: 1,
    recreated_chunks: 0,
    duration_ms: 0,
  },
  recovery_failed: {
    event: 'recovery_failed',
    recovery_result: 'owner_lost',
    attempt: 2,
    reason: 'owner_lost',
    message: '',
  },
  job_retried: { event: 'job_retried', previous_reason: 'source_missing', phase: 'transcribing', message: '' },
  job_cancelled: { event: 'job_cancelled', phase: 'chunking', previous_owner: 'w0', message: 'by an operator' },
};

describe('event schemas', () => {
  it("declare the twelve events of the earlier stream, in order, then the operator's two", () => {
    expect(eventNames).toEqual([
      'chunks_created',
      'transcription_started',
      'chunk_transcribed',
      'chunk_failed',
      'chunk_recreated',
      'progress_update',
      'transcription_completed',
      'job_failed',
      'recovery_started',
      'processing_resumed',
      'recovery_completed',
      'recovery_failed',
      'job_retried',
      'job_cancelled',
    ]);
    expect(Object.keys(eventSchemas)).toEqual(eventNames);
    expect(recoveryTypes).toEqual(['lease_expired', 'released']);
    expect(recoveryResults).toEqual(['job_completed', 'job_failed', 'owner_lost']);
  });

  it.each(eventNames)('stamp fills the common fields of %s and the result validates', (name) => {
    const event = stamp(bodies[name], at);
    expect(event).toEqual({
      ...bodies[name],
      job_id: 'job-1',
      seq: 4,
      timestamp: 1_700_000_000_000,
      worker_id: 'w1',
      epoch: 2,
      recovery: true,
    });
    expect(parseEvent(event)).toEqual(event);
  });

  test.prop([
    fc.record({
      jobId: fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/),
      seq: fc.integer({ min: 1, max: 1_000_000 }),
      timestampMs: fc.nat(),
      workerId: fc.string({ minLength: 1, maxLength: 128 }),
      epoch: fc.integer({ min: 1, max: 1_000_000 }),
      recovery: fc.boolean(),
    }),
    fc.constantFrom(...eventNames),
  ])('stamp accepts any valid common fields', (fields, name) => {
    const event = stamp(bodies[name], fields);
    expect(event).toMatchObject({
      job_id: fields.jobId,
      seq: fields.seq,
      timestamp: fields.timestampMs,
      worker_id: fields.workerId,
      epoch: fields.epoch,
      recovery: fields.recovery,
    });
  });

  it.each<[string, unknown]>([
    ['an unknown name', 'job_started'],
    ['a number', 3],
    ['undefined', undefined],
    ['null', null],
  ])('validateEventName refuses %s with a TypeError naming event', (_label, name) => {
    expect(() => validateEventName(name)).toThrow(TypeError);
    expect(() => validateEventName(name)).toThrow(/^event must be one of chunks_created/);
  });

  // Regression: keys every object inherits from Object.prototype are not event names.
  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])(
    'validateEventName refuses the inherited key %s with a TypeError naming event',
    (name) => {
      expect(() => validateEventName(name)).toThrow(/^event must be one of chunks_created/);
    },
  );

  it('validateEventName lists the known names, comma-separated, when it refuses one', () => {
    expect(() => validateEventName('nope')).toThrow(
      new TypeError(`event must be one of ${eventNames.join(', ')}, got "nope"`),
    );
  });

  it('validateEventName returns a known name', () => {
    for (const name of eventNames) expect(validateEventName(name)).toBe(name);
  });

  it('parseEvent refuses an event without a known name with a TypeError, before any schema check', () => {
    for (const value of [null, undefined, 5, {}, { event: 'nope', seq: 1 }]) {
      expect(() => parseEvent(value)).toThrow(TypeError);
      expect(() => parseEvent(value)).not.toThrow(EventSchemaError);
    }
  });

  const good = stamp(bodies.chunk_failed, at);
  it.each<[string, Record<string, unknown>, string]>([
    ['a missing common field', { seq: undefined }, 'seq'],
    ['a zero seq', { seq: 0 }, 'seq'],
    ['a fractional timestamp', { timestamp: 1.5 }, 'timestamp'],
    ['a negative timestamp', { timestamp: -1 }, 'timestamp'],
    ['a bad job id', { job_id: 'a/b' }, 'job_id'],
    ['an empty worker id', { worker_id: '' }, 'worker_id'],
    ['a worker id over 128 characters', { worker_id: 'w'.repeat(129) }, 'worker_id'],
    ['a zero epoch', { epoch: 0 }, 'epoch'],
    ['a non-boolean recovery flag', { recovery: 'yes' }, 'recovery'],
    ['a negative chunk index', { chunk_index: -1 }, 'chunk_index'],
    ['an error over 1000 characters', { error: 'e'.repeat(1_001) }, 'error'],
    ['an unknown extra field', { extra: 1 }, 'extra'],
  ])('parseEvent refuses %s with an EventSchemaError naming the field', (_label, change, field) => {
    const bad = { ...good, ...change };
    let thrown: unknown;
    try {
      parseEvent(bad);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventSchemaError);
    expect(thrown).toBeInstanceOf(TypeError);
    const schemaError = thrown as EventSchemaError;
    expect(schemaError.name).toBe('EventSchemaError');
    expect(schemaError.eventName).toBe('chunk_failed');
    expect(schemaError.issues).toContain(field);
    expect(schemaError.message).toContain('"chunk_failed" does not match its schema');
  });

  it('parseEvent lists each issue of a malformed event with its field, separated by semicolons', () => {
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

  it.each<[string, EventBody]>([
    ['progress over 100', { event: 'progress_update', completed_chunks: 1, total_chunks: 1, progress: 101 }],
    ['an unknown failure reason', { event: 'job_failed', reason: 'bogus', message: '' } as unknown as EventBody],
    ['an unknown recovery type', { ...bodies.recovery_started, recovery_type: 'crashed' } as unknown as EventBody],
    ['an unknown phase', { ...bodies.recovery_started, phase: 'paused' } as unknown as EventBody],
    ['zero remaining chunks on resume', { event: 'processing_resumed', completed_chunks: 3, remaining_chunks: 0 }],
    [
      'a recovery completed with a failed result',
      { ...bodies.recovery_completed, recovery_result: 'job_failed' } as unknown as EventBody,
    ],
    ['a NaN duration', { ...bodies.chunks_created, duration_ms: Number.NaN } as EventBody],
  ])('stamp refuses a body with %s (EventSchemaError), so it is never appended', (_label, body) => {
    expect(() => stamp(body, at)).toThrow(EventSchemaError);
  });
});
