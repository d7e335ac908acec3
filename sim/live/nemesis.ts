/**
 * The nemesis of a live run: every 0.7–1.7 s of the fault phase it makes one move, drawn from a
 * seeded (mulberry32) shuffle of a deck that holds every kind of move, so that any run longer
 * than one deck (about 10 s) makes each kind at least once:
 *
 * - kill: SIGKILL a worker's process group (a worker holding a job when there is one: with several
 *   loops per process, one of whose loops holds one); a replacement starts 0.3–0.9 s later;
 * - pause: SIGSTOP a worker (one holding a job when there is one) for its lease plus 0.5–4 s and
 *   start a standby in its slot at once, as an orchestrator replaces an unresponsive worker, so
 *   that someone is there to take the expired lease over; then SIGCONT: a zombie whose writes the
 *   store must fence out. 1.5 s after it woke, the zombie is retired with SIGTERM;
 * - redis: kill -9 the redis-server, start it again on the same port and directory 0.3–1.5 s later
 *   (one time in three: after the lease plus 1–3 s, an outage longer than every lease). On a Redis
 *   Cluster (`--cluster`) the move is a failover of a random master instead, one of three: a
 *   graceful `CLUSTER FAILOVER` on its replica (which first catches up: nothing is lost); kill -9 of
 *   the master, its replica promoted by the cluster after the node timeout, and the old master
 *   started again as a replica (what it acknowledged and had not yet replicated is lost); or the
 *   same with the replica stopped (SIGSTOP) for 0.5–1.4 s first, so that the writes the master
 *   acknowledges meanwhile are surely lost, unless the store waits for a replica after every write;
 * - damage: delete, truncate or corrupt the file of a pending chunk of a transcribing job (a new
 *   file renamed over the old one, as writers do, so no reader sees a torn file);
 * - tamper: the stored state of a transcribing job is hand-edited into an inconsistent one (its
 *   phase says finalizing while chunks are pending): the engine must quarantine it (P10);
 * - wrongtype: a key of a transcribing job is replaced by one of the wrong Redis type (its state
 *   hash by a list, or its chunks hash by a string): the engine must quarantine the job in O(1)
 *   and go on claiming the others (P10). Its event stream is left alone: the checkers judge it;
 * - hang: the next 1–2 transcription requests get no answer for 60 s: the worker's request
 *   timeout (`--transcribe-timeout-ms`) must give up on them and retry;
 * - api: every transcription request of the next 0.8–3 s gets HTTP 429 or 500 (one time in three:
 *   5–15 s of 429/500 with a Retry-After of 1–3 s, a rate-limit window that outlasts the retries a
 *   worker would make without waiting it out); one time in three, 1–3 requests are cut mid-reply.
 *
 * The seed fixes the schedule (which move comes when: its own mulberry32 stream) and the draws of
 * each move's parameters (another stream), but not the interleaving with the workers, nor which
 * worker or chunk a move finds to hit: a live run is not replayable the way a simulated one is.
 */
import { readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisJobStore } from '../../src/adapters/redis/index.js';
import { mulberry32 } from '../random.js';
import type { FakeOpenAIServer } from './openai-server.js';
import type { ChunkDamage, NemesisAction, StateEdit } from './record.js';
import type { LiveRedisCluster } from './redis-cluster.js';
import type { LiveRedis } from './redis-server.js';
import type { LiveWorker, WorkerPool } from './workers.js';

/** One kind of move. */
export type NemesisMove = 'kill' | 'pause' | 'redis' | 'damage' | 'api' | 'tamper' | 'wrongtype' | 'hang';

/** The deck each round shuffles: kills are the commonest move. */
export const nemesisDeck: readonly NemesisMove[] = [
  'kill',
  'kill',
  'kill',
  'pause',
  'pause',
  'redis',
  'damage',
  'damage',
  'api',
  'tamper',
  'wrongtype',
  'hang',
];

/** How long a hung request goes unanswered: longer than any worker waits. */
export const hangMs = 60_000;

/** Gap between two moves, in ms. */
const moveGapMsMin = 700;
const moveGapMsMax = 1_700;
/** How long a zombie runs after it woke before it is retired. */
const zombieRetireMs = 1_500;
/** Jobs looked at when choosing a chunk to damage. */
const damageCandidatesMax = 8;

/** What the nemesis acts on. */
export interface NemesisContext {
  readonly seed: number;
  readonly leaseMs: number;
  readonly pool: WorkerPool;
  /** The run's redis-server, or its cluster (whose `redis` move is a failover). */
  readonly redis: LiveRedis | LiveRedisCluster;
  readonly server: FakeOpenAIServer;
  /** The run's own store client, to choose chunks to damage. */
  readonly store: RedisJobStore;
  readonly chunksDir: string;
  /** Where damaged copies are written before they are renamed over a chunk file (same file system). */
  readonly scratchDir: string;
  readonly signal: AbortSignal;
  readonly act: (action: NemesisAction) => void;
  readonly say: (text: string) => void;
}

