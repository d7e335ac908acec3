/**
 * The JobStore contract, written once and run against every implementation (memory reference,
 * Redis on ioredis-mock, Redis on a real server, and a service's own store through `chunkwise/testing`):
 * each test drives the store through its port with a manual clock and checks results, state and the
 * outbox events. It registers vitest tests, so it is called at the top level of a vitest test file.
 */
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { parseEvent, type JobEvent } from '../../src/core/events.js';
import type { ExtractedChunk } from '../../src/core/types.js';
import type { JobStore } from '../../src/ports.js';

/** A clock the test moves by hand. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

/** What an implementation provides to the contract. */
export interface ContractSubject {
  readonly store: JobStore;
  readonly clock: ManualClock;
  cleanup(): Promise<void>;
}

/** A manual clock starting at `startMs`. */
export function manualClock(startMs = 1_700_000_000_000): ManualClock {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

const leaseMs = 10_000;
const attemptsMax = 3;

/** `count` contiguous chunks of 1 s with digests derived from their index. */
export function chunkPlan(count: number): ExtractedChunk[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    startMs: index * 1_000,
    durationMs: 1_000,
    bytes: 32_000 + index,
    sha256: createHash('sha256').update(`chunk-${index}`).digest('hex'),
  }));
}

/** Runs the whole JobStore contract against the implementation `make` builds. */
export function jobStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`JobStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: JobStore;
    let counter = 0;
    const request = (): string => `r${++counter}`;

    beforeEach(async () => {
      subject = await make();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    const createAndClaim = async (jobId: string, workerId = 'w1', chunks = 3) => {
      await store.createJob({ jobId, source: `/media/${jobId}.mp3`, chunkLengthMs: 1_000 });
      const claim = await store.claimJob({
        jobId,
        workerId,
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      if (claim.kind !== 'ok') throw new Error(`claim failed: ${claim.kind}`);
      const epoch = claim.job.epoch;
      if (chunks > 0) {
        const planned = await store.recordChunkPlan({
          jobId,
          workerId,
          epoch,
          requestId: request(),
          durationMs: chunks * 1_000,
          chunks: chunkPlan(chunks),
        });
        expect(planned).toEqual({ kind: 'ok', duplicate: false });
      }
      return epoch;
    };

    const expire = () => subject.clock.advance(leaseMs + 1);
    const names = (events: JobEvent[]) => events.map((event) => event.event);

    it('creates a queued job, accepts the same job again, refuses a different one under the same id', async () => {
      const created = await store.createJob({ jobId: 'j1', source: '/a.mp3', chunkLengthMs: 5_000 });
      expect(created.kind).toBe('ok');
      if (created.kind === 'ok') expect(created.created).toBe(true);
      const again = await store.createJob({ jobId: 'j1', source: '/a.mp3', chunkLengthMs: 5_000 });
      expect(again).toMatchObject({ kind: 'ok', created: false });
      expect(await store.createJob({ jobId: 'j1', source: '/b.mp3', chunkLengthMs: 5_000 })).toEqual({
        kind: 'already_exists',
      });
      const job = await store.getJob('j1');
      expect(job).toMatchObject({ id: 'j1', phase: 'queued', epoch: 0, owner: null, source: '/a.mp3', nextSeq: 1 });
      expect(await store.readEvents('j1')).toEqual([]);
    });

    it('rejects bad input with a TypeError or RangeError naming the field, and writes nothing', async () => {
      await expect(store.createJob({ jobId: '../etc', source: '/a', chunkLengthMs: 5_000 })).rejects.toThrow(/jobId/);
      await expect(store.createJob({ jobId: 'ok', source: '/a', chunkLengthMs: 0 })).rejects.toThrow(RangeError);
      await expect(store.createJob({ jobId: 'ok', source: '', chunkLengthMs: 5_000 })).rejects.toThrow(/source/);
      await expect(store.createJob({ jobId: 'ok', source: '/a', chunkLengthMs: Number.NaN })).rejects.toThrow(
        /chunkLengthMs/,
      );
      expect(await store.getJob('ok')).toBeNull();
      const epoch = await createAndClaim('j2', 'w1', 0);
      await expect(
        store.recordChunkPlan({
          jobId: 'j2',
          workerId: 'w1',
          epoch,
          requestId: request(),
          durationMs: -1,
          chunks: chunkPlan(1),
        }),
      ).rejects.toThrow(/durationMs/);
      await expect(
        store.recordChunkPlan({
          jobId: 'j2',
          workerId: 'w1',
          epoch,
          requestId: request(),
          durationMs: Number.POSITIVE_INFINITY,
          chunks: chunkPlan(1),
        }),
      ).rejects.toThrow(RangeError);
      await expect(
        store.failJob({
          jobId: 'j2',
          workerId: 'w1',
          epoch,
          requestId: request(),
          reason: 'bogus' as never,
          message: 'x',
        }),
      ).rejects.toThrow(/reason/);
      expect((await store.getJob('j2'))?.phase).toBe('chunking');
      expect(await store.readEvents('j2')).toEqual([]);
    });

    it('grants one lease at a time and increments the epoch with each grant', async () => {
      await store.createJob({ jobId: 'j3', source: '/a', chunkLengthMs: 1_000 });
      const first = await store.claimJob({
        jobId: 'j3',
        workerId: 'w1',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(first).toMatchObject({ kind: 'ok', recovery: false, job: { epoch: 1, owner: 'w1', phase: 'chunking' } });
      const second = await store.claimJob({
        jobId: 'j3',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(second).toEqual({ kind: 'not_claimable', reason: 'leased' });
      expire();
      const third = await store.claimJob({
        jobId: 'j3',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(third).toMatchObject({ kind: 'ok', recovery: true, job: { epoch: 2, owner: 'w2' } });
      expect(
        await store.claimJob({
          jobId: 'missing',
          workerId: 'w2',
          leaseMs,
          recoveryAttemptsMax: attemptsMax,
          requestId: request(),
        }),
      ).toEqual({
        kind: 'not_found',
      });
    });

    it('keeps its promises under concurrent callers in one process: one of many racing claims wins, one of racing commits', async () => {
      await store.createJob({ jobId: 'j-race', source: '/a', chunkLengthMs: 1_000 });
      const claims = await Promise.all(
        ['w1', 'w2', 'w3', 'w4', 'w5'].map((workerId) =>
          store.claimJob({
            jobId: 'j-race',
            workerId,
            leaseMs,
            recoveryAttemptsMax: attemptsMax,
            requestId: request(),
          }),
        ),
      );
      const granted = claims.filter((claim) => claim.kind === 'ok');
      expect(granted).toHaveLength(1);
      expect(claims.filter((claim) => claim.kind !== 'ok')).toEqual(
        Array.from({ length: 4 }, () => ({ kind: 'not_claimable', reason: 'leased' })),
      );
      const owner = granted[0]?.kind === 'ok' ? (granted[0].job.owner ?? '') : '';
      await store.recordChunkPlan({
        jobId: 'j-race',
        workerId: owner,
        epoch: 1,
        requestId: request(),
        durationMs: 2_000,
        chunks: chunkPlan(2),
      });
      const commits = await Promise.all(
        [0, 0, 0, 1].map((index) =>
          store.commitChunk({
            jobId: 'j-race',
            workerId: owner,
            epoch: 1,
            requestId: request(),
            index,
            transcript: `text ${index}`,
          }),
        ),
      );
      expect(commits.map((commit) => commit.kind).sort()).toEqual([
        'already_committed',
        'already_committed',
        'ok',
        'ok',
      ]);
      const events = await store.readEvents('j-race');
      expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
      expect(events.filter((event) => event.event === 'chunk_transcribed')).toHaveLength(2);
      expect((await store.getJob('j-race'))?.phase).toBe('finalizing');
    });

    it('treats a retried claim (same request id) as the same grant', async () => {
      await store.createJob({ jobId: 'j4', source: '/a', chunkLengthMs: 1_000 });
      const requestId = request();
      const first = await store.claimJob({
        jobId: 'j4',
        workerId: 'w1',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId,
      });
      const retry = await store.claimJob({
        jobId: 'j4',
        workerId: 'w1',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId,
      });
      expect(first).toMatchObject({ kind: 'ok', duplicate: false, job: { epoch: 1 } });
      expect(retry).toMatchObject({ kind: 'ok', duplicate: true, job: { epoch: 1 } });
    });

    it('runs a job from plan to completion with gapless events that match their schemas', async () => {
      const epoch = await createAndClaim('j5', 'w1', 3);
      for (const index of [0, 1, 2]) {
        const committed = await store.commitChunk({
          jobId: 'j5',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index,
          transcript: `text ${index}`,
        });
        expect(committed).toEqual({ kind: 'ok', duplicate: false });
      }
      expect((await store.getJob('j5'))?.phase).toBe('finalizing');
      expect(await store.completeJob({ jobId: 'j5', workerId: 'w1', epoch, requestId: request() })).toEqual({
        kind: 'ok',
        duplicate: false,
      });
      const job = await store.getJob('j5');
      expect(job).toMatchObject({ phase: 'completed', transcript: 'text 0 text 1 text 2' });
      const events = await store.readEvents('j5');
      expect(names(events)).toEqual([
        'chunks_created',
        'transcription_started',
        'chunk_transcribed',
        'progress_update',
        'chunk_transcribed',
        'progress_update',
        'chunk_transcribed',
        'progress_update',
        'progress_update',
        'transcription_completed',
      ]);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
      for (const event of events) expect(parseEvent(event)).toEqual(event);
      const progress = events.filter((event) => event.event === 'progress_update').map((event) => event.progress);
      expect(progress).toEqual([33, 66, 99, 100]);
      expect(
        events.every(
          (event) => event.job_id === 'j5' && event.worker_id === 'w1' && event.epoch === epoch && !event.recovery,
        ),
      ).toBe(true);
    });

    it('rejects a write carrying a stale epoch and writes nothing', async () => {
      const epoch = await createAndClaim('j6', 'w1', 2);
      expire();
      const recovery = await store.claimJob({
        jobId: 'j6',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(recovery.kind).toBe('ok');
      const before = await store.readEvents('j6');
      const stale = await store.commitChunk({
        jobId: 'j6',
        workerId: 'w1',
        epoch,
        requestId: request(),
        index: 0,
        transcript: 'zombie',
      });
      expect(stale).toEqual({ kind: 'stale_epoch', epoch: epoch + 1 });
      expect(await store.renewLease({ jobId: 'j6', workerId: 'w1', epoch, leaseMs })).toEqual({
        kind: 'stale_epoch',
        epoch: epoch + 1,
      });
      expect(await store.readEvents('j6')).toEqual(before);
      expect((await store.getJob('j6'))?.chunks[0]?.transcript).toBeNull();
    });

    it('commits each chunk once: a retried commit is a duplicate, a second commit is refused', async () => {
      const epoch = await createAndClaim('j7', 'w1', 2);
      const requestId = request();
      expect(
        await store.commitChunk({ jobId: 'j7', workerId: 'w1', epoch, requestId, index: 0, transcript: 'a' }),
      ).toEqual({ kind: 'ok', duplicate: false });
      expect(
        await store.commitChunk({ jobId: 'j7', workerId: 'w1', epoch, requestId, index: 0, transcript: 'a' }),
      ).toEqual({ kind: 'ok', duplicate: true });
      expect(
        await store.commitChunk({
          jobId: 'j7',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index: 0,
          transcript: 'b',
        }),
      ).toEqual({
        kind: 'already_committed',
        index: 0,
      });
      expect(
        await store.commitChunk({
          jobId: 'j7',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index: 9,
          transcript: 'b',
        }),
      ).toMatchObject({
        kind: 'invalid_state',
        phase: 'transcribing',
      });
      const transcribed = (await store.readEvents('j7')).filter((event) => event.event === 'chunk_transcribed');
      expect(transcribed).toHaveLength(1);
      expect((await store.getJob('j7'))?.chunks[0]?.transcript).toBe('a');
    });

    it('emits the recovery events: started, resumed once, recreated chunks counted, completed', async () => {
      await createAndClaim('j8', 'w1', 3);
      const epoch1 = (await store.getJob('j8'))?.epoch ?? 0;
      await store.commitChunk({
        jobId: 'j8',
        workerId: 'w1',
        epoch: epoch1,
        requestId: request(),
        index: 0,
        transcript: 'zero',
      });
      expire();
      const claim = await store.claimJob({
        jobId: 'j8',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      if (claim.kind !== 'ok') throw new Error('claim failed');
      const epoch = claim.job.epoch;
      const digest = chunkPlan(3)[1];
      if (digest === undefined) throw new Error('plan');
      expect(
        await store.recordChunkRecreated({
          jobId: 'j8',
          workerId: 'w2',
          epoch,
          requestId: request(),
          index: 1,
          reason: 'corrupt',
          bytes: digest.bytes,
          sha256: digest.sha256,
        }),
      ).toEqual({ kind: 'ok', duplicate: false });
      expect(await store.markResumed({ jobId: 'j8', workerId: 'w2', epoch, requestId: request() })).toEqual({
        kind: 'ok',
        duplicate: false,
      });
      expect(await store.markResumed({ jobId: 'j8', workerId: 'w2', epoch, requestId: request() })).toEqual({
        kind: 'ok',
        duplicate: true,
      });
      expect(
        await store.recordChunkRecreated({
          jobId: 'j8',
          workerId: 'w2',
          epoch,
          requestId: request(),
          index: 0,
          reason: 'missing',
          bytes: 1,
          sha256: digest.sha256,
        }),
      ).toEqual({ kind: 'already_committed', index: 0 });
      for (const index of [1, 2])
        await store.commitChunk({
          jobId: 'j8',
          workerId: 'w2',
          epoch,
          requestId: request(),
          index,
          transcript: `t${index}`,
        });
      subject.clock.advance(250);
      await store.completeJob({ jobId: 'j8', workerId: 'w2', epoch, requestId: request() });
      const events = (await store.readEvents('j8')).filter((event) => event.recovery);
      expect(names(events)).toEqual([
        'recovery_started',
        'chunk_recreated',
        'processing_resumed',
        'chunk_transcribed',
        'progress_update',
        'chunk_transcribed',
        'progress_update',
        'progress_update',
        'transcription_completed',
        'recovery_completed',
      ]);
      expect(events[0]).toMatchObject({
        event: 'recovery_started',
        attempt: 1,
        recovery_type: 'lease_expired',
        previous_owner: 'w1',
        phase: 'transcribing',
      });
      expect(events[2]).toMatchObject({ completed_chunks: 1, remaining_chunks: 2 });
      expect(events.at(-1)).toMatchObject({
        event: 'recovery_completed',
        recovery_result: 'job_completed',
        attempt: 1,
        recreated_chunks: 1,
        duration_ms: 250,
      });
    });

    it('closes a recovery attempt whose owner vanished, and fails the job once attempts run out', async () => {
      await createAndClaim('j9', 'w1', 1);
      for (let attempt = 1; attempt <= attemptsMax; attempt += 1) {
        expire();
        const claim = await store.claimJob({
          jobId: 'j9',
          workerId: `r${attempt}`,
          leaseMs,
          recoveryAttemptsMax: attemptsMax,
          requestId: request(),
        });
        expect(claim).toMatchObject({
          kind: 'ok',
          recovery: true,
          job: { recovery: { attempts: attempt, open: true } },
        });
      }
      expire();
      const last = await store.claimJob({
        jobId: 'j9',
        workerId: 'rX',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(last.kind).toBe('exhausted');
      const job = await store.getJob('j9');
      expect(job).toMatchObject({ phase: 'failed', failure: { reason: 'recovery_attempts_exhausted' } });
      const events = await store.readEvents('j9');
      const recovery = events.filter((event) => event.event.startsWith('recovery_'));
      expect(names(recovery)).toEqual([
        'recovery_started',
        'recovery_failed',
        'recovery_started',
        'recovery_failed',
        'recovery_started',
        'recovery_failed',
      ]);
      expect(
        recovery
          .filter((event) => event.event === 'recovery_failed')
          .every((event) => event.event === 'recovery_failed' && event.recovery_result === 'owner_lost'),
      ).toBe(true);
      expect(events.at(-1)).toMatchObject({ event: 'job_failed', reason: 'recovery_attempts_exhausted' });
      expect(
        await store.claimJob({
          jobId: 'j9',
          workerId: 'rY',
          leaseMs,
          recoveryAttemptsMax: attemptsMax,
          requestId: request(),
        }),
      ).toEqual({
        kind: 'not_claimable',
        reason: 'terminal',
      });
    });

    it('fails a job with chunk_failed, job_failed and recovery_failed, then refuses every write', async () => {
      await createAndClaim('j10', 'w1', 2);
      expire();
      const claim = await store.claimJob({
        jobId: 'j10',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      if (claim.kind !== 'ok') throw new Error('claim');
      const epoch = claim.job.epoch;
      const failed = await store.failJob({
        jobId: 'j10',
        workerId: 'w2',
        epoch,
        requestId: request(),
        reason: 'transcription_rejected',
        message: 'HTTP 400',
        chunkIndex: 1,
        retryable: false,
      });
      expect(failed).toEqual({ kind: 'ok', duplicate: false });
      const tail = (await store.readEvents('j10')).slice(-3);
      expect(names(tail)).toEqual(['chunk_failed', 'job_failed', 'recovery_failed']);
      expect(tail[0]).toMatchObject({ chunk_index: 1, retryable: false });
      expect(tail[2]).toMatchObject({ recovery_result: 'job_failed', reason: 'transcription_rejected' });
      expect(await store.getJob('j10')).toMatchObject({
        phase: 'failed',
        failure: { reason: 'transcription_rejected', message: 'HTTP 400' },
      });
      expect(
        await store.commitChunk({
          jobId: 'j10',
          workerId: 'w2',
          epoch,
          requestId: request(),
          index: 0,
          transcript: 'x',
        }),
      ).toEqual({
        kind: 'terminal',
        phase: 'failed',
      });
      expect(await store.renewLease({ jobId: 'j10', workerId: 'w2', epoch, leaseMs })).toMatchObject({
        kind: 'stale_epoch',
      });
    });

    it('makes a released job claimable at once, as a recovery of type released', async () => {
      const epoch = await createAndClaim('j11', 'w1', 1);
      expect(await store.releaseJob({ jobId: 'j11', workerId: 'w1', epoch, requestId: request() })).toEqual({
        kind: 'ok',
        duplicate: false,
      });
      expect(await store.listRecoverableJobs(10)).toContain('j11');
      const claim = await store.claimJob({
        jobId: 'j11',
        workerId: 'w2',
        leaseMs,
        recoveryAttemptsMax: attemptsMax,
        requestId: request(),
      });
      expect(claim.kind).toBe('ok');
      const started = (await store.readEvents('j11')).find((event) => event.event === 'recovery_started');
      expect(started).toMatchObject({ recovery_type: 'released', previous_owner: 'w1', attempt: 1 });
    });

    it('hands a released job over more times than recoveryAttemptsMax without exhausting it; crash recoveries still exhaust it, counted apart', async () => {
      let epoch = await createAndClaim('j11h', 'w1', 1);
      let owner = 'w1';
      const handovers = attemptsMax + 2;
      const claim = (workerId: string) =>
        store.claimJob({ jobId: 'j11h', workerId, leaseMs, recoveryAttemptsMax: attemptsMax, requestId: request() });
      for (let handover = 1; handover <= handovers; handover += 1) {
        const released = await store.releaseJob({ jobId: 'j11h', workerId: owner, epoch, requestId: request() });
        expect(released).toEqual({ kind: 'ok', duplicate: false });
        owner = `h${handover}`;
        const taken = await claim(owner);
        expect(taken).toMatchObject({
          kind: 'ok',
          recovery: true,
          job: { epoch: epoch + 1, owner, recovery: { attempts: handover, handovers: handover, open: true } },
        });
        if (taken.kind !== 'ok') throw new Error('claim');
        epoch = taken.job.epoch;
      }
      for (let crash = 1; crash <= attemptsMax; crash += 1) {
        expire();
        expect(await claim(`c${crash}`)).toMatchObject({
          kind: 'ok',
          recovery: true,
          job: { recovery: { attempts: handovers + crash, handovers, open: true } },
        });
      }
      expire();
      expect((await claim('cX')).kind).toBe('exhausted');
      const message = `job abandoned by its owner after ${attemptsMax} crash recoveries and ${handovers} hand-overs (max ${attemptsMax} crash recoveries)`;
      expect(await store.getJob('j11h')).toMatchObject({
        phase: 'failed',
        failure: { reason: 'recovery_attempts_exhausted', message },
        recovery: { attempts: handovers + attemptsMax, handovers, open: false },
      });
      const events = await store.readEvents('j11h');
      const started = events.filter((event) => event.event === 'recovery_started');
      expect(started.map((event) => [event.attempt, event.recovery_type])).toEqual([
        ...Array.from({ length: handovers }, (_, index) => [index + 1, 'released']),
        ...Array.from({ length: attemptsMax }, (_, index) => [handovers + index + 1, 'lease_expired']),
      ]);
      expect(events.at(-1)).toMatchObject({ event: 'job_failed', reason: 'recovery_attempts_exhausted', message });
    });

    it('renews a lease so that it is not claimable, and lists only claimable jobs', async () => {
      const epoch = await createAndClaim('j12', 'w1', 1);
      await store.createJob({ jobId: 'j13', source: '/b', chunkLengthMs: 1_000 });
      subject.clock.advance(leaseMs - 1_000);
      const renewed = await store.renewLease({ jobId: 'j12', workerId: 'w1', epoch, leaseMs });
      expect(renewed).toEqual({ kind: 'ok', leaseExpiresAtMs: subject.clock.now() + leaseMs });
      subject.clock.advance(5_000);
      expect(await store.listRecoverableJobs(10)).toEqual(['j13']);
      expect(
        await store.claimJob({
          jobId: 'j12',
          workerId: 'w2',
          leaseMs,
          recoveryAttemptsMax: attemptsMax,
          requestId: request(),
        }),
      ).toMatchObject({
        kind: 'not_claimable',
      });
      subject.clock.advance(leaseMs);
      expect(new Set(await store.listRecoverableJobs(10))).toEqual(new Set(['j12', 'j13']));
      expect(await store.listRecoverableJobs(1)).toHaveLength(1);
      await expect(store.listRecoverableJobs(0)).rejects.toThrow(RangeError);
    });

    it('reads every event from any seq, across many pages', async () => {
      const epoch = await createAndClaim('j14', 'w1', 150);
      for (let index = 0; index < 150; index += 1) {
        await store.commitChunk({
          jobId: 'j14',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index,
          transcript: `t${index}`,
        });
      }
      const events = await store.readEvents('j14');
      expect(events).toHaveLength(2 + 300);
      expect(events.map((event) => event.seq)).toEqual(events.map((_, position) => position + 1));
      const tail = await store.readEvents('j14', 250);
      expect(tail[0]?.seq).toBe(250);
      expect(tail).toHaveLength(53);
      expect(await store.readEvents('nope')).toEqual([]);
    });

    it('quarantines a job as state_corrupt, fencing out its owner', async () => {
      const epoch = await createAndClaim('j15', 'w1', 2);
      const result = await store.quarantineJob({
        jobId: 'j15',
        workerId: 'doctor',
        message: 'chunk 1 marked done without text',
        requestId: request(),
      });
      expect(result).toEqual({ kind: 'ok', duplicate: false });
      expect(await store.getJob('j15')).toMatchObject({
        phase: 'failed',
        epoch: epoch + 1,
        failure: { reason: 'state_corrupt' },
      });
      expect((await store.readEvents('j15')).at(-1)).toMatchObject({
        event: 'job_failed',
        reason: 'state_corrupt',
        worker_id: 'doctor',
      });
      expect(
        await store.commitChunk({
          jobId: 'j15',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index: 0,
          transcript: 'x',
        }),
      ).toMatchObject({
        kind: 'stale_epoch',
      });
    });

    it('refuses phase-skipping writes: no commit before a plan, no completion with pending chunks', async () => {
      const epoch = await createAndClaim('j16', 'w1', 0);
      expect(
        await store.commitChunk({
          jobId: 'j16',
          workerId: 'w1',
          epoch,
          requestId: request(),
          index: 0,
          transcript: 'x',
        }),
      ).toMatchObject({
        kind: 'invalid_state',
        phase: 'chunking',
      });
      await store.recordChunkPlan({
        jobId: 'j16',
        workerId: 'w1',
        epoch,
        requestId: request(),
        durationMs: 2_000,
        chunks: chunkPlan(2),
      });
      expect(await store.completeJob({ jobId: 'j16', workerId: 'w1', epoch, requestId: request() })).toMatchObject({
        kind: 'invalid_state',
      });
      expect(await store.markResumed({ jobId: 'j16', workerId: 'w1', epoch, requestId: request() })).toMatchObject({
        kind: 'invalid_state',
      });
      expect(
        await store.recordChunkPlan({
          jobId: 'j16',
          workerId: 'w1',
          epoch,
          requestId: request(),
          durationMs: 2_000,
          chunks: chunkPlan(2),
        }),
      ).toMatchObject({ kind: 'invalid_state', phase: 'transcribing' });
      expect(await store.readEvents('j16')).toHaveLength(2);
    });
  });
}
