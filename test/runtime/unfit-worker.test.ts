/**
 * A worker whose own tools or credentials stop working mid-job (a WorkerUnfitError from a port: ffmpeg that cannot be
 * run, an API key the API rejects) hands the job over without charging it, and its run() stops with that error instead
 * of claiming more work it cannot do; a fit worker then completes the job, with no crash recovery counted.
 */
import { describe, expect, it } from 'vitest';
import { ToolUnavailableError } from '../../src/adapters/ffmpeg/source.js';
import { CredentialsRejectedError } from '../../src/adapters/openai/errors.js';
import { WorkerUnfitError } from '../../src/ports.js';
import { Harness } from '../support/fakes.js';

describe('a worker unfit for the work', () => {
  it('whose ffmpeg cannot be run mid-job hands the job over and stops; a fit worker completes it', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 3_000);
    await harness.createJob('job-2', 2_000);
    const unfit = harness.startWorker('unfit', {
      media: (inner) => ({
        probe: (source) => inner.probe(source),
        extractChunk: async (request) => {
          if (request.chunk.index === 1) throw new ToolUnavailableError('cannot run ffmpeg at /gone/ffmpeg: ENOENT');
          return inner.extractChunk(request);
        },
      }),
    });
    await harness.runUntil(() => unfit.finished);
    expect(unfit.error).toBeInstanceOf(ToolUnavailableError);
    expect(unfit.log.map((entry) => entry.what)).toEqual(['claimed', 'released']);
    expect(harness.job('job-1')).toMatchObject({ phase: 'chunking', leaseExpiresAtMs: 0 });
    expect(harness.job('job-2')).toMatchObject({ phase: 'queued', epoch: 0 });
    harness.startWorker('fit');
    await harness.runUntil(() => harness.isIn('job-1', 'completed') && harness.isIn('job-2', 'completed'));
    expect(harness.job('job-1')?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
  });

  it('whose API key is rejected mid-job hands the job over uncharged instead of failing it', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 2_000);
    const unfit = harness.startWorker('unfit', {
      transcriber: () => ({
        transcribe: async () => Promise.reject(new CredentialsRejectedError('the API rejected the credentials', 401)),
      }),
    });
    await harness.runUntil(() => unfit.finished);
    expect(unfit.error).toBeInstanceOf(WorkerUnfitError);
    expect(harness.job('job-1')).toMatchObject({ phase: 'transcribing', leaseExpiresAtMs: 0, failure: null });
    expect(harness.events('job-1').map((event) => event.event)).not.toContain('job_failed');
    harness.startWorker('fit');
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
    expect(harness.job('job-1')?.recovery).toMatchObject({ attempts: 1, handovers: 1 });
  });
});
