/**
 * The service commands (src/cli/service.ts) as functions: argument parsing and usage errors (exit 64 through the
 * dispatcher), the job store and transcriber registries and their errors, and submit + status on a real Redis.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CommandUsageError,
  UnknownBackendError,
  commandUsage,
  createTranscriber,
  jobStoreFactories,
  openJobStore,
  statusCommand,
  storeUrl,
  submitCommand,
  transcriberFactories,
  workerCommand,
} from '../../src/cli/service.js';
import {
  connectRealRedis,
  deleteKeysWithPrefix,
  describeWithRedis,
  randomPrefix,
  realRedis,
} from '../support/redis.js';

/** An io that keeps what a command writes. */
function capture(): { stdout: string; stderr: string; io: Parameters<typeof workerCommand>[1] } {
  const out = { stdout: '', stderr: '' };
  return {
    get stdout() {
      return out.stdout;
    },
    get stderr() {
      return out.stderr;
    },
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    },
  };
}

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});
async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'chunkwise-cli-'));
  directories.push(directory);
  return directory;
}

describe('service commands: --help', () => {
  it.each([
    ['worker', workerCommand],
    ['submit', submitCommand],
    ['status', statusCommand],
  ] as const)('%s --help prints its own usage and exits 0', async (name, command) => {
    const out = capture();
    expect(await command(['--help'], out.io)).toBe(0);
    expect(out.stdout).toBe(commandUsage[name]);
    expect(out.stdout).toContain(`chunkwise ${name}`);
    for (const other of Object.keys(commandUsage).filter((key) => key !== name))
      expect(out.stdout).not.toContain(`chunkwise ${other} `);
  });
});

describe('service commands: usage errors', () => {
  const usageError = async (run: Promise<number>, message: RegExp) => {
    const error = await run.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CommandUsageError);
    expect((error as Error).message).toMatch(message);
  };

  it('worker: a missing --chunks-dir, a bad number, an unknown flag, a stray argument', async () => {
    const { io } = capture();
    await usageError(workerCommand([], io), /--chunks-dir is required/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--lease-ms', '0'], io), /--lease-ms must be a positive/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--poll-ms', '1.5'], io), /--poll-ms/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--bogus'], io), /--bogus/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--concurrency', '0'], io), /--concurrency/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--concurrency', '65'], io), /at most 64, got 65/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--chunk-concurrency', '0'], io), /--chunk-concurrency/);
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', '--grace-ms', '1.5'], io), /--grace-ms must be/);
    await usageError(
      workerCommand(['--chunks-dir', '/tmp/x', '--chunk-concurrency', '33'], io),
      /--chunk-concurrency must be at most 32, got 33/,
    );
    await usageError(workerCommand(['--chunks-dir', '/tmp/x', 'extra'], io), /unexpected argument "extra"/);
  });

  it('--store and --redis together are a usage error; either alone is the URL; REDIS_URL is the default', () => {
    expect(() => storeUrl({ store: 'redis://a:1', redis: 'redis://b:2' })).toThrow(CommandUsageError);
    expect(storeUrl({ store: 'redis://a:1' })).toBe('redis://a:1');
    expect(storeUrl({ redis: 'redis://b:2' })).toBe('redis://b:2');
    expect(storeUrl({})).toBe(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });

  it('submit: no FILE, two FILEs, a chunk length above the limit; a missing file exits 1 naming it', async () => {
    const out = capture();
    await usageError(submitCommand([], out.io), /submit needs a FILE/);
    await usageError(submitCommand(['a', 'b'], out.io), /unexpected argument "b"/);
    const directory = await temporaryDirectory();
    const file = path.join(directory, 'talk.wav');
    await writeFile(file, 'not audio: submit does not read it');
    await usageError(submitCommand([file, '--chunk-length-ms', '999999999'], out.io), /--chunk-length-ms must be at/);
    const missing = path.join(directory, 'missing.wav');
    expect(await submitCommand([missing], out.io)).toBe(1);
    expect(out.stderr).toContain(`${missing} is not a readable file`);
  });

  it('status: no JOB_ID', async () => {
    await usageError(statusCommand([], capture().io), /status needs a JOB_ID/);
  });
});

