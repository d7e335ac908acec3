/**
 * What a campaign reached, so that the generator is measured rather than trusted: which store
 * operations returned which outcomes, in which job phase each operation was called, in which
 * phase each fault kind struck, how deep recoveries went (up to and past recoveryAttemptsMax),
 * which events, recovery types and failure reasons appeared. A run counts its pairs; a campaign
 * adds them up; the report lists every pair of each universe with its count and names the ones
 * not reached (with the reason, for pairs no correct run can reach).
 */
import { eventNames, recoveryTypes } from '../src/core/events.js';
import { storeOperationsWhere, type StoreOperationName } from '../src/core/store-operations.js';
import { failureReasons, phases, type Phase } from '../src/core/types.js';
import { faultKinds, type FaultKind } from './faults.js';
import { faultDefinition, faultDefinitions } from './faults/index.js';
import type { RunRecord } from './world.js';

/** Counts keyed `<dimension>|<a>|<b>`. */
export type CoverageCounts = Record<string, number>;

/** Store operations the workers call: every write of the store-operations table. */
export const storeOps: readonly StoreOperationName[] = storeOperationsWhere(
  (operation) => operation.access === 'write',
);

/** Outcomes a store call is described with in the history (the first words of its result). */
export const storeOutcomes = [
  'ok',
  'ok duplicate',
  'ok recovery',
  'exhausted',
  'not_found',
  'stale_epoch',
  'terminal',
  'invalid_state',
  'already_committed',
  'not_claimable',
  'unavailable',
] as const;

/** Store operations that carry an epoch (fenced writes). */
const fencedOps = storeOperationsWhere((operation) => operation.fenced);

/** Pairs no correct run reaches, and why (they are listed apart, not as gaps of the generator). */
const unreachable: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    storeOps
      .filter((op) => op !== 'claimJob')
      .flatMap((op) => [
        [`outcome|${op}|ok recovery`, 'only a claim begins a recovery'],
        [`outcome|${op}|exhausted`, 'only a claim exhausts recoveries'],
        [`outcome|${op}|not_claimable`, 'only a claim finds a job not claimable'],
      ]),
  ),
  ...Object.fromEntries(
    storeOps
      .filter((op) => op !== 'commitChunk')
      .map((op) => [`outcome|${op}|already_committed`, 'only a commit finds its chunk committed']),
  ),
  'failure|cancelled': 'only an operator cancels a job (chunkwise cancel), never a worker',
  'outcome|createJob|stale_epoch': 'a create is not fenced',
  'outcome|createJob|terminal': 'a create of an existing job is a duplicate',
  'outcome|createJob|invalid_state': 'a create checks no phase',
  'outcome|createJob|ok duplicate': 'a create of an existing job is described as ok',
  'outcome|createJob|not_found': 'a create makes the job',
  'outcome|claimJob|stale_epoch': 'a claim carries no epoch',
  'outcome|claimJob|invalid_state': 'a claim takes a job in any live phase',
  'outcome|claimJob|terminal': 'a claim of a terminal job is not_claimable',
  'outcome|quarantineJob|stale_epoch': 'a quarantine fences out every epoch',
  'outcome|quarantineJob|invalid_state': 'a quarantine takes any phase',
  'outcome|releaseJob|invalid_state': 'a release takes any live phase',
  'outcome|renewLease|invalid_state': 'a renewal takes any live phase',
  'outcome|failJob|invalid_state': 'a failure takes any live phase',
  'outcome|renewLease|ok duplicate': 'a renewal is described as ok',
  ...Object.fromEntries(
    fencedOps.map((op) => [
      `phase-op|queued|${op}`,
      'a fenced write carries the epoch of a claim, and a claim leaves queued',
    ]),
  ),
  ...Object.fromEntries(
    faultDefinitions.flatMap((definition) =>
      Object.entries(definition.neverIn ?? {}).map(([phase, reason]) => [`fault|${definition.kind}|${phase}`, reason]),
    ),
  ),
};

const storeOpNames: ReadonlySet<string> = new Set(storeOps);

/** The counts of one finished run, from its record. */
export function runCoverage(record: RunRecord): CoverageCounts {
  const counts: CoverageCounts = { ...(record.coverage ?? {}) };
  const add = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  // A run repeats a few (op, result) pairs hundreds of times: each pair's key is built once.
  const outcomeKeys = new Map<string, Map<string, string>>();
  const { history } = record;
  for (const position of history.positionsOf('call')) {
    const entry = history.entries[position];
    if (entry?.kind !== 'call' || !storeOpNames.has(entry.op)) continue;
    let byResult = outcomeKeys.get(entry.op);
    if (byResult === undefined) outcomeKeys.set(entry.op, (byResult = new Map()));
    let key = byResult.get(entry.result);
    if (key === undefined) byResult.set(entry.result, (key = `outcome|${entry.op}|${outcomeOf(entry.result)}`));
    add(key);
  }
  for (const [jobId, events] of record.events) {
    const recoveries = events.filter((event) => event.event === 'recovery_started');
    for (const event of events) add(`event|${event.event}`);
    for (const event of recoveries) add(`recovery_type|${event.recovery_type}`);
    const job = record.jobs.get(jobId);
    const exhausted = job?.failure?.reason === 'recovery_attempts_exhausted';
    add(`depth|${exhausted ? 'exhausted' : depthBucket(recoveries.length, record.limits.recoveryAttemptsMax)}`);
    if (job?.failure !== undefined && job.failure !== null) add(`failure|${job.failure.reason}`);
  }
  return counts;
}

