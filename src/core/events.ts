/**
 * Event schemas, declared once (zod) and used by the stores, the checkers and the tests.
 * Names and fields stay compatible with the earlier service's stream; every event carries
 * `event`, `job_id`, `seq`, `timestamp` (ms, store clock), `worker_id`, `epoch` and `recovery`.
 */
import { z } from 'zod';
import { failureReasons, phases } from './types.js';

const base = {
  job_id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  seq: z.number().int().positive(),
  timestamp: z.number().int().nonnegative(),
  worker_id: z.string().min(1).max(128),
  epoch: z.number().int().positive(),
  recovery: z.boolean(),
};
const count = z.number().int().nonnegative();
const index = z.number().int().nonnegative();
const reason = z.enum(failureReasons as [string, ...string[]]);

/** Why a recovery started: the owner's lease ran out, or the owner handed the job back. */
export const recoveryTypes = ['lease_expired', 'released'] as const;
/** How a recovery attempt ended. */
export const recoveryResults = ['job_completed', 'job_failed', 'owner_lost'] as const;

const schemas = {
  chunks_created: z.strictObject({
    event: z.literal('chunks_created'),
    ...base,
    total_chunks: z.number().int().positive(),
    chunk_length_ms: z.number().int().positive(),
    duration_ms: z.number().positive(),
  }),
  transcription_started: z.strictObject({
    event: z.literal('transcription_started'),
    ...base,
    total_chunks: z.number().int().positive(),
  }),
  chunk_transcribed: z.strictObject({
    event: z.literal('chunk_transcribed'),
    ...base,
    chunk_index: index,
    text_length: count,
  }),
  chunk_failed: z.strictObject({
    event: z.literal('chunk_failed'),
    ...base,
    chunk_index: index,
    error: z.string().max(1000),
    retryable: z.boolean(),
  }),
  chunk_recreated: z.strictObject({
    event: z.literal('chunk_recreated'),
    ...base,
    chunk_index: index,
    reason: z.enum(['missing', 'corrupt']),
  }),
  progress_update: z.strictObject({
    event: z.literal('progress_update'),
    ...base,
    completed_chunks: count,
    total_chunks: z.number().int().positive(),
    progress: z.number().min(0).max(100),
  }),
  transcription_completed: z.strictObject({
    event: z.literal('transcription_completed'),
    ...base,
    total_chunks: z.number().int().positive(),
    transcript_length: count,
  }),
  job_failed: z.strictObject({ event: z.literal('job_failed'), ...base, reason, message: z.string().max(1000) }),
  recovery_started: z.strictObject({
    event: z.literal('recovery_started'),
    ...base,
    message: z.string(),
    recovery_type: z.enum(recoveryTypes),
    attempt: z.number().int().positive(),
    previous_owner: z.string().min(1),
    phase: z.enum(phases as [string, ...string[]]),
  }),
  processing_resumed: z.strictObject({
    event: z.literal('processing_resumed'),
    ...base,
    completed_chunks: count,
    remaining_chunks: z.number().int().positive(),
  }),
  recovery_completed: z.strictObject({
    event: z.literal('recovery_completed'),
    ...base,
    recovery_result: z.literal('job_completed'),
    attempt: z.number().int().positive(),
    recreated_chunks: count,
    duration_ms: count,
  }),
  recovery_failed: z.strictObject({
    event: z.literal('recovery_failed'),
    ...base,
    recovery_result: z.enum(['job_failed', 'owner_lost']),
    attempt: z.number().int().positive(),
    reason: z.string().min(1),
    message: z.string(),
  }),
  /**
   * An operator put a failed job back to work (`chunkwise retry`): the job leaves `failed` for the phase its chunks
   * imply (`phase`), released, under a new epoch, with its recovery count reset; the next claim is a recovery of type
   * `released`. Written by the operator's tools only, never by a worker.
   */
  job_retried: z.strictObject({
    event: z.literal('job_retried'),
    ...base,
    previous_reason: z.string().min(1),
    phase: z.enum(phases as [string, ...string[]]),
    message: z.string().max(1000),
  }),
  /**
   * An operator cancelled an unfinished job (`chunkwise cancel`): written first of the cancelling write, which then
   * fails the job under a new epoch (`job_failed`, and `recovery_failed` when a recovery was open), so that the
   * worker holding the lease finds its next write refused. Written by the operator's tools only, never by a worker.
   */
  job_cancelled: z.strictObject({
    event: z.literal('job_cancelled'),
    ...base,
    phase: z.enum(phases as [string, ...string[]]),
    previous_owner: z.string(),
    message: z.string().max(1000),
  }),
} as const;

