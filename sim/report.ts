/**
 * A counterexample as a story: a numbered timeline (virtual ms, actor, what happened, result),
 * the broken promise marked at the step where it broke, and the replay command. Colours only on
 * a TTY, never with NO_COLOR.
 */
import type { Violation } from './checkers/index.js';
import type { HistoryEntry } from './history.js';
import type { Scenario } from './faults.js';
import type { RunRecord } from './world.js';

/** Colour helpers that turn themselves off when `enabled` is false. */
export function palette(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    red: wrap(31),
    green: wrap(32),
    yellow: wrap(33),
    blue: wrap(34),
    magenta: wrap(35),
    dim: wrap(2),
    bold: wrap(1),
  };
}

/** True when colours should be used on `stream`. */
export function colourEnabled(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
}

/** One line of text for a history entry: actor and what happened. */
export function describeEntry(entry: HistoryEntry): { actor: string; text: string } {
  switch (entry.kind) {
    case 'call':
      return { actor: entry.actor, text: `${entry.op} ${entry.target} → ${entry.result}` };
    case 'grant':
      return {
        actor: entry.actor,
        text: `lease granted on ${entry.job}: epoch ${entry.epoch}${entry.leaseUntilMs > 0 ? ` until ${entry.leaseUntilMs} ms` : ' (fenced, no lease)'}${entry.recovery ? ', recovery' : ''}`,
      };
    case 'renew':
      return {
        actor: entry.actor,
        text: `lease on ${entry.job} epoch ${entry.epoch} renewed until ${entry.leaseUntilMs} ms`,
      };
    case 'release':
      return { actor: entry.actor, text: `lease on ${entry.job} epoch ${entry.epoch} ended` };
    case 'commit':
      return { actor: entry.actor, text: `committed ${entry.job} chunk ${entry.index} with epoch ${entry.epoch}` };
    case 'transcribe':
      return {
        actor: entry.actor,
        text: `transcriber called for ${entry.job} chunk ${entry.index} (audio ${entry.digest})`,
      };
    case 'file':
      return {
        actor: entry.actor,
        text: `file ${entry.op} ${entry.job}${entry.index === undefined ? '' : `/${entry.index}`}`,
      };
    case 'fault':
      return { actor: 'world', text: `FAULT ${entry.label}` };
    case 'worker':
      return {
        actor: entry.actor,
        text: `worker ${entry.what}${entry.detail === undefined ? '' : `: ${entry.detail}`}`,
      };
    case 'phase':
      return { actor: 'world', text: 'faults off: liveness phase begins' };
  }
}

/** Options of the text timeline. */
export interface TimelineOptions {
  readonly colour: boolean;
  /** Print every entry, not only the story-relevant ones. */
  readonly verbose: boolean;
}

const quietOps = new Set(['listRecoverableJobs', 'renewLease', 'getJob', 'check', 'read', 'listJobIds']);

/** Fewest consecutive routine lines worth folding into one. */
const foldLinesMin = 3;

/**
 * The counterexample's timeline as aligned text lines. Polls and renewals are left out; runs of
 * routine steps (calls that succeed, transcriptions, commits, chunk files written) fold into one
 * line that says what they did; faults, crashes, pauses, grants, refusals and every step of the
 * actors named where a promise broke stay whole. `verbose` prints every entry.
 */
