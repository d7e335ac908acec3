/**
 * chunkwise as a user meets it: installed from its packed tarball, imported only through its package exports
 * ('chunkwise', 'chunkwise/sim', 'chunkwise/redis', …), and run through its installed command.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleTranscript, type Job, type TranscribeRequest, type Transcriber } from 'chunkwise';
import { MemoryJobStore } from 'chunkwise/memory';
import { RedisJobStore } from 'chunkwise/redis';
import { jobStoreContract, manualClock } from 'chunkwise/testing';
import {
  assertSimulation,
  chaos,
  checkRun,
  decodeReplay,
  definePromise,
  encodeReplay,
  promises,
  replay,
  simulate,
  SimulationFailure,
} from 'chunkwise/sim';
import { fixture } from './fixture.js';

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the installed `chunkwise` command. */
function chunkwise(args: readonly string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      path.resolve('node_modules/.bin/chunkwise'),
      [...args],
      { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

describe('the installed package', () => {
  it('has no development tool in its runtime dependency tree', async () => {
    const tree = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['ls', '--omit=dev', '--all', '--parseable'], (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      ),
    );
    const names = tree.split('\n').map((line) => line.split(`node_modules${path.sep}`).pop() ?? '');
    expect(names).toContain('chunkwise');
    for (const tool of ['tsx', 'ioredis-mock', 'vitest', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe'])
      expect(names).not.toContain(tool);
  });

  it('chunkwise --version prints the version of its package.json', async () => {
    const manifest = JSON.parse(await readFile('node_modules/chunkwise/package.json', 'utf8')) as { version: string };
    const ran = await chunkwise(['--version']);
    expect(ran).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
  });

  it('every command has --help', async () => {
    for (const command of ['sim', 'chaos', 'worker', 'submit', 'status']) {
      const ran = await chunkwise([command, '--help']);
      expect(ran.code, `${command} --help: ${ran.stderr}`).toBe(0);
      expect(ran.stdout).toMatch(/Usage/);
    }
  });

  it('chunkwise sim plays a campaign on two threads from the compiled code (no tsx installed)', async () => {
    const ran = await chunkwise(['sim', '--runs', '12', '--seed', '3', '--parallel', '2']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('seed 3, 12 runs');
    expect(ran.stdout).toContain('every promise held');
    // ioredis-mock is an optional peer dependency: without it the differential slice is skipped, with a note.
    expect(ran.stderr).toContain('differential slice');
  });

  it('--store ioredis-mock without ioredis-mock says what to install', async () => {
    const ran = await chunkwise(['sim', '--store', 'ioredis-mock', '--runs', '1']);
    expect(ran.code).toBe(64);
    expect(ran.stderr).toContain('install ioredis-mock to use --store ioredis-mock');
  });

  it('chaos --live and sim --coverage say what they need instead of crashing', async () => {
    const live = await chunkwise(['chaos', '--live']);
    expect(live.code).toBe(69);
    expect(live.stderr).toContain('npm install --save-dev @ffmpeg-installer/ffmpeg');
    const coverage = await chunkwise(['sim', '--coverage']);
    expect(coverage.code).toBe(69);
    expect(coverage.stderr).toContain('in a clone of chunkwise');
  });
});

describe('(a) the stock engine under the simulator', () => {
  it('keeps every promise over 40 generated runs (assertSimulation)', async () => {
    const summary = await assertSimulation({ runs: 40, seed: 20_261_130 });
    expect(summary.runs).toBe(40);
    expect(summary.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists the promises it judges', () => {
    expect(promises.map((spec) => spec.id)).toContain('P1');
    expect(promises.every((spec) => typeof spec.title === 'string' && spec.title.length > 0)).toBe(true);
  });

  it("runs the README's chunkwise/sim example", async () => {
    await import('./readme-sim.js');
  });

  it("runs the README's example of a service's own code under the simulator", async () => {
    await import('./readme-user-code.js');
  });

  it('replays a scenario from its token to the same history, and judges the record again', async () => {
    const scenario = chaos().job({ durationMs: 30_000 }).workers(2).crashAfterChunks(1).scenario();
    const first = await simulate(scenario);
    expect(first.violations).toEqual([]);
    const token = encodeReplay(scenario);
    const again = await replay(token);
    expect(again.record.history.fingerprint()).toBe(first.record.history.fingerprint());
    expect(checkRun(again.record)).toEqual([]);
    expect(decodeReplay(token)).toEqual(scenario);
    expect(() => decodeReplay('not-a-token')).toThrow(TypeError);
  });
});

/** Fails the test unless `run` rejects with a SimulationFailure; returns it. */
async function simulationFailure(run: Promise<unknown>): Promise<SimulationFailure> {
  const caught = await run.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(SimulationFailure);
  return caught as SimulationFailure;
}

const smallWorlds = { jobsMax: 2, chunksMax: 6, workersMax: 3, faultsMax: 6 };

describe('(b) a deliberately buggy Transcriber caught by the simulator', () => {
  /** Remembers every chunk it was asked for, and answers a second request for one with an empty text. */
  const forgetfulCache = (): Transcriber => {
    const asked = new Set<string>();
    return {
      transcribe: async ({ jobId, index, audio }: TranscribeRequest) => {
        const again = asked.has(`${jobId}/${index}`);
        asked.add(`${jobId}/${index}`);
        return { kind: 'ok', text: again ? '' : `chunk of ${audio.length} bytes` };
      },
    };
  };

  it('a Transcriber that answers a retried chunk with nothing is caught (P7), shrunk, with a replay token', async () => {
    const failure = await simulationFailure(
      assertSimulation({ runs: 60, seed: 1, bounds: smallWorlds, transcriber: forgetfulCache, shrinkStageMs: 5_000 }),
    );
    expect(failure.promise).toBe('P7');
    expect(failure.message).toContain(failure.replayToken);
    const again = await replay(failure.replayToken, { transcriber: forgetfulCache });
    expect(again.violations.map((violation) => violation.promise)).toContain('P7');
  });
});

describe('(c) a custom promise', () => {
  const fewChunks = definePromise({
    id: 'few-chunks',
    title: 'Completed jobs have at most three chunks',
    liveness: false,
    check: (record) =>
      [...record.jobs].flatMap(([jobId, job]) =>
        job?.phase === 'completed' && job.chunks.length > 3
          ? [{ promise: 'few-chunks', job: jobId, message: `${job.chunks.length} chunks` }]
          : [],
      ),
  });

  it('a promise of the caller’s own is checked beside P1–P11, and its failure is reported and replayed', async () => {
    const failure = await simulationFailure(
      assertSimulation({ runs: 30, seed: 3, bounds: smallWorlds, promises: [fewChunks], shrinkStageMs: 5_000 }),
    );
    expect(failure.promise).toBe('few-chunks');
    expect(failure.message).toContain('few-chunks');
    const again = await replay(failure.replayToken, { promises: [fewChunks] });
    expect(again.violations.map((violation) => violation.promise)).toEqual(['few-chunks']);
  });
});

/** True when a Redis server answers PING at `url`. */
async function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** `seconds` of a 440 Hz tone as a 16 kHz mono 16-bit PCM WAV file. */
function wavBytes(seconds: number): Buffer {
  const rate = 16_000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let sample = 0; sample < samples; sample += 1)
    wav.writeInt16LE(Math.round(8_000 * Math.sin((2 * Math.PI * 440 * sample) / rate)), 44 + sample * 2);
  return wav;
}

describe('(d) the README service example on Redis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  it('transcribes a generated WAV file through the worker, with a fake transcriber', async (context) => {
    if (!(await redisAnswers(url))) {
      if (process.env.CHUNKWISE_REQUIRE_REDIS === '1') throw new Error(`no Redis answers at ${url}`);
      console.warn(`\n!!! SKIPPED: no Redis answers at ${url}; the README service example did not run !!!\n`);
      context.skip();
    }
    const directory = await mkdtemp(path.join(tmpdir(), 'chunkwise-consumer-'));
    directories.push(directory);
    const calls: TranscribeRequest[] = [];
    const transcriber: Transcriber = {
      transcribe: async (request) => {
        calls.push(request);
        return { kind: 'ok', text: `chunk ${request.index} of ${request.jobId} (${request.audio.byteLength} bytes)` };
      },
    };
    Object.assign(fixture, {
      chunksDir: path.join(directory, 'chunks'),
      source: path.join(directory, 'talk.wav'),
      jobId: `job-${randomBytes(4).toString('hex')}`,
      keyPrefix: `chunkwise-consumer-${randomBytes(4).toString('hex')}:`,
      transcriber,
    });
    await writeFile(fixture.source, wavBytes(3));
    const observer = new RedisJobStore({ url, keyPrefix: fixture.keyPrefix });
    let job: Job | null = null;
    const watch = (async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        job = await observer.getJob(fixture.jobId).catch(() => null);
        if (job?.phase === 'completed' || job?.phase === 'failed') break;
        await sleep(100);
      }
      fixture.stopSignal.emit('SIGTERM');
    })();
    try {
      await import('./readme-service.js');
      await watch;
      const final = job as Job | null;
      expect(final?.phase, JSON.stringify(final?.failure)).toBe('completed');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.audio.byteLength).toBe(44 + 3 * 16_000 * 2);
      expect(final === null ? '' : assembleTranscript(final.chunks)).toBe(
        `chunk 0 of ${fixture.jobId} (${44 + 3 * 16_000 * 2} bytes)`,
      );
    } finally {
      await observer.close();
    }
  });
});

// The JobStore contract, as a service runs it on a store of its own (here the package's memory store).
jobStoreContract('MemoryJobStore from the installed package', async () => {
  const clock = manualClock();
  return { store: new MemoryJobStore(clock), clock, cleanup: async () => {} };
});
