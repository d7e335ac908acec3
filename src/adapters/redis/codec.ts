/**
 * How a job and its events are laid out in Redis, and their strict decoding. Every stored value
 * is a string; the Lua scripts write them and this module reads them back. Anything that does not
 * decode (a missing or unknown field, a non-number, an unknown phase, a chunk committed without
 * text, counters that disagree with the chunks, an event stream that does not end at nextSeq - 1)
 * is reported with every problem found, then the decoded job is held to jobInvariantProblems
 * (src/core/invariants.ts): a job that cannot be trusted is a CorruptStateError (P10).
 *
 * State hash (`<prefix>{job:<id>}:state`): the fields of {@link stateFields}; `durationMs`, `owner`,
 * `failureReason`/`failureMessage` and `lastRequestId` are absent while null; `recoveryHandovers` (the recoveries
 * that were hand-overs after a release, which recoveryAttemptsMax does not count) is absent from a job stored before
 * it existed and reads as 0 (all its recoveries counted, as they were then). Flags are '0'/'1'.
 * `chunkCount`, `committedCount` and `transcriptChars` (the committed texts' total length) let the
 * scripts work in O(1); `revision` counts writes (the claim's optimistic check).
 * The final transcript is not stored: it is the chunks' texts joined by one space.
 *
 * Chunks hash (`<prefix>{job:<id>}:chunks`): for chunk i, `i:startMs`, `i:durationMs`, `i:bytes`,
 * `i:sha256`, `i:status` ('pending' | 'committed') and, once committed, `i:transcript`.
 *
 * Events stream (`<prefix>{job:<id>}:events`): entry id `<seq>-0`; every event field stored flat as
 * a string, decoded back to a number or boolean by the type its zod schema declares.
 */
import { eventSchemas, parseEvent, type EventName, type JobEvent } from '../../core/events.js';
import { jobInvariantProblems } from '../../core/invariants.js';
import { chunksPerJobMax } from '../../core/limits.js';
import { assembleTranscript } from '../../core/progress.js';
import type { Chunk, FailureReason, Job, Phase } from '../../core/types.js';
import { CorruptStateError } from '../../ports.js';

/** Fields of the state hash; the optional ones are absent while their value is null. */
export const stateFields = {
  required: [
    'id',
    'source',
    'chunkLengthMs',
    'phase',
    'epoch',
    'leaseExpiresAtMs',
    'recoveryAttempts',
    'recoveryOpen',
    'recoveryStartedAtMs',
    'recoveryResumed',
    'recoveryRecreatedChunks',
    'nextSeq',
    'createdAtMs',
    'updatedAtMs',
    'chunkCount',
    'committedCount',
    'transcriptChars',
    'revision',
  ],
  optional: ['durationMs', 'owner', 'failureReason', 'failureMessage', 'lastRequestId'],
  /** Counters added after jobs were first stored: absent in an older job, where they read as 0. */
  defaulted: ['recoveryHandovers'],
} as const;

/** Fields of one chunk in the chunks hash (`<index>:<field>`). */
export const chunkFields = ['startMs', 'durationMs', 'bytes', 'sha256', 'status', 'transcript'] as const;

/** The chunks-hash field of chunk `index`. */
export function chunkField(index: number, field: (typeof chunkFields)[number]): string {
  return `${index}:${field}`;
}

/** A decoded job and the storage revision it was read at. */
export interface DecodedJob {
  readonly job: Job;
  readonly revision: number;
}

const integerPattern = /^(0|[1-9][0-9]{0,15})$/;
const numberPattern = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?(e[+-]?[0-9]+)?$/;

/** Reads typed fields from a hash, collecting a problem for each one that does not decode. */
class FieldReader {
  constructor(
    private readonly hash: Readonly<Record<string, string>>,
    private readonly where: string,
    private readonly problems: string[],
  ) {}

  text(name: string): string {
    const value = this.hash[name];
    if (typeof value === 'string') return value;
    this.problems.push(`${this.where}${name} is missing`);
    return '';
  }

  optionalText(name: string): string | null {
    const value = this.hash[name];
    return typeof value === 'string' ? value : null;
  }

