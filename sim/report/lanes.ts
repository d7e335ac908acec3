/**
 * The lanes of a run, built from its history, events and scenario: the world's faults, one lane per worker
 * incarnation (sim/report/worker-lane.ts), the store (outages, refused calls, damage, each job's outbox events) and
 * the files; plus the run's actors, jobs and end, which the layout and the page share.
 */
import { faultLabel, type Fault } from '../faults.js';
import type { HistoryEntry } from '../history.js';
import { leaseSpans } from '../leases.js';
import type { RunRecord } from '../world.js';
import { callOutcome, chunkOps, eventGlyphs, faultGlyphs, type LaneDraft, type Mark } from './marks.js';
import { entryText, eventText, formatMs } from './text.js';
import { workerLane } from './worker-lane.js';

/** The worker actors of a history, by slot then incarnation (`w0#1`, `w0#2`, `w1#1`, …). */
export function workerActors(entries: readonly HistoryEntry[]): string[] {
  const actors = new Set<string>();
  for (const entry of entries) if ('actor' in entry && entry.actor !== 'world') actors.add(entry.actor);
  const key = (actor: string): [number, number] => {
    const match = /^w(\d+)#(\d+)(?:\.\d+)?$/.exec(actor);
    return match === null ? [Number.MAX_SAFE_INTEGER, 0] : [Number(match[1]), Number(match[2])];
  };
  return [...actors].sort((a, b) => {
    const [slotA, incarnationA] = key(a);
    const [slotB, incarnationB] = key(b);
    return slotA - slotB || incarnationA - incarnationB || (a < b ? -1 : a > b ? 1 : 0);
  });
}

/** Every job of a run: the scenario's, then any other its events or history name. */
export function jobIdsOf(record: RunRecord): string[] {
  const ids = new Set(record.scenario.jobs.map((job) => job.id));
  for (const id of record.events.keys()) ids.add(id);
  for (const entry of record.history.entries) if ('job' in entry) ids.add(entry.job);
  return [...ids];
}

/** Every fault of the scenario, by its label (fault history entries carry only the label). */
function faultsByLabel(record: RunRecord): Map<string, Fault> {
  const byLabel = new Map<string, Fault>();
  for (const fault of [...record.scenario.faults, ...record.faultsFired]) byLabel.set(faultLabel(fault), fault);
  return byLabel;
}

function jobOfFault(record: RunRecord, fault: Fault | undefined): string | undefined {
  if (fault === undefined || !('job' in fault) || record.scenario.jobs.length === 0) return undefined;
  return record.scenario.jobs[fault.job % record.scenario.jobs.length]?.id;
}

/** The lanes of a run, top to bottom: world, each worker incarnation, store, files. */
export function buildLanes(record: RunRecord, endMs: number): LaneDraft[] {
  const jobs = jobIdsOf(record);
  const faults = faultsByLabel(record);
  const leases = leaseSpans(record.history.entries, endMs);
  return [
    worldLane(record, faults),
    ...workerActors(record.history.entries).map((actor) => workerLane(record, actor, leases, endMs)),
    storeLane(record, jobs, faults, endMs),
    filesLane(record, jobs, faults),
  ];
}

function worldLane(record: RunRecord, faults: ReadonlyMap<string, Fault>): LaneDraft {
  const marks: Mark[] = [];
  record.history.entries.forEach((entry, position) => {
    const link = `entry-${position}`;
    if (entry.kind === 'fault') {
      const kind = faults.get(entry.label)?.kind ?? 'unknown';
      marks.push({
        t: entry.t,
        kind: 'fault',
        text: entryText(entry, position),
        entry: position,
        link,
        shape: 'dot',
        row: 0,
        css: `fault fault-${kind}`,
        glyph: faultGlyphs[kind] ?? '⚡',
      });
    }
    if (entry.kind === 'phase') {
      marks.push({
        t: entry.t,
        kind: 'phase',
        text: entryText(entry, position),
        entry: position,
        link,
        shape: 'dot',
        row: 0,
        css: 'phase',
        glyph: 'L',
      });
    }
  });
  return { name: 'world', kind: 'world', rows: ['faults'], marks, note: `${record.faultsFired.length} fault(s) fired` };
}

