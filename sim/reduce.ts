/**
 * Test-case reduction of a failing scenario, where fast-check's shrinking stops (in the spirit of
 * Hypothesis' reducer): try cuts from the largest to the smallest (drop a job, a worker, a fault;
 * fewer chunks; faster ports; fewer and zeroed choices; earlier and shorter faults) and keep each
 * cut after which the run still breaks the same promise. Stops when a whole pass keeps nothing, or
 * at its budget. Every candidate is a plain scenario, so the result replays from its token alone.
 */
import { latencyBounds, resolveFault, type Fault, type Scenario } from './faults.js';
import { faultDefinition } from './faults/index.js';

/** How much a reduction may try. */
export interface ReduceBudget {
  /** Most candidate runs. */
  readonly attemptsMax: number;
  /** Wall-clock deadline (ms since the epoch), checked between candidates. */
  readonly deadlineMs?: number;
}

/** What a reduction did. */
export interface ReduceOutcome {
  readonly scenario: Scenario;
  readonly attempts: number;
  readonly accepted: number;
}

/** The size of a scenario, as a counterexample's reader feels it. */
export interface ScenarioSize {
  readonly jobs: number;
  readonly chunksMax: number;
  readonly workers: number;
  readonly faults: number;
  readonly choices: number;
}

/** The size of `scenario`. */
export function scenarioSize(scenario: Scenario): ScenarioSize {
  return {
    jobs: scenario.jobs.length,
    chunksMax: Math.max(0, ...scenario.jobs.map((job) => job.chunks)),
    workers: scenario.workers,
    faults: scenario.faults.length,
    choices: scenario.choices.filter((choice) => choice !== 0).length,
  };
}

/** `size` as one short line: `2 jobs ≤4 chunks, 3 workers, 2 faults, 5 choices`. */
export function sizeText(size: ScenarioSize): string {
  return `${size.jobs} job(s) ≤${size.chunksMax} chunks, ${size.workers} worker(s), ${size.faults} fault(s), ${size.choices} non-zero choice(s)`;
}

/**
 * Reduces `scenario` while `stillFails` holds for the candidate; `onAccept` hears of each kept cut.
 * `stillFails` is never called with the input itself.
 */
export async function reduceScenario(
  scenario: Scenario,
  stillFails: (candidate: Scenario) => Promise<boolean>,
  budget: ReduceBudget,
  onAccept?: (scenario: Scenario, attempts: number) => void,
): Promise<ReduceOutcome> {
  let current = normalised(scenario);
  let attempts = 0;
  let accepted = 0;
  const exhausted = () =>
    attempts >= budget.attemptsMax || (budget.deadlineMs !== undefined && Date.now() >= budget.deadlineMs);
  const seen = new Set<string>([JSON.stringify(current)]);
  let improved = true;
  while (improved && !exhausted()) {
    improved = false;
    for (const candidate of candidates(current)) {
      if (exhausted()) break;
      const key = JSON.stringify(candidate);
      if (seen.has(key)) continue;
      seen.add(key);
      attempts += 1;
      if (!(await stillFails(candidate))) continue;
      current = candidate;
      accepted += 1;
      improved = true;
      onAccept?.(current, attempts);
      break;
    }
  }
  return { scenario: current, attempts, accepted };
}

/** Faults with their indices resolved against the scenario's counts (what the world does anyway). */
function normalised(scenario: Scenario): Scenario {
  return { ...scenario, faults: scenario.faults.map((fault) => resolveFault(fault, scenario)) };
}