  integer(name: string): number {
    const value = this.hash[name];
    if (typeof value === 'string' && integerPattern.test(value) && Number.isSafeInteger(Number(value)))
      return Number(value);
    this.problems.push(
      value === undefined
        ? `${this.where}${name} is missing`
        : `${this.where}${name} ${JSON.stringify(value)} is not a non-negative integer`,
    );
    return 0;
  }

  /** An integer field that an older stored job may lack: `fallback` when absent. */
  integerOr(name: string, fallback: number): number {
    return this.hash[name] === undefined ? fallback : this.integer(name);
  }

  number(name: string): number {
    const value = this.hash[name];
    if (value !== undefined) return this.parseNumber(name, value);
    this.problems.push(`${this.where}${name} is missing`);
    return 0;
  }

  optionalNumber(name: string): number | null {
    const value = this.hash[name];
    return value === undefined ? null : this.parseNumber(name, value);
  }

  flag(name: string): boolean {
    const value = this.hash[name];
    if (value === '0' || value === '1') return value === '1';
    this.problems.push(
      value === undefined
        ? `${this.where}${name} is missing`
        : `${this.where}${name} ${JSON.stringify(value)} is not 0 or 1`,
    );
    return false;
  }

  private parseNumber(name: string, value: string): number {
    if (numberPattern.test(value) && Number.isFinite(Number(value))) return Number(value);
    this.problems.push(`${this.where}${name} ${JSON.stringify(value)} is not a number`);
    return 0;
  }
}

/**
 * Decodes a job from its state hash, its chunks hash and the seq of its stream's last event
 * (null to skip that check). Throws CorruptStateError with every problem found.
 */
export function decodeJob(
  jobId: string,
  state: Readonly<Record<string, string>>,
  chunkHash: Readonly<Record<string, string>>,
  lastEventSeq: number | null,
): DecodedJob {
  const problems: string[] = [];
  const read = new FieldReader(state, '', problems);
  const known = new Set<string>([...stateFields.required, ...stateFields.optional, ...stateFields.defaulted]);
  for (const name of Object.keys(state))
    if (!known.has(name)) problems.push(`unknown state field ${JSON.stringify(name)}`);
  const id = read.text('id');
  if (id !== jobId) problems.push(`state id ${JSON.stringify(id)} is not ${JSON.stringify(jobId)}`);
  const storedChunkCount = read.integer('chunkCount');
  // Checked before anything is allocated per chunk: an absurd count is corrupt state, not a loop.
  if (storedChunkCount > chunksPerJobMax)
    problems.push(`chunkCount ${storedChunkCount} is above chunksPerJobMax (${chunksPerJobMax})`);
  const chunkCount = Math.min(storedChunkCount, chunksPerJobMax);
  const chunks = decodeChunks(chunkHash, chunkCount, problems);
  const committedCount = read.integer('committedCount');
  const transcriptChars = read.integer('transcriptChars');
  const committed = chunks.filter((chunk) => chunk.transcript !== null);
  if (committed.length !== committedCount)
    problems.push(`committedCount ${committedCount} but ${committed.length} chunks are committed`);
  const chars = committed.reduce((sum, chunk) => sum + (chunk.transcript ?? '').length, 0);
  if (chars !== transcriptChars)
    problems.push(`transcriptChars ${transcriptChars} but the committed texts have ${chars}`);
  const failureReason = read.optionalText('failureReason');
  const failureMessage = read.optionalText('failureMessage');
  if ((failureReason === null) !== (failureMessage === null))
    problems.push('failureReason and failureMessage must be present together');
  const phase = read.text('phase') as Phase;
  const nextSeq = read.integer('nextSeq');
  if (lastEventSeq !== null && lastEventSeq !== nextSeq - 1)
    problems.push(`the event stream ends at seq ${lastEventSeq} but nextSeq is ${nextSeq}`);
  const job: Job = {
    id: jobId,
    source: read.text('source'),
    chunkLengthMs: read.integer('chunkLengthMs'),
    durationMs: read.optionalNumber('durationMs'),
    phase,
    epoch: read.integer('epoch'),
    owner: read.optionalText('owner'),
    leaseExpiresAtMs: read.integer('leaseExpiresAtMs'),
    chunks,
    recovery: {
      attempts: read.integer('recoveryAttempts'),
      handovers: read.integerOr('recoveryHandovers', 0),
      open: read.flag('recoveryOpen'),
      startedAtMs: read.integer('recoveryStartedAtMs'),
      resumed: read.flag('recoveryResumed'),
      recreatedChunks: read.integer('recoveryRecreatedChunks'),
    },
    failure: failureReason === null ? null : { reason: failureReason as FailureReason, message: failureMessage ?? '' },
    transcript: phase === 'completed' ? assembleTranscript(chunks) : null,
    nextSeq,
    lastRequestId: read.optionalText('lastRequestId'),
    createdAtMs: read.integer('createdAtMs'),
    updatedAtMs: read.integer('updatedAtMs'),
  };
  const revision = read.integer('revision');
  problems.push(...jobInvariantProblems(job));
  if (problems.length > 0) throw new CorruptStateError(jobId, problems);
  return { job, revision };
}

