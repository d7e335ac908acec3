/**
 * Renders bench/results/latest.json as Markdown: a summary table (one row per figure, each with
 * what it means and the seed document's figure where it has one) and detail tables; writes
 * bench/results/latest.md and replaces the text between `<!-- bench:start -->` and
 * `<!-- bench:end -->` in README.md with the summary table. A figure that was not measured shows
 * its reason. Run alone (`npx tsx bench/report.ts`) to re-render from the last results.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from './support/spawn.js';

/** Where the results live. */
export const resultsDirectory = join(repositoryRoot, 'bench', 'results');
/** The README markers the summary table goes between. */
export const readmeMarkers = { start: '<!-- bench:start -->', end: '<!-- bench:end -->' } as const;

type Json = Record<string, unknown>;

/** The value at a dotted path, or undefined. */
function at(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Json)[key];
  }
  return current;
}

function reasonOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not measured: missing from the results';
  const entry = value as Json;
  return entry['measured'] === false
    ? `not measured: ${String(entry['reason']).replace(/^not measured: /, '')}`
    : undefined;
}

function number(value: unknown, digits = 0): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A count: whole numbers as such, a median between two counts with one decimal. */
function count(value: unknown): string {
  return number(value, typeof value === 'number' && !Number.isInteger(value) ? 1 : 0);
}

function seconds(ms: unknown): string {
  return typeof ms === 'number' ? `${number(ms / 1_000, 1)} s` : 'n/a';
}