describe('backend registries', () => {
  it('know redis://, rediss:// and Redis Cluster job stores and the openai transcriber', () => {
    expect([...jobStoreFactories.keys()]).toEqual(['redis:', 'rediss:', 'redis-cluster:', 'rediss-cluster:']);
    expect([...transcriberFactories.keys()]).toEqual(['openai']);
  });

  it('an unknown scheme or a URL without one is a usage error listing the known schemes', async () => {
    for (const url of ['mongodb://db:27017', 'localhost:6379']) {
      const error = await openJobStore({ url }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnknownBackendError);
      expect(error).toBeInstanceOf(CommandUsageError);
      expect((error as Error).message).toContain(
        'known URL schemes: redis://, rediss://, redis-cluster://, rediss-cluster://',
      );
    }
    await expect(openJobStore({ url: 'MONGODB://db' })).rejects.toThrow(/"mongodb:\/\/"/);
  });

  it('a URL with a password is not echoed in the error', async () => {
    await expect(openJobStore({ url: 'postgres://user:secret@db' })).rejects.toThrow(/"postgres:\/\/"/);
    for (const url of ['user:secret@db', 'postgres://user:secret@db']) {
      const error = (await openJobStore({ url }).catch((caught: unknown) => caught)) as Error;
      expect(error).toBeInstanceOf(UnknownBackendError);
      expect(error.message).not.toContain('secret');
    }
  });

  it('an unknown transcriber is a usage error listing the known names', async () => {
    const error = await createTranscriber('whisper-local', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownBackendError);
    expect((error as Error).message).toBe('no transcriber named "whisper-local"; known names: openai');
  });

  it('openai makes an OpenAI transcriber with the flags given; without a key it says so', async () => {
    const key = process.env.OPENAI_API_KEY;
    try {
      process.env.OPENAI_API_KEY = 'sk-test';
      const transcriber = await createTranscriber('openai', { model: 'whisper-1', timeoutMs: 5_000 });
      expect(transcriber).toMatchObject({ model: 'whisper-1', timeoutMs: 5_000 });
      delete process.env.OPENAI_API_KEY;
      await expect(createTranscriber('openai', {})).rejects.toThrow(/OPENAI_API_KEY/);
    } finally {
      if (key === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = key;
    }
  });

  it('the worker refuses an unknown --transcriber before it opens a store', async () => {
    const directory = await temporaryDirectory();
    const error = await workerCommand(
      ['--chunks-dir', directory, '--transcriber', 'nope', '--store', 'redis://127.0.0.1:1'],
      capture().io,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownBackendError);
  });
});

const probe = await realRedis();

describeWithRedis('submit and status through the job store registry (real Redis)', probe, () => {
  const prefix = randomPrefix('cli');
  const client = connectRealRedis();
  afterEach(async () => {
    await deleteKeysWithPrefix(client, prefix);
  });
  afterAll(() => client.quit());

  it('submit prints the job id; status prints the queued job, as JSON too; an unknown job exits 1', async () => {
    const directory = await temporaryDirectory();
    const file = path.join(directory, 'talk.wav');
    await writeFile(file, 'bytes');
    const submitted = capture();
    const args = ['--store', probe.url, '--key-prefix', prefix];
    expect(
      await submitCommand([file, '--job-id', 'job-cli-1', '--chunk-length-ms', '60000', ...args], submitted.io),
    ).toBe(0);
    expect(submitted.stdout).toBe('job-cli-1\n');
    const status = capture();
    expect(await statusCommand(['job-cli-1', '--json', ...args], status.io)).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ jobId: 'job-cli-1', phase: 'queued', progress: 0, epoch: 0 });
    const text = capture();
    expect(await statusCommand(['job-cli-1', '--redis', probe.url, '--key-prefix', prefix], text.io)).toBe(0);
    expect(text.stdout).toContain('phase: queued');
    const unknown = capture();
    expect(await statusCommand(['job-nope', ...args], unknown.io)).toBe(1);
    expect(unknown.stderr).toContain('no job job-nope');
  });
});
