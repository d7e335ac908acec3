/**
 * Figure 4: bug-finding power. For each planted bug (test/support/planted-bugs.ts), each of several
 * campaign seeds plays runs 0, 1, 2, … with `playRun` (no shrinking) until the first failing run:
 * that count and its wall time, as a median and a worst over the seeds, are the time to detection.
 * The first failures found are then shrunk with `shrinkRun` (timed), and each shrunk counterexample
 * is described by its size (jobs, longest job in chunks, workers, faults, timeline lines), its
 * shrink statistics and its replay token; the token is decoded and replayed (what
 * `npm run sim -- --replay` does) to check that it still breaks the same promise, and the promise
 * is checked against the ones the bug is expected to break.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeReplay, playRun, replay, shrinkRun, type FailureReport } from '../../sim/campaign.js';
import type { ScenarioSize } from '../../sim/reduce.js';
import { plantedBugs, type PlantedBug } from '../../test/support/planted-bugs.js';
import type { Budget } from '../support/budget.js';
import { medianAndWorst, messageOf, nowMs, progress, remainingMs, round, unmeasured } from '../support/measure.js';
import { repositoryRoot } from '../support/spawn.js';

/** The first failing run of one campaign seed, found without shrinking. */
interface Detection {
  readonly seed: number;
  /** Index of the failing run; runs played = index + 1. */
  readonly runIndex: number;
  readonly runs: number;
  readonly ms: number;
  readonly promise: string;
}

/** One campaign seed's hunt: its first failure, or how many runs were played without one. */
type SeedHunt =
  Detection | { readonly seed: number; readonly found: false; readonly runs: number; readonly ms: number };

/** Plays runs 0, 1, 2, … of campaign `seed` until the first failure, at most `runsMax` runs. */
async function firstFailure(seed: number, bug: PlantedBug, runsMax: number): Promise<SeedHunt> {
  const started = nowMs();
  for (let index = 0; index < runsMax; index += 1) {
    const summary = await playRun(seed, index, { world: bug.world });
    if (summary.failed !== undefined)
      return {
        seed,
        runIndex: index,
        runs: index + 1,
        ms: round(nowMs() - started, 0),
        promise: summary.failed.promise,
      };
  }
  return { seed, found: false, runs: runsMax, ms: round(nowMs() - started, 0) };
}

function isDetection(hunt: SeedHunt): hunt is Detection {
  return 'promise' in hunt;
}

/** A shrunk counterexample as the figure reports it. */
interface Counterexample {
  readonly seed: number;
  readonly runIndex: number;
  /** The promise the run broke before shrinking, and the one the shrunk run breaks (the same by construction). */
  readonly promiseFound: string;
  readonly promise: string;
  readonly expectedPromise: boolean;
  readonly liveness: boolean;
  readonly size: ScenarioSize;
  readonly timelineLines: number;
  readonly events: number;
  readonly faults: readonly string[];
  /** Wall ms of the whole `shrinkRun` call, measured here. */
  readonly shrinkMs: number;
  readonly shrink: FailureReport['shrink'];
  readonly firstViolation: string | undefined;
  readonly replay: string;
  readonly reproduces: boolean;
}

type ShrinkOutcome =
  | Counterexample
  | { readonly seed: number; readonly runIndex: number; readonly shrinkMs: number; readonly error: string };

function isCounterexample(outcome: ShrinkOutcome): outcome is Counterexample {
  return !('error' in outcome);
}

async function shrunk(detection: Detection, bug: PlantedBug): Promise<ShrinkOutcome> {
  const started = nowMs();
  let report: FailureReport;
  try {
    report = await shrinkRun(detection.seed, detection.runIndex, { world: bug.world });
  } catch (error) {
    return {
      seed: detection.seed,
      runIndex: detection.runIndex,
      shrinkMs: round(nowMs() - started, 0),
      error: messageOf(error),
    };
  }
  const shrinkMs = round(nowMs() - started, 0);
  const replayed = await replay(decodeReplay(report.replay), bug.world);
  return {
    seed: detection.seed,
    runIndex: detection.runIndex,
    promiseFound: detection.promise,
    promise: report.promise,
    expectedPromise: (bug.caughtBy as readonly string[]).includes(report.promise),
    liveness: report.liveness,
    size: report.size,
    timelineLines: report.timelineLines,
    events: report.events,
    faults: report.faults,
    shrinkMs,
    shrink: report.shrink,
    firstViolation: report.violations[0]?.message,
    replay: report.replay,
    reproduces: replayed.violations.some((violation) => violation.promise === report.promise),
  };
}