/** Every cut of `scenario` to try, largest first. */
function* candidates(scenario: Scenario): Generator<Scenario> {
  // Fewer jobs and workers, each also with the crashes and pauses retargeted: which worker claims
  // which job changes when a job or worker goes, so a fault may have to follow the job.
  const cuts: Scenario[] = [];
  if (scenario.jobs.length > 2)
    for (let job = 0; job < scenario.jobs.length; job += 1) cuts.push(onlyJob(scenario, job));
  for (let job = scenario.jobs.length - 1; job >= 0 && scenario.jobs.length > 1; job -= 1)
    cuts.push(withoutJob(scenario, job));
  for (const workers of new Set([1, 2, Math.ceil(scenario.workers / 2)]))
    if (workers < scenario.workers - 1) cuts.push(fewerWorkers(scenario, workers));
  for (let worker = scenario.workers - 1; worker >= 0 && scenario.workers > 1; worker -= 1)
    cuts.push(withoutWorker(scenario, worker));
  // One loop per process and one transcription at a time: the simplest workers.
  if ((scenario.concurrency ?? 1) > 1) cuts.push({ ...scenario, concurrency: 1 });
  if ((scenario.chunkConcurrency ?? 1) > 1) cuts.push({ ...scenario, chunkConcurrency: 1 });
  yield* cuts;
  for (const cut of cuts) yield* retargeted(cut);
  for (let fault = scenario.faults.length - 1; fault >= 0; fault -= 1)
    yield { ...scenario, faults: scenario.faults.filter((_, index) => index !== fault) };
  for (let position = 0; position < scenario.faults.length; position += 1) {
    const fault = scenario.faults[position] as Fault;
    const added = faultDefinition(fault.kind).workersAdded?.(fault);
    if (added === undefined) continue;
    const faults = scenario.faults.filter((_, index) => index !== position);
    yield { ...scenario, workers: scenario.workers + Math.min(added, 1), faults };
    if (added > 1) yield { ...scenario, workers: scenario.workers + added, faults };
  }
  const halved = halvedStory(scenario);
  if (halved !== undefined) yield halved;
  yield* fewerChoices(scenario);
  for (let job = 0; job < scenario.jobs.length; job += 1) yield* fewerChunks(scenario, job);
  yield* fasterPorts(scenario);
  for (let fault = 0; fault < scenario.faults.length; fault += 1) {
    for (const simpler of simplerFaults(scenario.faults[fault] as Fault))
      yield { ...scenario, faults: scenario.faults.map((entry, index) => (index === fault ? simpler : entry)) };
  }
  if (scenario.seed !== 0) yield { ...scenario, seed: 0 };
}

/**
 * The whole story at half its length: every job with half its chunks, every fault at half its call count and at
 * half its time. One step where single cuts are stuck because the faults hang together (a pause at the ninth
 * transcription, recoverers that arrive while it lasts).
 */
function halvedStory(scenario: Scenario): Scenario | undefined {
  const half = (value: number, minimum: number) => Math.max(minimum, Math.ceil(value / 2));
  const jobs = scenario.jobs.map((job) => ({ ...job, chunks: half(job.chunks, 1), lastChunkMs: job.chunkLengthMs }));
  const faults = scenario.faults.map((fault) => {
    let simpler: Fault = fault;
    if ('nth' in simpler) simpler = { ...simpler, nth: half(simpler.nth, 1) };
    if ('atMs' in simpler) simpler = { ...simpler, atMs: Math.floor(simpler.atMs / 2) };
    return simpler;
  });
  const candidate = normalised({ ...scenario, jobs, faults });
  return JSON.stringify(candidate) === JSON.stringify(scenario) ? undefined : candidate;
}

function withoutJob(scenario: Scenario, dropped: number): Scenario {
  const jobs = scenario.jobs
    .filter((_, index) => index !== dropped)
    .map((job, index) => ({ ...job, id: `job${index}` }));
  const faults = scenario.faults.flatMap((fault): Fault[] => {
    if (!('job' in fault)) return [fault];
    if (fault.job === dropped) return [];
    return [{ ...fault, job: fault.job > dropped ? fault.job - 1 : fault.job }];
  });
  return normalised({ ...scenario, jobs, faults });
}

/** `scenario` with one crash or pause moved to another worker, for each such fault and worker. */
function* retargeted(scenario: Scenario): Generator<Scenario> {
  for (let position = 0; position < scenario.faults.length; position += 1) {
    const fault = scenario.faults[position] as Fault;
    if (!('worker' in fault)) continue;
    for (let worker = 0; worker < scenario.workers; worker += 1) {
      if (worker === fault.worker) continue;
      yield {
        ...scenario,
        faults: scenario.faults.map((entry, index) => (index === position ? { ...fault, worker } : entry)),
      };
    }
  }
}

function onlyJob(scenario: Scenario, kept: number): Scenario {
  let reduced = scenario;
  for (let job = scenario.jobs.length - 1; job >= 0; job -= 1) if (job !== kept) reduced = withoutJob(reduced, job);
  return reduced;
}

function fewerWorkers(scenario: Scenario, workers: number): Scenario {
  let reduced = scenario;
  for (let worker = scenario.workers - 1; worker >= workers; worker -= 1) reduced = withoutWorker(reduced, worker);
  return reduced;
}

function withoutWorker(scenario: Scenario, dropped: number): Scenario {
  const faults = scenario.faults.flatMap((fault): Fault[] => {
    if (!('worker' in fault)) return [fault];
    if (fault.worker === dropped) return [];
    return [{ ...fault, worker: fault.worker > dropped ? fault.worker - 1 : fault.worker }];
  });
  return { ...scenario, workers: scenario.workers - 1, faults };
}