function milliseconds(ms: unknown): string {
  if (typeof ms !== 'number') return 'n/a';
  return `${number(ms, ms < 10 ? 2 : 0)} ms`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The summary rows: figure, result, compared with, meaning. */
export function summaryRows(results: Json): string[][] {
  const figures = (results['figures'] ?? {}) as Json;
  const rows: string[][] = [];
  const row = (figure: string, source: unknown, result: () => string, compared: () => string, meaning: string) => {
    const reason = reasonOf(source);
    rows.push(reason === undefined ? [figure, result(), compared(), meaning] : [figure, reason, '', meaning]);
  };
  const throughput = figures['throughput'];
  row(
    '1. Simulator throughput, memory store',
    throughput,
    () =>
      `${number(at(throughput, 'memory.runsPerSecond'), 1)} runs/s, ${number(at(throughput, 'memory.stepsPerSecond'))} steps/s, ${number(at(throughput, 'memory.microsecondsPerStep'), 1)} µs per step; ${number(at(throughput, 'memory.runsPerCpuSecond'), 1)} runs per CPU-second, ${number(at(throughput, 'memory.cpuMicrosecondsPerStep'), 1)} CPU-µs per step`,
    () =>
      `bare scheduling ceiling: ${number(at(throughput, 'ceiling.runsPerSecond'), 1)} runs/s, ${number(at(throughput, 'ceiling.microsecondsPerStep'), 2)} µs per step; simulator at ${number(100 * Number(at(throughput, 'fractionOfCeiling')))} % of it (${number(100 * Number(at(throughput, 'fractionOfCeilingCpu')))} % in CPU time)`,
    'checked runs (P1–P11) per second, one thread; the ceiling does only the generation and the same scheduling steps through the real scheduler',
  );
  row(
    '1. Pure machine, driven synchronously',
    reasonOf(throughput) === undefined ? at(throughput, 'machine') : throughput,
    () =>
      `${number(at(throughput, 'machine.transitionsPerSecond'))} transitions/s, ${number(at(throughput, 'machine.microsecondsPerTransition'), 2)} µs each`,
    () => `a simulator step costs ${number(at(throughput, 'stepCostInMachineTransitions'), 2)} transitions`,
    'src/core/transition.ts through synthetic jobs, every effect answered at once: the floor under a step that does engine work',
  );
  for (const [key, label] of [
    ['ioredisMock', 'ioredis-mock'],
    ['redis', 'real Redis'],
  ] as const) {
    const entry = at(throughput, key);
    row(
      `1. Simulator throughput, ${label}`,
      entry,
      () =>
        `${number(at(entry, 'runsPerSecond'), 2)} runs/s atomic (${number(100 * (at(entry, 'fractionOfMemory') as number), 1)} % of memory, ${number(100 * (at(entry, 'fractionOfMemoryCpu') as number), 1)} % per CPU-second), ${number(at(entry, 'roundTrips.runsPerSecond'), 2)} runs/s with round trips` +
        (at(entry, 'uncachedScripts') === undefined
          ? ''
          : `; a Lua state per script call (the mock by itself): ${number(at(entry, 'uncachedScripts.runsPerSecond'), 2)} runs/s`),
      () =>
        `${number(at(entry, 'slowdownVsMemory'), 1)}× slower than memory on the same runs; same histories as memory (atomic): ${at(entry, 'sameHistoriesAsMemory') === true ? 'yes' : 'NO'}; round-trip histories equal on both Redis: ${at(throughput, 'roundTripHistoriesEqualAcrossRedis') === true ? 'yes' : at(throughput, 'roundTripHistoriesEqualAcrossRedis') === false ? 'NO' : 'n/a'}`,
      "the same runs through RedisJobStore (Lua scripts), each store call atomic (histories must equal the memory store's byte for byte), then each round trip a scheduling point (as --store runs)",
    );
  }
  const compression = figures['timeCompression'];
  row(
    '2. Time compression',
    compression,
    () => `${number(at(compression, 'memory'))}× (memory)`,
    () =>
      `ioredis-mock ${typeof at(compression, 'ioredisMock') === 'number' ? `${number(at(compression, 'ioredisMock'))}×` : 'n/a'}, real Redis ${typeof at(compression, 'redis') === 'number' ? `${number(at(compression, 'redis'))}×` : 'n/a'}`,
    'simulated ms per wall-clock ms',
  );
  const suites = figures['seedSuites'];
  row(
    '3. `npm run sim -- --quick`',
    reasonOf(suites) === undefined ? at(suites, 'quick') : suites,
    () =>
      `${seconds(at(suites, 'quick.wallMs'))} (${number(at(suites, 'quick.namedScenarios'))} scenarios + ${number(at(suites, 'quick.fuzzRuns'))} runs)`,
    () => `seed document: ~30 s (${number(at(suites, 'quick.timesFaster'), 1)}× faster)`,
    'whole suite spawned from a shell, start-up included',
  );
  row(
    '3. `npm run sim -- --full`',
    reasonOf(suites) === undefined ? at(suites, 'full') : suites,
    () =>
      `${seconds(at(suites, 'full.wallMs'))} (${number(at(suites, 'full.namedScenarios'))} scenarios + ${number(at(suites, 'full.fuzzRuns'))} runs)`,
    () => `seed document: 2–3 min (${number(at(suites, 'full.timesFaster'), 1)}× faster)`,
    'the same with the long campaign on 2 threads',
  );
  row(
    '3. One named scenario',
    reasonOf(suites) === undefined ? at(suites, 'perScenario') : suites,
    () =>
      `median ${milliseconds(at(suites, 'perScenario.medianMs'))}, max ${milliseconds(at(suites, 'perScenario.maxMs'))}`,
    () => 'seed document: 5–10 s per test',
    'one simulated world, every promise checked',
  );
  row(
    '3. Peak RSS, `--quick`',
    suites,
    () => `${number(at(suites, 'memory.quickPeakRssMiB'))} MiB for the whole suite`,
    () => 'seed document: ~50 MB per test',
    'all named scenarios and the fuzz campaign in one process',
  );
  const bugs = figures['bugFinding'];
  const bugRows = ((at(bugs, 'bugs') ?? []) as Json[]).filter((bug) => reasonOf(bug) === undefined);
  const found = bugRows.filter((bug) => typeof bug['foundIn'] === 'string' && !String(bug['foundIn']).startsWith('0/'));
  const acrossBugs = (path: string) =>
    `median ${count(medianOf(bugRows.map((bug) => at(bug, `${path}.median`))))}, worst ${count(maxOf(bugRows.map((bug) => at(bug, `${path}.worst`))))}`;
  row(
    '4. Planted bugs found',
    bugs,
    () =>
      `${found.length}/${((at(bugs, 'bugs') ?? []) as unknown[]).length} bugs; runs to first failure: ${acrossBugs('runsToFailure')}; wall time to first failure: worst ${milliseconds(maxOf(bugRows.map((bug) => at(bug, 'msToFailure.worst'))))}`,
    () => {
      const total = (key: string) =>
        bugRows.reduce((sum, bug) => sum + (typeof bug[key] === 'number' ? bug[key] : 0), 0);
      const worstOf = (path: string) => count(maxOf(bugRows.map((bug) => at(bug, path))));
      return (
        `shrunk in ≤ ${seconds(maxOf(bugRows.map((bug) => at(bug, 'shrinkMs.worst'))))} to ≤ ${worstOf('shrunkSize.jobs.worst')} jobs of ≤ ${worstOf('shrunkSize.chunksMax.worst')} chunks, ` +
        `≤ ${worstOf('shrunkSize.workers.worst')} workers, ≤ ${worstOf('shrunkSize.faults.worst')} faults, ≤ ${worstOf('shrunkSize.timelineLines.worst')} timeline lines; ` +
        `of ${total('shrunk')} shrunk counterexamples, the replay token reproduces ${total('reproduces')}, the expected promise ${total('expectedPromise')}`
      );
    },
    "per bug, the median and the worst over campaign seeds (a worst here: the worst bug's); details below",
  );
  row(
    '4. Planted bugs hunted live',
    at(bugs, 'live'),
    () => '',
    () => '',
    'the same bugs through `npm run chaos:live`',
  );
  const alarms = figures['falseAlarms'];
  row(
    '4. False alarms (correct engine)',
    alarms,
    () =>
      `false alarms: ${count(at(alarms, 'failingRuns'))} of ${count(at(alarms, 'runs'))} runs over ${count(at(alarms, 'seedsPlayed'))} seeds` +
      (typeof at(alarms, 'truncated') === 'string'
        ? ` (time budget spent: ${count(at(alarms, 'plannedRuns'))} runs planned)`
        : ''),
    () =>
      `${number(at(alarms, 'runsPerSecond'), 1)} runs/s on ${count(at(alarms, 'threads'))} thread(s); ` +
      (typeof at(alarms, 'rateUpperBound95') === 'number'
        ? `rate < ${number(100 * Number(at(alarms, 'rateUpperBound95')), 2)} % (95 %)`
        : `rate ${number(100 * Number(at(alarms, 'rate')), 3)} %`),
    `runs 0–${count(Number(at(alarms, 'runsPerSeed')) - 1)} of campaign seeds drawn at random for this benchmark, every promise checked; any failure is a checker, simulator or engine defect`,
  );
  const scaling = figures['scaling'];
  row(
    '5. `--parallel 2` vs `--parallel 1`',
    reasonOf(scaling) === undefined ? at(scaling, 'threads') : scaling,
    () =>
      `${number(at(scaling, 'threads.speedup'), 2)}× runs/s on ${number(at(scaling, 'threads.cores'))} cores (${number(at(scaling, 'threads.speedupWithoutFixedCost'), 2)}× without the fixed cost)`,
    () =>
      `fixed cost ${seconds(at(scaling, 'threads.fixedCostMs.parallel2'))} on 2 threads vs ${seconds(at(scaling, 'threads.fixedCostMs.parallel1'))} on 1; fingerprints match: ${at(scaling, 'threads.fingerprintsMatch') === true ? 'yes' : 'NO'}; the machine's bound: its two halves in two processes at once reach ${typeof at(scaling, 'threads.separateProcesses.speedup') === 'number' ? `${number(at(scaling, 'threads.separateProcesses.speedup'), 2)}×` : 'n/a'} together`,
    `the same ${count(at(scaling, 'threads.runs'))}-run campaign on 1 and 2 threads (this thread plays too); fixed cost: a 2-run campaign (the pool thread loads and warms up on its own); the bound: --shard 1/2 and 2/2 in two processes at once`,
  );
  row(
    '5. Cost growth per run',
    reasonOf(scaling) === undefined ? at(scaling, 'perRun') : scaling,
    () =>
      `time ∝ jobs^${number(at(scaling, 'perRun.growthExponent.jobs.ms'), 2)} · chunks^${number(at(scaling, 'perRun.growthExponent.chunks.ms'), 2)} · workers^${number(at(scaling, 'perRun.growthExponent.workers.ms'), 2)}`,
    () =>
      `steps ∝ jobs^${number(at(scaling, 'perRun.growthExponent.jobs.steps'), 2)} · chunks^${number(at(scaling, 'perRun.growthExponent.chunks.steps'), 2)} · workers^${number(at(scaling, 'perRun.growthExponent.workers.steps'), 2)}`,
    'exponents fitted on the jobs 1/2/4 × chunks 10/40 × workers 1/5 grid below',
  );
  const redis = figures['redis'];
  const recovery = at(redis, 'recovery');
  row(
    '6. Recovery latency (real Redis)',
    reasonOf(redis) === undefined ? recovery : redis,
    () =>
      `p50 ${milliseconds(at(recovery, 'expiryToFirstTranscription.p50Ms'))}, max ${milliseconds(at(recovery, 'expiryToFirstTranscription.maxMs'))}`,
    () => `seed document: < 5 s; the worker looks for work every ${number(at(recovery, 'idlePollIntervalMs'))} ms`,
    "lease expiry → the recoverer's first resumed transcription request",
  );
  row(
    '6. Recovery event latency (real Redis)',
    reasonOf(redis) === undefined ? recovery : redis,
    () =>
      `p50 ${milliseconds(at(recovery, 'recoveryStartedEvent.p50Ms'))}, max ${milliseconds(at(recovery, 'recoveryStartedEvent.maxMs'))}`,
    () => 'seed document: < 100 ms',
    'recovery claim sent → an EventConsumer reads `recovery_started`',
  );
  const events = at(redis, 'eventLatency');
  row(
    '6. Event latency (real Redis)',
    reasonOf(redis) === undefined ? events : redis,
    () => `p50 ${milliseconds(at(events, 'p50Ms'))}, p99 ${milliseconds(at(events, 'p99Ms'))}`,
    () => 'seed document: < 100 ms',
    'commit sent → an EventConsumer reads its `chunk_transcribed`',
  );
  const store = at(redis, 'store');
  row(
    '6. Commit and claim (real Redis)',
    reasonOf(redis) === undefined ? store : redis,
    () =>
      `commit p50 ${milliseconds(at(store, 'report.commitChunkSequential.p50Ms'))} / p99 ${milliseconds(at(store, 'report.commitChunkSequential.p99Ms'))}; claim p50 ${milliseconds(at(store, 'report.claimJobQueued.p50Ms'))} / p99 ${milliseconds(at(store, 'report.claimJobQueued.p99Ms'))}; recovery claim p50 ${milliseconds(at(store, 'report.claimJobRecovery.p50Ms'))}`,
    () =>
      `${number(at(store, 'report.commitChunkConcurrent.commitsPerSecond'))} commits/s with ${number(at(store, 'report.commitChunkConcurrent.inFlight'))} in flight`,
    'bench/redis-store.ts, one operation at a time, then many in flight on one connection',
  );
  const memory = figures['memory'];
  row(
    '7. Memory during recovery',
    memory,
    () =>
      `live heap peak ${signed(at(memory, 'overheadPercent.liveHeapPeak'))} %, mean ${signed(at(memory, 'overheadPercent.liveHeapMean'))} %; heapUsed peak ${signed(at(memory, 'overheadPercent.heapUsedPeak'))} %; RSS peak ${signed(at(memory, 'overheadPercent.rssPeak'))} %, mean ${signed(at(memory, 'overheadPercent.rssMean'))} %`,
    () =>
      `seed document: < 10 %; steady: live heap ${number(at(memory, 'steady.liveHeapPeakMiB'), 1)} MiB, RSS ${number(at(memory, 'steady.rssPeakMiB'))} MiB at peak`,
    'workers that crash and are recovered vs the same jobs processed without crashes (live heap: heapUsed after a forced full GC)',
  );
  return rows;
}

function signed(value: unknown): string {
  return typeof value === 'number' ? `${value >= 0 ? '+' : ''}${number(value, 1)}` : 'n/a';
}

function medianOf(values: readonly unknown[]): number {
  const numbers = values
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value))
    .sort((a, b) => a - b);
  if (numbers.length === 0) return Number.NaN;
  const middle = numbers.length >> 1;
  return numbers.length % 2 === 1
    ? (numbers[middle] ?? Number.NaN)
    : ((numbers[middle - 1] ?? 0) + (numbers[middle] ?? 0)) / 2;
}

