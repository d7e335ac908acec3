/**
 * What the README's service example (extracted into readme-service.ts by run.sh) runs on in this project: a
 * temporary chunk directory, a generated WAV file, a fake transcriber, a key prefix of its own on the local Redis,
 * and a stop signal in place of SIGTERM. The spec fills it in before it imports the example.
 */
import { EventEmitter } from 'node:events';
import type { Transcriber } from 'chunkwise';

export const fixture: {
  chunksDir: string;
  source: string;
  jobId: string;
  keyPrefix: string;
  transcriber: Transcriber;
  stopSignal: EventEmitter;
} = {
  chunksDir: '',
  source: '',
  jobId: '',
  keyPrefix: '',
  transcriber: {
    transcribe: async () => {
      throw new Error('fixture.transcriber was not set');
    },
  },
  stopSignal: new EventEmitter(),
};
