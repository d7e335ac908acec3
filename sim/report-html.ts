/**
 * A counterexample people can look at: `report.html`, a self-contained page (inline CSS, a few
 * lines of inline script, a Content-Security-Policy that forbids every network load) with one
 * swimlane per worker incarnation plus lanes for the world's faults, the store and the files, on a
 * virtual-time axis that compresses idle stretches; and `report.json`, the same lanes as data.
 * Every text that comes from a run (job ids, actors, messages, labels) is escaped before it is
 * written into the page, so nothing in a run can inject markup.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobEvent } from '../src/core/events.js';
import type { FailureReport } from './campaign.js';
import type { Violation } from './checkers/index.js';
import { faultKinds, faultLabel, scenarioVersion, type Fault } from './faults.js';
import { faultDefinitions } from './faults/index.js';
import type { HistoryEntry } from './history.js';
import { describeEntry } from './report.js';
import type { RunRecord } from './world.js';

/** One mark on a lane, as report.json gives it: a point at `t`, or a span from `t` to `until`. */
export interface LaneItem {
  readonly t: number;
  readonly kind: string;
  readonly text: string;
  readonly until?: number;
  /** Index of the history entry the mark draws, when it draws one. */
  readonly entry?: number;
}

/** One swimlane, as report.json gives it. */
export interface Lane {
  readonly name: string;
  readonly items: readonly LaneItem[];
}

/** What {@link writeRunReport} draws. */
export interface RunReportInput {
  readonly record: RunRecord;
  readonly violations: readonly Violation[];
  readonly replay: string | null;
  readonly seed?: number;
}

/** What {@link writeCampaignReport} draws. */
export interface CampaignReportInput {
  readonly seed: number;
  readonly runs: number;
  readonly wallMs: number;
  readonly fingerprint: string;
  /** Faults injected over the campaign, per kind. */
  readonly faults: Readonly<Record<string, number>>;
  readonly failures: readonly FailureReport[];
  readonly counterexample?: {
    readonly record: RunRecord;
    readonly violations: readonly Violation[];
    readonly replay: string;
  };
}

/** Paths of the two files a report consists of. */
export interface ReportFiles {
  readonly html: string;
  readonly json: string;
}

/** Writes `dir/report.html` and `dir/report.json` for one run (creating `dir`); resolves to their paths. */
export async function writeRunReport(dir: string, input: RunReportInput): Promise<ReportFiles> {
  const page = runPage(input);
  return writeReport(dir, page.title, page.body, runJson(input));
}

/**
 * Writes `dir/report.html` and `dir/report.json` for a campaign, passing or failing: the summary,
 * fault coverage per kind (kinds never exercised shown as such), the failures and, when given, the
 * counterexample's timeline.
 */
export async function writeCampaignReport(dir: string, input: CampaignReportInput): Promise<ReportFiles> {
  const page = campaignPage(input);
  const json = {
    seed: input.seed,
    runs: input.runs,
    wallMs: input.wallMs,
    fingerprint: input.fingerprint,
    faults: input.faults,
    coverage: coverage(input.faults),
    failures: input.failures,
    ...(input.counterexample === undefined ? {} : { counterexample: runJson(input.counterexample) }),
  };
  return writeReport(dir, page.title, page.body, json);
}

async function writeReport(dir: string, title: string, body: string, json: unknown): Promise<ReportFiles> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty path');
  await mkdir(dir, { recursive: true });
  const files = { html: join(dir, 'report.html'), json: join(dir, 'report.json') };
  await writeFile(files.html, htmlDocument(title, body));
  await writeFile(files.json, `${JSON.stringify(json, null, 2)}\n`);
  return files;
}

// ---------------------------------------------------------------------------------------------
// Escaping and formatting

const htmlEscapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` made safe for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

function formatMs(ms: number): string {
  return `${String(ms).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009')} ms`;
}

function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function px(value: number): string {
  return `${Math.round(value * 10) / 10}px`;
}

// ---------------------------------------------------------------------------------------------
// Lanes: what is drawn where

type Shape = 'tick' | 'dot' | 'bar' | 'band';
type LaneKind = 'world' | 'worker' | 'store' | 'files';

/** A drawn mark. `css` and `glyph` come from a fixed vocabulary; `text` and `label` are escaped. */
interface Mark extends LaneItem {
  readonly shape: Shape;
  readonly row: number;
  readonly css: string;
  readonly glyph?: string;
  readonly label?: string;
  /** Only numbers go in here (epoch colours). */
  readonly colour?: string;
  readonly link?: string;
}

interface LaneDraft {
  readonly name: string;
  readonly kind: LaneKind;
  readonly rows: readonly string[];
  readonly marks: readonly Mark[];
  readonly note: string;
}

/** Chunk-store, media and transcriber operations; every other call goes to the store. */
const chunkOps = new Set(['check', 'read', 'removeJob', 'listJobIds']);
/** Polls and reads: drawn only when they fail. */
const quietOps = new Set([
  'listRecoverableJobs',
  'renewLease',
  'getJob',
  'check',
  'read',
  'listJobIds',
  'probe',
  'readEvents',
]);
/** Calls whose success another entry already draws (grant, commit, transcription, file write). */
const coveredOps = new Set(['claimJob', 'commitChunk', 'transcribe', 'extractChunk']);
/** Calls whose result is a listing or a phase, not an outcome kind. */
const listingOps = new Set(['listRecoverableJobs', 'getJob', 'listJobIds', 'readEvents']);

const faultGlyphs: Readonly<Record<string, string>> = Object.fromEntries(
  faultDefinitions.map((definition) => [definition.kind, definition.glyph]),
);