function* fewerChoices(scenario: Scenario): Generator<Scenario> {
  const { choices } = scenario;
  if (choices.length === 0) return;
  yield { ...scenario, choices: [] };
  // Halves, quarters, … of the non-zero choices set to zero (delta debugging), then one at a time.
  for (let parts = 2; parts <= Math.min(64, choices.length); parts *= 2) {
    const width = Math.ceil(choices.length / parts);
    for (let start = 0; start < choices.length; start += width) {
      if (!choices.slice(start, start + width).some((choice) => choice !== 0)) continue;
      yield {
        ...scenario,
        choices: trimZeros(choices.map((choice, index) => (index >= start && index < start + width ? 0 : choice))),
      };
    }
  }
  for (let index = choices.length - 1; index >= 0; index -= 1) {
    const choice = choices[index] ?? 0;
    if (choice > 1) yield { ...scenario, choices: choices.map((entry, at) => (at === index ? 1 : entry)) };
  }
}

function trimZeros(choices: readonly number[]): number[] {
  let end = choices.length;
  while (end > 0 && choices[end - 1] === 0) end -= 1;
  return choices.slice(0, end);
}

function* fewerChunks(scenario: Scenario, job: number): Generator<Scenario> {
  const spec = scenario.jobs[job];
  if (spec === undefined) return;
  const counts = new Set(
    [1, Math.floor(spec.chunks / 2), spec.chunks - 1].filter((chunks) => chunks >= 1 && chunks < spec.chunks),
  );
  for (const chunks of counts) {
    const jobs = scenario.jobs.map((entry, index) =>
      index === job ? { ...entry, chunks, lastChunkMs: entry.chunkLengthMs } : entry,
    );
    yield normalised({ ...scenario, jobs });
    // Fewer chunks mean fewer calls: a fault that strikes at the n-th call may have to strike that much earlier.
    const fewer = spec.chunks - chunks;
    if (scenario.faults.some((fault) => 'nth' in fault && fault.nth > 1)) {
      const faults = scenario.faults.map((fault) =>
        'nth' in fault && fault.nth > 1 ? { ...fault, nth: Math.max(1, fault.nth - fewer) } : fault,
      );
      yield normalised({ ...scenario, jobs, faults });
    }
  }
  if (spec.submitAtMs !== undefined || spec.submitOnPoll !== undefined) {
    const { submitAtMs: _at, submitOnPoll: _poll, ...upfront } = spec;
    yield { ...scenario, jobs: scenario.jobs.map((entry, index) => (index === job ? upfront : entry)) };
    if (spec.submitOnPoll !== undefined && spec.submitOnPoll > 1) {
      yield {
        ...scenario,
        jobs: scenario.jobs.map((entry, index) => (index === job ? { ...entry, submitOnPoll: 1 } : entry)),
      };
    }
  }
  if (spec.lastChunkMs !== spec.chunkLengthMs) {
    yield {
      ...scenario,
      jobs: scenario.jobs.map((entry, index) =>
        index === job ? { ...entry, lastChunkMs: entry.chunkLengthMs } : entry,
      ),
    };
  }
}

function* fasterPorts(scenario: Scenario): Generator<Scenario> {
  const { latencies } = scenario;
  const minimum = {
    storeMaxMs: latencyBounds.storeMaxMs.min,
    mediaMs: latencyBounds.mediaMs.min,
    transcribeMs: latencyBounds.transcribeMs.min,
  };
  for (const port of ['storeMaxMs', 'mediaMs', 'transcribeMs'] as const) {
    if (latencies[port] === minimum[port]) continue;
    yield { ...scenario, latencies: { ...latencies, [port]: minimum[port] } };
    const half = Math.floor(latencies[port] / 2);
    if (half > minimum[port]) yield { ...scenario, latencies: { ...latencies, [port]: half } };
  }
}

function* simplerFaults(fault: Fault): Generator<Fault> {
  if ('nth' in fault && fault.nth > 1) {
    yield { ...fault, nth: 1 };
    yield { ...fault, nth: fault.nth - 1 };
  }
  if ('atMs' in fault && fault.atMs > 0) {
    yield { ...fault, atMs: 0 };
    yield { ...fault, atMs: Math.floor(fault.atMs / 2) };
  }
  yield* faultDefinition(fault.kind).simpler?.(fault) ?? [];
}
