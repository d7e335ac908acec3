// Proves the HTML/JSON report shows a real counterexample (hunted from a planted bug, then replayed) as one lane per
// actor with the violation, its replay command and escaped run text, that a campaign report lists fault coverage per
// kind, and, in headless Chromium, that the violation and lanes are visible.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeReplay,
  playRun,
  replay,
  shrinkRun,
  totals,
  type FailureReport,
  type RunSummary,
} from '../../sim/campaign.js';
import type { Violation } from '../../sim/checkers/index.js';
import { faultKinds } from '../../sim/faults.js';
import { History, type HistoryEntry } from '../../sim/history.js';
import { escapeHtml, writeCampaignReport, writeRunReport } from '../../sim/report-html.js';
import { parseScenarioFile } from '../../sim/scenario-file.js';
import type { RunRecord } from '../../sim/world.js';
import { findChromium, skippedLine, withChromiumPage } from '../support/chromium.js';
import { silentFinalizer } from '../support/planted-bugs.js';

const huntRunsMax = 50;
const campaignRuns = 5;

const chromiumLookup = findChromium();
const skipChromium = chromiumLookup.kind === 'absent' && !chromiumLookup.required;
if (chromiumLookup.kind === 'absent' && !chromiumLookup.required)
  console.warn(skippedLine('report-html in headless Chromium', chromiumLookup));

interface Counterexample {
  readonly failure: FailureReport;
  readonly record: RunRecord;
  readonly violations: Violation[];
}

let root = '';
let found: Counterexample | undefined;

/** Hunts the planted bug until a campaign run fails, then replays its token for the full record. */
async function hunt(): Promise<Counterexample> {
  for (let index = 0; index < huntRunsMax; index += 1) {
    const { failed } = await playRun(1, index, { world: silentFinalizer.world });
    if (failed === undefined) continue;
    const failure = await shrinkRun(1, index, { world: silentFinalizer.world });
    const { record, violations } = await replay(decodeReplay(failure.replay), silentFinalizer.world);
    return { failure, record, violations };
  }
  throw new Error(`${silentFinalizer.name}: no failing run in ${huntRunsMax} runs`);
}

function counterexample(): Counterexample {
  if (found === undefined) throw new Error('the counterexample was not hunted');
  return found;
}

function actorsOf(entries: readonly HistoryEntry[]): string[] {
  return [...new Set(entries.flatMap((entry) => ('actor' in entry ? [entry.actor] : [])))];
}

/** The element carrying `id` (its opening tag up to its closing tag). */
function elementById(html: string, id: string): string | undefined {
  return new RegExp(`<(a|span|div|code)[^>]*\\sid="${id}"[^>]*>[\\s\\S]*?</\\1>`).exec(html)?.[0];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'chunkwise-report-'));
  found = await hunt();
}, 60_000);

afterAll(async () => {
  if (process.env.CHUNKWISE_KEEP_REPORTS === '1') console.warn(`reports kept in ${root}`);
  else if (root !== '') await rm(root, { recursive: true, force: true });
});

