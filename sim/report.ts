/**
 * A counterexample as a story: a numbered timeline (virtual ms, actor, what happened, result),
 * the broken promise marked at the step where it broke, and the replay command. Colours only on
 * a TTY, never with NO_COLOR.
 */
import type { Violation } from './checkers/index.js';
import type { HistoryEntry } from './history.js';
import type { RunRecord } from './world.js';

/** Colour helpers that turn themselves off when `enabled` is false. */
export function palette(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), blue: wrap(34), magenta: wrap(35), dim: wrap(2), bold: wrap(1) };
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
      return { actor: entry.actor, text: `lease granted on ${entry.job}: epoch ${entry.epoch}${entry.leaseUntilMs > 0 ? ` until ${entry.leaseUntilMs} ms` : ' (fenced, no lease)'}${entry.recovery ? ', recovery' : ''}` };
    case 'renew':
      return { actor: entry.actor, text: `lease on ${entry.job} epoch ${entry.epoch} renewed until ${entry.leaseUntilMs} ms` };
    case 'release':
      return { actor: entry.actor, text: `lease on ${entry.job} epoch ${entry.epoch} ended` };
    case 'commit':
      return { actor: entry.actor, text: `committed ${entry.job} chunk ${entry.index} with epoch ${entry.epoch}` };
    case 'transcribe':
      return { actor: entry.actor, text: `transcriber called for ${entry.job} chunk ${entry.index} (audio ${entry.digest})` };
    case 'file':
      return { actor: entry.actor, text: `file ${entry.op} ${entry.job}${entry.index === undefined ? '' : `/${entry.index}`}` };
    case 'fault':
      return { actor: 'world', text: `FAULT ${entry.label}` };
    case 'worker':
      return { actor: entry.actor, text: `worker ${entry.what}${entry.detail === undefined ? '' : `: ${entry.detail}`}` };
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

/** The counterexample's timeline as aligned text lines. */
export function timeline(record: RunRecord, violations: readonly Violation[], options: TimelineOptions): string[] {
  const colours = palette(options.colour);
  const marked = new Map<number, Violation[]>();
  for (const violation of violations) {
    if (violation.entry !== undefined) marked.set(violation.entry, [...(marked.get(violation.entry) ?? []), violation]);
  }
  const lines: string[] = [];
  const width = String(record.history.entries.length).length;
  record.history.entries.forEach((entry, position) => {
    const interesting = options.verbose || marked.has(position) || entry.kind !== 'call' || !quietOps.has(entry.op);
    if (!interesting) return;
    const { actor, text } = describeEntry(entry);
    const number = `#${String(position).padStart(width, '0')}`;
    const time = `${String(entry.t).padStart(8)} ms`;
    let line = `${colours.dim(number)} ${time}  ${actor.padEnd(8)} ${text}`;
    if (entry.kind === 'fault' || (entry.kind === 'worker' && entry.what === 'crash')) line = colours.yellow(line);
    lines.push(line);
    for (const violation of marked.get(position) ?? []) lines.push(colours.red(`${' '.repeat(width + 1)} ^ ${violation.promise} broken here: ${violation.message}`));
  });
  return lines;
}

/** The whole counterexample report: faults, timeline, violations, replay command. */
export function counterexampleText(record: RunRecord, violations: readonly Violation[], replay: string, options: TimelineOptions): string {
  const colours = palette(options.colour);
  const jobs = record.scenario.jobs.map((job) => `${job.id} (${job.chunks} chunks)`).join(', ');
  const out = [
    colours.bold(colours.red(`✗ promise ${violations[0]?.promise ?? '?'} broken`)),
    `  jobs: ${jobs}; workers: ${record.scenario.workers}; faults: ${record.faultsFired.length === 0 ? 'none' : ''}`,
    ...record.faultsFired.map((fault) => `    - ${JSON.stringify(fault)}`),
    '',
    ...timeline(record, violations, options),
    '',
    colours.bold('violations:'),
    ...violations.map((violation) => `  ${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`),
    '',
    `replay: npm run sim -- --replay ${replay}`,
  ];
  return out.join('\n');
}