function maxOf(values: readonly unknown[]): number {
  const numbers = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return numbers.length === 0 ? Number.NaN : Math.max(...numbers);
}

/** The header line under the summary: when, where, how. */
export function provenance(results: Json): string {
  const machine = (results['machine'] ?? {}) as Json;
  return (
    `\`npm run bench${results['mode'] === 'quick' ? ' -- --quick' : ''}\` on ${String(machine['cpus'])} × ${String(machine['cpuModel'])}, Node ${String(machine['node'])}, ` +
    `${String(results['generatedAt']).slice(0, 10)} (load average ${number(machine['loadAverage1MinuteAtStart'], 1)} at the start, ${number(machine['loadAverage1MinuteAtEnd'], 1)} at the end); ` +
    `the whole benchmark took ${seconds(results['wallMs'])}. Ratios are taken within one run; absolute figures move with the machine and its load.`
  );
}

/** The summary table, as it goes into README.md. */
export function summaryTable(results: Json): string {
  return `${table(['figure', 'result', 'compared with', 'what it measures'], summaryRows(results))}\n\n${provenance(results)}`;
}

/** `median / worst` of a `{ median, worst }` entry. */
function medianWorst(value: unknown, format: (entry: unknown) => string = count): string {
  return `${format(at(value, 'median'))} / ${format(at(value, 'worst'))}`;
}