describe('run report', () => {
  it('draws one lane per actor, the violation with its promise, the replay command, and nothing from the network', async () => {
    const { failure, record, violations } = counterexample();
    expect(violations.map((violation) => violation.promise)).toContain('P5');
    const files = await writeRunReport(join(root, 'run'), { record, violations, replay: failure.replay, seed: 1 });
    const html = await readFile(files.html, 'utf8');

    const actors = actorsOf(record.history.entries);
    expect(actors).toContain('w0#1');
    expect(actors.length).toBeGreaterThanOrEqual(2);
    for (const lane of [...actors, 'world', 'store', 'files'])
      expect(html).toContain(`data-lane="${escapeHtml(lane)}"`);

    const flag = elementById(html, 'violation');
    expect(flag).toBeDefined();
    expect(flag).toContain('P5');
    expect(flag).toContain(escapeHtml(violations[0]?.message ?? '?'));
    expect(html).toContain(`<code id="replay-command">npm run sim -- --replay ${failure.replay}</code>`);

    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html.match(/<li id="entry-\d+"/g)).toHaveLength(record.history.entries.length);
    const commits = record.history.entries.filter((entry) => entry.kind === 'commit' && entry.job === 'job0').length;
    expect(
      html.match(/class="m dot commit[^"]*"[^>]*title="[^"]*committed job0 chunk \d+ with epoch \d+"/g),
    ).toHaveLength(commits);
  });

  it('writes the lanes, violations, faults and events as JSON', async () => {
    const { failure, record, violations } = counterexample();
    const files = await writeRunReport(join(root, 'json'), { record, violations, replay: failure.replay });
    const json = JSON.parse(await readFile(files.json, 'utf8')) as {
      seed?: number;
      replay: string;
      violations: Violation[];
      faultsFired: unknown[];
      lanes: { name: string; items: { t: number; kind: string; text: string }[] }[];
      events: Record<string, unknown[]>;
    };
    expect(json.seed).toBeUndefined();
    expect(json.replay).toBe(failure.replay);
    expect(parseScenarioFile(json)).toEqual(record.scenario);
    expect(json.violations).toEqual(violations);
    expect(json.faultsFired).toEqual(record.faultsFired);
    expect(json.lanes.map((lane) => lane.name)).toEqual(
      expect.arrayContaining([...actorsOf(record.history.entries), 'store', 'files']),
    );
    const items = json.lanes.flatMap((lane) => lane.items);
    expect(items.filter((item) => item.kind === 'transcribe')).toHaveLength(
      record.history.entries.filter((entry) => entry.kind === 'transcribe').length,
    );
    expect(items.filter((item) => item.kind === 'event')).toHaveLength(
      [...record.events.values()].reduce((sum, events) => sum + events.length, 0),
    );
    expect(items.some((item) => item.kind === 'lease')).toBe(true);
    expect(json.events.job0).toHaveLength(record.events.get('job0')?.length ?? -1);
  });

  it('escapes markup that comes from the run: messages, job ids, actors, details, replay token', async () => {
    const { record } = counterexample();
    const injected = '<script>alert("x")</script>';
    const history = new History();
    for (const entry of record.history.entries) history.add(entry);
    history.add({
      t: record.simulatedMs,
      kind: 'worker',
      actor: `w9#1"><img onerror=alert(1)>`,
      what: 'error',
      detail: injected,
    });
    const hostile: RunRecord = { ...record, history };
    const violations: Violation[] = [
      {
        promise: 'P3',
        job: `<b onclick="x">job</b>`,
        message: `chunk ${injected} committed twice`,
        entry: history.entries.length - 1,
      },
    ];
    const files = await writeRunReport(join(root, 'hostile'), {
      record: hostile,
      violations,
      replay: `"><script>alert(2)</script>`,
    });
    const html = await readFile(files.html, 'utf8');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b onclick');
    expect(html).toContain(escapeHtml(injected));
    expect(elementById(html, 'violation')).toContain(`P3</b> ${escapeHtml('<b onclick="x">job</b>')}`);
  });
});

