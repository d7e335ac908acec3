/**
 * Layout of the timeline: the pixel sizes of lanes and marks, virtual time mapped to x with idle stretches compressed
 * (points that share a time laid side by side, gaps growing with the log of their length), and where each violation
 * is shown (its step, else its job's last event, else the end of the run).
 */
import type { Violation } from '../checkers/index.js';
import type { RunRecord } from '../world.js';
import { jobIdsOf } from './lanes.js';
import type { LaneDraft, Mark } from './marks.js';

export const nameWidthPx = 170;
export const rowHeightPx = 18;
export const lanePaddingPx = 4;
/** Room for a lane's name and its one-line note. */
export const laneHeightMinPx = 38;
export const dotWidthPx = 13;
export const tickWidthPx = 4;
const markGapPx = 1;
const edgePaddingPx = 12;
/** Gaps at least this long are drawn as compressed idle stretches with their length written on the axis. */
const idleGapMs = 1_000;
const idleGapMinPx = 56;
const gapPxPerDecade = 9;
export const axisLabelSpacingPx = 90;
/** The narrowest chart: short stories are spread out to this width. */
const chartWidthMinPx = 1_000;

export interface Layout {
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
export function layOut(lanes: readonly LaneDraft[], extraTimes: readonly number[], endMs: number): Layout {
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

/** A violation with the time and place it is shown at. */
export interface Placed {
  readonly violation: Violation;
  readonly t: number;
  readonly where: string;
  /** Fragment id of the step or event the violation is shown at. */
  readonly link?: string;
}

/** A violation's time: its history entry's, else its job's last event's, else the end of the run. */
export function placeViolations(record: RunRecord, violations: readonly Violation[], endMs: number): Placed[] {
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