function bugTable(results: Json): string {
  const bugs = (at(results, 'figures.bugFinding.bugs') ?? []) as Json[];
  const rows = bugs.map((bug) => {
    const reason = reasonOf(bug);
    if (reason !== undefined) return [String(bug['name']), reason, '', '', '', '', '', '', '', ''];
    const size = bug['shrunkSize'];
    const shrunk = count(bug['shrunk']);
    return [
      String(bug['name']),
      String(bug['foundIn']),
      medianWorst(bug['runsToFailure']),
      medianWorst(bug['msToFailure'], milliseconds),
      medianWorst(bug['shrinkMs'], milliseconds),
      `${medianWorst(at(size, 'jobs'))} jobs, ${medianWorst(at(size, 'chunksMax'))} chunks (longest job), ${medianWorst(at(size, 'workers'))} workers, ${medianWorst(at(size, 'faults'))} faults`,
      medianWorst(at(size, 'timelineLines')),
      [
        ...new Set(
          ((bug['counterexamples'] ?? []) as Json[])
            .map((entry) => entry['promise'])
            .filter((promise) => typeof promise === 'string'),
        ),
      ].join(', '),
      `${count(bug['reproduces'])}/${shrunk}`,
      `${count(bug['expectedPromise'])}/${shrunk}`,
    ];
  });
  return table(
    [
      'planted bug',
      'found in (seeds)',
      'runs to first failure (median / worst)',
      'wall time to first failure (median / worst)',
      'time to shrink (median / worst)',
      'shrunk counterexample (median / worst)',
      'timeline lines (median / worst)',
      'promise broken',
      'replay token reproduces',
      'expected promise',
    ],
    rows,
  );
}