export function timeline(record: RunRecord, violations: readonly Violation[], options: TimelineOptions): string[] {
  const colours = palette(options.colour);
  const marked = new Map<number, Violation[]>();
  for (const violation of violations) {
    if (violation.entry !== undefined) marked.set(violation.entry, [...(marked.get(violation.entry) ?? []), violation]);
  }
  const entries = record.history.entries;
  const firstMarked = violations[0]?.entry;
  const involved = new Set(actorOf(firstMarked === undefined ? undefined : entries[firstMarked]));
  // After the first violation, a short tail of context; the rest is counted, not printed.
  const cutAfter = options.verbose || firstMarked === undefined ? Number.POSITIVE_INFINITY : firstMarked;
  let tail = 0;
  let cutAt: number | undefined;
  const width = String(entries.length).length;
  const number = (position: number) => colours.dim(`#${String(position).padStart(width, '0')}`);
  const lines: string[] = [];
  let fold: number[] = [];
  const flush = () => {
    if (fold.length >= foldLinesMin) lines.push(foldedLine(entries, fold, number, colours));
    else
      for (const position of fold) lines.push(entryLine(entries[position] as HistoryEntry, number(position), colours));
    fold = [];
  };
  entries.forEach((entry, position) => {
    if (cutAt !== undefined) return;
    const shown = options.verbose || marked.has(position) || entry.kind !== 'call' || !quietOps.has(entry.op);
    if (!shown) return;
    if (position > cutAfter) {
      tail += 1;
      if (tail > tailLinesMax) {
        cutAt = position;
        return;
      }
    }
    if (
      !options.verbose &&
      !marked.has(position) &&
      routine(entry) &&
      actorOf(entry).every((actor) => !involved.has(actor))
    ) {
      fold.push(position);
      return;
    }
    flush();
    lines.push(entryLine(entry, number(position), colours));
    for (const violation of marked.get(position) ?? [])
      lines.push(colours.red(`${' '.repeat(width + 1)} ^ ${violation.promise} broken here: ${violation.message}`));
  });
  flush();
  if (cutAt !== undefined) lines.push(colours.dim(restLine(record, violations, cutAt)));
  return lines;
}

/** Lines of context printed after the first violation before the rest of the run is summarised. */
const tailLinesMax = 8;

function restLine(record: RunRecord, violations: readonly Violation[], cutAt: number): string {
  const entries = record.history.entries;
  const later = new Map<string, number>();
  for (const violation of violations)
    if (violation.entry !== undefined && violation.entry >= cutAt)
      later.set(violation.promise, (later.get(violation.promise) ?? 0) + 1);
  const broken =
    later.size === 0
      ? ''
      : `; broken there: ${[...later].map(([promise, count]) => `${promise} ×${count}`).join(', ')}`;
  return `… ${entries.length - cutAt} more entries to the end of the run at ${record.simulatedMs} ms (ended: ${record.end})${broken}; --verbose prints them`;
}

function entryLine(entry: HistoryEntry, number: string, colours: ReturnType<typeof palette>): string {
  const { actor, text } = describeEntry(entry);
  const line = `${number} ${String(entry.t).padStart(8)} ms  ${actor.padEnd(8)} ${text}`;
  return entry.kind === 'fault' || (entry.kind === 'worker' && entry.what === 'crash') ? colours.yellow(line) : line;
}

function actorOf(entry: HistoryEntry | undefined): string[] {
  return entry !== undefined && 'actor' in entry ? [entry.actor] : [];
}

/** A step that tells nothing new on its own: a call that succeeded, a transcription, a commit, a chunk file written. */
function routine(entry: HistoryEntry): boolean {
  switch (entry.kind) {
    case 'call':
      return /^(ok|not_claimable)\b/.test(entry.result);
    case 'transcribe':
    case 'commit':
    case 'renew':
      return true;
    case 'file':
      return entry.op === 'write';
    default:
      return false;
  }
}

