/**
 * The page's inline stylesheet and its few lines of inline script (scroll the first violation into view, copy a replay
 * command); the stylesheet takes the lane and mark sizes from the layout.
 */
import { dotWidthPx, nameWidthPx, rowHeightPx, tickWidthPx } from './layout.js';

export const script = `
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

export const styles = `
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
