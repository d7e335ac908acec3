/**
 * The store's own witness. Every few hundred ms a live run reads the newest entry of each job's
 * event stream (its seq: entry ids are `<seq>-0`) with a client of its own. An entry the store
 * once showed and later no longer has is data the store lost: Redis restarted without the
 * writes it had acknowledged (no AOF, or an fsync policy that lets a kill -9 lose them). Such a
 * job's violations are the store's, not the engine's: the run reports them apart (run.ts).
 *
 * A stream the engine's quarantine set aside (its `:wrongtype` key exists) is no loss; a stream
 * whose key holds the wrong type (hand-edited by the nemesis) is skipped until it is mended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { asideKeys, createRedisClient, jobKeys } from '../../src/adapters/redis/index.js';

/** One loss of the store. */
export interface StoreLoss {
  /** When it was seen (epoch ms). */
  readonly atMs: number;
  readonly job: string;
  /**
   * Highest seq the stream had shown, and what it holds now (-1: the stream is gone). A job whose
   * submission was acknowledged and that is gone after a Redis restart, before the watcher saw its
   * stream, has seenSeq 0 (see {@link lostSubmissions}).
   */
  readonly seenSeq: number;
  readonly nowSeq: number;
}

/**
 * Jobs whose submission Redis acknowledged, that a later Redis restart wiped before the watcher
 * sampled them: gone from the store at the end (`gone`), submitted before a restart began.
 */
export function lostSubmissions(
  submittedAtMs: ReadonlyMap<string, number>,
  restartsAtMs: readonly number[],
  gone: (jobId: string) => boolean,
  known: readonly StoreLoss[],
): StoreLoss[] {
  const seen = new Set(known.map((loss) => loss.job));
  const losses: StoreLoss[] = [];
  for (const [job, submittedMs] of submittedAtMs) {
    const restartMs = restartsAtMs.find((atMs) => atMs > submittedMs);
    if (restartMs !== undefined && !seen.has(job) && gone(job))
      losses.push({ atMs: restartMs, job, seenSeq: 0, nowSeq: -1 });
  }
  return losses;
}

/** Interval between two samples. */
export const watchIntervalMs = 250;

/** Samples every job's stream until stopped; {@link losses} lists what vanished. */
export class StoreWatcher {
  private readonly highest = new Map<string, number>();
  private readonly lost = new Map<string, StoreLoss>();
  private readonly client;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly keyPrefix: string,
    private readonly jobIds: () => readonly string[],
  ) {
    this.client = createRedisClient(url);
    // Its errors (Redis down) are samples skipped, not failures of the run.
    this.client.on('error', () => undefined);
  }

  /** Starts sampling. */
  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.sample().catch(() => undefined);
        await sleep(watchIntervalMs);
      }
    })();
  }

  /** One pass over every job (exported for tests through {@link StoreWatcher.sampleOnce}). */
  async sampleOnce(): Promise<void> {
    await this.sample();
  }

  /** Stops sampling after one last pass; resolves to the losses seen, one per job (the first). */
  async stop(): Promise<StoreLoss[]> {
    this.stopped = true;
    await this.loop;
    await this.sample().catch(() => undefined);
    this.client.disconnect();
    return this.losses();
  }

  /** Stops sampling at once, without a last pass (the run was interrupted or failed). */
  abandon(): void {
    this.stopped = true;
    this.client.disconnect();
  }

  losses(): StoreLoss[] {
    return [...this.lost.values()];
  }

  private async sample(): Promise<void> {
    const jobIds = this.jobIds();
    const pipeline = this.client.pipeline();
    for (const jobId of jobIds) {
      pipeline.xrevrange(jobKeys(this.keyPrefix, jobId).events, '+', '-', 'COUNT', 1);
      pipeline.exists(asideKeys(this.keyPrefix, jobId).events);
    }
    const replies = (await pipeline.exec()) ?? [];
    const atMs = Date.now();
    jobIds.forEach((jobId, position) => {
      const [streamError, newest] = replies[2 * position] ?? [null, null];
      const [asideError, aside] = replies[2 * position + 1] ?? [null, 0];
      if (streamError !== null || asideError !== null || aside === 1) return;
      const entries = newest as [string, string[]][];
      const nowSeq = entries.length === 0 ? -1 : Number.parseInt(entries[0]?.[0] ?? '-1', 10);
      const seen = this.highest.get(jobId) ?? -1;
      if (nowSeq < seen && !this.lost.has(jobId)) this.lost.set(jobId, { atMs, job: jobId, seenSeq: seen, nowSeq });
      if (nowSeq > seen) this.highest.set(jobId, nowSeq);
    });
  }
}
