/**
 * An idle worker with a work signal waits for work instead of polling: it looks once per wake (a creation, a release,
 * a lease running out, its next sweep), picks up a new job at once, recovers an abandoned job as soon as the lease runs
 * out, and a stop ends every wait at once (idle, backoff, lease renewal), so run() resolves without waiting a timer
 * out.
 * All in the virtual time of the test harness; a worker without a signal polls every idlePollIntervalMs, as before.
 */
import { describe, expect, it } from 'vitest';
import { Harness, latencies, testLimits } from '../support/fakes.js';

function looks(harness: Harness, actor: string): number[] {
  return harness.storeCalls
    .filter((call) => call.actor === actor && call.operation === 'listRecoverableJobs')
    .map((call) => call.atMs);
}

/** Every sleep left is due now (an aborted one, still to be resumed): running on without moving time empties them. */
async function expectNothingLeftAfterNow(harness: Harness): Promise<void> {
  const end = await harness.scheduler.runUntil({ untilMs: harness.scheduler.now(), stepsMax: 100 });
  expect(end).toBe('idle');
}

describe('an idle worker with a work signal', () => {
  it('looks for work once per sweep interval when nothing happens, where a polling worker looks every poll interval', async () => {
    const harness = new Harness();
    harness.startWorker('waiting', { workSignal: true });
    harness.startWorker('polling');
    await harness.runFor(60_000);
    const waiting = looks(harness, 'waiting');
    const polling = looks(harness, 'polling');
    expect(waiting.length).toBeLessThanOrEqual(60_000 / testLimits.sweepIntervalMs + 1);
    expect(waiting.length).toBeGreaterThanOrEqual(60_000 / testLimits.sweepIntervalMs - 1);
    expect(polling.length).toBeGreaterThanOrEqual(60_000 / (testLimits.idlePollIntervalMs + 2 * latencies.storeMs) - 1);
  });

  it('claims a job created while it waits at once, not at its next look', async () => {
    const harness = new Harness();
    const handle = harness.startWorker('w1', { workSignal: true });
    await harness.runFor(2_345);
    const createdAtMs = harness.scheduler.now();
    await harness.createJob('job-1', 2_000);
    await harness.runUntil(() => handle.log.some((entry) => entry.what === 'claimed'));
    const claim = harness.storeCalls.find((call) => call.operation === 'claimJob');
    expect(claim?.atMs).toBeDefined();
    // A look and a claim, each one store call: well inside one poll interval, and far from the next sweep.
    expect((claim?.atMs ?? 0) - createdAtMs).toBeLessThanOrEqual(2 * latencies.storeMs + 1);
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
  });

  it('recovers a job abandoned by a dead owner as soon as its lease runs out', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 3_000);
    const owner = harness.startWorker('owner');
    await harness.runUntil(() => owner.log.some((entry) => entry.what === 'claimed'));
    harness.startWorker('waiting', { workSignal: true });
    await harness.runFor(100);
    harness.scheduler.kill('owner');
    const leaseEndMs = harness.job('job-1')?.leaseExpiresAtMs ?? 0;
    await harness.runUntil(() => harness.job('job-1')?.recovery.open === true || harness.isIn('job-1', 'completed'));
    const recovery = harness.storeCalls.find((call) => call.actor === 'waiting' && call.operation === 'claimJob');
    expect(recovery?.atMs).toBeGreaterThanOrEqual(leaseEndMs);
    expect((recovery?.atMs ?? 0) - leaseEndMs).toBeLessThanOrEqual(2 * latencies.storeMs + 1);
    await harness.runUntil(() => harness.isIn('job-1', 'completed'));
  });

  it('leaves an idle wait at once on stop, and run() resolves with nothing of it left pending', async () => {
    const harness = new Harness();
    const handle = harness.startWorker('w1', { workSignal: true });
    await harness.runFor(1_000);
    const stoppedAtMs = harness.scheduler.now();
    handle.worker.stop();
    await harness.runUntil(() => handle.finished);
    expect(handle.error).toBeUndefined();
    expect(harness.scheduler.now() - stoppedAtMs).toBeLessThanOrEqual(latencies.storeMs);
    await expectNothingLeftAfterNow(harness);
  });

  it('ends its lease renewal loop at once when it stops holding a job, so nothing of it is left pending', async () => {
    const harness = new Harness();
    await harness.createJob('job-1', 3_000);
    const handle = harness.startWorker('w1', { workSignal: true });
    await harness.runUntil(() => handle.log.some((entry) => entry.what === 'claimed'));
    await harness.runFor(200);
    handle.worker.stop();
    await harness.runUntil(() => handle.finished);
    expect(handle.log.map((entry) => entry.what)).toContain('released');
    await expectNothingLeftAfterNow(harness);
  });
});
