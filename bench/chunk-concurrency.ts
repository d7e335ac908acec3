/**
 * Wall time of one job processed by a real Worker with limits.chunkConcurrency 1 against 2, 4 and 8: real ffmpeg
 * cuts a generated sine WAV into chunk files on a temporary directory (FsChunkStore), and the real OpenAI adapter
 * (the `openai` SDK) sends each chunk to a local stand-in of `POST /v1/audio/transcriptions` (sim/live's server)
 * that answers after a fixed latency, run in a process of its own (`--server inline`: in this process, sharing its
 * event loop). The job store is the memory store, or a real Redis with `--store redis`.
 *
 * Each repetition plays every setting once, one after the other (1, 2, 4, 8, then again), after one warm-up job
 * that is not counted, so that a ratio compares runs of the same process taken side by side. For each job it
 * takes the wall time from its creation to the end of Worker.runOnce, and the transcription phase from the job's
 * own events: `transcription_started` (written with the chunk plan, once every chunk file exists) to
 * `transcription_completed`. The rest (probe, extraction, plan, clean-up) does not depend on the setting. Prints a
 * markdown report on stdout (and writes it to `--out`); nothing here is asserted by a test.
 *
 *   npx tsx bench/chunk-concurrency.ts [--latency-ms 200] [--reps 5] [--concurrency 1,2,4,8] [--chunks 12]
 *     [--chunk-seconds 5] [--store memory|redis] [--server process|inline] [--out bench/results/chunk-concurrency.md]
 *     [--note "2 shared cores"]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FfmpegMedia } from '../src/adapters/ffmpeg/index.js';
import { FsChunkStore } from '../src/adapters/fs/index.js';
import { MemoryJobStore } from '../src/adapters/memory/index.js';
import { OpenAITranscriber } from '../src/adapters/openai/index.js';
import { createRedisClient, RedisJobStore } from '../src/adapters/redis/index.js';
import { chunkConcurrencyMax } from '../src/core/limits.js';
import type { JobStore, Transcriber } from '../src/ports.js';
import { systemClock } from '../src/runtime/clock.js';
import { Worker } from '../src/runtime/worker.js';
import { ffmpegPath, ffprobePath, generateSource } from '../sim/live/media.js';
import { startOpenAIServer } from '../sim/live/openai-server.js';
import { median, nowMs, progress, round } from './support/measure.js';
import { startStubProcess } from './support/openai-stub-process.js';
import { deleteKeysWithPrefix, displayUrl, probeRedis, redisUrl } from './support/redis.js';

const { values } = parseArgs({
  options: {
    'latency-ms': { type: 'string', default: '200' },
    reps: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,2,4,8' },
    chunks: { type: 'string', default: '12' },
    'chunk-seconds': { type: 'string', default: '5' },
    store: { type: 'string', default: 'memory' },
    server: { type: 'string', default: 'process' },
    out: { type: 'string' },
    note: { type: 'string' },
  },
});

function positiveInteger(text: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0 || value > max)
    throw new RangeError(`--${name} must be an integer in [1, ${max}], got ${text}`);
  return value;
}

const latencyMs = Number(values['latency-ms']);
if (!Number.isSafeInteger(latencyMs) || latencyMs < 0)
  throw new RangeError(`--latency-ms must be a non-negative integer, got ${values['latency-ms']}`);
const repetitions = positiveInteger(values.reps, 'reps');
const settings = [...new Set(values.concurrency.split(',').map((part) => positiveInteger(part.trim(), 'concurrency')))];
for (const setting of settings)
  if (setting > chunkConcurrencyMax) throw new RangeError(`--concurrency: at most ${chunkConcurrencyMax}`);
const chunkCount = positiveInteger(values.chunks, 'chunks', 500);
const chunkLengthMs = positiveInteger(values['chunk-seconds'], 'chunk-seconds', 600) * 1_000;
const storeKind = values.store;
if (storeKind !== 'memory' && storeKind !== 'redis')
  throw new TypeError(`--store must be memory or redis, got ${storeKind}`);
const serverKind = values.server;
if (serverKind !== 'process' && serverKind !== 'inline')
  throw new TypeError(`--server must be process or inline, got ${serverKind}`);
const apiKey = 'sk-bench-chunk-concurrency';
const ffmpegOrigin = 'of @ffmpeg-installer/ffmpeg';

/** What one job of one setting took. */
interface Sample {
  readonly concurrency: number;
  /** Creation to the end of Worker.runOnce, ms (monotonic clock). */
  readonly wallMs: number;
  /** `transcription_started` to `transcription_completed`, ms (the store's clock, whole ms). */
  readonly transcriptionMs: number;
  /** CPU time of this process (user + system) over the job, ms. */
  readonly cpuMs: number;
  /** Most transcription calls in flight at once. */
  readonly inFlightMax: number;
}

