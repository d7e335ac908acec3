/**
 * P11 through the simulator: a job driven to its last allowed crash recovery (owner_crash × recoveryAttemptsMax) and
 * then handed over by graceful stops (stop faults) keeps going and completes, every promise holding; a store that still
 * counts hand-overs toward recoveryAttemptsMax (the former semantics) fails it as exhausted at the first hand-over,
 * and P11 says so. The same run with one crash more is failed by the claim after the last allowed crash recovery.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../src/adapters/memory/store.js';
import * as operations from '../../src/core/operations.js';
import { simulate } from '../../sim/campaign.js';
import { simulationLimits, type Fault, type Scenario } from '../../sim/faults.js';
import type { WorldOptions } from '../../sim/world.js';

const max = simulationLimits.recoveryAttemptsMax;

function scenario(crashes: number, stops: number): Scenario {
  const faults: Fault[] = [
    { kind: 'owner_crash', job: 0, count: crashes },
    ...Array.from({ length: stops }, (_, index): Fault => ({
      kind: 'stop',
      worker: 0,
      target: 'commit',
      nth: index + 1,
    })),
  ];
  return {
    jobs: [{ id: 'job0', chunks: 6, chunkLengthMs: 10_000, lastChunkMs: 10_000 }],
    workers: 1,
    faults,
    latencies: { storeMaxMs: 0, mediaMs: 1, transcribeMs: 1 },
    faultPhaseMs: 400_000,
    seed: 1,
    choices: [],
  };
}

/**
 * The memory store with the former claim: a claim after a release at recoveryAttemptsMax recoveries fails the job as
 * exhausted, as if the hand-overs were crash recoveries.
 */
const handOversCounted: WorldOptions = {
  store: (clock) => {
    const store = new MemoryJobStore(clock, {
      claim: (job, request, nowMs) => {
        const counted =
          job !== null && job.leaseExpiresAtMs === 0 && job.recovery.attempts >= request.recoveryAttemptsMax;
        return operations.claim(
          counted ? { ...job, leaseExpiresAtMs: 1, recovery: { ...job.recovery, handovers: 0 } } : job,
          request,
          nowMs,
        );
      },
    });
    return { store, inspect: { job: (id) => store.peek(id), events: (id) => store.peekEvents(id) } };
  },
};

function recoveryTypes(events: readonly { event: string; recovery_type?: string }[]): string[] {
  return events.flatMap((event) => (event.event === 'recovery_started' ? [event.recovery_type ?? '?'] : []));
}

describe('P11 counts crash recoveries, not hand-overs', () => {
  it('a job at its last allowed crash recovery is handed over by stopping workers and completes', async () => {
    const { record, violations } = await simulate(scenario(max, 3));
    expect(violations).toEqual([]);
    expect(record.jobs.get('job0')).toMatchObject({ phase: 'completed', recovery: { handovers: 3 } });
    const types = recoveryTypes(record.events.get('job0') ?? []);
    expect(types.filter((type) => type === 'lease_expired')).toHaveLength(max);
    expect(types.filter((type) => type === 'released')).toHaveLength(3);
  });

  it('a job crashed once more is failed by the claim after its last allowed crash recovery', async () => {
    const { record, violations } = await simulate(scenario(max + 1, 0));
    expect(violations).toEqual([]);
    expect(record.jobs.get('job0')?.failure?.reason).toBe('recovery_attempts_exhausted');
    expect(recoveryTypes(record.events.get('job0') ?? [])).toEqual(Array.from({ length: max }, () => 'lease_expired'));
  });

  it('catches a store that counts hand-overs toward the limit', async () => {
    const { record, violations } = await simulate(scenario(max, 3), handOversCounted);
    expect(record.jobs.get('job0')?.failure?.reason).toBe('recovery_attempts_exhausted');
    expect(violations.filter((violation) => violation.promise === 'P11').map((violation) => violation.message)).toEqual(
      [
        `failed as exhausted by the claim of epoch ${max + 2}, after w0#${max + 1} had released the job: a hand-over, which the bound does not count`,
      ],
    );
  });
});