/** Plays moves until the fault phase ends; {@link settle} then waits for pending resumes and restarts. */
export class Nemesis {
  /** Gaps and deck order. */
  private readonly schedule: () => number;
  /** Victims, durations, damage. */
  private readonly random: () => number;
  /** Statuses of the API errors. */
  private readonly statusRandom: () => number;
  private readonly pending = new Set<Promise<void>>();
  private deck: NemesisMove[] = [];
  private scratchCounter = 0;

  constructor(private readonly context: NemesisContext) {
    this.schedule = mulberry32(context.seed);
    this.random = mulberry32(context.seed ^ 0x1b873593);
    this.statusRandom = mulberry32(context.seed ^ 0x5bd1e995);
  }

  /** Makes moves until `untilMs` (epoch ms). */
  async run(untilMs: number): Promise<void> {
    for (;;) {
      const gapMs = Math.round(moveGapMsMin + this.schedule() * (moveGapMsMax - moveGapMsMin));
      if (Date.now() + gapMs >= untilMs) break;
      await sleep(gapMs, undefined, { signal: this.context.signal });
      await this.move(this.nextMove());
    }
    await sleep(Math.max(0, untilMs - Date.now()), undefined, { signal: this.context.signal });
  }

  /** Waits until every paused worker was resumed and every killed one replaced. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private nextMove(): NemesisMove {
    if (this.deck.length === 0) this.deck = shuffled(nemesisDeck, this.schedule);
    return this.deck.pop() ?? 'kill';
  }

  private async move(move: NemesisMove): Promise<void> {
    switch (move) {
      case 'kill':
        return this.kill();
      case 'pause':
        return this.pause();
      case 'redis':
        return this.restartRedis();
      case 'damage':
        return this.damageChunk();
      case 'api':
        return this.apiErrors();
      case 'tamper':
        return this.tamperState();
      case 'wrongtype':
        return this.wrongType();
      case 'hang':
        return this.hang();
    }
  }

  private between(minimum: number, maximum: number): number {
    return Math.round(minimum + this.random() * (maximum - minimum));
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.random() * items.length)];
  }

  /** A running, unpaused worker, one some loop of which holds a job when there is one. */
  private victim(): LiveWorker | undefined {
    const candidates = this.context.pool.running().filter((worker) => !worker.paused && !worker.ending);
    const busy = candidates.filter((worker) => worker.jobs.size > 0);
    return this.pick(busy.length > 0 ? busy : candidates);
  }