/** Adds `more` into `into`. */
export function addCoverage(into: CoverageCounts, more: CoverageCounts): CoverageCounts {
  for (const [key, count] of Object.entries(more)) into[key] = (into[key] ?? 0) + count;
  return into;
}

function outcomeOf(result: string): string {
  if (result.startsWith('ok'))
    return result.includes('recovery') ? 'ok recovery' : result.includes('duplicate') ? 'ok duplicate' : 'ok';
  return result.split(' ')[0] ?? result;
}

/** Recovery depths reported: 0, 1, 2, 3–(max−2), max−1, max, and exhausted. */
function depthBucket(depth: number, max: number): string {
  if (depth <= 2 || depth >= max - 1) return String(depth);
  return `3–${max - 2}`;
}

/** One universe of the report: its name, every pair, and which are reached. */
export interface CoverageSection {
  readonly name: string;
  readonly pairs: readonly {
    readonly key: string;
    readonly label: string;
    readonly count: number;
    readonly unreachable?: string;
  }[];
}

/** Every universe, each pair with its count. */
export function coverageSections(counts: CoverageCounts, recoveryAttemptsMax: number): CoverageSection[] {
  const section = (name: string, keys: readonly [string, string][]): CoverageSection => ({
    name,
    pairs: keys.map(([key, label]) => ({
      key,
      label,
      count: counts[key] ?? 0,
      ...(unreachable[key] === undefined ? {} : { unreachable: unreachable[key] }),
    })),
  });
  const depths = [
    '0',
    '1',
    '2',
    `3–${recoveryAttemptsMax - 2}`,
    String(recoveryAttemptsMax - 1),
    String(recoveryAttemptsMax),
    'exhausted',
  ];
  return [
    section(
      'store operation × outcome',
      storeOps.flatMap((op) =>
        storeOutcomes.map((outcome): [string, string] => [`outcome|${op}|${outcome}`, `${op} → ${outcome}`]),
      ),
    ),
    section(
      'job phase × store operation',
      phases.flatMap((phase) =>
        storeOps.map((op): [string, string] => [`phase-op|${phase}|${op}`, `${phase} · ${op}`]),
      ),
    ),
    section(
      'fault kind × job phase',
      faultKinds.flatMap((kind) =>
        faultPhases(kind).map((phase): [string, string] => [`fault|${kind}|${phase}`, `${kind} in ${phase}`]),
      ),
    ),
    section(
      'recovery depth of a job',
      depths.map((depth): [string, string] => [
        `depth|${depth}`,
        depth === 'exhausted' ? `past ${recoveryAttemptsMax}: exhausted` : `${depth} recoveries`,
      ]),
    ),
    section(
      'events',
      eventNames.map((name): [string, string] => [`event|${name}`, name]),
    ),
    section(
      'recovery types',
      recoveryTypes.map((type): [string, string] => [`recovery_type|${type}`, type]),
    ),
    section(
      'failure reasons',
      failureReasons.map((reason): [string, string] => [`failure|${reason}`, reason]),
    ),
  ];
}

/** The phases a fault kind is counted in: the job's phase when it struck, or `—` for faults that concern no job. */
function faultPhases(kind: FaultKind): readonly (Phase | '—')[] {
  if (faultDefinition(kind).jobless === true) return ['—'];
  return phases.filter((phase) => phase !== 'completed' && phase !== 'failed');
}

/** The report as text: per universe, reached/total, then the pairs not reached. */
export function coverageText(counts: CoverageCounts, recoveryAttemptsMax: number): string {
  const lines: string[] = ['coverage of the campaign:'];
  for (const { name, pairs } of coverageSections(counts, recoveryAttemptsMax)) {
    const reachable = pairs.filter((pair) => pair.unreachable === undefined);
    const reached = reachable.filter((pair) => pair.count > 0);
    lines.push(
      `  ${name}: ${reached.length}/${reachable.length} reachable pairs reached${pairs.length > reachable.length ? ` (${pairs.length - reachable.length} unreachable by design)` : ''}`,
    );
    const missing = reachable.filter((pair) => pair.count === 0).map((pair) => pair.label);
    if (missing.length > 0) lines.push(`    not reached: ${missing.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
