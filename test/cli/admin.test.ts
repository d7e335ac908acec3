/**
 * The operator's commands (src/cli/admin.ts) and the status fields, run through the dispatcher (bin/main.ts) with an
 * injected io against a real Redis under a random key prefix: list, counts, result, retry, cancel (the worker holding
 * the lease has its next write refused), remove (a leased job only with --force), status (lease, stalled since,
 * last error); usage errors name the flag (64); an unreachable job store is one line (69).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../bin/main.js';
import { RedisJobStore } from '../../src/adapters/redis/index.js';
import { chooseLogFormat, formatLogLine } from '../../src/cli/logging.js';
import { chunkPlan } from '../contracts/job-store.contract.js';
import {
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../support/redis.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('operator commands without a store', () => {
  it('an unreachable job store is one line naming it, exit 69', async () => {
    for (const command of [['list'], ['counts'], ['result', 'job-1'], ['status', 'job-1'], ['remove', 'job-1']]) {
      const ran = await run([...command, '--store', 'redis://127.0.0.1:1']);
      expect(ran.code, command[0]).toBe(69);
      expect(ran.stderr).toMatch(
        /^chunkwise \w+: the job store at redis:\/\/127\.0\.0\.1:1 does not answer: .*ECONNREFUSED/,
      );
      expect(ran.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a worker whose job store does not answer exits 69 before it claims anything', async () => {
    const key = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-test';
    try {
      const ran = await run(['worker', '--chunks-dir', '/tmp/chunkwise-never', '--store', 'redis://127.0.0.1:1']);
      expect(ran).toEqual({
        code: 69,
        stdout: '',
        stderr: expect.stringMatching(
          /^chunkwise worker: the job store at redis:\/\/127\.0\.0\.1:1 does not answer: .*\n$/,
        ),
      });
    } finally {
      if (key === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = key;
    }
  });

  it('usage errors name the flag and exit 64', async () => {
    const state = await run(['list', '--state', 'done']);
    expect(state.code).toBe(64);
    expect(state.stderr).toContain('--state must be one of queued, chunking, transcribing, finalizing, completed');
    expect((await run(['list', '--limit', '0'])).stderr).toContain('--limit must be a positive integer');
    expect((await run(['retry'])).stderr).toContain('retry needs a JOB_ID');
    expect((await run(['cancel', 'not a job id'])).stderr).toContain('JOB_ID must match');
    const chunk = await run(['submit', 'package.json', '--chunk-length-ms', '500']);
    expect(chunk.code).toBe(64);
    expect(chunk.stderr).toMatch(/^chunkwise submit: --chunk-length-ms must be at least 1000 and at most 3600000/);
    expect(chunk.stderr).not.toContain('requestedMs');
    const port = await run(['worker', '--chunks-dir', '/tmp/x', '--metrics-port', '70000']);
    expect([port.code, port.stderr]).toEqual([64, expect.stringContaining('--metrics-port must be a TCP port')]);
    const prefix = await run(['list', '--key-prefix', 'a{b}']);
    expect([prefix.code, prefix.stderr]).toEqual([
      64,
      expect.stringMatching(/^chunkwise list: --key-prefix must be a string/),
    ]);
    const url = await run(['counts', '--store', 'redis-cluster://host-without-port']);
    expect([url.code, url.stderr]).toEqual([
      64,
      expect.stringMatching(/^chunkwise counts: --store: invalid Redis URL/),
    ]);
    const key = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = 'sk-test';
    try {
      const model = await run(['worker', '--chunks-dir', '/tmp/x', '--model', 'whisper-2']);
      expect([model.code, model.stderr]).toEqual([
        64,
        expect.stringMatching(/^chunkwise worker: --model must be one of/),
      ]);
      delete process.env.OPENAI_API_KEY;
      const missing = await run(['worker', '--chunks-dir', '/tmp/x']);
      expect(missing).toEqual({
        code: 78,
        stdout: '',
        stderr: 'chunkwise worker: transcriber openai: apiKey is missing: pass options.apiKey or set OPENAI_API_KEY\n',
      });
    } finally {
      if (key === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = key;
    }
    const format = await run(['worker', '--chunks-dir', '/tmp/x', '--log-format', 'xml']);
    expect([format.code, format.stderr]).toEqual([
      64,
      expect.stringContaining('--log-format must be one of text, json'),
    ]);
  });

  it('every operator command has --help; help lists them', async () => {
    for (const command of ['list', 'counts', 'result', 'retry', 'cancel', 'remove']) {
      const help = await run([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`chunkwise ${command}`);
    }
    expect((await run(['--help'])).stdout).toMatch(/list .*\n.*counts/);
  });

  it('log lines: text on a terminal, JSON otherwise, --log-format wins', () => {
    expect(chooseLogFormat(undefined, true)).toBe('text');
    expect(chooseLogFormat(undefined, undefined)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const line = { workerId: 'w1', what: 'claimed', jobId: 'job-1', detail: 'new' };
    expect(formatLogLine('text', line, at)).toBe('2026-01-02T03:04:05.000Z w1 claimed job-1: new\n');
    expect(JSON.parse(formatLogLine('json', line, at))).toEqual({ t: '2026-01-02T03:04:05.000Z', ...line });
  });
});

const probe = await realRedis();

describeWithRedis('operator commands on a real Redis', probe, () => {
  const prefix = randomPrefix('cli-admin');
  const client = connectRealRedis();
  const store = new RedisJobStore({ redis: client, keyPrefix: prefix });
  const flags = ['--store', probe.url, '--key-prefix', prefix];
  afterEach(() => deleteKeysWithPrefix(client, prefix));
  afterAll(() => client.quit());

  const create = async (jobId: string) => {
    await store.createJob({ jobId, source: `/media/${jobId}.wav`, chunkLengthMs: 1_000 });
  };
  const start = async (jobId: string, workerId: string, chunks: number, leaseMs = 60_000) => {
    const claimed = await store.claimJob({ jobId, workerId, leaseMs, recoveryAttemptsMax: 3, requestId: `c-${jobId}` });
    if (claimed.kind !== 'ok') throw new Error(claimed.kind);
    const fenced = { jobId, workerId, epoch: claimed.job.epoch };
    await store.recordChunkPlan({
      ...fenced,
      requestId: 'plan',
      durationMs: chunks * 1_000,
      chunks: chunkPlan(chunks),
    });
    return fenced;
  };

  it('list, counts, result, retry and remove of a small history', async () => {
    await create('job-done');
    const done = await start('job-done', 'w1', 2);
    for (const index of [1, 0])
      await store.commitChunk({ ...done, requestId: `k${index}`, index, transcript: `part ${index}` });
    await store.completeJob({ ...done, requestId: 'complete' });
    await create('job-bad');
    const bad = await start('job-bad', 'w1', 2);
    await store.commitChunk({ ...bad, requestId: 'k0', index: 0, transcript: 'kept' });
    await store.failJob({ ...bad, requestId: 'fail', reason: 'transcription_failed', message: 'API down' });
    await create('job-new');

    const listed = await run(['list', ...flags]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+STATE\s+CHUNKS\s+RECOVERIES\s+OWNER\s+LEASE\s+UPDATED$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['job-new', 'queued', '0/0'],
      ['job-bad', 'failed', '(transcription_failed)'],
      ['job-done', 'completed', '2/2'],
    ]);
    const failedOnly = JSON.parse((await run(['list', '--state', 'failed', '--json', ...flags])).stdout) as unknown[];
    expect(failedOnly).toMatchObject([{ jobId: 'job-bad', failure: { reason: 'transcription_failed' } }]);
    expect(JSON.parse((await run(['list', '--limit', '1', '--json', ...flags])).stdout)).toHaveLength(1);
    expect(JSON.parse((await run(['counts', '--json', ...flags])).stdout)).toMatchObject({
      queued: 1,
      completed: 1,
      failed: 1,
      total: 3,
    });

    expect(await run(['result', 'job-done', ...flags])).toEqual({ code: 0, stdout: 'part 0 part 1\n', stderr: '' });
    const json = JSON.parse((await run(['result', 'job-done', '--json', ...flags])).stdout) as unknown;
    expect(json).toMatchObject({ transcript: 'part 0 part 1', chunks: [{ index: 0, text: 'part 0' }, { index: 1 }] });
    const notDone = await run(['result', 'job-bad', ...flags]);
    expect([notDone.code, notDone.stderr]).toEqual([
      1,
      'chunkwise result: job job-bad is failed, not completed: it has no transcript yet\n',
    ]);
    expect((await run(['result', 'job-nope', ...flags])).stderr).toBe('chunkwise result: no job job-nope\n');

    const retried = await run(['retry', 'job-bad', '--message', 'API is back', ...flags]);
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(retried.stdout).toContain('job job-bad retried: back in transcribing under epoch 2');
    expect(await store.getJob('job-bad')).toMatchObject({ phase: 'transcribing', leaseExpiresAtMs: 0, failure: null });
    expect((await store.readEvents('job-bad')).at(-1)).toMatchObject({
      event: 'job_retried',
      previous_reason: 'transcription_failed',
      message: 'API is back',
      worker_id: expect.stringMatching(/^operator:/),
    });
    expect(await store.listRecoverableJobs(10)).toContain('job-bad');
    const again = await run(['retry', 'job-done', ...flags]);
    expect([again.code, again.stderr]).toEqual([
      1,
      'chunkwise retry: job job-done is completed: only a failed job can be retried\n',
    ]);

    expect(await run(['remove', 'job-done', ...flags])).toEqual({
      code: 0,
      stdout: 'job job-done removed\n',
      stderr: '',
    });
    expect(await store.getJob('job-done')).toBeNull();
    expect((await run(['remove', 'job-done', ...flags])).code).toBe(1);
  });

  it('cancel fences out the worker holding the lease; remove refuses a leased job unless --force', async () => {
    await create('job-live');
    const live = await start('job-live', 'w1', 3);
    const refused = await run(['remove', 'job-live', ...flags]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/job job-live is leased by w1 until .*; --force removes it anyway/);
    expect(await store.getJob('job-live')).not.toBeNull();

    const cancelled = await run(['cancel', 'job-live', '--message', 'wrong file', ...flags]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(
      /job job-live cancelled: failed under epoch 2; w1 held its lease until .* fenced out/,
    );
    expect(await store.commitChunk({ ...live, requestId: 'late', index: 0, transcript: 'late' })).toEqual({
      kind: 'stale_epoch',
      epoch: 2,
    });
    expect(await store.renewLease({ ...live, leaseMs: 60_000 })).toMatchObject({ kind: 'stale_epoch' });
    const status = JSON.parse((await run(['status', 'job-live', '--json', ...flags])).stdout) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      phase: 'failed',
      cancelled: true,
      leaseOwner: null,
      lastError: expect.stringMatching(/^cancelled by operator:.*: wrong file$/),
    });
    expect(status['lastEvents']).toEqual([
      '1 chunks_created',
      '2 transcription_started',
      '3 job_cancelled',
      '4 job_failed',
    ]);
    expect((await run(['cancel', 'job-live', ...flags])).stderr).toContain('a finished job cannot be cancelled');

    await create('job-held');
    await start('job-held', 'w2', 1);
    expect(await run(['remove', 'job-held', '--force', ...flags])).toMatchObject({ code: 0 });
    expect(await store.getJob('job-held')).toBeNull();
  });

  it('a job with corrupt state is one line naming the job (exit 1); remove still deletes it', async () => {
    await create('job-bent');
    await client.hset(store.keys('job-bent').state, 'epoch', 'many');
    const status = await run(['status', 'job-bent', ...flags]);
    expect([status.code, status.stderr]).toEqual([
      1,
      expect.stringMatching(/^chunkwise status: job job-bent has corrupt stored state: .*epoch/),
    ]);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse((await run(['list', '--state', 'corrupt', '--json', ...flags])).stdout)).toMatchObject([
      { jobId: 'job-bent', phase: 'corrupt', problem: expect.stringContaining('epoch') },
    ]);
    expect((await run(['remove', 'job-bent', ...flags])).code).toBe(0);
    expect(await client.exists(store.keys('job-bent').state)).toBe(0);
  });

  it('status: created and updated times, the lease, stalled since a lease ran out, the last chunk error', async () => {
    await create('job-again');
    const failed = await start('job-again', 'w7', 2);
    await store.failJob({
      ...failed,
      requestId: 'f',
      reason: 'transcription_failed',
      message: 'API down',
      chunkIndex: 1,
      retryable: true,
    });
    expect((await run(['retry', 'job-again', ...flags])).code).toBe(0);
    expect(JSON.parse((await run(['status', 'job-again', '--json', ...flags])).stdout)).toMatchObject({
      phase: 'transcribing',
      failure: null,
      released: true,
      retries: 1,
      lastError: 'chunk 1: API down',
    });
    await create('job-s2');
    const held = await start('job-s2', 'w8', 2, 200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const status = JSON.parse((await run(['status', 'job-s2', '--json', ...flags])).stdout) as Record<string, unknown>;
    const job = await store.getJob('job-s2');
    expect(status).toMatchObject({
      phase: 'transcribing',
      leaseOwner: 'w8',
      leaseExpiresAt: new Date(job?.leaseExpiresAtMs ?? 0).toISOString(),
      stalledSince: new Date(job?.leaseExpiresAtMs ?? 0).toISOString(),
      createdAt: new Date(job?.createdAtMs ?? 0).toISOString(),
      recoveries: 0,
      handovers: 0,
      retries: 0,
    });
    const text = await run(['status', 'job-s2', ...flags]);
    expect(text.stdout).toContain(`stalledSince: ${String(status['stalledSince'])}`);
    expect(held.epoch).toBe(1);
    const listed = await run(['list', '--state', 'transcribing', ...flags]);
    expect(listed.stdout).toMatch(/job-s2 .* w8 +stalled since /);
    // Handed over: released by its owner and claimed by another, a recovery that is a hand-over.
    await store.releaseJob({ jobId: 'job-s2', workerId: 'w8', epoch: held.epoch, requestId: 'release-s2' });
    const claim = { jobId: 'job-s2', workerId: 'w9', leaseMs: 60_000, recoveryAttemptsMax: 5, requestId: 'claim-s2' };
    expect(await store.claimJob(claim)).toMatchObject({ kind: 'ok', recovery: true });
    const after = JSON.parse((await run(['status', 'job-s2', '--json', ...flags])).stdout) as Record<string, unknown>;
    expect(after).toMatchObject({ leaseOwner: 'w9', recoveries: 1, handovers: 1, stalledSince: null });
  });
});