/** The schema of every event, keyed by name. */
export const eventSchemas = schemas;

/** Every event name, in the order DESIGN.md lists them. */
export const eventNames = Object.keys(schemas) as EventName[];

/** Any one event. */
export const jobEventSchema = z.discriminatedUnion(
  'event',
  Object.values(schemas) as unknown as [(typeof schemas)[EventName], ...(typeof schemas)[EventName][]],
);

export type EventName = keyof typeof schemas;
/** An event of a given name. */
export type EventOf<N extends EventName> = z.infer<(typeof schemas)[N]>;
/** Any event. */
export type JobEvent = { [N in EventName]: EventOf<N> }[EventName];
/** The fields an operation supplies; the common fields are filled in by {@link stamp}. */
export type EventBody<N extends EventName = EventName> = N extends EventName
  ? Omit<EventOf<N>, keyof typeof base>
  : never;

/** Thrown when an event does not match its schema; the event is never appended. */
export class EventSchemaError extends TypeError {
  override readonly name = 'EventSchemaError';
  constructor(
    readonly eventName: string,
    readonly issues: string,
  ) {
    super(`event ${JSON.stringify(eventName)} does not match its schema: ${issues}`);
  }
}

/** Throws a TypeError unless `name` is a known event name. */
export function validateEventName(name: unknown): EventName {
  if (typeof name !== 'string' || !Object.hasOwn(schemas, name)) {
    throw new TypeError(`event must be one of ${eventNames.join(', ')}, got ${JSON.stringify(name)}`);
  }
  return name as EventName;
}

/** Validates `value` as an event; returns it typed or throws {@link EventSchemaError}. */
export function parseEvent(value: unknown): JobEvent {
  if (typeof value === 'object' && value !== null && validated.has(value) && Object.isFrozen(value)) {
    return value as JobEvent;
  }
  const name = (value as { event?: unknown } | null)?.event;
  validateEventName(name);
  const result = jobEventSchema.safeParse(value);
  if (!result.success) {
    throw new EventSchemaError(
      String(name),
      result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  validated.add(result.data);
  return result.data as JobEvent;
}

/**
 * Every object {@link parseEvent} returned. One that is also frozen (as the memory store keeps its events) cannot
 * have changed since, so parsing it again returns it as it is.
 */
const validated = new WeakSet<object>();

/** The fields every event of one write shares. */
export interface Stamp {
  readonly jobId: string;
  readonly seq: number;
  readonly timestampMs: number;
  readonly workerId: string;
  readonly epoch: number;
  readonly recovery: boolean;
}

/** Completes an event body with the common fields and validates it. */
export function stamp(body: EventBody, at: Stamp): JobEvent {
  return parseEvent(unvalidatedEvent(body, at));
}

/**
 * Completes an event body with the common fields, in the schemas' field order, without validating it: for the core's
 * operations, whose events are validated once, where they enter a store (the memory store as it appends them; the
 * Redis scripts write their own, which the adapter validates as it reads them). A worker's replay of a write on its
 * own snapshot throws its events away, so it never pays for a validation.
 */
export function unvalidatedEvent(body: EventBody, at: Stamp): JobEvent {
  const common = {
    event: body.event,
    job_id: at.jobId,
    seq: at.seq,
    timestamp: at.timestampMs,
    worker_id: at.workerId,
    epoch: at.epoch,
    recovery: at.recovery,
  };
  return Object.assign(common, body) as JobEvent;
}
