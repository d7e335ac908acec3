/**
 * The worker's metrics (src/cli/metrics.ts) without a process: what each log entry counts, and what the store and
 * transcriber wrappers count (a refused commit, a lost renewal, an unavailable store, a transcription's latency).
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/adapters/memory/index.js';
import { createWorkerMetrics } from '../../src/cli/metrics.js';
import { StoreUnavailableError, type JobStore } from '../../src/ports.js';
import { chunkPlan, manualClock } from '../contracts/job-store.contract.js';

async function values(metrics: Awaited<ReturnType<typeof createWorkerMetrics>>): Promise<Map<string, number>> {
  const text = await metrics.registry.metrics();
  return new Map(
    text
      .split('\n')
      .filter((line) => line.startsWith('chunkwise_') && !line.startsWith('chunkwise_process'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]),
  );
}

describe('worker metrics', () => {
  it('count jobs by outcome, claims and recoveries from log entries', async () => {
    const metrics = await createWorkerMetrics();
    const log = (what: 'claimed' | 'stopped' | 'quarantined' | 'released' | 'error', detail: string) =>
      metrics.observe({ workerId: 'w', what, jobId: 'job-1', detail });
    log('claimed', 'new');
    log('claimed', 'recovery attempt 2');
    log('stopped', 'completed');
    log('stopped', 'lost (stale_epoch)');
    log('stopped', 'recovery attempts exhausted');
    log('quarantined', 'bad');
    log('released', 'ok');
    log('error', 'boom');
    const seen = await values(metrics);
    expect(seen.get('chunkwise_claims_total{kind="new"}')).toBe(1);
    expect(seen.get('chunkwise_claims_total{kind="recovery"}')).toBe(1);
    expect(seen.get('chunkwise_recoveries_total')).toBe(1);
    expect(seen.get('chunkwise_jobs_total{outcome="completed"}')).toBe(1);
    expect(seen.get('chunkwise_jobs_total{outcome="lost"}')).toBe(1);
    expect(seen.get('chunkwise_jobs_total{outcome="failed"}')).toBe(1);
    expect(seen.get('chunkwise_jobs_total{outcome="quarantined"}')).toBe(1);
    expect(seen.get('chunkwise_jobs_total{outcome="released"}')).toBe(1);
    expect(seen.get('chunkwise_worker_errors_total')).toBe(1);
  });

  it('count refused commits, lost renewals, an unavailable store and transcription latency through the wrappers', async () => {
    const metrics = await createWorkerMetrics();
    const clock = manualClock();
    const memory = new MemoryJobStore(clock);
    const store = metrics.wrapStore(memory);
    await store.createJob({ jobId: 'job-1', source: '/a.wav', chunkLengthMs: 1_000 });
    const claim = { jobId: 'job-1', leaseMs: 1_000, recoveryAttemptsMax: 3 };
    const first = await store.claimJob({ ...claim, workerId: 'w1', requestId: 'c1' });
    expect(first.kind).toBe('ok');
    await store.recordChunkPlan({
      jobId: 'job-1',
      workerId: 'w1',
      epoch: 1,
      requestId: 'p',
      durationMs: 2_000,
      chunks: chunkPlan(2),
    });
    clock.advance(2_000);
    await store.claimJob({ ...claim, workerId: 'w2', requestId: 'c2' });
    expect(
      await store.commitChunk({ jobId: 'job-1', workerId: 'w1', epoch: 1, requestId: 'k', index: 0, transcript: 'x' }),
    ).toMatchObject({ kind: 'stale_epoch' });
    expect(await store.renewLease({ jobId: 'job-1', workerId: 'w1', epoch: 1, leaseMs: 1_000 })).toMatchObject({
      kind: 'stale_epoch',
    });
    const down = metrics.wrapStore({
      listRecoverableJobs: async () => {
        throw new StoreUnavailableError('down');
      },
    } as unknown as JobStore);
    await expect(down.listRecoverableJobs(1)).rejects.toThrow(StoreUnavailableError);
    const transcriber = metrics.wrapTranscriber({
      transcribe: async (request) =>
        request.index === 0
          ? { kind: 'ok', text: 'hi' }
          : { kind: 'error', retryable: true, status: 503, message: 'busy' },
    });
    for (const index of [0, 1])
      await transcriber.transcribe({ jobId: 'job-1', index, audio: new Uint8Array(1), prompt: null });
    const seen = await values(metrics);
    expect(seen.get('chunkwise_commits_refused_total{reason="stale_epoch"}')).toBe(1);
    expect(seen.get('chunkwise_lease_renewals_lost_total{reason="stale_epoch"}')).toBe(1);
    expect(seen.get('chunkwise_store_unavailable_total{operation="listRecoverableJobs"}')).toBe(1);
    expect(seen.get('chunkwise_chunk_transcription_seconds_count{result="ok"}')).toBe(1);
    expect(seen.get('chunkwise_chunk_transcription_seconds_count{result="retryable"}')).toBe(1);
  });
});
