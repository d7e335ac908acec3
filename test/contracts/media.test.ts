/**
 * The Media and Transcriber contracts run against every implementation: ffmpeg and the OpenAI SDK for real, and the
 * simulator's twins.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MemoryChunkStore } from '../../src/adapters/memory/index.js';
import { FfmpegMedia } from '../../src/adapters/ffmpeg/index.js';
import { FsChunkStore } from '../../src/adapters/fs/index.js';
import { OpenAITranscriber } from '../../src/adapters/openai/index.js';
import { audioDigest, SimMedia, SimTranscriber, type TwinHost } from '../../sim/twins.js';
import { sineWav, testFfmpegPath, testFfprobePath, useTempDirectories } from '../support/media.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { mediaContract, transcriberContract } from './media.contract.js';

const temp = useTempDirectories('chunkwise-contract-');
/** The twins outside a simulated world: every call runs at once. */
const directHost: TwinHost = { portCall: (_actor, call) => call.body() };

mediaContract('FfmpegMedia', async () => {
  const directory = await temp.make();
  const chunkStore = new FsChunkStore({ root: path.join(directory, 'chunks') });
  return {
    media: new FfmpegMedia({ chunkStore, ffmpegPath: testFfmpegPath(), ffprobePath: testFfprobePath() }),
    chunkStore,
    source: await sineWav(directory, { seconds: 8 }),
    durationMs: 8_000,
    missingSource: path.join(directory, 'gone.wav'),
    cleanup: async () => {},
  };
});

mediaContract('SimMedia (simulator twin)', async () => {
  const chunkStore = new MemoryChunkStore();
  const world = {
    // The missing-source case extracts for job-m: its source is gone.
    sourceExists: (jobId: string) => jobId !== 'job-m',
    jobIdOf: (source: string) => (source === '/media/present.mp3' ? 'job-x' : undefined),
    durationMsOf: (source: string) => (source === '/media/present.mp3' ? 8_000 : undefined),
    writeChunk: (_actor: string, jobId: string, index: number, data: Uint8Array) => chunkStore.put(jobId, index, data),
  };
  return {
    media: new SimMedia(directHost, 'w', world, () => 1),
    chunkStore,
    source: '/media/present.mp3',
    durationMs: 8_000,
    missingSource: '/media/gone.mp3',
    cleanup: async () => {},
  };
});

transcriberContract('OpenAITranscriber (real SDK, local server)', async () => {
  const apiKey = 'sk-contract';
  const server = await startOpenAIServer({ apiKey });
  const directory = await temp.make();
  const audio = new Uint8Array(await readFile(await sineWav(directory, { seconds: 1 })));
  return {
    transcriber: new OpenAITranscriber({ apiKey, baseURL: server.baseURL, timeoutMs: 5_000, logLevel: 'off' }),
    audio,
    failNext: (status) => server.inject({ kind: 'status', status }),
    cleanup: () => server.close(),
  };
});

transcriberContract('SimTranscriber (simulator twin)', async () => {
  const faults: (429 | 400)[] = [];
  const world = {
    nextTranscriberFault: () => {
      const error = faults.shift();
      return error === undefined ? undefined : { error };
    },
    recordTranscription: (_actor: string, request: { readonly audio: Uint8Array }) => audioDigest(request.audio),
  };
  return {
    transcriber: new SimTranscriber(directHost, 'w', world, undefined, () => 1),
    audio: new Uint8Array([1, 2, 3, 4]),
    failNext: (status) => faults.push(status),
    cleanup: async () => {},
  };
});
