/**
 * Scenarios as data that lasts: a replay token is the whole scenario (compressed, with its format
 * version), and a scenario file is the same as JSON. Either replays the exact run whatever the
 * generator has become since; one of another version is refused with a clear error, never replayed
 * as a different run. The schema checks every field, so a hand-edited file fails naming the field.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { chunkConcurrencyMax, chunkTailMsMin } from '../src/core/limits.js';
import { faultKinds, scenarioVersion, type Scenario } from './faults.js';
import { faultDefinition } from './faults/index.js';

/** A replay token or scenario file that cannot be read; the message says what is wrong. */
export class ScenarioFormatError extends TypeError {
  override readonly name = 'ScenarioFormatError';
}

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** A fault: an object whose kind is one of the registry's, checked further by that kind's own schema. */
const faultSchema = z.looseObject({ kind: z.string() }).check((context) => {
  const { kind } = context.value;
  if (!(faultKinds as readonly string[]).includes(kind)) {
    context.issues.push({
      code: 'custom',
      input: kind,
      path: ['kind'],
      message: `unknown fault kind ${JSON.stringify(kind)}; the kinds are ${faultKinds.join(', ')}`,
    });
    return;
  }
  const parsed = faultDefinition(kind).schema.safeParse(context.value);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    context.issues.push({ code: 'custom', input: context.value, path: issue.path, message: issue.message });
  }
});

const jobSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    chunks: positive.max(10_000),
    chunkLengthMs: positive.min(1_000),
    lastChunkMs: positive,
    submitAtMs: count.optional(),
    submitOnPoll: positive.optional(),
  })
  .refine((job) => job.lastChunkMs >= chunkTailMsMin && job.lastChunkMs <= job.chunkLengthMs + chunkTailMsMin, {
    message: `lastChunkMs must lie between ${chunkTailMsMin} and chunkLengthMs + ${chunkTailMsMin}`,
    path: ['lastChunkMs'],
  });

const scenarioSchema = z.strictObject({
  jobs: z.array(jobSchema).min(1).max(64),
  workers: positive.max(64),
  concurrency: positive.max(64).optional(),
  chunkConcurrency: positive.max(chunkConcurrencyMax).optional(),
  faults: z.array(faultSchema).max(1_000),
  latencies: z.strictObject({ storeMaxMs: count, mediaMs: positive, transcribeMs: positive }),
  faultPhaseMs: count,
  seed: z.number().int(),
  choices: z.array(count).max(1_000_000),
});

const fileSchema = z.strictObject({ version: z.number().int(), scenario: z.unknown() });

/** The saved form of a scenario: what `--scenario FILE` and `chaos().fromScenario(...)` read. */
export interface ScenarioFile {
  readonly version: number;
  readonly scenario: Scenario;
}

/** `scenario` as a saved file's content (pretty JSON with its version). */
export function scenarioFileText(scenario: Scenario): string {
  return `${JSON.stringify({ version: scenarioVersion, scenario } satisfies ScenarioFile, null, 2)}\n`;
}

/**
 * Reads a scenario from a saved file's value: `{ version, scenario }`, or a report.json of the
 * simulator (a run report, or a campaign report's counterexample). Throws {@link ScenarioFormatError}.
 */
export function parseScenarioFile(value: unknown): Scenario {
  const saved = savedOf(value);
  const file = fileSchema.safeParse(saved);
  if (!file.success)
    throw new ScenarioFormatError(
      'a scenario file holds { "version": N, "scenario": {...} } (or is a report.json of the simulator)',
    );
  checkVersion(file.data.version, 'scenario file');
  return parseScenario(file.data.scenario);
}

/** Checks a scenario value field by field; throws {@link ScenarioFormatError} naming the first bad field. */
export function parseScenario(value: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'scenario' : `scenario.${issue.path.join('.')}`;
    throw new ScenarioFormatError(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as unknown as Scenario;
}

function savedOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if ('counterexample' in record && typeof record.counterexample === 'object' && record.counterexample !== null) {
    const counterexample = record.counterexample as Record<string, unknown>;
    return { version: counterexample.version, scenario: counterexample.scenario };
  }
  if ('lanes' in record) return { version: record.version, scenario: record.scenario };
  return value;
}

/**
 * Versions this simulator replays: its own, and every one since version 2. Each version after 2 only added fault
 * kinds or optional scenario fields (their history is kept beside `scenarioVersion`), and every older fault acts as
 * it did.
 */
export const readableVersions: readonly number[] = Array.from(
  { length: scenarioVersion - 1 },
  (_, offset) => offset + 2,
);

function checkVersion(version: number, what: string): void {
  if (!readableVersions.includes(version)) {
    throw new ScenarioFormatError(
      `${what} of scenario version ${version}; this simulator reads versions ${readableVersions.join(', ')} only (rerun the campaign that found it to get a new one)`,
    );
  }
}

const tokenPrefix = `v${scenarioVersion}.`;

/** The replay token of `scenario`: its version, then the scenario compressed, printable. */
export function encodeReplay(scenario: Scenario): string {
  // Fields in the schema's order, so that a scenario gives one token whichever way its object was built.
  const canonical = parseScenario(scenario);
  return `${tokenPrefix}${deflateRawSync(Buffer.from(JSON.stringify(canonical))).toString('base64url')}`;
}

/** The scenario a replay token carries; throws {@link ScenarioFormatError} naming what is wrong. */
export function decodeReplay(text: string): Scenario {
  const match = /^v(\d+)\.([A-Za-z0-9_-]+)$/.exec(text.trim());
  if (match === null) {
    if (legacyToken(text)) {
      throw new ScenarioFormatError(
        `this replay token comes from an older simulator (it names a generated run by seed and shrink path, which scenario version ${scenarioVersion} cannot reproduce); rerun the campaign with its seed to find the run again`,
      );
    }
    throw new ScenarioFormatError(
      `replay token ${JSON.stringify(text.slice(0, 20))} is not a token printed by the simulator`,
    );
  }
  checkVersion(Number(match[1]), 'replay token');
  let value: unknown;
  try {
    value = JSON.parse(inflateRawSync(Buffer.from(match[2] ?? '', 'base64url')).toString('utf8'));
  } catch {
    throw new ScenarioFormatError('replay token is damaged (it does not decompress to a scenario)');
  }
  return parseScenario(value);
}

function legacyToken(text: string): boolean {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof value.seed === 'number' && typeof value.path === 'string';
  } catch {
    return false;
  }
}