function decodeChunks(hash: Readonly<Record<string, string>>, count: number, problems: string[]): Chunk[] {
  const expected = new Set<string>();
  const chunks: Chunk[] = [];
  for (let index = 0; index < count; index += 1) {
    const where = `chunk ${index} `;
    const read = new FieldReader(hash, `${where}field `, problems);
    const field = (name: (typeof chunkFields)[number]): string => {
      const key = chunkField(index, name);
      expected.add(key);
      return key;
    };
    const status = read.text(field('status'));
    const transcript = read.optionalText(field('transcript'));
    if (status !== 'pending' && status !== 'committed')
      problems.push(`${where}has the unknown status ${JSON.stringify(status)}`);
    if (status === 'committed' && transcript === null) problems.push(`${where}is committed without text`);
    if (status === 'pending' && transcript !== null) problems.push(`${where}is pending but has text`);
    chunks.push({
      index,
      startMs: read.number(field('startMs')),
      durationMs: read.number(field('durationMs')),
      bytes: read.integer(field('bytes')),
      sha256: read.text(field('sha256')),
      transcript: status === 'committed' ? transcript : null,
    });
  }
  for (const key of Object.keys(hash))
    if (!expected.has(key)) problems.push(`unknown chunk field ${JSON.stringify(key)}`);
  return chunks;
}

type FieldKind = 'number' | 'boolean' | 'string';

/** The stored kind of every field of every event, read from the zod schemas. */
const eventFieldKinds: ReadonlyMap<string, ReadonlyMap<string, FieldKind>> = new Map(
  Object.entries(eventSchemas).map(([name, schema]) => [
    name,
    new Map(
      Object.entries(schema.shape).map(([field, type]): [string, FieldKind] => {
        const kind = (type as { def: { type: string } }).def.type;
        return [field, kind === 'number' || kind === 'boolean' ? kind : 'string'];
      }),
    ),
  ]),
);

/** The kind (number, boolean or string) event `name` declares for `field`, if it declares it. */
export function eventFieldKind(name: EventName, field: string): FieldKind | undefined {
  return eventFieldKinds.get(name)?.get(field);
}

/**
 * Decodes one stream entry (id `<seq>-0`, flat field list) into an event and validates it with
 * parseEvent. Throws CorruptStateError when it does not match its schema or its id.
 */
export function decodeEvent(jobId: string, entryId: string, flat: readonly string[]): JobEvent {
  const record: Record<string, unknown> = {};
  for (let position = 0; position + 1 < flat.length; position += 2)
    record[flat[position] as string] = flat[position + 1];
  const kinds = eventFieldKinds.get(String(record['event']));
  for (const [field, value] of Object.entries(record)) {
    const kind = kinds?.get(field);
    if (kind === 'number') record[field] = decodeEventNumber(value);
    if (kind === 'boolean') record[field] = value === 'true' ? true : value === 'false' ? false : value;
  }
  let event: JobEvent;
  try {
    event = parseEvent(record);
  } catch (error) {
    if (error instanceof TypeError) throw new CorruptStateError(jobId, [`event ${entryId}: ${error.message}`]);
    throw error;
  }
  if (entryId !== `${event.seq}-0`) throw new CorruptStateError(jobId, [`event ${entryId} carries seq ${event.seq}`]);
  return event;
}

function decodeEventNumber(value: unknown): unknown {
  return typeof value === 'string' && numberPattern.test(value) ? Number(value) : value;
}
