/**
 * Text helpers of the HTML report: escaping run text for the page, and formatting times, durations, pixel lengths,
 * epoch colours, history entries, outbox events and violations the way every part of the page writes them.
 */
import type { JobEvent } from '../../src/core/events.js';
import type { Violation } from '../checkers/index.js';
import type { HistoryEntry } from '../history.js';
import { describeEntry } from '../report.js';

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

/** Virtual milliseconds with thin-space thousands separators. */
export function formatMs(ms: number): string {
  return `${String(ms).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009')} ms`;
}

/** A wall or idle duration in ms, s or min. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A CSS pixel length, to a tenth of a pixel. */
export function px(value: number): string {
  return `${Math.round(value * 10) / 10}px`;
}

const eventBaseFields = new Set(['event', 'job_id', 'seq', 'timestamp', 'worker_id', 'epoch', 'recovery']);

/** A history entry as a mark's tooltip: its step number, time, actor and description. */
export function entryText(entry: HistoryEntry, position: number): string {
  const { actor, text } = describeEntry(entry);
  return `#${position} · ${formatMs(entry.t)} · ${actor}: ${text}`;
}

/** An outbox event as text: its head line, then its own fields. */
export function eventText(event: JobEvent): string {
  const extra = Object.entries(event)
    .filter(([key]) => !eventBaseFields.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  const head = `${event.job_id} seq ${event.seq} · ${formatMs(event.timestamp)} · ${event.event} by ${event.worker_id}, epoch ${event.epoch}${event.recovery ? ', recovery' : ''}`;
  return extra.length === 0 ? head : `${head}\n${extra.join(', ')}`;
}

/** The colour of an epoch (golden-angle hues, so neighbouring epochs differ). */
export function epochColour(epoch: number): string {
  return `hsl(${Math.round((epoch * 137.508) % 360)} 62% 42%)`;
}

/** A violation on one line: promise, job, message. */
export function violationText(violation: Violation): string {
  return `${violation.promise}${violation.job === undefined ? '' : ` ${violation.job}`}: ${violation.message}`;
}