function storeLane(
  record: RunRecord,
  jobs: readonly string[],
  faults: ReadonlyMap<string, Fault>,
  endMs: number,
): LaneDraft {
  const marks: Mark[] = [];
  for (const fault of record.scenario.faults) {
    if (fault.kind !== 'store_down') continue;
    const until = Math.min(endMs, fault.atMs + fault.durationMs, record.scenario.faultPhaseMs);
    if (until <= fault.atMs) continue;
    const hit = record.faultsFired.includes(fault) ? 'calls were refused' : 'no call reached it';
    marks.push({
      t: fault.atMs,
      until,
      kind: 'store_down',
      text: `store down from ${formatMs(fault.atMs)} to ${formatMs(until)} (${hit})`,
      shape: 'band',
      row: 0,
      css: 'outage',
      label: 'store down',
    });
  }
  record.history.entries.forEach((entry, position) => {
    const base = { t: entry.t, text: entryText(entry, position), entry: position, link: `entry-${position}` };
    if (entry.kind === 'call' && callOutcome(entry) === 'refused' && !chunkOps.has(entry.op)) {
      marks.push({ ...base, kind: 'refused', shape: 'tick', row: 0, css: 'refused' });
    }
    const kind = entry.kind === 'fault' ? faults.get(entry.label)?.kind : undefined;
    if (kind === 'state_corrupt' || kind === 'reply_lost') {
      marks.push({
        ...base,
        kind,
        shape: 'dot',
        row: 0,
        css: `damage fault-${kind}`,
        glyph: faultGlyphs[kind] ?? '⚡',
      });
    }
  });
  jobs.forEach((job, jobIndex) => {
    for (const event of record.events.get(job) ?? []) {
      const look = eventGlyphs[event.event] ?? { glyph: '•', css: 'ev-plain', shape: 'dot' as const };
      marks.push({
        t: event.timestamp,
        kind: 'event',
        text: eventText(event),
        link: `event-${jobIndex}-${event.seq}`,
        shape: look.shape,
        row: jobIndex + 1,
        css: `event ${look.css}`,
        glyph: look.glyph,
      });
    }
  });
  return { name: 'store', kind: 'store', rows: ['outages', ...jobs.map((job) => `${job} events`)], marks, note: '' };
}

function filesLane(record: RunRecord, jobs: readonly string[], faults: ReadonlyMap<string, Fault>): LaneDraft {
  const marks: Mark[] = [];
  const rowOf = (job: string | undefined) => Math.max(0, job === undefined ? 0 : jobs.indexOf(job));
  record.history.entries.forEach((entry, position) => {
    const base = { t: entry.t, text: entryText(entry, position), entry: position, link: `entry-${position}` };
    if (entry.kind === 'file') {
      const damage = entry.op === 'delete' || entry.op === 'truncate' || entry.op === 'corrupt';
      marks.push(
        damage
          ? {
              ...base,
              kind: 'file_damage',
              shape: 'dot',
              row: rowOf(entry.job),
              css: `damage file-${entry.op}`,
              glyph: '⚠',
            }
          : { ...base, kind: 'file', shape: 'tick', row: rowOf(entry.job), css: 'file-write' },
      );
    }
    if (entry.kind === 'call' && chunkOps.has(entry.op)) {
      const job = entry.target.split('/')[0];
      if (entry.op === 'removeJob' && entry.result.startsWith('ok'))
        marks.push({ ...base, kind: 'file_remove', shape: 'dot', row: rowOf(job), css: 'removed', glyph: '⌫' });
      else if (callOutcome(entry) !== 'ok')
        marks.push({ ...base, kind: 'file_check', shape: 'dot', row: rowOf(job), css: 'detected', glyph: '?' });
    }
    const fault = entry.kind === 'fault' ? faults.get(entry.label) : undefined;
    if (fault?.kind === 'source_deleted') {
      marks.push({
        ...base,
        kind: 'source_deleted',
        shape: 'dot',
        row: rowOf(jobOfFault(record, fault)),
        css: 'damage source-deleted',
        glyph: 'S',
      });
    }
  });
  return {
    name: 'files',
    kind: 'files',
    rows: jobs.length === 0 ? [''] : jobs.map((job) => `${job} files`),
    marks,
    note: '',
  };
}

/** The end of a run's timeline: its simulated time, or its last entry or event if later. */
export function endOf(record: RunRecord): number {
  let endMs = record.simulatedMs;
  for (const entry of record.history.entries) endMs = Math.max(endMs, entry.t);
  for (const events of record.events.values()) for (const event of events) endMs = Math.max(endMs, event.timestamp);
  return endMs;
}

/** The swimlanes of a run, as HTML. */
