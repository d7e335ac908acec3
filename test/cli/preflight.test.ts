/**
 * The worker's preflight checks (src/cli/preflight.ts) and the adapters' own: ffmpeg and ffprobe run (or are named
 * with where their path came from), the chunk directory is made and written (or is a configuration error), and the
 * OpenAI credential check reads each answer of the API (a local server) as accepted, rejected or unreachable.
 */
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMediaTools } from '../../src/adapters/ffmpeg/index.js';
import { checkOpenAICredentials } from '../../src/adapters/openai/index.js';
import { ConfigurationError, DependencyUnavailableError } from '../../src/cli/exit.js';
import { chunkDirectoryCheck, credentialsCheck, mediaToolsCheck } from '../../src/cli/preflight.js';
import { testFfmpegPath, testFfprobePath, useTempDirectories } from '../support/media.js';

const temporary = useTempDirectories('chunkwise-preflight-');

describe('preflight', () => {
  it('ffmpeg and ffprobe: both run; a missing one is unavailable, named with its path', async () => {
    expect(await checkMediaTools({ ffmpegPath: testFfmpegPath(), ffprobePath: testFfprobePath() })).toEqual([]);
    const problems = await checkMediaTools({ ffmpegPath: testFfmpegPath(), ffprobePath: '/nope/ffprobe' });
    expect(problems).toMatchObject([
      { tool: 'ffprobe', path: '/nope/ffprobe', message: expect.stringContaining('ENOENT') },
    ]);
    const check = mediaToolsCheck(async () => problems);
    await expect(check.run()).rejects.toThrow(DependencyUnavailableError);
    await expect(check.run()).rejects.toThrow(/^ffprobe cannot be run at \/nope\/ffprobe/);
  });

  it('the chunk directory is made and written, leaving nothing behind; one that cannot be written is configuration', async () => {
    const base = await temporary.make();
    const nested = path.join(base, 'a', 'b');
    await chunkDirectoryCheck(nested).run();
    expect(await readdir(nested)).toEqual([]);
    const locked = path.join(base, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o500);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) await expect(chunkDirectoryCheck(path.join(locked, 'x')).run()).rejects.toThrow(ConfigurationError);
    await expect(chunkDirectoryCheck('/proc/chunkwise-nope').run()).rejects.toThrow(
      /^the chunk directory \/proc\/chunkwise-nope cannot be written/,
    );
  });

  describe('OpenAI credentials against a local API', () => {
    let status = 200;
    const seen: string[] = [];
    const api = createServer((request, response) => {
      seen.push(`${request.method ?? ''} ${request.url ?? ''} ${request.headers.authorization ?? ''}`);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          status === 200 ? { id: 'whisper-1', object: 'model' } : { error: { message: `status ${status}` } },
        ),
      );
    });
    let baseURL = '';
    beforeAll(async () => {
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      baseURL = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
    });
    afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

    it.each([
      [200, 'ok'],
      [404, 'ok'],
      [429, 'ok'],
      [401, 'rejected'],
      [403, 'rejected'],
      [500, 'unreachable'],
    ] as const)('HTTP %i is %s', async (answer, kind) => {
      status = answer;
      const outcome = await checkOpenAICredentials({ apiKey: 'sk-secret-key-123456789', baseURL, model: 'whisper-1' });
      expect(outcome.kind).toBe(kind);
      expect(JSON.stringify(outcome)).not.toContain('sk-secret-key-123456789');
      expect(seen.at(-1)).toBe('GET /v1/models/whisper-1 Bearer sk-secret-key-123456789');
    });

    it('no key is rejected without a request; an API that does not answer is unreachable', async () => {
      const before = seen.length;
      expect(await checkOpenAICredentials({ apiKey: ' ', baseURL })).toMatchObject({ kind: 'rejected', status: null });
      expect(seen).toHaveLength(before);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      expect(await checkOpenAICredentials({ apiKey: 'sk-x', baseURL: `http://127.0.0.1:${port}/v1` })).toMatchObject({
        kind: 'unreachable',
        message: expect.stringContaining('ECONNREFUSED'),
      });
      await expect(
        credentialsCheck('openai', async () => ({ kind: 'rejected', status: 401, message: 'no' })).run(),
      ).rejects.toThrow(ConfigurationError);
      await expect(
        credentialsCheck('openai', async () => ({ kind: 'unreachable', message: 'down' })).run(),
      ).rejects.toThrow(DependencyUnavailableError);
    });
  });
});
