/**
 * The live run's worker processes: `node bin/chunkwise.js worker …`, one per slot, each its own
 * process group, each named `w<slot>#<incarnation>` and calling the fake API through its own
 * tagged path. A process runs `concurrency` worker loops (`--concurrency`): one loop takes the
 * process's name, several are `w<slot>#<incarnation>.1` … `.N`, as the worker command names them
 * and as the simulator names its loop actors. Their JSON log lines are read as they come, each
 * attributed to the loop its `workerId` names: `--trace-store` lines (acknowledged grants,
 * renewals, commits), which job each loop holds, and `error` lines. A worker that exits without
 * being told to is an error of the run and is replaced.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StoreTraceLine } from '../../src/cli/trace.js';
import { killGroup, signalGroup, spawnTracked, type TrackedChild } from './processes.js';
import type { NemesisAction, TraceRecord } from './record.js';

/** The chunkwise command the workers run. */
const binPath = fileURLToPath(new URL('../../bin/chunkwise.js', import.meta.url));
/** Lines of a worker's stderr kept for the message when it exits on its own. */
const stderrLinesMax = 20;

/** How every worker of a run is started. */
export interface WorkerSettings {
  readonly redisUrl: string;
  readonly chunksDir: string;
  readonly keyPrefix: string;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly sweepMs: number;
  /** Each transcription request's own limit (`--transcribe-timeout-ms`): a hung API is given up on after it. */
  readonly transcribeTimeoutMs: number;
  /** Worker loops per process (`--concurrency`). */
  readonly concurrency: number;
  /** Transcriptions of one job in flight at once (`--chunk-concurrency`). */
  readonly chunkConcurrency: number;
  readonly logDir: string;
  readonly baseURLFor: (actor: string) => string;
  readonly environment: NodeJS.ProcessEnv;
}

/** Where a pool reports what it saw. */
export interface WorkerObserver {
  action(action: NemesisAction): void;
  trace(record: TraceRecord): void;
}

/**
 * The actors of the loops of the worker process named `actor`: the process's own name for one loop, `<actor>.1` …
 * `<actor>.N` for several (the worker ids `chunkwise worker --worker-id <actor> --concurrency N` gives its loops).
 */
export function loopActors(actor: string, concurrency: number): readonly string[] {
  return concurrency <= 1 ? [actor] : Array.from({ length: concurrency }, (_, loop) => `${actor}.${loop + 1}`);
}

/** One worker process. */
export class LiveWorker {
  /** Each loop's job: the one it claimed last and has not stopped working on, as its log says (loop actor → job). */
  readonly jobs = new Map<string, string>();
  paused = false;
  /** True once the run asked it to end (a kill or a stop), so its exit is no error. */
  ending = false;
  /** True once it said it started: its preflight passed and it may claim. */
  started = false;
  readonly stderr: string[] = [];
  /** Resolves once its stdout was read to the end. */
  readonly drained: Promise<void>;

  constructor(
    readonly actor: string,
    readonly slot: number,
    /** The actors of its worker loops ({@link loopActors}). */
    readonly loops: readonly string[],
    readonly process: TrackedChild,
    drained: Promise<void>,
  ) {
    this.drained = drained;
  }

  /** What its loops hold now, loop actor → job (a copy). */
  holdings(): Record<string, string> {
    return Object.fromEntries(this.jobs);
  }

  get exited(): boolean {
    return this.process.hasExited();
  }
}

