/**
 * A release is a hand-over, not a recovery attempt the limit counts: a job whose workers stop gracefully (SIGTERM, a
 * rolling deploy) more times than recoveryAttemptsMax is handed over each time (recovery_started, recovery_type
 * released) and still completes with the crash-free transcript, while workers that crash still exhaust it after
 * exactly recoveryAttemptsMax crash recoveries, however many hand-overs came before.
 */
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/core/events.js';
import { Harness, crashFreeTranscript, testLimits } from '../support/fakes.js';

const jobId = 'job-h';
const durationMs = 12_000;
const recoveryAttemptsMax = 2;

/** How each worker leaves the job after its first commit. */
type Exit = 'stop' | 'crash';

/**
 * Starts one worker per entry of `exits`, in turn, each leaving the job after its first commit (stopped: it releases
 * the lease; crashed: its lease runs out), then one worker that keeps it.
 */
async function run(exits: readonly Exit[]): Promise<Harness> {
  const harness = new Harness({ ...testLimits, recoveryAttemptsMax });
  await harness.createJob(jobId, durationMs);
  const exitOf = new Map(exits.map((exit, position) => [`w${position + 1}`, exit]));
  harness.storeFaults.afterCall = (operation, actor) => {
    const exit = exitOf.get(actor);
    if (operation !== 'commitChunk' || exit === undefined) return;
    exitOf.delete(actor);
    if (exit === 'stop') harness.workers.get(actor)?.worker.stop();
    else harness.scheduler.kill(actor);
  };
  for (const [position, exit] of exits.entries()) {
    const actor = `w${position + 1}`;
    const handle = harness.startWorker(actor);
    await harness.runUntil(
      () => (exit === 'stop' ? handle.finished : harness.scheduler.isDead(actor)) || harness.isIn(jobId, 'failed'),
    );
    expect(handle.error).toBeUndefined();
    if (harness.isIn(jobId, 'failed')) return harness;
  }
  harness.startWorker('last');
  await harness.runUntil(() => harness.isIn(jobId, 'completed') || harness.isIn(jobId, 'failed'));
  return harness;
}

function recoveries(events: readonly JobEvent[]): [number, string][] {
  return events.flatMap((event) =>
    event.event === 'recovery_started' ? [[event.attempt, event.recovery_type] as [number, string]] : [],
  );
}

describe('hand-overs and the recovery limit', () => {
  it(`completes a job handed over recoveryAttemptsMax + 2 times by stopping workers`, async () => {
    const handovers = recoveryAttemptsMax + 2;
    const harness = await run(Array.from({ length: handovers }, () => 'stop' as const));
    expect(harness.job(jobId)).toMatchObject({
      phase: 'completed',
      failure: null,
      recovery: { attempts: handovers, handovers, open: false },
    });
    expect(harness.job(jobId)?.transcript).toBe(await crashFreeTranscript(jobId, durationMs));
    const events = harness.events(jobId);
    expect(recoveries(events)).toEqual(Array.from({ length: handovers }, (_, index) => [index + 1, 'released']));
    expect(events.some((event) => event.event === 'job_failed')).toBe(false);
  });

  it('fails a job after exactly recoveryAttemptsMax crash recoveries, counted apart from the hand-overs before them', async () => {
    const handovers = recoveryAttemptsMax + 2;
    const exits: Exit[] = [
      ...Array.from({ length: handovers }, () => 'stop' as const),
      ...Array.from({ length: recoveryAttemptsMax + 1 }, () => 'crash' as const),
    ];
    const harness = await run(exits);
    expect(harness.job(jobId)).toMatchObject({
      phase: 'failed',
      failure: {
        reason: 'recovery_attempts_exhausted',
        message: `job abandoned by its owner after ${recoveryAttemptsMax} crash recoveries and ${handovers} hand-overs (max ${recoveryAttemptsMax} crash recoveries)`,
      },
      recovery: { attempts: handovers + recoveryAttemptsMax, handovers },
    });
    // The last hand-over's owner crashes first: its successor's claim is the first crash recovery.
    expect(recoveries(harness.events(jobId))).toEqual([
      ...Array.from({ length: handovers }, (_, index) => [index + 1, 'released']),
      ...Array.from({ length: recoveryAttemptsMax }, (_, index) => [handovers + index + 1, 'lease_expired']),
    ]);
    // The claim after the last crash (the worker that would have kept the job) failed it.
    expect(harness.job(jobId)?.owner).toBe('last');
  });

  it('fails a job of crashing workers alone after recoveryAttemptsMax crash recoveries, as before', async () => {
    const harness = await run(Array.from({ length: recoveryAttemptsMax + 1 }, () => 'crash' as const));
    expect(harness.job(jobId)?.failure?.reason).toBe('recovery_attempts_exhausted');
    expect(recoveries(harness.events(jobId))).toEqual([
      [1, 'lease_expired'],
      [2, 'lease_expired'],
    ]);
  });
});
