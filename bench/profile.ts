/**
 * `npm run profile [-- --runs 400 --seed 1 --save profile.cpuprofile]`: a CPU profile of a fixed campaign
 * (serial, memory store, no differential slice), played in this process under the V8 sampling profiler,
 * and the breakdown of its samples by concern: the scheduler (settling between decisions, its pending
 * list), the engine's own code, immer, event validation (zod), the history and its fingerprint, the
 * checkers, generation and shrinking (fast-check and the scenario arbitraries), the simulated world,
 * garbage collection, and the event loop itself.
 *
 * A sample goes to the concern of its innermost frame that belongs to one; frames of Node's internals
 * and of other packages count for the concern of their caller (a sha256 under the history counts as
 * the history). Modules load before the profiler starts. `--save` writes the raw profile (for Chrome's
 * DevTools or speedscope); profiles are never committed.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { playRun } from '../sim/campaign.js';

/** A node of a V8 CPU profile, as the inspector returns it. */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** The concerns a sample is charged to, in report order. */
export const concerns = [
  'scheduler: settling between decisions',
  'scheduler: pending list and decisions',
  'engine (src/, without immer and zod)',
  'immer',
  'event validation (zod)',
  'history and fingerprint hashing',
  'checkers',
  'generation and shrinking (fast-check, arbitraries)',
  'world, twins and stores (sim/)',
  'campaign bookkeeping (coverage, summaries)',
  'garbage collection',
  'event loop and native (program)',
  'other',
] as const;
export type Concern = (typeof concerns)[number];

/** The concern of one frame, or undefined when it counts for its caller's. */
export function concernOf(functionName: string, url: string): Concern | undefined {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(idle)') return 'event loop and native (program)';
  if (url.includes('/node_modules/immer/')) return 'immer';
  if (url.includes('/node_modules/zod/')) return 'event validation (zod)';
  if (url.includes('/node_modules/fast-check/')) return 'generation and shrinking (fast-check, arbitraries)';
  if (url.includes('/sim/scheduler.')) {
    return functionName === 'settle' || functionName === 'settled' || functionName.startsWith('settle')
      ? 'scheduler: settling between decisions'
      : 'scheduler: pending list and decisions';
  }
  if (functionName === 'processImmediate' || functionName === 'processTicksAndRejections')
    return 'scheduler: settling between decisions';
  if (url.includes('/sim/history.')) return 'history and fingerprint hashing';
  if (url.includes('/sim/checkers/')) return 'checkers';
  if (url.includes('/sim/faults.') || url.includes('/sim/reduce.'))
    return 'generation and shrinking (fast-check, arbitraries)';
  if (url.includes('/sim/campaign.') || url.includes('/sim/coverage.') || url.includes('/sim/leases.'))
    return 'campaign bookkeeping (coverage, summaries)';
  if (url.includes('/src/')) return 'engine (src/, without immer and zod)';
  // sim/faults/<kind>.ts is both generation (arbitraries) and the world (acts): its caller decides.
  if (url.includes('/sim/') && !url.includes('/sim/faults/')) return 'world, twins and stores (sim/)';
  return undefined;
}

/** Sampled ms per concern. */
export function breakdown(profile: CpuProfile): { totalMs: number; ms: Record<Concern, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const concernById = new Map<number, Concern>();
  const root = profile.nodes[0];
  const stack: [number, Concern][] = root === undefined ? [] : [[root.id, 'other']];
  while (stack.length > 0) {
    const [id, inherited] = stack.pop() as [number, Concern];
    const node = byId.get(id);
    if (node === undefined) continue;
    const own = concernOf(node.callFrame.functionName, node.callFrame.url) ?? inherited;
    concernById.set(id, own);
    for (const child of node.children ?? []) stack.push([child, own]);
  }
  const ms = Object.fromEntries(concerns.map((name) => [name, 0])) as Record<Concern, number>;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalMs = 0;
  for (let index = 0; index < samples.length; index += 1) {
    // A sample's time is the delta to the next sample.
    const deltaMs = (deltas[index + 1] ?? 0) / 1_000;
    const concern = concernById.get(samples[index] as number) ?? 'other';
    ms[concern] += deltaMs;
    totalMs += deltaMs;
  }
  return { totalMs, ms };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '400' },
      seed: { type: 'string', default: '1' },
      save: { type: 'string' },
      interval: { type: 'string', default: '200' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: Number(values.interval) });
  // One warm-up run outside the profile, so that compilation of the hot paths is not charged to them.
  await playRun(seed, runs, {});
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await session.post('Profiler.start');
  let steps = 0;
  let failed = 0;
  for (let index = 0; index < runs; index += 1) {
    const summary = await playRun(seed, index, {});
    steps += summary.steps;
    if (summary.failed !== undefined) failed += 1;
  }
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1_000;
  session.disconnect();
  if (values.save !== undefined) await writeFile(values.save, JSON.stringify(profile));
  const { totalMs, ms } = breakdown(profile);
  const lines = [
    `profile: ${runs} runs of campaign seed ${seed} (memory store, serial), ${steps} scheduling steps, ${failed} failing`,
    `wall ${wallMs.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms, ${((cpuMs * 1_000) / steps).toFixed(1)} µs CPU per step, ` +
      `${((runs * 1_000) / wallMs).toFixed(1)} runs/s; ${totalMs.toFixed(0)} ms sampled`,
    '',
    '| concern | ms | share |',
    '|---|---:|---:|',
    ...concerns.map(
      (name) => `| ${name} | ${ms[name].toFixed(0)} | ${((100 * ms[name]) / Math.max(totalMs, 1)).toFixed(1)} % |`,
    ),
  ];
  console.log(lines.join('\n'));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