/** What the transcriber saw of one job: calls in flight now and at most, and each call's chunk and result. */
interface Seen {
  now: number;
  max: number;
  readonly calls: { readonly index: number; readonly ok: boolean }[];
}

/** The real transcriber, counting the calls in flight at once and noting each call. */
function counting(inner: Transcriber, seen: Seen): Transcriber {
  return {
    transcribe: async (request) => {
      seen.now += 1;
      seen.max = Math.max(seen.max, seen.now);
      let ok = false;
      try {
        const result = await inner.transcribe(request);
        ok = result.kind === 'ok';
        return result;
      } finally {
        seen.now -= 1;
        seen.calls.push({ index: request.index, ok });
      }
    },
  };
}

interface Rig {
  readonly store: JobStore;
  readonly chunkStore: FsChunkStore;
  readonly media: FfmpegMedia;
  readonly transcriber: OpenAITranscriber;
  readonly source: string;
}

let jobCounter = 0;

/** Creates one job and lets a fresh Worker with `concurrency` process it to its end. */
async function runJob(rig: Rig, concurrency: number): Promise<Sample> {
  jobCounter += 1;
  const jobId = `bench-c${concurrency}-${jobCounter}`;
  const seen: Seen = { now: 0, max: 0, calls: [] };
  const worker = new Worker({
    workerId: `bench-worker-${jobCounter}`,
    store: rig.store,
    chunkStore: rig.chunkStore,
    media: rig.media,
    transcriber: counting(rig.transcriber, seen),
    clock: systemClock,
    random: Math.random,
    limits: { chunkConcurrency: concurrency },
  });
  const startedMs = nowMs();
  const cpuBefore = process.cpuUsage();
  const created = await rig.store.createJob({ jobId, source: rig.source, chunkLengthMs });
  if (created.kind !== 'ok') throw new Error(`createJob ${jobId}: ${created.kind}`);
  const outcome = await worker.runOnce();
  const wallMs = nowMs() - startedMs;
  const cpu = process.cpuUsage(cpuBefore);
  if (outcome !== 'completed') throw new Error(`job ${jobId} ended ${outcome}, not completed`);
  const events = await rig.store.readEvents(jobId);
  const at = (name: string): number => {
    const found = events.filter((event) => event.event === name);
    if (found.length !== 1) throw new Error(`job ${jobId}: ${found.length} ${name} events, expected 1`);
    return found[0]?.timestamp ?? Number.NaN;
  };
  const transcriptionMs = at('transcription_completed') - at('transcription_started');
  const indices = new Set(seen.calls.map((call) => call.index));
  if (seen.calls.length !== chunkCount || indices.size !== chunkCount || seen.calls.some((call) => !call.ok))
    throw new Error(`job ${jobId}: ${seen.calls.length} calls for ${indices.size} chunks, expected one per chunk`);
  return { concurrency, wallMs, transcriptionMs, cpuMs: (cpu.user + cpu.system) / 1_000, inFlightMax: seen.max };
}

function spread(samples: readonly number[]): string {
  const fixed = (value: number) => Math.round(value).toLocaleString('en-US');
  return `${fixed(median(samples))} (${fixed(Math.min(...samples))}–${fixed(Math.max(...samples))})`;
}

