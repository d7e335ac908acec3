/**
 * Figure 4: bug-finding power. For each planted bug (test/support/planted-bugs.ts), a campaign
 * plays runs 0, 1, 2, … until the first failing run: that count and its wall time (median over
 * several campaign seeds) are the time to detection. Detection uses the very runs `playRun`
 * generates (same fast-check seed, first value) but stops at the failure without shrinking; the
 * failing run is then played again with `playRun`, which shrinks it, and the shrunk counterexample's
 * size (faults, events) and its replay token are checked twice: through the simulator's `replay`
 * (what `npm run sim -- --replay` does), and by playing only the first run fast-check generates at
 * the token's path (the run the token names), so that a defect of either shows.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeReplay, playRun, replay, runSeed, simulate, type CheckedRun, type ReplayToken } from '../../sim/campaign.js';
import { defaultBounds, scenarioArbitrary } from '../../sim/faults.js';
import type { WorldOptions } from '../../sim/world.js';
import { plantedBugs, type PlantedBug } from '../../test/support/planted-bugs.js';
import type { Budget } from '../support/budget.js';
import { median, messageOf, nowMs, progress, round, unmeasured } from '../support/measure.js';
import { repositoryRoot } from '../support/spawn.js';

/** True when run `index` of campaign `seed` breaks a promise (no shrinking). */
async function runFails(seed: number, index: number, world: WorldOptions): Promise<boolean> {
  const property = fc.asyncProperty(scenarioArbitrary(defaultBounds), async (scenario) => (await simulate(scenario, world)).violations.length === 0);
  const details = await fc.check(property, { seed: runSeed(seed, index), numRuns: 1, endOnFailure: true });
  return details.failed;
}

/** Runs until the first failure of campaign `seed`, or undefined after `runsMax` runs. */
async function firstFailure(seed: number, bug: PlantedBug, runsMax: number): Promise<{ index: number; ms: number } | undefined> {
  const started = nowMs();
  for (let index = 0; index < runsMax; index += 1) {
    if (await runFails(seed, index, bug.world)) return { index, ms: nowMs() - started };
  }
  return undefined;
}

/** Plays only the first run fast-check generates at the token's path: the run the token names. */
async function firstRunAtPath(token: ReplayToken, world: WorldOptions): Promise<CheckedRun | undefined> {
  let played: CheckedRun | undefined;
  const property = fc.asyncProperty(scenarioArbitrary({ ...defaultBounds, ...token.bounds }), async (scenario) => {
    played ??= await simulate(scenario, world);
    return true;
  });
  await fc.check(property, { seed: token.seed, numRuns: 1, path: token.path });
  return played;
}

async function shrunk(seed: number, index: number, bug: PlantedBug) {
  const started = nowMs();
  const summary = await playRun(seed, index, { world: bug.world });
  const shrinkMs = nowMs() - started;
  const failure = summary.failure;
  if (failure === undefined) return { seed, runIndex: index, shrinkMs: round(shrinkMs, 0), error: 'playRun did not fail on the run detection found failing' };
  const token = decodeReplay(failure.replay);
  const replayed = await replay(token, bug.world);
  const named = await firstRunAtPath(token, bug.world);
  return {
    seed,
    runIndex: index,
    promise: failure.promise,
    expectedPromise: (bug.caughtBy as readonly string[]).includes(failure.promise),
    faults: failure.faults.length,
    faultLabels: failure.faults,
    events: failure.events,
    shrinkMs: round(shrinkMs, 0),
    replayReproduces: replayed.violations.some((violation) => violation.promise === failure.promise),
    tokenReproduces: named?.violations.some((violation) => violation.promise === failure.promise) === true,
    replay: failure.replay,
  };
}

async function hunt(bug: PlantedBug, budget: Budget) {
  const seeds = Array.from({ length: budget.bugSeeds }, (_, offset) => offset + 1);
  const played: number[] = [];
  const found: { seed: number; runs: number; ms: number }[] = [];
  const deadline = nowMs() + budget.bugDetectionSecondsMax * 1_000;
  for (const seed of seeds) {
    if (played.length > 0 && nowMs() >= deadline) break;
    played.push(seed);
    const first = await firstFailure(seed, bug, budget.bugRunsMax);
    if (first !== undefined) found.push({ seed, runs: first.index + 1, ms: round(first.ms, 0) });
  }
  const counterexamples = [];
  for (const entry of found.slice(0, budget.bugShrinkSeeds)) counterexamples.push(await shrunk(entry.seed, entry.runs - 1, bug));
  const faults = counterexamples.flatMap((entry) => ('faults' in entry && typeof entry.faults === 'number' ? [entry.faults] : []));
  const events = counterexamples.flatMap((entry) => ('events' in entry && typeof entry.events === 'number' ? [entry.events] : []));
  return {
    name: bug.name,
    caughtBy: bug.caughtBy,
    campaignSeeds: played,
    foundIn: `${found.length}/${played.length}`,
    runsToFailureMedian: median(found.map((entry) => entry.runs)),
    msToFailureMedian: round(median(found.map((entry) => entry.ms)), 0),
    perSeed: found,
    shrunkFaultsMedian: median(faults),
    shrunkEventsMedian: median(events),
    replayReproduces: counterexamples.filter((entry) => 'replayReproduces' in entry && entry.replayReproduces === true).length,
    tokenReproduces: counterexamples.filter((entry) => 'tokenReproduces' in entry && entry.tokenReproduces === true).length,
    counterexamples,
  };
}

/** `npm run chaos:live`, if the project has it: the same bugs hunted on real processes. */
async function liveHunt(): Promise<Record<string, unknown>> {
  const meaning = 'the same planted bugs hunted by `npm run chaos:live` (real worker processes, real time)';
  const manifest = JSON.parse(await readFile(join(repositoryRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = manifest.scripts?.['chaos:live'];
  if (script === undefined) return unmeasured(meaning, 'package.json has no chaos:live script');
  return unmeasured(
    meaning,
    `\`${script}\` runs the real \`chunkwise worker\` processes and offers no way to plant a bug in them (the planted bugs are store variants and wrapped ports ` +
      'inside the simulator\'s process); hunting them live would need such a hook, and each live run takes a fault phase of tens of seconds of real time',
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
    meaning: `per planted bug: runs and wall time until a campaign's first failing run (median over ${budget.bugSeeds} campaign seeds, detection only), then the shrunk counterexample (faults, events, time spent shrinking) and how many replay tokens reproduce the violation, through the simulator's replay() and as the first run at the token's path`,
    runsMax: budget.bugRunsMax,
    bugs,
    live: await liveHunt(),
  };
}