/** One line for a run of routine steps: who, which chunks were extracted, transcribed and committed. */
function foldedLine(
  entries: readonly HistoryEntry[],
  positions: readonly number[],
  number: (position: number) => string,
  colours: ReturnType<typeof palette>,
): string {
  const first = entries[positions[0] as number] as HistoryEntry;
  const last = entries[positions.at(-1) as number] as HistoryEntry;
  const actors = [...new Set(positions.flatMap((position) => actorOf(entries[position])))];
  const per = new Map<string, { written: number[]; transcribed: number[]; committed: number[] }>();
  const of = (job: string) => {
    let found = per.get(job);
    if (found === undefined) per.set(job, (found = { written: [], transcribed: [], committed: [] }));
    return found;
  };
  for (const position of positions) {
    const entry = entries[position] as HistoryEntry;
    if (entry.kind === 'file' && entry.index !== undefined) of(entry.job).written.push(entry.index);
    if (entry.kind === 'transcribe') of(entry.job).transcribed.push(entry.index);
    if (entry.kind === 'commit') of(entry.job).committed.push(entry.index);
  }
  const work = [...per.entries()].map(([job, done]) => {
    const parts = [
      done.written.length > 0 ? `${plural('chunk file', done.written)} ${ranges(done.written)} written` : '',
      done.transcribed.length > 0 ? `${plural('chunk', done.transcribed)} ${ranges(done.transcribed)} transcribed` : '',
      done.committed.length > 0 ? `${plural('chunk', done.committed)} ${ranges(done.committed)} committed` : '',
    ].filter((part) => part !== '');
    return `${job}: ${parts.join(', ')}`;
  });
  const what = work.length > 0 ? work.join('; ') : 'routine calls';
  const span = `${number(positions[0] as number)}–${number(positions.at(-1) as number)}`;
  return colours.dim(
    `${span} ${String(first.t).padStart(8)}–${last.t} ms  ${actors.join(',')}  ${what} (${positions.length} steps)`,
  );
}

function plural(noun: string, indices: readonly number[]): string {
  return new Set(indices).size === 1 ? noun : `${noun}s`;
}

/** Sorted distinct indices as ranges: `0–3, 5`. */
function ranges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (const index of [...sorted.slice(1), undefined]) {
    if (index !== undefined && previous !== undefined && index === previous + 1) {
      previous = index;
      continue;
    }
    if (start !== undefined && previous !== undefined)
      parts.push(start === previous ? String(start) : `${start}–${previous}`);
    start = index;
    previous = index;
  }
  return parts.join(', ');
}

/** Violations one per line, repeats of the same promise and job counted on the first. */
export function groupedViolations(violations: readonly Violation[]): string[] {
  const groups = new Map<string, { first: Violation; count: number }>();
  for (const violation of violations) {
    const key = `${violation.promise} ${violation.job ?? ''}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { first: violation, count: 1 });
    else group.count += 1;
  }
  return [...groups.values()].map(
    ({ first, count }) =>
      `  ${first.promise}${first.job === undefined ? '' : ` ${first.job}`}${count > 1 ? ` (×${count})` : ''}: ${first.message}`,
  );
}

/** The workers of a scenario in words: `3`, or `3 × 2 loops, 4 chunks in flight` when they run side by side. */
export function workersText(scenario: Scenario): string {
  const loops = scenario.concurrency ?? 1;
  const inFlight = scenario.chunkConcurrency ?? 1;
  return [
    `${scenario.workers}${loops > 1 ? ` × ${loops} loops` : ''}`,
    ...(inFlight > 1 ? [`${inFlight} chunks in flight`] : []),
  ].join(', ');
}

/** The whole counterexample report: faults, timeline, violations, replay command. */
export function counterexampleText(
  record: RunRecord,
  violations: readonly Violation[],
  replay: string,
  options: TimelineOptions,
): string {
  const colours = palette(options.colour);
  const jobs = record.scenario.jobs.map((job) => `${job.id} (${job.chunks} chunks)`).join(', ');
  const out = [
    colours.bold(colours.red(`✗ promise ${violations[0]?.promise ?? '?'} broken`)),
    `  jobs: ${jobs}; workers: ${workersText(record.scenario)}; faults: ${record.faultsFired.length === 0 ? 'none' : ''}`,
    ...record.faultsFired.map((fault) => `    - ${JSON.stringify(fault)}`),
    '',
    ...timeline(record, violations, options),
    '',
    colours.bold('violations:'),
    ...groupedViolations(violations),
    '',
    `replay: npm run sim -- --replay ${replay}`,
  ];
  return out.join('\n');
}
