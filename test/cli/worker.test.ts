/**
 * `chunkwise worker` as a process (node bin/chunkwise.js) on a real Redis under a random key prefix: the preflight
 * refuses to start without ffprobe (exit 69) or with a key the API rejects (exit 78), in one line, leaving queued jobs
 * as they were; a worker with --metrics-port transcribes a small real job (ffmpeg, the local stand-in for the
 * OpenAI API), failed once and retried, while its Prometheus endpoint counts it; an idle worker wakes for a new job
 * on the store's work signal, and SIGTERM mid-transcription commits that chunk, releases, and the process exits within
 * a second of leaving run(); and a job cancelled under a working worker is let go by it without a write.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, expect, it } from 'vitest';
import { main } from '../../bin/main.js';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import type { Job } from '../../src/core/types.js';
import { until } from '../support/e2e.js';
import { sineWav, testFfmpegPath, testFfprobePath, useTempDirectories } from '../support/media.js';
import { startOpenAIServer } from '../support/openai-server.js';
import {
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../support/redis.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const apiKey = 'sk-test-chunkwise-worker-0123456789';

interface Worker {
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  kill(): void;
}

function startWorker(args: readonly string[], environment: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, ['bin/chunkwise.js', 'worker', ...args], {
    cwd: root,
    env: { ...process.env, OPENAI_API_KEY: apiKey, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  return {
    lines,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
    kill: () => child.kill('SIGTERM'),
  };
}

const probe = await realRedis();

describeWithRedis('chunkwise worker as a process (real Redis)', probe, () => {
  const prefix = randomPrefix('cli-worker');
  const client = connectRealRedis();
  const store = new RedisJobStore({ redis: client, keyPrefix: prefix });
  const temporary = useTempDirectories('chunkwise-cli-worker-');
  const flags = ['--store', probe.url, '--key-prefix', prefix];
  const tools = { FFMPEG_PATH: testFfmpegPath(), FFPROBE_PATH: testFfprobePath() };
  afterEach(() => deleteKeysWithPrefix(client, prefix));
  afterAll(() => client.quit());

  /** Two queued jobs and a snapshot of them (state and events) to compare with after the worker. */
  const queued = async () => {
    for (const jobId of ['job-q1', 'job-q2'])
      await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 60_000 });
    return snapshot();
  };
  const snapshot = async () =>
    Promise.all(
      ['job-q1', 'job-q2'].map(async (jobId) => ({
        job: (await store.getJob(jobId)) as Job,
        events: await store.readEvents(jobId),
        indexed: await client.zscore(store.recoverableIndexKey(), jobId),
      })),
    );

  it('without ffprobe it exits 69 with one line naming it, and claims nothing', async () => {
    const before = await queued();
    const chunks = await temporary.make();
    const worker = startWorker(['--chunks-dir', chunks, ...flags], {
      FFMPEG_PATH: testFfmpegPath(),
      FFPROBE_PATH: '/nonexistent/chunkwise/ffprobe',
    });
    expect(await worker.exited).toBe(69);
    expect(worker.stderr()).toBe(
      'chunkwise worker: ffprobe cannot be run at /nonexistent/chunkwise/ffprobe (from FFPROBE_PATH): ENOENT: ' +
        'spawn /nonexistent/chunkwise/ffprobe ENOENT\n',
    );
    expect(worker.lines).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(before.map(({ job }) => [job.phase, job.epoch, job.owner])).toEqual([
      ['queued', 0, null],
      ['queued', 0, null],
    ]);
  });

  it('with a key the API rejects (401) it exits 78 with one line, and claims nothing', async () => {
    const before = await queued();
    const api = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const worker = startWorker(
        [
          '--chunks-dir',
          await temporary.make(),
          '--openai-base-url',
          `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`,
          ...flags,
        ],
        tools,
      );
      expect(await worker.exited).toBe(78);
      expect(worker.stderr()).toMatch(/^chunkwise worker: the openai API rejected the credentials \(401\): .*\n$/);
      expect(worker.stderr()).not.toContain(apiKey);
      expect(await snapshot()).toEqual(before);
    } finally {
      api.close();
    }
  });

  it('--metrics-port serves Prometheus metrics that count a real small job', async () => {
    const directory = await temporary.make();
    const source = await sineWav(directory, { seconds: 2.5 });
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(['submit', source, '--job-id', 'job-m', '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
    const api = await startOpenAIServer({ apiKey });
    // The first transcription is rejected (400): the job fails; `chunkwise retry` puts it back, and the worker
    // recovers it (a released job) and completes it.
    api.inject({ kind: 'status', status: 400 });
    const worker = startWorker(
      [
        '--chunks-dir',
        await temporary.make(),
        '--openai-base-url',
        api.baseURL,
        '--metrics-port',
        '0',
        '--poll-ms',
        '100',
        '--worker-id',
        'metrics-worker',
        ...flags,
      ],
      tools,
    );
    try {
      await until(async () => worker.lines.some((line) => line.includes('"started"')), 20_000, 'the worker to start');
      // Not a terminal: one JSON object a line.
      const started = JSON.parse(worker.lines.find((line) => line.includes('"started"')) ?? '{}') as {
        metrics?: string;
      };
      expect(started.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      await until(async () => (await store.getJob('job-m'))?.phase === 'failed', 30_000, 'job-m to fail');
      expect(await store.getJob('job-m')).toMatchObject({ failure: { reason: 'transcription_rejected' } });
      expect(await main(['retry', 'job-m', ...flags], quiet)).toBe(0);
      await until(async () => (await store.getJob('job-m'))?.phase === 'completed', 30_000, 'job-m to complete');
      const scrape = async () => (await fetch(started.metrics ?? '')).text();
      await until(async () => /chunkwise_jobs_total\{outcome="completed"\} 1/.test(await scrape()), 5_000, 'metrics');
      const text = await scrape();
      const chunks = (await store.getJob('job-m'))?.chunks.length ?? 0;
      expect(chunks).toBeGreaterThanOrEqual(2);
      const value = (series: string) => {
        const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        return line === undefined ? undefined : Number(line.slice(series.length + 1));
      };
      expect(value('chunkwise_jobs_total{outcome="completed"}')).toBe(1);
      expect(value('chunkwise_jobs_total{outcome="failed"}')).toBe(1);
      expect(value('chunkwise_claims_total{kind="new"}')).toBe(1);
      expect(value('chunkwise_claims_total{kind="recovery"}')).toBe(1);
      expect(value('chunkwise_recoveries_total')).toBe(1);
      expect(value('chunkwise_chunk_transcription_seconds_count{result="rejected"}')).toBe(1);
      expect(value('chunkwise_chunk_transcription_seconds_count{result="ok"}')).toBe(chunks);
      expect(value('chunkwise_chunk_transcription_seconds_sum{result="ok"}')).toBeGreaterThan(0);
      expect(value('chunkwise_commits_refused_total{reason="stale_epoch"}')).toBe(0);
      expect(value('chunkwise_lease_renewals_lost_total{reason="stale_epoch"}')).toBe(0);
      expect(text).toContain('# TYPE chunkwise_store_unavailable_total counter');
      expect(text).toContain('chunkwise_process_cpu_seconds_total');
      expect((await fetch(started.metrics?.replace('/metrics', '/') ?? '')).status).toBe(404);
      expect(api.requests.filter((request) => request.status === 200)).toHaveLength(chunks);
      const events = (await store.readEvents('job-m')).map((event) => event.event);
      expect(events.slice(events.indexOf('job_failed'), events.indexOf('job_failed') + 3)).toEqual([
        'job_failed',
        'job_retried',
        'recovery_started',
      ]);
      expect(events).toContain('recovery_completed');

      let transcript = '';
      const result = await main(['result', 'job-m', ...flags], {
        stdout: { write: (text: string) => (transcript += text) },
        stderr: { write: () => true },
      });
      expect(result).toBe(0);
      const job = await store.getJob('job-m');
      expect(transcript).toBe(`${job?.transcript ?? '?'}\n`);
    } finally {
      worker.kill();
      expect(await worker.exited).toBe(0);
      await api.close();
    }
    expect(worker.lines.at(-1)).toContain('"exited"');
  });

  it('an idle worker wakes for a new job at once, and SIGTERM mid-transcription commits that chunk and exits', async () => {
    const directory = await temporary.make();
    const source = await sineWav(directory, { seconds: 2.5 });
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    const api = await startOpenAIServer({ apiKey, latencyMs: () => 1_500 });
    const chunksDir = await temporary.make();
    // A poll interval far beyond the test: only the work signal can wake it in time.
    const args = ['--chunks-dir', chunksDir, '--openai-base-url', api.baseURL, '--poll-ms', '600000', ...flags];
    const first = startWorker([...args, '--worker-id', 'first'], tools);
    let second: Worker | undefined;
    try {
      await until(async () => first.lines.some((line) => line.includes('"started"')), 20_000, 'the worker to start');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const submittedMs = Date.now();
      expect(await main(['submit', source, '--job-id', 'job-s', '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
      const inFlight = () => api.requests.find((request) => request.jobId === 'job-s' && request.index === 0);
      await until(async () => inFlight() !== undefined, 10_000, 'the first transcription');
      // Probe and one extraction of a 1 s chunk take well under a second here; a poll would take 10 minutes.
      expect((inFlight()?.atMs ?? Number.POSITIVE_INFINITY) - submittedMs).toBeLessThan(5_000);
      first.kill();
      const exitedLine = () => first.lines.find((line) => line.includes('"exited"'));
      await until(async () => exitedLine() !== undefined, 10_000, 'the worker to leave run()');
      const leftRunMs = Date.now();
      expect(await first.exited).toBe(0);
      expect(Date.now() - leftRunMs).toBeLessThan(1_000);
      const handedOver = await store.getJob('job-s');
      expect(handedOver?.chunks[0]?.transcript).not.toBeNull();
      expect(handedOver?.leaseExpiresAtMs).toBe(0);
      expect(first.lines.some((line) => line.includes('"released"'))).toBe(true);
      second = startWorker([...args, '--worker-id', 'second'], tools);
      await until(async () => (await store.getJob('job-s'))?.phase === 'completed', 30_000, 'job-s to complete');
      // Each chunk was transcribed once: the one in flight at SIGTERM was committed, not asked for again.
      const requested = api.requests.filter((request) => request.jobId === 'job-s' && request.status === 200);
      const chunks = (await store.getJob('job-s'))?.chunks ?? [];
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(requested.map((request) => request.index)).toEqual(chunks.map((chunk) => chunk.index));
      // The hand-over is a recovery in the events, but no crash recovery counted toward recoveryAttemptsMax.
      const completed = await store.getJob('job-s');
      expect(completed?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
    } finally {
      first.kill();
      second?.kill();
      await first.exited;
      if (second !== undefined) expect(await second.exited).toBe(0);
      await api.close();
    }
  });

  it('SIGTERM with --grace-ms gives up a transcription that outlasts the grace, hands the job over and exits', async () => {
    const directory = await temporary.make();
    const source = await sineWav(directory, { seconds: 1.5, name: 'job-g.wav' });
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(['submit', source, '--job-id', 'job-g', '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
    const api = await startOpenAIServer({ apiKey, latencyMs: () => 60_000 });
    const args = ['--chunks-dir', await temporary.make(), '--openai-base-url', api.baseURL, '--grace-ms', '500'];
    const worker = startWorker([...args, ...flags], tools);
    try {
      await until(async () => api.requests.some((request) => request.jobId === 'job-g'), 20_000, 'a transcription');
      const stoppedMs = Date.now();
      worker.kill();
      expect(await worker.exited).toBe(0);
      // The grace (0.5 s), not the API's minute, bounds the stop.
      expect(Date.now() - stoppedMs).toBeLessThan(5_000);
      const job = await store.getJob('job-g');
      expect(job).toMatchObject({ phase: 'transcribing', leaseExpiresAtMs: 0 });
      expect(job?.chunks.every((chunk) => chunk.transcript === null)).toBe(true);
      const released = worker.lines.find((line) => line.includes('"released"'));
      expect(released).toContain('grace ran out with 1 transcription(s) in flight');
    } finally {
      worker.kill();
      await worker.exited;
      await api.close();
    }
  });

  it('--chunk-concurrency 3 transcribes three chunks of one job at once and assembles them in order', async () => {
    const directory = await temporary.make();
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    const source = await sineWav(directory, { seconds: 3.5, name: 'job-c3.wav' });
    expect(await main(['submit', source, '--job-id', 'job-c3', '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
    const api = await startOpenAIServer({ apiKey, latencyMs: () => 1_000 });
    const worker = startWorker(
      ['--chunks-dir', await temporary.make(), '--openai-base-url', api.baseURL, '--chunk-concurrency', '3', ...flags],
      tools,
    );
    try {
      await until(async () => (await store.getJob('job-c3'))?.phase === 'completed', 30_000, 'the job to complete');
      const job = await store.getJob('job-c3');
      expect(job?.chunks).toHaveLength(3);
      expect(job?.transcript).toBe(job?.chunks.map((chunk) => chunk.transcript).join(' '));
      // The three requests were in flight together (each answer takes 1 s).
      const times = api.requests.filter((request) => request.jobId === 'job-c3').map((request) => request.atMs);
      expect(times).toHaveLength(3);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(1_000);
    } finally {
      worker.kill();
      expect(await worker.exited).toBe(0);
      await api.close();
    }
  });

  it('--concurrency 2 works on two jobs at once, one worker loop each, and stops both on SIGTERM', async () => {
    const directory = await temporary.make();
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    for (const jobId of ['job-p1', 'job-p2']) {
      const source = await sineWav(directory, { seconds: 1.5, name: `${jobId}.wav` });
      expect(await main(['submit', source, '--job-id', jobId, '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
    }
    const api = await startOpenAIServer({ apiKey, latencyMs: () => 1_500 });
    const worker = startWorker(
      [
        '--chunks-dir',
        await temporary.make(),
        '--openai-base-url',
        api.baseURL,
        '--concurrency',
        '2',
        '--worker-id',
        'pair',
        ...flags,
      ],
      tools,
    );
    try {
      const done = async () =>
        (await store.getJob('job-p1'))?.phase === 'completed' && (await store.getJob('job-p2'))?.phase === 'completed';
      await until(done, 30_000, 'both jobs to complete');
      const owners = [(await store.getJob('job-p1'))?.owner, (await store.getJob('job-p2'))?.owner].sort();
      expect(owners).toEqual(['pair.1', 'pair.2']);
      // The two jobs' first transcriptions were in flight together (each answer takes 1.5 s).
      const first = (jobId: string) => api.requests.find((request) => request.jobId === jobId)?.atMs ?? 0;
      expect(Math.abs(first('job-p1') - first('job-p2'))).toBeLessThan(1_500);
    } finally {
      worker.kill();
      expect(await worker.exited).toBe(0);
      await api.close();
    }
    expect(worker.lines.at(-1)).toContain('"exited"');
  });

  it('cancel while a worker transcribes: its next write is refused, it lets the job go, nothing is written after', async () => {
    const directory = await temporary.make();
    const source = await sineWav(directory, { seconds: 2.5 });
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(['submit', source, '--job-id', 'job-c', '--chunk-length-ms', '1000', ...flags], quiet)).toBe(0);
    const api = await startOpenAIServer({ apiKey, latencyMs: () => 1_000 });
    const worker = startWorker(
      ['--chunks-dir', await temporary.make(), '--openai-base-url', api.baseURL, '--poll-ms', '100', ...flags],
      tools,
    );
    try {
      await until(async () => api.requests.some((request) => request.jobId === 'job-c'), 20_000, 'a transcription');
      let said = '';
      expect(
        await main(['cancel', 'job-c', ...flags], {
          stdout: { write: (text: string) => (said += text) },
          stderr: quiet.stderr,
        }),
      ).toBe(0);
      expect(said).toMatch(/job job-c cancelled: failed under epoch 2; .* is fenced out/);
      const stopped = () => worker.lines.find((line) => line.includes('"stopped"') && line.includes('job-c'));
      await until(async () => stopped() !== undefined, 10_000, 'the worker to let the job go');
      expect(JSON.parse(stopped() ?? '{}')).toMatchObject({
        what: 'stopped',
        jobId: 'job-c',
        detail: expect.stringMatching(/^lost/),
      });
      const events = await store.readEvents('job-c');
      expect(events.slice(-2).map((event) => event.event)).toEqual(['job_cancelled', 'job_failed']);
      expect(events.filter((event) => event.event === 'chunk_transcribed')).toEqual([]);
      expect(await store.getJob('job-c')).toMatchObject({ phase: 'failed', epoch: 2, leaseExpiresAtMs: 0 });
    } finally {
      worker.kill();
      expect(await worker.exited).toBe(0);
      await api.close();
    }
  });
});