async function hunt(bug: PlantedBug, budget: Budget) {
  const seeds = Array.from({ length: budget.bugSeeds }, (_, offset) => offset + 1);
  const perSeed: SeedHunt[] = [];
  const deadline = nowMs() + budget.bugDetectionSecondsMax * 1_000;
  for (const seed of seeds) {
    if (perSeed.length > 0 && (nowMs() >= deadline || remainingMs() <= 0)) break;
    perSeed.push(await firstFailure(seed, bug, budget.bugRunsMax));
  }
  const found = perSeed.filter(isDetection);
  const outcomes: ShrinkOutcome[] = [];
  for (const detection of found.slice(0, budget.bugShrinkSeeds)) {
    if (outcomes.length > 0 && remainingMs() <= 0) break;
    outcomes.push(await shrunk(detection, bug));
  }
  const counterexamples = outcomes.filter(isCounterexample);
  const sizeOf = (key: keyof ScenarioSize) => medianAndWorst(counterexamples.map((entry) => entry.size[key]));
  return {
    name: bug.name,
    caughtBy: bug.caughtBy,
    campaignSeeds: perSeed.map((entry) => entry.seed),
    foundIn: `${found.length}/${perSeed.length}`,
    runsToFailure: medianAndWorst(found.map((entry) => entry.runs)),
    msToFailure: medianAndWorst(
      found.map((entry) => entry.ms),
      0,
    ),
    promisesFound: [...new Set(found.map((entry) => entry.promise))],
    perSeed,
    shrunk: outcomes.length,
    shrinkMs: medianAndWorst(
      counterexamples.map((entry) => entry.shrinkMs),
      0,
    ),
    shrunkSize: {
      jobs: sizeOf('jobs'),
      chunksMax: sizeOf('chunksMax'),
      workers: sizeOf('workers'),
      faults: sizeOf('faults'),
      timelineLines: medianAndWorst(counterexamples.map((entry) => entry.timelineLines)),
    },
    reproduces: counterexamples.filter((entry) => entry.reproduces).length,
    expectedPromise: counterexamples.filter((entry) => entry.expectedPromise).length,
    shrinkErrors: outcomes.length - counterexamples.length,
    counterexamples: outcomes,
  };
}

/** `npm run chaos:live`, if the project has it: the same bugs hunted on real processes. */
async function liveHunt(): Promise<Record<string, unknown>> {
  const meaning = 'the same planted bugs hunted by `npm run chaos:live` (real worker processes, real time)';
  const manifest = JSON.parse(await readFile(join(repositoryRoot, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const script = manifest.scripts?.['chaos:live'];
  if (script === undefined) return unmeasured(meaning, 'package.json has no chaos:live script');
  return unmeasured(
    meaning,
    `\`${script}\` runs the real \`chunkwise worker\` processes and offers no way to plant a bug in them (the planted bugs are store variants and wrapped ports ` +
      "inside the simulator's process); hunting them live would need such a hook, and each live run takes a fault phase of tens of seconds of real time",
  );
}

/** Measures figure 4. */
export async function measureBugs(budget: Budget): Promise<Record<string, unknown>> {
  const bugs = [];
  for (const bug of plantedBugs) {
    progress(`bug finding: ${bug.name} (${budget.bugSeeds} campaign seeds, ${budget.bugShrinkSeeds} shrunk)`);
    try {
      bugs.push({ measured: true, ...(await hunt(bug, budget)) });
    } catch (error) {
      bugs.push({ ...unmeasured(bug.name, messageOf(error)), name: bug.name });
    }
  }
  return {
    measured: true,
    meaning:
      `per planted bug: runs and wall time until a campaign's first failing run (playRun, no shrinking; median and worst over the seeds where the bug was found, ` +
      `up to ${budget.bugSeeds} campaign seeds of at most ${budget.bugRunsMax} runs each; foundIn counts the seeds), then the first ${budget.bugShrinkSeeds} failure(s) shrunk with shrinkRun: ` +
      "wall time to shrink and the shrunk counterexample's size (jobs, longest job in chunks, workers, faults, timeline lines; median and worst), " +
      'whether its replay token, decoded and replayed, breaks the same promise, and whether that promise is one the bug is expected to break',
    runsMax: budget.bugRunsMax,
    bugs,
    live: await liveHunt(),
  };
}