function ratioText(value: number): string {
  return `${round(value, 2).toFixed(2)}×`;
}

/** The report: settings as rows, medians with the smallest and largest sample, ratios against the first setting. */
function report(samples: readonly Sample[], machine: string, command: string): string {
  const where = serverKind === 'inline' ? 'in the measured process, sharing its event loop' : 'in a process of its own';
  const base = settings[0] ?? 1;
  const of = (concurrency: number) => samples.filter((sample) => sample.concurrency === concurrency);
  const baseSamples = of(base);
  const baseWall = median(baseSamples.map((sample) => sample.wallMs));
  const baseTranscription = median(baseSamples.map((sample) => sample.transcriptionMs));
  const lines = [
    '# Transcriptions in flight per job (limits.chunkConcurrency)',
    '',
    `One job of ${chunkCount} chunks of ${chunkLengthMs / 1_000} s (a ${(chunkCount * chunkLengthMs) / 1_000} s sine ` +
      `WAV, 16 kHz mono) processed by one real Worker: real ffmpeg, chunk files on a temporary directory ` +
      `(FsChunkStore), the ${storeKind === 'redis' ? 'Redis' : 'memory'} job store, and the OpenAI adapter (the ` +
      '`openai` SDK) against a local stand-in of the transcription endpoint that answers each call after ' +
      `${latencyMs} ms (${where}). ${repetitions} repetition${repetitions === 1 ? '' : 's'} of each setting, ` +
      `played in turn (${settings.join(', ')}, then ` +
      'again) after one warm-up job; median (smallest–largest) in ms.',
    '',
    '```bash',
    command,
    '```',
    '',
    `Machine: ${machine}.`,
    '',
    `| chunkConcurrency | job wall, ms | transcription phase, ms | rest of the job, ms | floor of the phase, ms | ` +
      'above the floor per round, ms | process CPU per job, ms | calls in flight | ' +
      `wall vs ${base} | transcription vs ${base} |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const concurrency of settings) {
    const mine = of(concurrency);
    const wall = mine.map((sample) => sample.wallMs);
    const transcription = mine.map((sample) => sample.transcriptionMs);
    const rest = mine.map((sample) => sample.wallMs - sample.transcriptionMs);
    const rounds = Math.ceil(chunkCount / concurrency);
    const floorMs = rounds * latencyMs;
    const abovePerRound = Math.round((median(transcription) - floorMs) / rounds);
    const inFlight = [...new Set(mine.map((sample) => sample.inFlightMax))].sort((a, b) => a - b).join(', ');
    lines.push(
      `| ${concurrency} | ${spread(wall)} | ${spread(transcription)} | ${spread(rest)} | ` +
        `${floorMs.toLocaleString('en-US')} | ${abovePerRound} | ${spread(mine.map((sample) => sample.cpuMs))} | ` +
        `${inFlight} | ${ratioText(baseWall / median(wall))} | ` +
        `${ratioText(baseTranscription / median(transcription))} |`,
    );
  }
  lines.push('');
  lines.push(
    `Ratios are the median of ${base} over the median of the row (above 1: faster). The floor of the phase is ` +
      `ceil(${chunkCount} / chunkConcurrency) × ${latencyMs} ms, the stand-in's latency alone; the phase's ` +
      'timestamps come from the job store in whole ms. Above the floor per round: the median phase less the floor, ' +
      'over the rounds of calls (ceil(chunks / chunkConcurrency)): what each call costs besides the latency (upload, ' +
      "the stand-in's parse, the chunk read, the commit), paid one after another where calls share a round. " +
      'The rest of the job is the wall time less the phase: probe, ' +
      'extraction of every chunk (one ffmpeg run each, before the plan is written), the plan, and the clean-up. ' +
      "Process CPU is the measured process's alone (the worker, the SDK, the store; not ffmpeg, not a stand-in of " +
      'its own process).',
  );
  const paired = (concurrency: number) =>
    baseSamples.flatMap((one, index) => {
      const other = of(concurrency)[index];
      return other === undefined ? [] : [one.transcriptionMs / other.transcriptionMs];
    });
  for (const concurrency of settings.filter((setting) => setting !== base)) {
    const ratios = paired(concurrency);
    lines.push('');
    lines.push(
      `Transcription phase, ${base} over ${concurrency}, repetition by repetition: ` +
        `${ratios.map(ratioText).join(', ')} (median ${ratioText(median(ratios))}; ideal ` +
        `${ratioText(Math.ceil(chunkCount / base) / Math.ceil(chunkCount / concurrency))}).`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const directory = await mkdtemp(path.join(tmpdir(), 'chunkwise-bench-chunks-'));
  const server =
    serverKind === 'inline'
      ? await startOpenAIServer({ apiKey, latencyMs: () => latencyMs })
      : await startStubProcess(apiKey, latencyMs);
  let close = async (): Promise<void> => {};
  try {
    let store: JobStore;
    let storeNote = 'memory store';
    if (storeKind === 'redis') {
      const probe = await probeRedis();
      if (!probe.available) throw new Error(probe.reason);
      const redis = createRedisClient(redisUrl, { connectionName: 'chunkwise-bench-chunks' });
      const keyPrefix = `chunkwise-bench-chunks-${randomBytes(4).toString('hex')}:`;
      const redisStore = new RedisJobStore({ redis, keyPrefix });
      store = redisStore;
      storeNote = `Redis ${probe.version ?? '?'} at ${displayUrl(redisUrl)}`;
      close = async () => {
        await redisStore.close();
        await deleteKeysWithPrefix(redis, keyPrefix);
        redis.disconnect();
      };
    } else {
      store = new MemoryJobStore(systemClock);
    }
    const chunkStore = new FsChunkStore({ root: path.join(directory, 'chunks') });
    const media = new FfmpegMedia({ chunkStore, ffmpegPath: ffmpegPath(), ffprobePath: ffprobePath() });
    if (media.effectiveChunkLengthMs(chunkLengthMs) !== chunkLengthMs)
      throw new RangeError(`chunks of ${chunkLengthMs} ms exceed the upload limit`);
    const sources = path.join(directory, 'sources');
    await mkdir(sources, { recursive: true });
    const source = await generateSource(sources, 'sine', chunkCount * chunkLengthMs, 0);
    const transcriber = new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 60_000, logLevel: 'off' });
    const rig: Rig = { store, chunkStore, media, transcriber, source: source.path };

    const loadBefore = loadavg()
      .map((value) => value.toFixed(2))
      .join(', ');
    progress(`warm-up job (chunkConcurrency ${Math.max(...settings)})`);
    await runJob(rig, Math.max(...settings));
    const samples: Sample[] = [];
    for (let repetition = 1; repetition <= repetitions; repetition += 1) {
      for (const concurrency of settings) {
        const sample = await runJob(rig, concurrency);
        samples.push(sample);
        progress(
          `repetition ${repetition}/${repetitions}, chunkConcurrency ${concurrency}: ` +
            `wall ${Math.round(sample.wallMs)} ms, ` +
            `transcription ${sample.transcriptionMs} ms, ${sample.inFlightMax} in flight`,
        );
      }
    }
    const loadAfter = loadavg()
      .map((value) => value.toFixed(2))
      .join(', ');
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const machine =
      `${availableParallelism()} cores${values.note === undefined ? '' : ` (${values.note})`}, ${cpu}; ` +
      `load average ${loadBefore} before, ${loadAfter} after; Node ${process.version}, ${process.platform}; ` +
      `${storeNote}; ffmpeg ${ffmpegPath() === process.env['FFMPEG_PATH'] ? 'from FFMPEG_PATH' : ffmpegOrigin}`;
    const command = [
      'npx tsx bench/chunk-concurrency.ts',
      ...process.argv.slice(2).map((part) => (/^[\w./,=-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`)),
    ].join(' ');
    const text = report(samples, machine, command);
    process.stdout.write(text);
    if (values.out !== undefined) {
      await writeFile(values.out, text);
      progress(`written to ${values.out}`);
    }
  } finally {
    await close();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
