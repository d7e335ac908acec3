/**
 * A counterexample people can look at: `report.html`, a self-contained page (inline CSS, a few
 * lines of inline script, a Content-Security-Policy that forbids every network load) with one
 * swimlane per worker incarnation plus lanes for the world's faults, the store and the files, on a
 * virtual-time axis that compresses idle stretches; and `report.json`, the same lanes as data.
 * Every text that comes from a run (job ids, actors, messages, labels) is escaped before it is
 * written into the page, so nothing in a run can inject markup.
 *
 * This module is the report's public face; sim/report/ holds it by concern: text helpers (text.ts), the lanes'
 * vocabulary (marks.ts), lanes built from a run (lanes.ts, worker-lane.ts), layout (layout.ts), rendering
 * (render.ts, styles.ts) and the pages and writers (page.ts).
 */
export { workerActors } from './report/lanes.js';
export type { Lane, LaneItem } from './report/marks.js';
export {
  writeCampaignReport,
  writeRunReport,
  type CampaignReportInput,
  type ReportFiles,
  type RunReportInput,
} from './report/page.js';
export { escapeHtml } from './report/text.js';
