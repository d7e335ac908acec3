/**
 * One memory sample for figure 7, in a fresh process (node --expose-gc --import tsx): real Workers
 * in real time process `--jobs` jobs, one worker per job. In `--mode recovery` the first
 * incarnation of every worker crashes mid-transcription (a kill switch: its calls never return, so
 * its lease expires) and a replacement starts, which recovers a job once the lease has run out. In
 * `--mode steady` nothing crashes. process.memoryUsage() is sampled every few ms from just after a
 * forced GC until every job is completed, and every 100 ms a forced full GC measures the live heap
 * (what is still reachable, without the garbage whose collection time decides the raw samples);
 * prints one JSON object.
 *
 *   node --expose-gc --import tsx bench/memory-child.ts --mode steady|recovery [--jobs 6] [--store memory|redis://…]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MemoryChunkStore, MemoryJobStore } from '../src/adapters/memory/index.js';
import type { Limits } from '../src/core/limits.js';
import type { JobStore } from '../src/ports.js';
import { systemClock } from '../src/runtime/clock.js';
import { Worker } from '../src/runtime/worker.js';
import { BenchMedia, BenchTranscriber, KillSwitch, type TranscriptionCall } from './support/fakes.js';
import { deleteKeysWithPrefix } from './support/redis.js';

/** Limits in real time short enough that a crashed owner's lease expires within a second. */
export const memoryLimits: Limits = Object.freeze({
  leaseDurationMs: 1_000,
  leaseRenewIntervalMs: 300,
  recoveryAttemptsMax: 5,
  transcriptionAttemptsMax: 6,
  transcriptionOutageMs: 1_000,
  retryAfterMsMax: 1_000,
  mediaAttemptsMax: 5,
  retryDelayBaseMs: 20,
  retryDelayMaxMs: 200,
  idlePollIntervalMs: 50,
  sweepIntervalMs: 1_000,
  recoverableJobsPageMax: 16,
  chunkConcurrency: 1,
});
/** Chunks per job. */
export const memoryChunks = 30;
/** Bytes of one chunk file. */
export const memoryChunkBytes = 16_000;
/** How often memory is sampled, in ms. */
export const sampleIntervalMs = 5;
/** How often the live heap is measured (a forced full GC, then heapUsed), in ms. */
export const liveHeapIntervalMs = 100;
/** Longest a sample may run, in ms. */
export const sampleWaitMsMax = 60_000;

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    jobs: { type: 'string', default: '6' },
    store: { type: 'string', default: 'memory' },
  },
});
const mode = values.mode;
if (mode !== 'steady' && mode !== 'recovery')
  throw new TypeError(`--mode must be steady or recovery, got ${JSON.stringify(mode)}`);
const jobCount = Number(values.jobs);
if (!Number.isInteger(jobCount) || jobCount < 1)
  throw new RangeError(`--jobs must be a positive integer, got ${JSON.stringify(values.jobs)}`);
const exposedGc = (globalThis as { gc?: () => void }).gc;
if (exposedGc === undefined) throw new Error('run with node --expose-gc');
const gc: () => void = exposedGc;

async function openStore(): Promise<{ store: JobStore; close: () => Promise<void> }> {
  if (values.store === 'memory') return { store: new MemoryJobStore(systemClock), close: async () => {} };
  const { RedisJobStore, createRedisClient } = await import('../src/adapters/redis/index.js');
  const redis = createRedisClient(values.store, { connectionName: 'chunkwise-bench-memory' });
  const keyPrefix = `chunkwise-bench-${randomBytes(4).toString('hex')}:`;
  const store = new RedisJobStore({ redis, keyPrefix });
  return {
    store,
    close: async () => {
      await deleteKeysWithPrefix(redis, keyPrefix);
      await store.close();
      redis.disconnect();
    },
  };
}

function megabytes(bytes: number): number {
  return Math.round((bytes / 1_048_576) * 100) / 100;
}

async function main(): Promise<void> {
  const { store, close } = await openStore();
  const chunkStore = new MemoryChunkStore();
  const media = new BenchMedia(chunkStore, memoryChunkBytes, 1);
  const calls: TranscriptionCall[] = [];
  const jobIds = Array.from({ length: jobCount }, (_, index) => `memory-${index}`);
  for (const jobId of jobIds) {
    const source = `/media/${jobId}.wav`;
    media.durations.set(source, memoryChunks * 1_000);
    await store.createJob({ jobId, source, chunkLengthMs: 1_000 });
  }
  // Only live workers are kept: a crashed one stays referenced by nothing but its never-settling
  // calls, so the GC frees it as the operating system frees a dead process.
  const workers = new Set<Worker>();
  let crashes = 0;
  let recoveries = 0;
  const start = (slot: number, incarnation: number): void => {
    const workerId = `w${slot}-${incarnation}`;
    const kill = new KillSwitch();
    const crashAtCall = mode === 'recovery' && incarnation === 1 ? 4 + ((slot * 7) % (memoryChunks - 8)) : 0;
    let transcriptions = 0;
    const transcriber = new BenchTranscriber(workerId, calls, 5);
    const worker = new Worker({
      workerId,
      store: kill.wrap(store),
      chunkStore: kill.wrap(chunkStore),
      media: kill.wrap(media),
      transcriber: {
        transcribe: async (request) => {
          transcriptions += 1;
          if (transcriptions === crashAtCall && !kill.killed) {
            kill.killed = true;
            workers.delete(worker);
            crashes += 1;
            setTimeout(() => start(slot, incarnation + 1), 100);
          }
          return kill.wrap(transcriber).transcribe(request);
        },
      },
      clock: systemClock,
      random: Math.random,
      limits: memoryLimits,
      log: (entry) => {
        if (entry.what === 'claimed' && entry.detail?.startsWith('recovery') === true) recoveries += 1;
      },
    });
    workers.add(worker);
    void worker.run().catch(() => undefined);
  };
  gc();
  gc();
  const baseline = process.memoryUsage();
  const heap: number[] = [];
  const rss: number[] = [];
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    heap.push(usage.heapUsed);
    rss.push(usage.rss);
  }, sampleIntervalMs);
  const live: number[] = [];
  const liveSampler = setInterval(() => {
    gc();
    live.push(process.memoryUsage().heapUsed);
  }, liveHeapIntervalMs);
  const started = performance.now();
  for (let slot = 0; slot < jobCount; slot += 1) start(slot, 1);
  let completed = 0;
  while (completed < jobCount && performance.now() - started < sampleWaitMsMax) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    completed = 0;
    for (const jobId of jobIds) if ((await store.getJob(jobId))?.phase === 'completed') completed += 1;
  }
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  clearInterval(liveSampler);
  for (const worker of workers) worker.stop();
  await close();
  const summary = (samples: number[]) => ({
    peakMiB: megabytes(Math.max(...samples)),
    meanMiB: megabytes(samples.reduce((sum, value) => sum + value, 0) / samples.length),
  });
  process.stdout.write(
    `${JSON.stringify({
      mode,
      jobs: jobCount,
      chunks: memoryChunks,
      store: values.store === 'memory' ? 'memory' : 'redis',
      completed,
      crashes,
      recoveries,
      transcriptions: calls.length,
      wallMs: Math.round(wallMs),
      samples: heap.length,
      baseline: { heapUsedMiB: megabytes(baseline.heapUsed), rssMiB: megabytes(baseline.rss) },
      heapUsed: summary(heap),
      rss: summary(rss),
      liveHeap: summary(live),
    })}\n`,
  );
}

await main();
process.exit(0);