function falseAlarmText(results: Json): string {
  const alarms = at(results, 'figures.falseAlarms');
  const reason = reasonOf(alarms);
  if (reason !== undefined) return reason;
  const lines = [
    `False alarms: ${count(at(alarms, 'failingRuns'))} of ${count(at(alarms, 'runs'))} runs over ${count(at(alarms, 'seedsPlayed'))} seeds ` +
      `(${count(at(alarms, 'failingSeeds'))} failing seeds; runs 0–${count(Number(at(alarms, 'runsPerSeed')) - 1)} of each), ` +
      `${seconds(at(alarms, 'wallMs'))} on ${count(at(alarms, 'threads'))} thread(s), ${number(at(alarms, 'runsPerSecond'), 1)} runs/s. The seeds are in latest.json.`,
  ];
  const truncated = at(alarms, 'truncated');
  if (typeof truncated === 'string') lines.push('', `Truncated: ${truncated}.`);
  const errors = (at(alarms, 'taskErrors') ?? []) as Json[];
  if (errors.length > 0)
    lines.push(
      '',
      `${errors.length} batch(es) failed to run: ${errors.map((entry) => `seed ${String(entry['seed'])} runs ${String(entry['indices'])}: ${String(entry['error'])}`).join('; ')}.`,
    );
  const failures = (at(alarms, 'failures') ?? []) as Json[];
  if (failures.length > 0) {
    lines.push(
      '',
      table(
        ['seed', 'run', 'promise', 'first violation', 'replay token'],
        failures.map((entry) => [
          String(entry['seed']),
          String(entry['index']),
          String(entry['promise']),
          String(entry['firstViolation']),
          typeof entry['replay'] === 'string' ? `\`${entry['replay']}\`` : String(entry['shrinkError'] ?? 'not shrunk'),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function gridTable(results: Json): string {
  const cells = (at(results, 'figures.scaling.perRun.cells') ?? []) as Json[];
  return table(
    ['jobs', 'chunks per job', 'workers', 'ms per run (median)', 'steps per run', 'µs per step', 'simulated s'],
    cells.map((entry) => [
      number(entry['jobs']),
      number(entry['chunks']),
      number(entry['workers']),
      number(entry['msMedian'], 1),
      number(entry['stepsMedian']),
      number(entry['microsecondsPerStep'], 1),
      number(Number(entry['simulatedMsMedian']) / 1_000),
    ]),
  );
}

function scenarioTable(results: Json): string {
  const list = (at(results, 'figures.seedSuites.perScenario.list') ?? []) as Json[];
  return table(
    ['group', 'named scenario', 'ms'],
    list.map((entry) => [String(entry['group']), String(entry['name']), number(entry['ms'])]),
  );
}

/** The whole Markdown report. */
export function renderMarkdown(results: Json): string {
  return [
    '# chunkwise benchmarks',
    '',
    'Generated by `npm run bench` from `latest.json`; timings are measured here, never asserted in tests.',
    '',
    summaryTable(results),
    '',
    '## Planted bugs',
    '',
    bugTable(results),
    '',
    '## False alarms',
    '',
    falseAlarmText(results),
    '',
    '## Cost of one run by size',
    '',
    gridTable(results),
    '',
    '## Named chaos scenarios',
    '',
    scenarioTable(results),
    '',
  ].join('\n');
}

/** Replaces the text between the README markers with the summary table; throws when the markers are missing. */
export function replaceBetweenMarkers(readme: string, content: string): string {
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  if (start < 0 || end < start)
    throw new Error(`README.md lacks the ${readmeMarkers.start} … ${readmeMarkers.end} markers`);
  return `${readme.slice(0, start + readmeMarkers.start.length)}\n${content}\n${readme.slice(end)}`;
}

/** Writes latest.md and (unless `readme` is false) the README table from `results`. */
export async function writeReports(results: Json, options: { readme?: boolean } = {}): Promise<void> {
  await writeFile(join(resultsDirectory, 'latest.md'), renderMarkdown(results));
  if (options.readme === false) return;
  const readmePath = join(repositoryRoot, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const table = `${summaryTable(results)}\n\nEvery figure with its details: [bench/results/latest.md](bench/results/latest.md).`;
  await writeFile(readmePath, replaceBetweenMarkers(readme, table));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = JSON.parse(await readFile(join(resultsDirectory, 'latest.json'), 'utf8')) as Json;
  await writeReports(results);
  process.stderr.write('wrote bench/results/latest.md and the README table\n');
}