const eventGlyphs: Readonly<Record<string, { glyph: string; css: string; shape: Shape }>> = {
  chunks_created: { glyph: 'c', css: 'ev-plain', shape: 'dot' },
  transcription_started: { glyph: 's', css: 'ev-plain', shape: 'dot' },
  chunk_transcribed: { glyph: '', css: 'ev-chunk', shape: 'tick' },
  progress_update: { glyph: '', css: 'ev-progress', shape: 'tick' },
  chunk_failed: { glyph: '!', css: 'ev-warn', shape: 'dot' },
  chunk_recreated: { glyph: '↻', css: 'ev-warn', shape: 'dot' },
  transcription_completed: { glyph: '✓', css: 'ev-done', shape: 'dot' },
  job_failed: { glyph: 'F', css: 'ev-failed', shape: 'dot' },
  recovery_started: { glyph: 'R', css: 'ev-recovery', shape: 'dot' },
  processing_resumed: { glyph: '▸', css: 'ev-recovery', shape: 'dot' },
  recovery_completed: { glyph: '✓', css: 'ev-recovery', shape: 'dot' },
  recovery_failed: { glyph: '✗', css: 'ev-failed', shape: 'dot' },
};

const eventBaseFields = new Set(['event', 'job_id', 'seq', 'timestamp', 'worker_id', 'epoch', 'recovery']);

function entryText(entry: HistoryEntry, position: number): string {
  const { actor, text } = describeEntry(entry);
  return `#${position} · ${formatMs(entry.t)} · ${actor}: ${text}`;
}

