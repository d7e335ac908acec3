/**
 * A worker incarnation's lane: its leases as bars (rows so that overlapping leases do not cover each other), and
 * below them its commits, transcriber calls, life (start, crash, pause, stop, errors) and the calls worth seeing.
 */
import type { HistoryEntry } from '../history.js';
import type { LeaseSpan } from '../leases.js';
import type { RunRecord } from '../world.js';
import { callOutcome, chunkOps, coveredOps, quietOps, type LaneDraft, type Mark, type MarkBase } from './marks.js';
import { entryText, epochColour, formatMs } from './text.js';

/** Rows of a worker's lease bars: each lease on the first row free at its start. */
function leaseRows(leases: readonly LeaseSpan[]): number[] {
  const rowEnds: number[] = [];
  return leases.map((lease) => {
    const free = rowEnds.findIndex((end) => end <= lease.start);
    const row = free < 0 ? rowEnds.length : free;
    rowEnds[row] = lease.until;
    return row;
  });
}

function leaseMark(lease: LeaseSpan, row: number, endMs: number): Mark {
  const ending =
    lease.releasedAt !== undefined
      ? `ended at ${formatMs(lease.releasedAt)}`
      : lease.until >= endMs
        ? 'still valid when the run ended'
        : `expired at ${formatMs(lease.until)}`;
  const text =
    `lease on ${lease.job}, epoch ${lease.epoch}, held by ${lease.actor}${lease.recovery ? ' (recovery)' : ''}: granted at ${formatMs(lease.start)}, ` +
    `renewed ${lease.renewals} time(s), ${ending}`;
  return {
    t: lease.start,
    until: lease.until,
    kind: 'lease',
    text,
    entry: lease.position,
    link: `entry-${lease.position}`,
    shape: 'bar',
    row,
    css: lease.recovery ? 'lease recovery' : 'lease',
    colour: epochColour(lease.epoch),
    label: `${lease.job} · epoch ${lease.epoch}`,
  };
}

/** The lane of worker incarnation `actor`, given the run's lease spans (every actor's). */
export function workerLane(record: RunRecord, actor: string, spans: readonly LeaseSpan[], endMs: number): LaneDraft {
  const entries = record.history.entries;
  const leases = spans.filter((lease) => lease.actor === actor);
  const rowOfLease = leaseRows(leases);
  const leaseRowCount = Math.max(0, ...rowOfLease.map((row) => row + 1));
  const acts = leaseRowCount;
  const marks: Mark[] = leases.map((lease, index) => leaseMark(lease, rowOfLease[index] ?? 0, endMs));
  let started: number | undefined;
  let crashed: number | undefined;
  entries.forEach((entry, position) => {
    if (!('actor' in entry) || entry.actor !== actor) return;
    const base = { t: entry.t, text: entryText(entry, position), entry: position, link: `entry-${position}` };
    if (entry.kind === 'worker' && entry.what === 'start') started ??= entry.t;
    if (entry.kind === 'worker' && entry.what === 'crash') crashed ??= entry.t;
    const mark = workerMark(entries, entry, position, base, acts, endMs);
    if (mark !== undefined) marks.push(...mark);
  });
  const life = `${started === undefined ? '?' : formatMs(started)} → ${crashed === undefined ? 'end' : `crash ${formatMs(crashed)}`}`;
  const rows = marks.some((mark) => mark.row > acts) ? leaseRowCount + 2 : leaseRowCount + 1;
  return { name: actor, kind: 'worker', rows: Array.from({ length: rows }, () => ''), marks, note: life };
}

function workerMark(
  entries: readonly HistoryEntry[],
  entry: HistoryEntry,
  position: number,
  base: MarkBase,
  acts: number,
  endMs: number,
): Mark[] | undefined {
  switch (entry.kind) {
    case 'commit':
      return [
        {
          ...base,
          kind: 'commit',
          shape: 'dot',
          row: acts,
          css: 'commit',
          glyph: 'C',
          colour: epochColour(entry.epoch),
        },
      ];
    case 'transcribe':
      return [{ ...base, kind: 'transcribe', shape: 'dot', row: acts, css: 'transcribe', glyph: 'T' }];
    case 'grant':
      return entry.leaseUntilMs > 0
        ? undefined
        : [{ ...base, kind: 'fenced', shape: 'dot', row: acts, css: 'fenced', glyph: '⊘' }];
    case 'call':
      return callMark(entry, base, acts + 1);
    case 'worker':
      return lifeMarks(entries, entry, position, base, acts, endMs);
    default:
      return undefined;
  }
}

function lifeMarks(
  entries: readonly HistoryEntry[],
  entry: HistoryEntry & { kind: 'worker' },
  position: number,
  base: MarkBase,
  acts: number,
  endMs: number,
): Mark[] {
  switch (entry.what) {
    case 'start':
      return [{ ...base, kind: 'start', shape: 'dot', row: acts, css: 'start', glyph: '▶' }];
    case 'crash':
      return [
        {
          t: entry.t,
          until: endMs,
          kind: 'dead',
          text: `${entry.actor} crashed at ${formatMs(entry.t)} and never ran again`,
          shape: 'band',
          row: 0,
          css: 'dead',
        },
        { ...base, kind: 'crash', shape: 'dot', row: acts, css: 'crash', glyph: '✕' },
      ];
    case 'pause': {
      const resume = entries.findIndex(
        (other, index) =>
          index > position && other.kind === 'worker' && other.actor === entry.actor && other.what === 'resume',
      );
      const until = Math.min(endMs, entries[resume]?.t ?? endMs);
      const text = `${entry.actor} paused from ${formatMs(entry.t)} to ${resume < 0 ? 'the end of the run' : formatMs(until)}${entry.detail === undefined ? '' : ` (${entry.detail})`}`;
      return [
        { t: entry.t, until, kind: 'pause', text, entry: position, shape: 'band', row: 0, css: 'paused' },
        { ...base, kind: 'pause', shape: 'dot', row: acts, css: 'pause', glyph: '‖' },
      ];
    }
    case 'resume':
      return [{ ...base, kind: 'resume', shape: 'tick', row: acts, css: 'resume' }];
    case 'stop':
      return [{ ...base, kind: 'stop', shape: 'dot', row: acts, css: 'resume', glyph: '■' }];
    case 'error':
      return [{ ...base, kind: 'error', shape: 'dot', row: acts, css: 'error', glyph: '!' }];
  }
}

function callMark(entry: HistoryEntry & { kind: 'call' }, base: MarkBase, row: number): Mark[] | undefined {
  const outcome = callOutcome(entry);
  if (outcome === 'ok' && (quietOps.has(entry.op) || coveredOps.has(entry.op))) return undefined;
  const port = chunkOps.has(entry.op)
    ? 'call-files'
    : entry.op === 'transcribe'
      ? 'call-transcriber'
      : entry.op === 'extractChunk' || entry.op === 'probe'
        ? 'call-media'
        : 'call-store';
  return [{ ...base, kind: 'call', shape: 'tick', row, css: `call ${port} ${outcome}` }];
}
