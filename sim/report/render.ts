/**
 * Rendering a run as HTML: the timeline (marks, lanes, the time axis, violation flags, the overlay of idle stretches,
 * the liveness phase and violations, and the legend) and the lists below it (every step of the history, each job's
 * outbox events). Every text from the run goes through escapeHtml.
 */
import type { Violation } from '../checkers/index.js';
import { describeEntry } from '../report.js';
import type { RunRecord } from '../world.js';
import { buildLanes, endOf, jobIdsOf } from './lanes.js';
import {
  axisLabelSpacingPx,
  lanePaddingPx,
  laneHeightMinPx,
  layOut,
  nameWidthPx,
  placeViolations,
  rowHeightPx,
  type Layout,
  type Placed,
} from './layout.js';
import { callOutcome, quietOps, type LaneDraft, type Mark, type Shape } from './marks.js';
import { escapeHtml, eventText, formatDuration, formatMs, px, violationText } from './text.js';

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

export function renderTimeline(record: RunRecord, violations: readonly Violation[]): string {
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

/** Every step of the history, numbered as the checkers number it, with the violations at their steps. */
export function renderStory(record: RunRecord, placed: readonly Placed[]): string {
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

/** Each job's outbox events, the violations shown at one of them marked. */
export function renderEvents(record: RunRecord, placed: readonly Placed[]): string {
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
