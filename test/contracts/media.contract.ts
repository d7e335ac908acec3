/**
 * The Media and Transcriber contracts: every implementation (the real ffmpeg and OpenAI adapters,
 * the simulator's twins) runs these same tests through a harness that supplies a source and a
 * chunk store to check what extraction wrote.
 */
import { describe, expect, it } from 'vitest';
import type { ChunkSpec } from '../../src/core/types.js';
import type { ChunkStore, Media, Transcriber } from '../../src/ports.js';

/** What a Media implementation needs from the contract run. */
export interface MediaHarness {
  readonly media: Media;
  readonly chunkStore: ChunkStore;
  /** A source of about `durationMs` of audio. */
  readonly source: string;
  readonly durationMs: number;
  /** A source that does not exist. */
  readonly missingSource: string;
  cleanup(): Promise<void>;
}

/** Runs the Media contract against the implementation `make` builds. */
export function mediaContract(name: string, make: () => Promise<MediaHarness>): void {
  describe(`Media contract: ${name}`, () => {
    const withHarness = (body: (harness: MediaHarness) => Promise<void>) => async () => {
      const harness = await make();
      try {
        await body(harness);
      } finally {
        await harness.cleanup();
      }
    };
    const chunk: ChunkSpec = { index: 1, startMs: 2_000, durationMs: 2_000 };

    it(
      'probes the duration of a source',
      withHarness(async (harness) => {
        const probed = await harness.media.probe(harness.source);
        expect(probed.kind).toBe('ok');
        if (probed.kind === 'ok') expect(Math.abs(probed.durationMs - harness.durationMs)).toBeLessThanOrEqual(100);
      }),
    );

    it(
      'reports a missing source as source_missing',
      withHarness(async (harness) => {
        expect((await harness.media.probe(harness.missingSource)).kind).toBe('source_missing');
        expect((await harness.media.extractChunk({ jobId: 'job-m', source: harness.missingSource, chunk })).kind).toBe(
          'source_missing',
        );
        expect(await harness.chunkStore.listJobIds()).not.toContain('job-m');
      }),
    );

    it(
      'extracts a chunk whole into the chunk store, and the same bytes again when re-extracted',
      withHarness(async (harness) => {
        const first = await harness.media.extractChunk({ jobId: 'job-x', source: harness.source, chunk });
        expect(first.kind).toBe('ok');
        if (first.kind !== 'ok') return;
        expect(await harness.chunkStore.check('job-x', 1, first)).toBe('ok');
        await harness.chunkStore.removeJob('job-x');
        expect(await harness.chunkStore.check('job-x', 1, first)).toBe('missing');
        const again = await harness.media.extractChunk({ jobId: 'job-x', source: harness.source, chunk });
        expect(again).toEqual(first);
        const read = await harness.chunkStore.read('job-x', 1, first);
        expect(read.kind === 'ok' ? read.data.byteLength : -1).toBe(first.bytes);
      }),
    );
  });
}

/** What a Transcriber implementation needs from the contract run. */
export interface TranscriberHarness {
  readonly transcriber: Transcriber;
  /** Audio the transcriber accepts. */
  readonly audio: Uint8Array;
  /** Makes the next call fail with `status` (429 or 400). */
  failNext(status: 429 | 400): void;
  cleanup(): Promise<void>;
}

/** Runs the Transcriber contract against the implementation `make` builds. */
export function transcriberContract(name: string, make: () => Promise<TranscriberHarness>): void {
  describe(`Transcriber contract: ${name}`, () => {
    const withHarness = (body: (harness: TranscriberHarness) => Promise<void>) => async () => {
      const harness = await make();
      try {
        await body(harness);
      } finally {
        await harness.cleanup();
      }
    };

    it(
      'transcribes a chunk to text, the same text for the same audio',
      withHarness(async (harness) => {
        const request = { jobId: 'job-t', index: 2, audio: harness.audio, prompt: 'previous words' };
        const first = await harness.transcriber.transcribe(request);
        const second = await harness.transcriber.transcribe(request);
        expect(first.kind).toBe('ok');
        if (first.kind === 'ok') expect(first.text.length).toBeGreaterThan(0);
        expect(second).toEqual(first);
      }),
    );

    it(
      'reports 429 as a retryable error and 400 as a fatal one, as values',
      withHarness(async (harness) => {
        const request = { jobId: 'job-t', index: 0, audio: harness.audio, prompt: null };
        harness.failNext(429);
        expect(await harness.transcriber.transcribe(request)).toMatchObject({
          kind: 'error',
          retryable: true,
          status: 429,
        });
        harness.failNext(400);
        expect(await harness.transcriber.transcribe(request)).toMatchObject({
          kind: 'error',
          retryable: false,
          status: 400,
        });
        expect((await harness.transcriber.transcribe(request)).kind).toBe('ok');
      }),
    );
  });
}