  private later(delayMs: number, action: () => void | Promise<void>): void {
    const done = sleep(delayMs, undefined, { signal: this.context.signal }).then(action, () => undefined);
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private async kill(): Promise<void> {
    const worker = this.victim();
    const restartMs = this.between(300, 900);
    if (worker === undefined) return;
    const held = worker.holdings();
    const atMs = Date.now();
    await this.context.pool.kill(worker);
    this.context.act({ atMs, kind: 'kill', actor: worker.actor, slot: worker.slot, held });
    this.context.say(`kill ${worker.actor}${holdingText(worker.actor, held)}`);
    this.later(restartMs, () => {
      this.context.pool.start(worker.slot);
    });
  }

  private async pause(): Promise<void> {
    const worker = this.victim();
    const durationMs = this.context.leaseMs + this.between(500, 4_000);
    if (worker === undefined || !this.context.pool.pause(worker)) return;
    const { pool } = this.context;
    const held = worker.holdings();
    this.context.act({ atMs: Date.now(), kind: 'pause', actor: worker.actor, slot: worker.slot, durationMs, held });
    const standby = pool.start(worker.slot);
    this.context.say(
      `pause ${worker.actor}${holdingText(worker.actor, held)} for ${durationMs} ms (lease ${this.context.leaseMs} ms); standby ${standby.actor}`,
    );
    this.later(durationMs, () => {
      pool.resume(worker);
      this.context.act({ atMs: Date.now(), kind: 'resume', actor: worker.actor });
      this.later(zombieRetireMs, () => pool.retire(worker));
    });
  }

  private async restartRedis(): Promise<void> {
    const { redis } = this.context;
    if ('failover' in redis) return this.failover(redis);
    const downMs = this.random() < 1 / 3 ? this.context.leaseMs + this.between(1_000, 3_000) : this.between(300, 1_500);
    const atMs = Date.now();
    await redis.crash();
    this.context.say(`kill -9 redis-server, restart in ${downMs} ms`);
    await sleep(downMs, undefined, { signal: this.context.signal });
    await redis.restart();
    this.context.act({ atMs, kind: 'redis_down', durationMs: Date.now() - atMs });
  }

  /** A failover of a random master of the cluster: graceful or by kill -9 (see the module comment). */
  private async failover(cluster: LiveRedisCluster): Promise<void> {
    const masters = await cluster.masterPorts();
    const master = this.pick(masters);
    const draw = this.random();
    const how = draw < 1 / 3 ? 'graceful' : draw < 2 / 3 ? 'kill' : 'lagging';
    const lagMs = this.between(500, 1_400);
    if (master === undefined) return;
    const atMs = Date.now();
    if (how === 'lagging') {
      this.context.say(
        `cluster master ${master}: its replica stopped for ${lagMs} ms, then the master killed (kill -9)`,
      );
      const { promoted, downMs } = await cluster.killMasterWithLaggingReplicas(master, () =>
        sleep(lagMs, undefined, { signal: this.context.signal }),
      );
      this.context.act({ atMs, kind: 'redis_down', durationMs: Date.now() - atMs, failover: 'kill' });
      this.context.say(`replica ${promoted} promoted ${downMs} ms after the kill; ${master} restarted as a replica`);
      return;
    }
    if (how === 'graceful') {
      const promoted = await cluster.failover(master);
      this.context.act({ atMs, kind: 'redis_down', durationMs: Date.now() - atMs, failover: how });
      this.context.say(`CLUSTER FAILOVER: replica ${promoted} took over from master ${master}`);
      return;
    }
    this.context.say(`kill -9 cluster master ${master}`);
    const { promoted, downMs } = await cluster.killMaster(master);
    this.context.act({ atMs, kind: 'redis_down', durationMs: downMs, failover: how });
    this.context.say(`replica ${promoted} promoted after ${downMs} ms; ${master} restarted as a replica`);
  }

  private async apiErrors(): Promise<void> {
    const long = this.random() < 1 / 3;
    const durationMs = long ? this.between(5_000, 15_000) : this.between(800, 3_000);
    const retryAfterMs = long ? this.between(1, 3) * 1_000 : 0;
    const resets = this.random() < 1 / 3 ? this.between(1, 3) : 0;
    const atMs = Date.now();
    this.context.server.failUntil(
      atMs + durationMs,
      () => (this.statusRandom() < 0.5 ? 429 : 500),
      retryAfterMs > 0 ? String(retryAfterMs / 1_000) : undefined,
    );
    // Resets go first: they meet the requests after the window.
    for (let reset = 0; reset < resets; reset += 1) this.context.server.inject({ kind: 'reset' });
    this.context.act({ atMs, kind: 'api_errors', durationMs, retryAfterMs, resets });
    this.context.say(
      `API answers 429/500 for ${durationMs} ms${retryAfterMs > 0 ? ` with Retry-After ${retryAfterMs / 1_000} s` : ''}${resets > 0 ? `; ${resets} reply(ies) cut mid-body` : ''}`,
    );
  }

  /**
   * Hand-edits the stored state of a transcribing job into an inconsistent one (the phase says
   * every chunk is done while chunks are pending), as the simulator's state_corrupt does: the next
   * write or claim must detect it and quarantine the job.
   */
  private async tamperState(): Promise<void> {
    // Only while it is still transcribing: a script's own write in between wins.
    const edit =
      "if redis.call('HGET', KEYS[1], 'phase') == 'transcribing' then redis.call('HSET', KEYS[1], 'phase', 'finalizing') return 1 end return 0";
    await this.editState(
      edit,
      'phase',
      (jobId) => `state of ${jobId} hand-edited: phase finalizing with chunks pending`,
    );
  }

  /** Replaces the state hash of a transcribing job by a list, or its chunks hash by a string. */
  private async wrongType(): Promise<void> {
    const chunks = this.random() < 0.5;
    const edit = chunks
      ? "if redis.call('HGET', KEYS[1], 'phase') == 'transcribing' then redis.call('DEL', KEYS[2]) redis.call('SET', KEYS[2], 'not a hash') return 1 end return 0"
      : "if redis.call('HGET', KEYS[1], 'phase') == 'transcribing' then redis.call('DEL', KEYS[1]) redis.call('RPUSH', KEYS[1], 'not a hash') return 1 end return 0";
    await this.editState(
      edit,
      chunks ? 'chunks_type' : 'state_type',
      (jobId) => `${chunks ? 'chunks' : 'state'} key of ${jobId} replaced by a ${chunks ? 'string' : 'list'}`,
    );
  }

  /**
   * Runs `edit` (KEYS: state, chunks; 1 when it edited) on the first of a few transcribing jobs
   * with chunks pending that it applies to, and records a state_corrupt action.
   */
  private async editState(edit: string, how: StateEdit, describe: (jobId: string) => string): Promise<void> {
    const jobIds = await readdir(this.context.chunksDir).catch(() => [] as string[]);
    const { connectRedis } = await import('../../src/adapters/redis/index.js');
    const client = connectRedis(this.context.redis.url);
    try {
      for (const jobId of shuffled(jobIds.sort(), this.random).slice(0, damageCandidatesMax)) {
        const job = await this.context.store.getJob(jobId).catch(() => null);
        if (job === null || job.phase !== 'transcribing' || job.chunks.every((chunk) => chunk.transcript !== null))
          continue;
        const keys = this.context.store.keys(jobId);
        const changed = await client.eval(edit, 2, keys.state, keys.chunks);
        if (changed !== 1) continue;
        this.context.act({ atMs: Date.now(), kind: 'state_corrupt', job: jobId, how });
        this.context.say(describe(jobId));
        return;
      }
      this.context.say(`no transcribing job with chunks pending to edit (${how})`);
    } catch {
      this.context.say(`Redis down: no state edit (${how})`);
    } finally {
      client.disconnect();
    }
  }

  /** The next 1–2 transcription requests get no answer for {@link hangMs}. */
  private async hang(): Promise<void> {
    const requests = this.between(1, 2);
    for (let request = 0; request < requests; request += 1) this.context.server.inject({ kind: 'stall', ms: hangMs });
    this.context.act({ atMs: Date.now(), kind: 'api_hang', requests });
    this.context.say(`the next ${requests} transcription request(s) hang for ${hangMs / 1_000} s`);
  }

  private async damageChunk(): Promise<void> {
    const damage: ChunkDamage = this.pick(['delete', 'truncate', 'corrupt'] as const) ?? 'delete';
    const jobIds = await readdir(this.context.chunksDir).catch(() => [] as string[]);
    for (const jobId of shuffled(jobIds.sort(), this.random).slice(0, damageCandidatesMax)) {
      const job = await this.context.store.getJob(jobId).catch(() => null);
      if (job === null || job.phase !== 'transcribing') continue;
      const pending = job.chunks.filter((chunk) => chunk.transcript === null);
      const chunk = this.pick(pending);
      if (chunk === undefined) continue;
      if (await this.damage(path.join(this.context.chunksDir, jobId, `${chunk.index}.wav`), damage)) {
        this.context.act({ atMs: Date.now(), kind: 'chunk_damage', job: jobId, index: chunk.index, damage });
        this.context.say(`${damage} chunk file ${jobId}/${chunk.index}`);
        return;
      }
    }
  }

  /** Damages one chunk file; false when it was not there. */
  private async damage(file: string, damage: ChunkDamage): Promise<boolean> {
    if (damage === 'delete')
      return unlink(file).then(
        () => true,
        () => false,
      );
    const data = await readFile(file).catch(() => null);
    if (data === null || data.length < 2) return false;
    const damaged = damage === 'truncate' ? data.subarray(0, data.length >> 1) : Buffer.from(data);
    if (damage === 'corrupt')
      for (let offset = data.length >> 1; offset < Math.min(data.length, (data.length >> 1) + 16); offset += 1)
        damaged[offset] = (damaged[offset] ?? 0) ^ 0xff;
    this.scratchCounter += 1;
    const scratch = path.join(this.context.scratchDir, `damaged-${this.scratchCounter}`);
    await writeFile(scratch, damaged);
    try {
      await rename(scratch, file);
      return true;
    } catch {
      await rm(scratch, { force: true });
      return false;
    }
  }
}

/**
 * What the process `actor` held when struck: ` holding job-a` (one loop), ` holding job-a (w0#1.1), job-b (w0#1.2)`
 * (several loops), or ` (idle)`.
 */
export function holdingText(actor: string, held: Readonly<Record<string, string>>): string {
  const entries = Object.entries(held);
  if (entries.length === 0) return ' (idle)';
  return ` holding ${entries.map(([loop, job]) => (loop === actor ? job : `${job} (${loop})`)).join(', ')}`;
}

/** A Fisher-Yates shuffle of `items` driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/**
 * The first `count` moves and the gaps before them that seed `seed` schedules (the first deck decides which kinds a
 * short run sees).
 */
export function scheduledMoves(seed: number, count: number): { readonly gapMs: number; readonly move: NemesisMove }[] {
  const schedule = mulberry32(seed);
  const moves: { gapMs: number; move: NemesisMove }[] = [];
  let deck: NemesisMove[] = [];
  while (moves.length < count) {
    const gapMs = Math.round(moveGapMsMin + schedule() * (moveGapMsMax - moveGapMsMin));
    if (deck.length === 0) deck = shuffled(nemesisDeck, schedule);
    moves.push({ gapMs, move: deck.pop() ?? 'kill' });
  }
  return moves;
}