describe('campaign report', () => {
  it('lists fault coverage per kind and shows the kinds never exercised as such', async () => {
    const summaries: RunSummary[] = [];
    for (let index = 0; index < campaignRuns; index += 1) summaries.push(await playRun(3, index));
    const campaign = totals(summaries);
    expect(campaign.failed).toEqual([]);
    const files = await writeCampaignReport(join(root, 'campaign'), {
      seed: 3,
      runs: campaign.runs,
      wallMs: 1234,
      fingerprint: campaign.fingerprint,
      faults: campaign.faults,
      failures: [],
    });
    const html = await readFile(files.html, 'utf8');
    expect(html).toContain('every promise held');
    expect(html).not.toContain('id="violation"');
    for (const kind of faultKinds) {
      const count = campaign.faults[kind];
      const row = new RegExp(
        `<tr class="(\\w+)" data-kind="${kind}"><th scope="row">${kind}</th><td class="count">(\\d+)</td>(.*?)</tr>`,
      ).exec(html);
      expect(row, kind).not.toBeNull();
      expect(row?.[2]).toBe(String(count));
      expect(row?.[1]).toBe(count === 0 ? 'never' : 'exercised');
      expect(row?.[3]?.includes('never exercised')).toBe(count === 0);
    }
    const json = JSON.parse(await readFile(files.json, 'utf8')) as {
      coverage: { kind: string; count: number; exercised: boolean }[];
    };
    expect(json.coverage).toEqual(
      faultKinds.map((kind) => ({ kind, count: campaign.faults[kind], exercised: campaign.faults[kind] > 0 })),
    );
  });

  it('shows a failing campaign with its counterexample timeline', async () => {
    const { failure, record, violations } = counterexample();
    const faults = Object.fromEntries(
      faultKinds.map((kind) => [kind, record.faultsFired.filter((fault) => fault.kind === kind).length]),
    );
    const files = await writeCampaignReport(join(root, 'failing'), {
      seed: 1,
      runs: 3,
      wallMs: 50,
      fingerprint: '0123456789abcdef',
      faults,
      failures: [failure],
      counterexample: { record, violations, replay: failure.replay },
    });
    const html = await readFile(files.html, 'utf8');
    expect(html).toContain('1 failing run(s) of 3');
    expect(elementById(html, 'violation')).toContain('P5');
    expect(html).toContain(`<code id="replay-1">npm run sim -- --replay ${failure.replay}</code>`);
    for (const actor of actorsOf(record.history.entries)) expect(html).toContain(`data-lane="${actor}"`);
  });
});

describe.skipIf(skipChromium)('run report in headless Chromium', () => {
  it('shows the violation in view and every lane, and loads nothing but the file', async () => {
    if (chromiumLookup.kind === 'absent')
      throw new Error(`${chromiumLookup.reason}, and CHUNKWISE_REQUIRE_CHROMIUM=1 requires it`);
    const { failure, record, violations } = counterexample();
    const dir = join(root, 'browser');
    const files = await writeRunReport(dir, { record, violations, replay: failure.replay, seed: 1 });
    const screenshot = join(dir, 'report.png');
    const outcome = await withChromiumPage(chromiumLookup.path, { width: 1400, height: 900 }, async (page) => {
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(files.html).href);
      const flag = page.locator('#violation');
      const flagVisible = await flag.isVisible();
      const flagText = await flag.textContent();
      const flagBox = await flag.boundingBox();
      const scrollerBox = await page.locator('.scroller').boundingBox();
      const lanes: Record<string, boolean> = {};
      for (const actor of [...actorsOf(record.history.entries), 'store', 'files'])
        lanes[actor] = await page.locator(`.lane[data-lane="${actor}"]`).isVisible();
      await page.screenshot({ path: screenshot, fullPage: true });
      return { requests, errors, flagVisible, flagText, flagBox, scrollerBox, lanes };
    });
    expect(outcome.errors).toEqual([]);
    expect(outcome.requests.every((url) => url.startsWith('file:') || url.startsWith('data:'))).toBe(true);
    expect(outcome.flagVisible).toBe(true);
    expect(outcome.flagText).toContain('P5');
    const { flagBox, scrollerBox } = outcome;
    expect(flagBox).not.toBeNull();
    expect(scrollerBox).not.toBeNull();
    if (flagBox !== null && scrollerBox !== null) {
      expect(flagBox.x).toBeGreaterThanOrEqual(scrollerBox.x);
      expect(flagBox.x).toBeLessThan(scrollerBox.x + scrollerBox.width);
    }
    expect(Object.values(outcome.lanes).every(Boolean)).toBe(true);
    const png = await readFile(screenshot);
    expect((await stat(screenshot)).size).toBeGreaterThan(0);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