/** The worker processes of one run. */
export class WorkerPool {
  private readonly workers: LiveWorker[] = [];
  private readonly incarnations = new Map<number, number>();
  private stopping = false;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly observer: WorkerObserver,
  ) {}

  /** Starts the next incarnation of `slot`. */
  start(slot: number): LiveWorker {
    const incarnation = (this.incarnations.get(slot) ?? 0) + 1;
    this.incarnations.set(slot, incarnation);
    const actor = `w${slot}#${incarnation}`;
    const { settings } = this;
    const tracked = spawnTracked(
      process.execPath,
      [
        binPath,
        'worker',
        '--redis',
        settings.redisUrl,
        '--chunks-dir',
        settings.chunksDir,
        '--key-prefix',
        settings.keyPrefix,
        '--worker-id',
        actor,
        '--openai-base-url',
        settings.baseURLFor(actor),
        '--lease-ms',
        String(settings.leaseMs),
        '--poll-ms',
        String(settings.pollMs),
        '--sweep-ms',
        String(settings.sweepMs),
        '--transcribe-timeout-ms',
        String(settings.transcribeTimeoutMs),
        '--concurrency',
        String(settings.concurrency),
        '--chunk-concurrency',
        String(settings.chunkConcurrency),
        '--trace-store',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: settings.environment },
    );
    const log = createWriteStream(path.join(settings.logDir, `${actor.replace('#', '-')}.log`));
    const drained = this.read(tracked, actor, log);
    const loops = loopActors(actor, settings.concurrency);
    const worker = new LiveWorker(actor, slot, loops, tracked, drained);
    tracked.child.stderr?.on('data', (data: Buffer) => {
      log.write(data);
      worker.stderr.push(
        ...data
          .toString('utf8')
          .split('\n')
          .filter((line) => line.length > 0),
      );
      worker.stderr.splice(0, Math.max(0, worker.stderr.length - stderrLinesMax));
    });
    void tracked.exited.then(
      (exit) =>
        exit.code === refusedStartCode && !worker.started
          ? this.refused(worker)
          : this.exited(worker, `code ${String(exit.code)}, signal ${String(exit.signal)}`),
      (error: unknown) => this.exited(worker, String(error)),
    );
    this.workers.push(worker);
    this.observer.action({ atMs: Date.now(), kind: 'start', actor, slot, loops });
    return worker;
  }

  /** Workers that have not exited. */
  running(): LiveWorker[] {
    return this.workers.filter((worker) => !worker.exited);
  }

  /** SIGKILLs a worker's process group (ffmpeg included) and waits for it to exit. */
  async kill(worker: LiveWorker): Promise<void> {
    worker.ending = true;
    await killGroup(worker.process);
  }

  /** SIGSTOPs a worker's process group. */
  pause(worker: LiveWorker): boolean {
    worker.paused = signalGroup(worker.process.pid, 'SIGSTOP');
    return worker.paused;
  }

  /** SIGCONTs a worker's process group. */
  resume(worker: LiveWorker): void {
    signalGroup(worker.process.pid, 'SIGCONT');
    worker.paused = false;
  }

  /** Asks one worker to stop (SIGTERM: it finishes its step, releases what it holds, exits). */
  retire(worker: LiveWorker): void {
    worker.ending = true;
    signalGroup(worker.process.pid, 'SIGCONT');
    worker.process.child.kill('SIGTERM');
  }

  /** Waits for every retired worker to exit, SIGKILLing the group of one that takes longer than `waitMs`. */
  async awaitRetired(waitMs: number): Promise<void> {
    const retiring = this.workers.filter((worker) => worker.ending && !worker.exited);
    await Promise.all(
      retiring.map(async (worker) => {
        await Promise.race([worker.process.exited.catch(() => undefined), delay(waitMs)]);
        await killGroup(worker.process, 1_000);
      }),
    );
  }

  /**
   * Asks every worker to stop (SIGTERM: release, exit 0), then SIGKILLs what is left after `waitMs`; reads their logs
   * to the end.
   */
  async stopAll(waitMs: number): Promise<void> {
    this.stopping = true;
    const running = this.running();
    for (const worker of running) {
      worker.ending = true;
      signalGroup(worker.process.pid, 'SIGCONT');
      if (worker.process.child.kill('SIGTERM') === false) signalGroup(worker.process.pid, 'SIGTERM');
    }
    await Promise.all(
      running.map((worker) => Promise.race([worker.process.exited.catch(() => undefined), delay(waitMs)])),
    );
    await Promise.all(this.workers.map((worker) => killGroup(worker.process, 1_000)));
    await Promise.all(this.workers.map((worker) => Promise.race([worker.drained, delay(2_000)])));
  }

  /** SIGKILLs every worker at once (the run is ending abnormally). */
  async killAll(): Promise<void> {
    this.stopping = true;
    for (const worker of this.workers) worker.ending = true;
    await Promise.all(this.workers.map((worker) => killGroup(worker.process, 2_000)));
  }

  private read(tracked: TrackedChild, actor: string, log: WriteStream): Promise<void> {
    const stdout = tracked.child.stdout;
    if (stdout === null) return Promise.resolve();
    const lines = createInterface({ input: stdout, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      this.line(actor, line);
    });
    return new Promise((resolve) => {
      lines.once('close', () => {
        log.end();
        resolve();
      });
    });
  }

  private line(actor: string, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const entry = parsed as {
      t?: unknown;
      what?: unknown;
      jobId?: unknown;
      detail?: unknown;
      op?: unknown;
      workerId?: unknown;
    };
    const worker = this.workers.find((candidate) => candidate.actor === actor);
    const jobId = typeof entry.jobId === 'string' ? entry.jobId : null;
    // The loop the line names; a line of the process as a whole (its start, a store connection error) is the process's.
    const loop =
      typeof entry.workerId === 'string' && worker?.loops.includes(entry.workerId) === true ? entry.workerId : actor;
    switch (entry.what) {
      case 'started':
        if (worker !== undefined) worker.started = true;
        return;
      case 'store':
        if (typeof entry.op === 'string' && jobId !== null)
          this.observer.trace({ actor: loop, line: parsed as StoreTraceLine });
        return;
      case 'claimed':
        if (worker !== undefined && jobId !== null) worker.jobs.set(loop, jobId);
        return;
      case 'stopped':
      case 'released':
      case 'quarantined':
        if (worker !== undefined && worker.jobs.get(loop) === jobId) worker.jobs.delete(loop);
        return;
      case 'error': {
        const atMs =
          typeof entry.t === 'string' && Number.isFinite(Date.parse(entry.t)) ? Date.parse(entry.t) : Date.now();
        this.observer.action({
          atMs,
          kind: 'worker_error',
          actor: loop,
          detail: typeof entry.detail === 'string' ? entry.detail : text,
        });
        return;
      }
      default:
        return;
    }
  }

  /**
   * A worker whose preflight found a dependency down (the nemesis may have killed Redis just then) exits 69 before it
   * claims anything: as a supervisor would, the run starts the slot again a little later. Not an error of the engine.
   */
  private refused(worker: LiveWorker): void {
    if (worker.ending || this.stopping) return;
    void delay(refusedStartRetryMs).then(() => {
      if (!this.stopping) this.start(worker.slot);
    });
  }

  private exited(worker: LiveWorker, how: string): void {
    if (worker.ending || this.stopping) return;
    const tail = worker.stderr.slice(-5).join(' | ');
    this.observer.action({
      atMs: Date.now(),
      kind: 'worker_error',
      actor: worker.actor,
      detail: `exited on its own (${how})${tail === '' ? '' : `: ${tail}`}`,
    });
    this.start(worker.slot);
  }
}

/** The exit code of a worker whose preflight found a dependency unavailable (EX_UNAVAILABLE). */
const refusedStartCode = 69;
/** How long the run waits before it starts a slot whose worker refused to start. */
const refusedStartRetryMs = 500;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
