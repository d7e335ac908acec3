/**
 * The store's own witness. Every few hundred ms a live run reads the newest entry of each job's
 * event stream (its seq: entry ids are `<seq>-0`) with a client of its own, and the entry at the
 * highest seq it saw before. An entry the store once showed and later no longer has, or has with
 * other fields (lost, then its seq written again before the next sample), is data the store lost:
 * Redis restarted without the writes it had acknowledged (no AOF, or an fsync policy that lets a
 * kill -9 lose them). Such a job's violations are the store's, not the engine's: the run reports them apart (run.ts).
 *
 * On a Redis Cluster (`--cluster`) a loss is data a failover dropped: what a master acknowledged
 * and had not yet replicated when its replica was promoted.
 *
 * A stream the engine's quarantine set aside (its `:wrongtype` key exists) is no loss; a stream
 * whose key holds the wrong type (hand-edited by the nemesis) is skipped until it is mended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { asideKeys, connectRedis, jobKeys } from '../../src/adapters/redis/index.js';

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

type StreamEntries = [id: string, fields: string[]][];

/** What one sample read of one job. */
interface JobSample {
  readonly newest: { readonly seq: number; readonly fields: string } | null;
  readonly atSeen: string | null;
  readonly aside: boolean;
}

/** Interval between two samples. */
export const watchIntervalMs = 250;

/** Samples every job's stream until stopped; {@link losses} lists what vanished. */
export class StoreWatcher {
  private readonly highest = new Map<string, number>();
  /** The fields (as JSON) of the entry at each job's highest seq seen. */
  private readonly shown = new Map<string, string>();
  private readonly lost = new Map<string, StoreLoss>();
  private readonly client;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    url: string,
    private readonly keyPrefix: string,
    private readonly jobIds: () => readonly string[],
  ) {
    this.client = connectRedis(url);
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
    const replies = await this.read(jobIds);
    const atMs = Date.now();
    jobIds.forEach((jobId, position) => {
      const reply = replies[position];
      if (reply === undefined || reply.aside) return;
      const nowSeq = reply.newest === null ? -1 : reply.newest.seq;
      const seen = this.highest.get(jobId) ?? -1;
      // The entry it had shown at `seen` now says something else: lost, and its seq written again since.
      const rewritten = seen > 0 && nowSeq >= seen && reply.atSeen !== this.shown.get(jobId);
      if ((nowSeq < seen || rewritten) && !this.lost.has(jobId))
        this.lost.set(jobId, { atMs, job: jobId, seenSeq: seen, nowSeq });
      if (nowSeq > seen && reply.newest !== null) {
        this.highest.set(jobId, nowSeq);
        this.shown.set(jobId, reply.newest.fields);
      }
    });
  }

  /**
   * Per job: its stream's newest entry, the entry at the highest seq seen before (its fields as JSON, or null when it
   * is gone), and whether the engine set the stream aside; undefined when it could not be read (Redis down). One
   * pipeline per job: a cluster's pipelines hold the keys of one slot.
   */
  private async read(jobIds: readonly string[]): Promise<(JobSample | undefined)[]> {
    return Promise.all(
      jobIds.map(async (jobId) => {
        const events = jobKeys(this.keyPrefix, jobId).events;
        const seen = this.highest.get(jobId) ?? -1;
        const pipeline = this.client
          .pipeline()
          .xrevrange(events, '+', '-', 'COUNT', 1)
          .exists(asideKeys(this.keyPrefix, jobId).events);
        if (seen > 0) pipeline.xrange(events, String(seen), String(seen));
        const replies = await pipeline.exec().catch(() => null);
        if (replies === null || replies.some(([error]) => error !== null)) return undefined;
        const [newest, aside, atSeen] = replies.map(([, value]) => value) as [StreamEntries, number, StreamEntries?];
        const first = newest[0];
        return {
          newest: first === undefined ? null : { seq: Number.parseInt(first[0], 10), fields: JSON.stringify(first[1]) },
          atSeen: atSeen?.[0] === undefined ? null : JSON.stringify(atSeen[0][1]),
          aside: aside === 1,
        };
      }),
    );
  }
}
