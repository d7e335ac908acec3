/**
 * The vocabulary of the report's lanes: the lane and mark types (report.json's `LaneItem` and `Lane`, and the drawn
 * `Mark`), which calls are drawn and how (chunk, quiet, covered and listing operations), and the glyphs of faults and
 * outbox events.
 */
import { storeOperationsWhere } from '../../src/core/store-operations.js';
import { faultDefinitions } from '../faults/index.js';
import type { HistoryEntry } from '../history.js';

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

export type Shape = 'tick' | 'dot' | 'bar' | 'band';
export type LaneKind = 'world' | 'worker' | 'store' | 'files';

/** A drawn mark. `css` and `glyph` come from a fixed vocabulary; `text` and `label` are escaped. */
export interface Mark extends LaneItem {
  readonly shape: Shape;
  readonly row: number;
  readonly css: string;
  readonly glyph?: string;
  readonly label?: string;
  /** Only numbers go in here (epoch colours). */
  readonly colour?: string;
  readonly link?: string;
}

/** A lane before layout: its rows (labelled or not), its marks and the note under its name. */
export interface LaneDraft {
  readonly name: string;
  readonly kind: LaneKind;
  readonly rows: readonly string[];
  readonly marks: readonly Mark[];
  readonly note: string;
}

/** Chunk-store, media and transcriber operations; every other call goes to the store. */
export const chunkOps = new Set(['check', 'read', 'removeJob', 'listJobIds']);
/** The store's reads (listings and lookups), from the store-operations table. */
const storeReads = storeOperationsWhere((operation) => operation.access === 'read');
/** Polls and reads: drawn only when they fail. */
export const quietOps = new Set<string>([...storeReads, 'renewLease', 'check', 'read', 'listJobIds', 'probe']);
/** Calls whose success another entry already draws (grant, commit, transcription, file write). */
export const coveredOps = new Set(['claimJob', 'commitChunk', 'transcribe', 'extractChunk']);
/** Calls whose result is a listing or a phase, not an outcome kind. */
export const listingOps = new Set<string>([...storeReads, 'listJobIds']);

/** Each fault kind's glyph. */
export const faultGlyphs: Readonly<Record<string, string>> = Object.fromEntries(
  faultDefinitions.map((definition) => [definition.kind, definition.glyph]),
);

/** How each outbox event is drawn. */
export const eventGlyphs: Readonly<Record<string, { glyph: string; css: string; shape: Shape }>> = {
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

/** What every mark drawing a history entry shares. */
export type MarkBase = Pick<Mark, 't' | 'text' | 'entry' | 'link'>;

/** How a call went: refused (the store was unavailable), rejected, or ok. */
export function callOutcome(entry: HistoryEntry & { kind: 'call' }): 'refused' | 'rejected' | 'ok' {
  if (entry.result === 'unavailable') return 'refused';
  if (!listingOps.has(entry.op) && !entry.result.startsWith('ok')) return 'rejected';
  return 'ok';
}
