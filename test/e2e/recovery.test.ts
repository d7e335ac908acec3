/**
 * End to end on the real parts: real ffmpeg on generated audio, real chunk files, the real openai
 * SDK against a local OpenAI-compatible server, and the Redis adapter (a real server when one
 * answers, else ioredis-mock). A worker dies mid-job (every port of it hangs from then on, as in a
 * SIGKILL); a second worker recovers the job; then the promises are checked on what really
 * happened: the stored events, the server's request log and the chunk directory. A second test
 * feeds bad input and shows each job failing with a reason while the worker keeps running.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { FfmpegMedia } from '../../src/adapters/ffmpeg/index.js';
import { FsChunkStore } from '../../src/adapters/fs/index.js';
import { OpenAITranscriber } from '../../src/adapters/openai/index.js';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import type { ChunkStore, JobStore, Media, Transcriber } from '../../src/ports.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Worker } from '../../src/runtime/worker.js';
import {
  emptyFile,
  nonMediaFile,
  sineWav,
  testFfmpegPath,
  testFfprobePath,
  useTempDirectories,
  videoWithoutAudio,
} from '../support/media.js';
import { dyingAfterCommits, until } from '../support/e2e.js';
import { startOpenAIServer, transcriptFor, type FakeOpenAIServer } from '../support/openai-server.js';
import {
  connectMockRedis,
  connectRealRedis,
  deleteKeysWithPrefix,
  randomPrefix,
  realRedis,
  redisRequired,
} from '../support/redis.js';

const apiKey = 'sk-e2e-test-key';
const limits = {
  leaseDurationMs: 1_500,
  leaseRenewIntervalMs: 400,
  idlePollIntervalMs: 100,
  sweepIntervalMs: 500,
  retryDelayBaseMs: 50,
  retryDelayMaxMs: 400,
};
const temp = useTempDirectories('chunkwise-e2e-');
const probe = await realRedis();

interface Rig {
  redis: Redis;
  prefix: string;
  store: RedisJobStore;
  chunkStore: FsChunkStore;
  media: FfmpegMedia;
  server: FakeOpenAIServer;
  transcriber: OpenAITranscriber;
  directory: string;
}

let rig: Rig;

beforeEach(async () => {
  if (!probe.available && redisRequired)
    throw new Error(`no Redis at ${probe.url} (CHUNKWISE_REQUIRE_REDIS=1): ${probe.reason}`);
  const directory = await temp.make();
  const redis = probe.available ? connectRealRedis() : connectMockRedis();
  const prefix = randomPrefix('e2e');
  const chunkStore = new FsChunkStore({ root: path.join(directory, 'chunks') });
  const media = new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), ffprobePath: testFfprobePath() });
  const server = await startOpenAIServer({ apiKey });
  const transcriber = new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 5_000, logLevel: 'off' });
  rig = {
    redis,
    prefix,
    store: new RedisJobStore({ redis, keyPrefix: prefix }),
    chunkStore,
    media,
    server,
    transcriber,
    directory,
  };
});

afterEach(async () => {
  await rig.server.close();
  await deleteKeysWithPrefix(rig.redis, rig.prefix);
  rig.redis.disconnect();
});

function workerOn(
  id: string,
  ports: { store: JobStore; chunkStore: ChunkStore; media: Media; transcriber: Transcriber },
): Worker {
  return new Worker({ workerId: id, ...ports, clock: systemClock, random: Math.random, limits });
}

function chunkIndexOf(fileName: string | null): number {
  const match = /chunk-(\d+)\.wav$/.exec(fileName ?? '');
  return match === null ? -1 : Number(match[1]);
}

describe(`a worker dies mid-job and another recovers it (${probe.available ? 'real Redis' : 'ioredis-mock'})`, () => {
  it('keeps the promises on real ffmpeg, files, SDK and Redis', async () => {
    const source = await sineWav(rig.directory, { seconds: 35 });
    const jobId = 'e2e-job';
    await rig.store.createJob({ jobId, source, chunkLengthMs: rig.media.effectiveChunkLengthMs(5_000) });

    const { ports, dead } = dyingAfterCommits(rig, 2);
    const workerA = workerOn('worker-a', ports);
    void workerA.run();
    await until(async () => dead.value, 30_000, 'worker A to commit two chunks');

    const workerB = workerOn('worker-b', {
      store: rig.store,
      chunkStore: rig.chunkStore,
      media: rig.media,
      transcriber: rig.transcriber,
    });
    const runB = workerB.run();
    try {
      await until(async () => (await rig.store.getJob(jobId))?.phase === 'completed', 30_000, 'the job to complete');
    } finally {
      workerB.stop();
      await runB;
    }

    const job = await rig.store.getJob(jobId);
    const events: JobEvent[] = await rig.store.readEvents(jobId);
    expect(job?.phase).toBe('completed');
    expect(job?.chunks.length).toBe(7);

    // P5: gapless seqs, every event valid, one recovery attempt opened, resumed and completed.
    expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
    for (const event of events) expect(parseEvent(event)).toEqual(event);
    const recovery = events.filter(
      (event) => event.event.startsWith('recovery_') || event.event === 'processing_resumed',
    );
    expect(recovery.map((event) => event.event)).toEqual([
      'recovery_started',
      'processing_resumed',
      'recovery_completed',
    ]);
    expect(recovery[0]).toMatchObject({
      previous_owner: 'worker-a',
      worker_id: 'worker-b',
      phase: 'transcribing',
      recovery_type: 'lease_expired',
    });
    expect(recovery[1]).toMatchObject({ completed_chunks: 2, remaining_chunks: 5 });

    // P2: no transcription request for a chunk reached the server after that chunk's commit.
    const committedAt = new Map(
      events.flatMap((event) =>
        event.event === 'chunk_transcribed' ? [[event.chunk_index, event.timestamp] as const] : [],
      ),
    );
    for (const request of rig.server.requests) {
      const at = committedAt.get(chunkIndexOf(request.fileName));
      if (at !== undefined) expect(request.atMs, `request for ${request.fileName}`).toBeLessThanOrEqual(at);
    }
    const requested = rig.server.requests.map((request) => chunkIndexOf(request.fileName));
    expect(requested.filter((index) => index === 0 || index === 1)).toEqual([0, 1]);

    // P3, P7: one commit per chunk, each text the server's transcription of the chunk's bytes.
    expect([...committedAt.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const chunk of job?.chunks ?? []) {
      const request = rig.server.requests.find(
        (entry) => chunkIndexOf(entry.fileName) === chunk.index && entry.status === 200,
      );
      expect(chunk.transcript).toBe(transcriptFor(request?.fileName ?? '', chunk.sha256));
    }
    // P6: progress never goes down and ends at 100.
    const progress = events.flatMap((event) => (event.event === 'progress_update' ? [event.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    // P8: no file of the job remains, partial files of the dead worker included.
    expect(await readdir(rig.chunkStore.root).catch(() => [])).toEqual([]);
  }, 90_000);
});

describe('bad input fails the job with a reason, and the worker keeps running', () => {
  it('fails non-media, empty, silent-video and missing sources and a non-transcription reply; then completes a good job', async () => {
    const sources = {
      'not-media': await nonMediaFile(rig.directory),
      empty: await emptyFile(rig.directory),
      'no-audio': await videoWithoutAudio(rig.directory),
      missing: path.join(rig.directory, 'nowhere.wav'),
      'bad-reply': await sineWav(rig.directory, { seconds: 3, name: 'short.wav' }),
      good: await sineWav(rig.directory, { seconds: 8, name: 'good.wav' }),
    };
    for (const [jobId, source] of Object.entries(sources)) {
      await rig.store.createJob({ jobId, source, chunkLengthMs: 5_000 });
      if (jobId === 'bad-reply') break;
    }
    rig.server.inject({ kind: 'not_transcription', body: '{"hello":"world"}', contentType: 'application/json' });
    const worker = workerOn('worker-c', {
      store: rig.store,
      chunkStore: rig.chunkStore,
      media: rig.media,
      transcriber: rig.transcriber,
    });
    const run = worker.run();
    try {
      const bad = ['not-media', 'empty', 'no-audio', 'missing', 'bad-reply'];
      await until(
        async () =>
          (await Promise.all(bad.map((jobId) => rig.store.getJob(jobId)))).every((job) => job?.phase === 'failed'),
        30_000,
        'the bad jobs to fail',
      );
      await rig.store.createJob({ jobId: 'good', source: sources.good, chunkLengthMs: 5_000 });
      await until(
        async () => (await rig.store.getJob('good'))?.phase === 'completed',
        30_000,
        'the good job to complete',
      );
    } finally {
      worker.stop();
      await run;
    }
    const reasons: Record<string, string | undefined> = {};
    for (const jobId of ['not-media', 'empty', 'no-audio', 'missing', 'bad-reply']) {
      const job = await rig.store.getJob(jobId);
      expect(job?.phase, jobId).toBe('failed');
      reasons[jobId] = job?.failure?.reason;
      const last = (await rig.store.readEvents(jobId)).filter((event) => event.event === 'job_failed');
      expect(last, jobId).toHaveLength(1);
    }
    expect(reasons).toEqual({
      'not-media': 'media_invalid',
      empty: 'media_invalid',
      'no-audio': 'media_invalid',
      missing: 'source_missing',
      'bad-reply': 'transcription_rejected',
    });
    expect(await readdir(rig.chunkStore.root).catch(() => [])).toEqual([]);
  }, 90_000);
});