function eventText(event: JobEvent): string {
  const extra = Object.entries(event)
    .filter(([key]) => !eventBaseFields.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  const head = `${event.job_id} seq ${event.seq} · ${formatMs(event.timestamp)} · ${event.event} by ${event.worker_id}, epoch ${event.epoch}${event.recovery ? ', recovery' : ''}`;
  return extra.length === 0 ? head : `${head}\n${extra.join(', ')}`;
}

function epochColour(epoch: number): string {
  return `hsl(${Math.round((epoch * 137.508) % 360)} 62% 42%)`;
}

/** The worker actors of a history, by slot then incarnation (`w0#1`, `w0#2`, `w1#1`, …). */
export function workerActors(entries: readonly HistoryEntry[]): string[] {
  const actors = new Set<string>();
  for (const entry of entries) if ('actor' in entry && entry.actor !== 'world') actors.add(entry.actor);
  const key = (actor: string): [number, number] => {
    const match = /^w(\d+)#(\d+)$/.exec(actor);
    return match === null ? [Number.MAX_SAFE_INTEGER, 0] : [Number(match[1]), Number(match[2])];
  };
  return [...actors].sort((a, b) => {
    const [slotA, incarnationA] = key(a);
    const [slotB, incarnationB] = key(b);
    return slotA - slotB || incarnationA - incarnationB || (a < b ? -1 : a > b ? 1 : 0);
  });
}

function jobIdsOf(record: RunRecord): string[] {
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

function buildLanes(record: RunRecord, endMs: number): LaneDraft[] {
  const jobs = jobIdsOf(record);
  const faults = faultsByLabel(record);
  return [
    worldLane(record, faults),
    ...workerActors(record.history.entries).map((actor) => workerLane(record, actor, endMs)),
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

interface LeaseSpan {
  readonly job: string;
  readonly epoch: number;
  readonly start: number;
  readonly position: number;
  readonly recovery: boolean;
  until: number;
  renewals: number;
  releasedAt: number | undefined;
  row: number;
}

/** The leases `actor` was granted: from each grant to its release, or else to its last renewed expiry. */
function leasesOf(entries: readonly HistoryEntry[], actor: string, endMs: number): LeaseSpan[] {
  const open = new Map<string, LeaseSpan>();
  const leases: LeaseSpan[] = [];
  entries.forEach((entry, position) => {
    if (entry.kind === 'grant' && entry.actor === actor && entry.leaseUntilMs > 0) {
      const lease: LeaseSpan = {
        job: entry.job,
        epoch: entry.epoch,
        start: entry.t,
        position,
        recovery: entry.recovery,
        until: entry.leaseUntilMs,
        renewals: 0,
        releasedAt: undefined,
        row: 0,
      };
      open.set(`${entry.job}#${entry.epoch}`, lease);
      leases.push(lease);
    }
    const lease =
      entry.kind === 'renew' || entry.kind === 'release' ? open.get(`${entry.job}#${entry.epoch}`) : undefined;
    if (lease === undefined || lease.releasedAt !== undefined) return;
    if (entry.kind === 'renew') {
      lease.until = Math.max(lease.until, entry.leaseUntilMs);
      lease.renewals += 1;
    }
    if (entry.kind === 'release') lease.releasedAt = entry.t;
  });
  const rowEnds: number[] = [];
  for (const lease of leases) {
    lease.until = Math.min(endMs, lease.releasedAt ?? lease.until);
    const row = rowEnds.findIndex((end) => end <= lease.start);
    lease.row = row < 0 ? rowEnds.length : row;
    rowEnds[lease.row] = lease.until;
  }
  return leases;
}

function leaseMark(lease: LeaseSpan, actor: string, endMs: number): Mark {
  const ending =
    lease.releasedAt !== undefined
      ? `ended at ${formatMs(lease.releasedAt)}`
      : lease.until >= endMs
        ? 'still valid when the run ended'
        : `expired at ${formatMs(lease.until)}`;
  const text =
    `lease on ${lease.job}, epoch ${lease.epoch}, held by ${actor}${lease.recovery ? ' (recovery)' : ''}: granted at ${formatMs(lease.start)}, ` +
    `renewed ${lease.renewals} time(s), ${ending}`;
  return {
    t: lease.start,
    until: lease.until,
    kind: 'lease',
    text,
    entry: lease.position,
    link: `entry-${lease.position}`,
    shape: 'bar',
    row: lease.row,
    css: lease.recovery ? 'lease recovery' : 'lease',
    colour: epochColour(lease.epoch),
    label: `${lease.job} · epoch ${lease.epoch}`,
  };
}

function workerLane(record: RunRecord, actor: string, endMs: number): LaneDraft {
  const entries = record.history.entries;
  const leases = leasesOf(entries, actor, endMs);
  const leaseRows = Math.max(0, ...leases.map((lease) => lease.row + 1));
  const acts = leaseRows;
  const marks: Mark[] = leases.map((lease) => leaseMark(lease, actor, endMs));
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
  const rows = marks.some((mark) => mark.row > acts) ? leaseRows + 2 : leaseRows + 1;
  return { name: actor, kind: 'worker', rows: Array.from({ length: rows }, () => ''), marks, note: life };
}

type MarkBase = Pick<Mark, 't' | 'text' | 'entry' | 'link'>;

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

function callOutcome(entry: HistoryEntry & { kind: 'call' }): 'refused' | 'rejected' | 'ok' {
  if (entry.result === 'unavailable') return 'refused';
  if (!listingOps.has(entry.op) && !entry.result.startsWith('ok')) return 'rejected';
  return 'ok';
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

// ---------------------------------------------------------------------------------------------
// Layout: virtual time → x, compressing idle stretches

const nameWidthPx = 170;
const rowHeightPx = 18;
const lanePaddingPx = 4;
/** Room for a lane's name and its one-line note. */
const laneHeightMinPx = 38;
const dotWidthPx = 13;
const tickWidthPx = 4;
const markGapPx = 1;
const edgePaddingPx = 12;
/** Gaps at least this long are drawn as compressed idle stretches with their length written on the axis. */
const idleGapMs = 1_000;
const idleGapMinPx = 56;
const gapPxPerDecade = 9;
const axisLabelSpacingPx = 90;
/** The narrowest chart: short stories are spread out to this width. */
const chartWidthMinPx = 1_000;

interface Layout {
  readonly widthPx: number;
  readonly x: (t: number) => number;
  readonly offsets: ReadonlyMap<Mark, number>;
  readonly idle: readonly { readonly fromPx: number; readonly toPx: number; readonly ms: number }[];
  readonly points: readonly number[];
}

function pointWidth(mark: Mark): number {
  return (mark.shape === 'dot' ? dotWidthPx : tickWidthPx) + markGapPx;
}

function gapPx(ms: number): number {
  if (ms <= 0) return 0;
  const px = 3 + gapPxPerDecade * Math.log10(1 + ms);
  return ms >= idleGapMs ? Math.max(idleGapMinPx, px) : px;
}

/** Lays points side by side where they share a time; gaps grow with the log of their length. */
function layOut(lanes: readonly LaneDraft[], extraTimes: readonly number[], endMs: number): Layout {
  const offsets = new Map<Mark, number>();
  const used = new Map<string, number>();
  const slot = new Map<number, number>();
  const times = new Set<number>([0, endMs, ...extraTimes]);
  lanes.forEach((lane, laneIndex) => {
    for (const mark of lane.marks) {
      times.add(mark.t);
      if (mark.until !== undefined) {
        times.add(mark.until);
        continue;
      }
      const key = `${laneIndex}/${mark.row}/${mark.t}`;
      const offset = used.get(key) ?? 0;
      offsets.set(mark, offset);
      used.set(key, offset + pointWidth(mark));
      slot.set(mark.t, Math.max(slot.get(mark.t) ?? 0, offset + pointWidth(mark)));
    }
  });
  const points = [...times].sort((a, b) => a - b);
  const gaps = points.slice(1).map((next, index) => gapPx(next - (points[index] ?? next)));
  const fixedPx = 2 * edgePaddingPx + points.reduce((sum, point) => sum + (slot.get(point) ?? 0), 0);
  const gapTotalPx = gaps.reduce((sum, gap) => sum + gap, 0);
  // A short story is spread over a readable width rather than crammed into the left corner.
  const stretch =
    gapTotalPx > 0 && fixedPx + gapTotalPx < chartWidthMinPx ? (chartWidthMinPx - fixedPx) / gapTotalPx : 1;
  const xs: number[] = [];
  const idle: { fromPx: number; toPx: number; ms: number }[] = [];
  let cursor = edgePaddingPx;
  points.forEach((point, index) => {
    xs.push(cursor);
    cursor += slot.get(point) ?? 0;
    const next = points[index + 1];
    if (next === undefined) return;
    const gap = (gaps[index] ?? 0) * stretch;
    if (next - point >= idleGapMs) idle.push({ fromPx: cursor, toPx: cursor + gap, ms: next - point });
    cursor += gap;
  });
  return { widthPx: cursor + edgePaddingPx, x: stepLookup(points, xs), offsets, idle, points };
}

/** x of the last point at or before `t`. */
function stepLookup(points: readonly number[], xs: readonly number[]): (t: number) => number {
  return (t) => {
    let low = 0;
    let high = points.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((points[middle] ?? 0) <= t) low = middle;
      else high = middle - 1;
    }
    return xs[low] ?? edgePaddingPx;
  };
}

// ---------------------------------------------------------------------------------------------
// Violations: where each one is shown

interface Placed {
  readonly violation: Violation;
  readonly t: number;
  readonly where: string;
  /** Fragment id of the step or event the violation is shown at. */
  readonly link?: string;
}

/** A violation's time: its history entry's, else its job's last event's, else the end of the run. */
function placeViolations(record: RunRecord, violations: readonly Violation[], endMs: number): Placed[] {
  return violations.map((violation) => {
    const entry = violation.entry === undefined ? undefined : record.history.entries[violation.entry];
    if (entry !== undefined)
      return { violation, t: entry.t, where: `at step #${violation.entry}`, link: `entry-${violation.entry}` };
    const jobIndex = violation.job === undefined ? -1 : jobIdsOf(record).indexOf(violation.job);
    const last = violation.job === undefined ? undefined : record.events.get(violation.job)?.at(-1);
    if (last !== undefined) {
      return {
        violation,
        t: last.timestamp,
        where: `no single step; shown at ${last.job_id}'s last event (seq ${last.seq})`,
        link: `event-${jobIndex}-${last.seq}`,
      };
    }
    return { violation, t: endMs, where: 'no single step; shown at the end of the run' };
  });
}

function violationText(violation: Violation): string {
  return `${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`;
}

// ---------------------------------------------------------------------------------------------
// Rendering the timeline

function renderMark(mark: Mark, layout: Layout, violating: boolean): string {
  const left = layout.x(mark.t) + (layout.offsets.get(mark) ?? 0);
  const rowTop = lanePaddingPx + mark.row * rowHeightPx;
  let geometry: string;
  if (mark.shape === 'band')
    geometry = `left:${px(left)};width:${px(Math.max(3, layout.x(mark.until ?? mark.t) - left))}`;
  else if (mark.shape === 'bar')
    geometry = `left:${px(left)};top:${px(rowTop + 1)};width:${px(Math.max(3, layout.x(mark.until ?? mark.t) - left))}`;
  else geometry = `left:${px(left)};top:${px(rowTop + (mark.shape === 'dot' ? 1 : 2))}`;
  const colour = mark.colour === undefined ? '' : `;--epoch:${mark.colour}`;
  const classes = `m ${mark.shape} ${mark.css}${violating ? ' violating' : ''}`;
  const content = escapeHtml(mark.label ?? mark.glyph ?? '');
  const title = escapeHtml(violating ? `${mark.text}\n⚠ a promise broke here` : mark.text);
  if (mark.link === undefined)
    return `<span class="${classes}" style="${geometry}${colour}" title="${title}">${content}</span>`;
  return `<a class="${classes}" style="${geometry}${colour}" href="#${mark.link}" title="${title}">${content}</a>`;
}

function renderLane(lane: LaneDraft, layout: Layout, violating: ReadonlySet<string>): string {
  const heightPx = Math.max(laneHeightMinPx, lane.rows.length * rowHeightPx + 2 * lanePaddingPx);
  const rowLabels = lane.rows
    .map((label, row) =>
      label === ''
        ? ''
        : `<span class="row-label" style="top:${px(lanePaddingPx + row * rowHeightPx)}">${escapeHtml(label)}</span>`,
    )
    .join('');
  const ordered = [...lane.marks].sort((a, b) => shapeOrder(a.shape) - shapeOrder(b.shape));
  const marks = ordered
    .map((mark) =>
      renderMark(mark, layout, mark.link !== undefined && violating.has(mark.link) && mark.shape !== 'band'),
    )
    .join('');
  return (
    `<div class="lane lane-${lane.kind}" data-lane="${escapeHtml(lane.name)}" role="group" aria-label="lane ${escapeHtml(lane.name)}">` +
    `<div class="name" style="height:${px(heightPx)}"><b>${escapeHtml(lane.name)}</b>` +
    `${lane.note === '' ? '' : `<small>${escapeHtml(lane.note)}</small>`}${rowLabels}</div>` +
    `<div class="track" style="width:${px(layout.widthPx)};height:${px(heightPx)}">${marks}</div></div>`
  );
}

function shapeOrder(shape: Shape): number {
  return shape === 'band' ? 0 : shape === 'bar' ? 1 : 2;
}

function renderAxis(layout: Layout): string {
  const parts: string[] = [];
  let lastLabelPx = -Infinity;
  for (const point of layout.points) {
    const x = layout.x(point);
    if (x - lastLabelPx < axisLabelSpacingPx) continue;
    lastLabelPx = x;
    parts.push(`<span class="tick-label" style="left:${px(x)}">${escapeHtml(formatMs(point))}</span>`);
  }
  for (const gap of layout.idle) {
    parts.push(
      `<span class="idle-label" style="left:${px(gap.fromPx)};width:${px(gap.toPx - gap.fromPx)}" title="${escapeHtml(`${formatMs(gap.ms)} with nothing drawn, compressed`)}">+${escapeHtml(formatDuration(gap.ms))}</span>`,
    );
  }
  return (
    `<div class="lane axis"><div class="name"><b>virtual time</b><small>idle gaps compressed</small></div>` +
    `<div class="track" style="width:${px(layout.widthPx)}">${parts.join('')}</div></div>`
  );
}

const flagCharPx = 6.6;
const flagPaddingPx = 22;
const flagWidthMaxPx = 520;

function renderFlags(placed: readonly Placed[], layout: Layout): string {
  if (placed.length === 0) return '';
  const rowEnds: number[] = [];
  const flags = placed.map((entry, index) => {
    const text = violationText(entry.violation);
    const widthPx = Math.min(flagWidthMaxPx, flagPaddingPx + text.length * flagCharPx);
    const x = layout.x(entry.t);
    const leftward = x + widthPx > layout.widthPx;
    const start = leftward ? x - widthPx : x;
    let row = rowEnds.findIndex((end) => end < start);
    if (row < 0) row = rowEnds.length;
    rowEnds[row] = start + widthPx + 8;
    const id = index === 0 ? 'violation' : `violation-${index + 1}`;
    const href = entry.link ?? 'violations';
    const title = escapeHtml(`${text}\n${entry.where}, ${formatMs(entry.t)}`);
    return (
      `<a id="${id}" class="flag${leftward ? ' leftward' : ''}" href="#${href}" style="left:${px(x)};top:${px(4 + row * 22)};max-width:${px(flagWidthMaxPx)}" title="${title}">` +
      `<b>${escapeHtml(entry.violation.promise)}</b> ${escapeHtml(text.slice(entry.violation.promise.length + 1))}</a>`
    );
  });
  const heightPx = Math.max(36, 8 + rowEnds.length * 22);
  return (
    `<div class="lane flags"><div class="name" style="height:${px(heightPx)}"><b>broken</b><small>promise violated</small></div>` +
    `<div class="track" style="width:${px(layout.widthPx)};height:${px(heightPx)}">${flags.join('')}</div></div>`
  );
}

function renderOverlay(record: RunRecord, placed: readonly Placed[], layout: Layout): string {
  const parts = layout.idle.map(
    (gap) => `<span class="idle" style="left:${px(gap.fromPx)};width:${px(gap.toPx - gap.fromPx)}"></span>`,
  );
  for (const entry of record.history.entries) {
    if (entry.kind === 'phase')
      parts.push(
        `<span class="phase-line" style="left:${px(layout.x(entry.t))}" title="faults off: liveness phase begins"></span>`,
      );
  }
  for (const entry of placed) parts.push(`<span class="violation-line" style="left:${px(layout.x(entry.t))}"></span>`);
  return `<div class="overlay" style="left:${px(nameWidthPx)};width:${px(layout.widthPx)}">${parts.join('')}</div>`;
}

function endOf(record: RunRecord): number {
  let endMs = record.simulatedMs;
  for (const entry of record.history.entries) endMs = Math.max(endMs, entry.t);
  for (const events of record.events.values()) for (const event of events) endMs = Math.max(endMs, event.timestamp);
  return endMs;
}

/** The swimlanes of a run, as HTML. */
function renderTimeline(record: RunRecord, violations: readonly Violation[]): string {
  const endMs = endOf(record);
  const lanes = buildLanes(record, endMs);
  const placed = placeViolations(record, violations, endMs);
  const layout = layOut(
    lanes,
    placed.map((entry) => entry.t),
    endMs,
  );
  const violating = new Set(placed.flatMap((entry) => (entry.link === undefined ? [] : [entry.link])));
  return (
    `<div class="scroller" tabindex="0"><div class="chart" style="width:${px(nameWidthPx + layout.widthPx)}">` +
    renderOverlay(record, placed, layout) +
    renderAxis(layout) +
    renderFlags(placed, layout) +
    lanes.map((lane) => renderLane(lane, layout, violating)).join('') +
    `</div></div>${legend}`
  );
}

const legend = `<div class="legend" aria-label="legend">
<span><i class="m bar lease" style="--epoch:hsl(137 62% 42%)"></i>lease (colour = epoch)</span>
<span><i class="m dot commit" style="--epoch:hsl(137 62% 42%)">C</i>commit (colour = epoch)</span>
<span><i class="m dot transcribe">T</i>transcriber call</span>
<span><i class="m dot start">▶</i>worker start</span>
<span><i class="m dot crash">✕</i>crash</span>
<span><i class="m bar paused"></i>paused</span>
<span><i class="m bar dead"></i>crashed</span>
<span><i class="m dot error">!</i>worker error</span>
<span><i class="m tick call call-store ok"></i>call</span>
<span><i class="m tick call rejected"></i>rejected</span>
<span><i class="m tick refused"></i>store unavailable</span>
<span><i class="m bar outage"></i>store down</span>
<span><i class="m dot fault">⚡</i>fault</span>
<span><i class="m dot damage">⚠</i>file or state damaged</span>
<span><i class="m dot detected">?</i>damage detected</span>
<span><i class="m tick file-write"></i>file written</span>
<span><i class="m dot event ev-recovery">R</i>recovery event</span>
<span><i class="m tick event ev-progress"></i>progress event</span>
<span><i class="m dot violating">!</i>a promise broke here</span>
</div>`;

// ---------------------------------------------------------------------------------------------
// Rendering the lists below the lanes

function renderStory(record: RunRecord, placed: readonly Placed[]): string {
  const byEntry = new Map<number, Violation[]>();
  for (const { violation } of placed) {
    if (violation.entry !== undefined)
      byEntry.set(violation.entry, [...(byEntry.get(violation.entry) ?? []), violation]);
  }
  const items = record.history.entries.map((entry, position) => {
    const { actor, text } = describeEntry(entry);
    const broken = byEntry.get(position) ?? [];
    const quiet = entry.kind === 'call' && quietOps.has(entry.op) && callOutcome(entry) === 'ok';
    const classes = [`k-${entry.kind}`, ...(quiet ? ['quiet'] : []), ...(broken.length > 0 ? ['violating'] : [])].join(
      ' ',
    );
    const notes = broken
      .map(
        (violation) =>
          ` <strong class="broken">⚠ ${escapeHtml(violation.promise)} broken here: ${escapeHtml(violation.message)}</strong>`,
      )
      .join('');
    return (
      `<li id="entry-${position}" class="${classes}"><span class="t">${escapeHtml(formatMs(entry.t))}</span> ` +
      `<span class="who">${escapeHtml(actor)}</span> ${escapeHtml(text)}${notes}</li>`
    );
  });
  const loose = placed.filter(
    (entry) => entry.violation.entry === undefined || record.history.entries[entry.violation.entry] === undefined,
  );
  const after = loose
    .map(
      (entry) =>
        `<p class="broken">⚠ ${escapeHtml(violationText(entry.violation))} <small>(${escapeHtml(entry.where)})</small></p>`,
    )
    .join('');
  return (
    `<h2>Every step</h2><p class="hint">The history in order, numbered as the checkers number it. Routine polls are dimmed.</p>` +
    `<ol class="story" start="0">${items.join('\n')}</ol>${after}`
  );
}

function renderEvents(record: RunRecord, placed: readonly Placed[]): string {
  const jobs = jobIdsOf(record);
  const marked = new Set(placed.map((entry) => entry.link));
  const sections = jobs.map((job, jobIndex) => {
    const events = record.events.get(job) ?? [];
    const items = events.map((event) => {
      const id = `event-${jobIndex}-${event.seq}`;
      return `<li id="${id}" value="${event.seq}"${marked.has(id) ? ' class="violating"' : ''}>${escapeHtml(eventText(event))}</li>`;
    });
    return `<h3>${escapeHtml(job)}: ${events.length} event(s)</h3>${events.length === 0 ? '' : `<ol class="events">${items.join('\n')}</ol>`}`;
  });
  return `<h2>Outbox events</h2>${sections.join('')}`;
}

// ---------------------------------------------------------------------------------------------
// Pages

function replayBlock(replay: string | null, id: string): string {
  if (replay === null) return '<p class="hint">No replay token: this run was not generated by a campaign.</p>';
  return (
    `<div class="replay"><code id="${escapeHtml(id)}">npm run sim -- --replay ${escapeHtml(replay)}</code>` +
    `<button type="button" data-copy="${escapeHtml(id)}">copy</button></div>`
  );
}

function runSummary(record: RunRecord, seed: number | undefined): string {
  const jobs = record.scenario.jobs.map(
    (spec) =>
      `${spec.id} (${spec.chunks} chunk${spec.chunks === 1 ? '' : 's'}, ${record.jobs.get(spec.id)?.phase ?? 'never created'})`,
  );
  const faults = record.faultsFired.map(faultLabel);
  const rows: [string, string][] = [
    ...(seed === undefined ? [] : [['seed', String(seed)] as [string, string]]),
    ['jobs', jobs.join(', ') || 'none'],
    ['workers', `${record.scenario.workers} slot(s), ${workerActors(record.history.entries).length} incarnation(s)`],
    ['faults fired', faults.length === 0 ? 'none' : faults.join(', ')],
    [
      'run',
      `ended by ${record.end} at ${formatMs(record.simulatedMs)} virtual, ${record.steps} steps, ${record.history.entries.length} history entries`,
    ],
    ['wasted transcriptions', String(record.wastedTranscriptions)],
    ['fingerprint', record.history.fingerprint()],
  ];
  return `<dl class="summary">${rows.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
}

function violationList(placed: readonly Placed[]): string {
  if (placed.length === 0) return '<p class="pass">✓ every promise held in this run.</p>';
  const items = placed.map((entry) => {
    const link =
      entry.violation.entry === undefined
        ? ''
        : ` <a href="#entry-${entry.violation.entry}">step #${entry.violation.entry}</a>`;
    return (
      `<li><b>${escapeHtml(entry.violation.promise)}</b>${entry.violation.job === undefined ? '' : ` ${escapeHtml(entry.violation.job)}`}: ` +
      `${escapeHtml(entry.violation.message)} <small>(${escapeHtml(formatMs(entry.t))}; ${escapeHtml(entry.where)})</small>${link}</li>`
    );
  });
  return `<ul id="violations" class="violations">${items.join('')}</ul>`;
}

/** The body of a run's page: summary, violations, replay command, lanes, legend, lists. */
function runSection(
  record: RunRecord,
  violations: readonly Violation[],
  replay: string | null,
  seed: number | undefined,
): string {
  const placed = placeViolations(record, violations, endOf(record));
  return (
    `${violationList(placed)}<h2>Replay</h2>${replayBlock(replay, 'replay-command')}${runSummary(record, seed)}` +
    `<h2>Timeline</h2><p class="hint">One lane per worker incarnation; hover a mark for details, click it to jump to the step below.</p>` +
    `${renderTimeline(record, violations)}${renderStory(record, placed)}${renderEvents(record, placed)}`
  );
}

function runPage(input: RunReportInput): { title: string; body: string } {
  const first = input.violations[0];
  const title =
    first === undefined ? 'chunkwise run: every promise held' : `chunkwise counterexample: ${first.promise} broken`;
  return {
    title,
    body: `<h1>${escapeHtml(title)}</h1>${runSection(input.record, input.violations, input.replay, input.seed)}`,
  };
}

function runJson(input: RunReportInput): Record<string, unknown> {
  const endMs = endOf(input.record);
  const lanes: Lane[] = buildLanes(input.record, endMs).map((lane) => ({
    name: lane.name,
    items: [...lane.marks]
      .sort((a, b) => a.t - b.t)
      .map((mark) => ({
        t: mark.t,
        kind: mark.kind,
        text: mark.text,
        ...(mark.until === undefined ? {} : { until: mark.until }),
        ...(mark.entry === undefined ? {} : { entry: mark.entry }),
      })),
  }));
  return {
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    replay: input.replay,
    version: scenarioVersion,
    scenario: input.record.scenario,
    violations: input.violations,
    faultsFired: input.record.faultsFired,
    end: input.record.end,
    simulatedMs: input.record.simulatedMs,
    lanes,
    events: Object.fromEntries(input.record.events),
  };
}

/** Fault coverage: every known kind and every kind counted, with how often it was injected. */
function coverage(faults: Readonly<Record<string, number>>): { kind: string; count: number; exercised: boolean }[] {
  const kinds = [...new Set<string>([...faultKinds, ...Object.keys(faults)])];
  return kinds.map((kind) => ({ kind, count: faults[kind] ?? 0, exercised: (faults[kind] ?? 0) > 0 }));
}

function coverageTable(faults: Readonly<Record<string, number>>): string {
  const rows = coverage(faults);
  const max = Math.max(1, ...rows.map((row) => row.count));
  const never = rows.filter((row) => !row.exercised).map((row) => row.kind);
  const body = rows.map(
    (row) =>
      `<tr class="${row.exercised ? 'exercised' : 'never'}" data-kind="${escapeHtml(row.kind)}"><th scope="row">${escapeHtml(row.kind)}</th>` +
      `<td class="count">${row.count}</td><td><span class="meter" style="width:${px((row.count / max) * 240)}"></span>${row.exercised ? '' : '<span class="never-label">never exercised</span>'}</td></tr>`,
  );
  const line =
    never.length === 0
      ? `all ${rows.length} fault kinds exercised`
      : `${rows.length - never.length} of ${rows.length} fault kinds exercised; never exercised: ${never.join(', ')}`;
  return (
    `<h2>Fault coverage</h2><p class="coverage-line">${escapeHtml(line)}</p>` +
    `<table class="coverage"><thead><tr><th scope="col">fault kind</th><th scope="col">injected</th><th scope="col"></th></tr></thead><tbody>${body.join('')}</tbody></table>`
  );
}

function failureTable(failures: readonly FailureReport[]): string {
  if (failures.length === 0) return '<p class="pass">✓ no run broke a promise.</p>';
  const rows = failures.map(
    (failure, index) =>
      `<tr><td><b>${escapeHtml(failure.promise)}</b> ${failure.liveness ? 'liveness' : 'safety'}</td>` +
      `<td>${escapeHtml(failure.violations.map(violationText).join('; '))}</td><td>${escapeHtml(failure.faults.join(', ') || 'no faults')}</td>` +
      `<td>${replayBlock(failure.replay, `replay-${index + 1}`)}</td></tr>`,
  );
  return `<h2>Failures</h2><table class="failures"><thead><tr><th>promise</th><th>violations</th><th>faults fired</th><th>replay</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function campaignPage(input: CampaignReportInput): { title: string; body: string } {
  const passed = input.failures.length === 0;
  const title = passed
    ? `chunkwise campaign: ${input.runs} runs, every promise held`
    : `chunkwise campaign: ${input.failures.length} failing run(s) of ${input.runs}`;
  const rows: [string, string][] = [
    ['seed', String(input.seed)],
    ['runs', String(input.runs)],
    ['wall time', formatDuration(input.wallMs)],
    ['fingerprint', input.fingerprint],
    ['failures', String(input.failures.length)],
  ];
  const summary = `<dl class="summary">${rows.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('')}</dl>`;
  const example = input.counterexample;
  const counterexample =
    example === undefined
      ? ''
      : `<section class="counterexample"><h2>Counterexample</h2>${runSection(example.record, example.violations, example.replay, undefined)}</section>`;
  return {
    title,
    body: `<h1 class="${passed ? 'pass' : 'fail'}">${escapeHtml(title)}</h1>${summary}${coverageTable(input.faults)}${failureTable(input.failures)}${counterexample}`,
  };
}

function htmlDocument(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${styles}</style>
</head>
<body>
${body}
<script>${script}</script>
</body>
</html>
`;
}

const script = `
var firstViolation = document.getElementById('violation');
var scroller = firstViolation && firstViolation.closest('.scroller');
if (scroller) {
  var box = firstViolation.getBoundingClientRect();
  scroller.scrollLeft += box.left + box.width / 2 - scroller.getBoundingClientRect().left - scroller.clientWidth / 2;
}
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  button.addEventListener('click', function () {
    var code = document.getElementById(button.getAttribute('data-copy'));
    if (!code) return;
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var done = function () { button.textContent = 'copied'; };
    if (navigator.clipboard) navigator.clipboard.writeText(code.textContent || '').then(done, function () {});
    else if (document.execCommand('copy')) done();
  });
});`;

const styles = `
:root { color-scheme: light; --ink: #1d232b; --muted: #66707c; --line: #d5dae1; --paper: #fff; --lane: #f6f8fa; --red: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
h1 { font-size: 22px; margin: 0 0 12px; }
h1.pass, p.pass { color: #2e7d32; }
h1.fail { color: var(--red); }
h2 { font-size: 17px; margin: 26px 0 8px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
code, .story, .events, .summary dd { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.hint, small { color: var(--muted); }
.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
.summary dt { color: var(--muted); }
.summary dd { margin: 0; }
.violations { margin: 0 0 8px; padding-left: 20px; color: var(--red); }
.violations li { margin: 2px 0; }
.replay { display: flex; gap: 8px; align-items: center; }
.replay code { display: block; padding: 8px 10px; background: #0f1720; color: #e6edf3; border-radius: 6px; user-select: all; white-space: pre-wrap; word-break: break-all; max-width: 100%; }
.replay button { font: inherit; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
.scroller { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--paper); }
.chart { position: relative; }
.overlay { position: absolute; top: 0; bottom: 0; pointer-events: none; z-index: 0; }
.overlay .idle { position: absolute; top: 0; bottom: 0; background: repeating-linear-gradient(135deg, transparent 0 6px, rgba(100,112,124,.09) 6px 8px); }
.overlay .phase-line { position: absolute; top: 0; bottom: 0; border-left: 2px dashed #2e7d32; }
.overlay .violation-line { position: absolute; top: 0; bottom: 0; border-left: 2px solid rgba(198,40,40,.55); }
.lane { display: flex; border-top: 1px solid var(--line); }
.lane:first-of-type { border-top: 0; }
.lane .name { flex: none; width: ${nameWidthPx}px; position: sticky; left: 0; z-index: 3; background: #eef1f4; border-right: 1px solid var(--line); padding: 3px 8px; overflow: hidden; white-space: nowrap; }
.lane .name b { display: block; font-size: 13px; }
.lane .name small { display: block; font-size: 10.5px; line-height: 1.2; }
.lane-store .name b, .lane-files .name b, .lane-world .name b { display: inline; }
.lane-store .name small, .lane-files .name small, .lane-world .name small { display: none; }
.row-label { position: absolute; right: 6px; font-size: 10.5px; line-height: ${rowHeightPx}px; color: var(--muted); }
.lane .track { flex: none; position: relative; z-index: 1; }
.lane-worker .track { background: rgba(246,248,250,.6); }
.axis .track { height: 40px; }
.axis .name { height: 40px; }
.tick-label { position: absolute; top: 4px; font-size: 11px; color: var(--muted); border-left: 1px solid #9aa4af; padding-left: 3px; white-space: nowrap; }
.idle-label { position: absolute; top: 21px; font-size: 10.5px; color: #8a939d; text-align: center; white-space: nowrap; overflow: hidden; }
.flags .track { background: #fff5f5; }
.flag { position: absolute; display: block; height: 19px; line-height: 19px; padding: 0 7px; font-size: 12px; color: #fff; background: var(--red); border-radius: 0 4px 4px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; text-decoration: none; box-shadow: 0 1px 2px rgba(0,0,0,.2); }
.flag.leftward { border-radius: 4px 0 0 4px; transform: translateX(-100%); }
.m { position: absolute; display: block; text-decoration: none; color: inherit; }
.m.tick { width: ${tickWidthPx}px; height: 12px; border-radius: 1px; background: #9aa4af; }
.m.dot { width: ${dotWidthPx}px; height: 15px; border-radius: 3px; font-size: 10px; line-height: 15px; text-align: center; color: #fff; background: #5c6773; font-weight: 600; }
.m.bar { height: 15px; border-radius: 3px; font-size: 10.5px; line-height: 15px; color: #fff; padding: 0 4px; white-space: nowrap; overflow: hidden; }
.m.band { top: 0; bottom: 0; z-index: 0; }
.m.lease { background: var(--epoch); opacity: .88; }
.m.lease.recovery { background: repeating-linear-gradient(90deg, var(--epoch) 0 10px, color-mix(in srgb, var(--epoch) 80%, #fff) 10px 12px); }
.m.commit { background: var(--epoch); border-radius: 1px; }
.m.transcribe { background: #1565c0; border-radius: 8px; }
.m.start { background: #2e7d32; }
.m.crash { background: var(--red); }
.m.error { background: #ef6c00; }
.m.pause { background: #8d6e63; }
.m.resume { background: #8d6e63; }
.m.fenced { background: #6d4c41; }
.m.dead { background: repeating-linear-gradient(135deg, rgba(198,40,40,.06) 0 5px, rgba(198,40,40,.14) 5px 7px); }
.m.paused { background: repeating-linear-gradient(45deg, rgba(141,110,99,.12) 0 5px, rgba(141,110,99,.3) 5px 7px); }
.m.outage { background: repeating-linear-gradient(45deg, rgba(198,40,40,.12) 0 5px, rgba(198,40,40,.3) 5px 7px); color: var(--red); font-size: 10px; padding: 0 3px; }
.m.call.call-store { background: #78909c; }
.m.call.call-files { background: #a1887f; }
.m.call.call-media { background: #9575cd; }
.m.call.call-transcriber { background: #64b5f6; }
.m.call.rejected, .m.tick.rejected { background: #ef6c00; height: 15px; }
.m.refused, .m.call.refused { background: var(--red); height: 15px; }
.m.fault { background: #f9a825; color: #1d232b; }
.m.fault-crash { background: var(--red); color: #fff; }
.m.phase { background: #2e7d32; }
.m.damage { background: #d84315; }
.m.detected { background: #ffb300; color: #1d232b; }
.m.removed { background: #607d8b; }
.m.file-write { background: #bcaaa4; }
.m.event { background: #78909c; }
.m.ev-chunk { background: #90a4ae; }
.m.ev-progress { background: #cfd8dc; }
.m.ev-done { background: #2e7d32; }
.m.ev-failed { background: var(--red); }
.m.ev-warn { background: #ef6c00; }
.m.ev-recovery { background: #7b1fa2; }
.m.violating { outline: 3px solid var(--red); outline-offset: 1px; z-index: 2; }
.m:hover, .m:focus { outline: 2px solid #1d232b; z-index: 4; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 10px 0 0; font-size: 12px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.legend .m { position: relative; display: inline-block; top: auto; }
.legend .m.bar { width: 26px; }
.story, .events { padding-left: 56px; }
.story li, .events li { white-space: pre-wrap; }
.story .t { display: inline-block; min-width: 90px; text-align: right; color: var(--muted); }
.story .who { display: inline-block; min-width: 52px; font-weight: 600; }
.story .quiet { color: #9aa4af; }
.story .quiet .who { font-weight: 400; }
.story .k-fault, .story .k-worker { color: #8d5a00; }
.story .violating, .events .violating { background: #ffebee; color: var(--red); }
.broken { color: var(--red); }
:target { background: #fff3c4 !important; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
.coverage .count { text-align: right; font-variant-numeric: tabular-nums; }
.coverage .meter { display: inline-block; height: 10px; background: #1565c0; border-radius: 2px; vertical-align: middle; }
.coverage tr.never th { color: var(--red); }
.never-label { color: var(--red); font-weight: 600; font-size: 12px; }
.failures .replay code { max-width: 420px; }
.counterexample { margin-top: 24px; border-top: 2px solid var(--line); }
`;
