/**
 * The live run's own Redis: Debian's `redis-server` on a free loopback port (never 6379). By
 * default the append-only file is on and fsynced before every reply (`--appendonly yes
 * --appendfsync always`), so that every write a client saw acknowledged survives a kill -9;
 * `persistence` may ask for `everysec` or for no persistence at all (`none`: a restart comes back
 * empty, every acknowledged write is lost — the store's failure, which the run's watcher reports
 * as such). What the server really runs with is read back with CONFIG GET. The nemesis kills it with
 * SIGKILL and starts it again on the same port and directory; it then reloads the AOF before it
 * answers (clients meanwhile get connection errors or LOADING, which the store adapter turns into
 * StoreUnavailableError).
 */
import { spawnSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { killGroup, spawnTracked, type TrackedChild } from './processes.js';

/** The binary every live run starts. */
export const redisServerBinary = 'redis-server';
/** Longest wait for a started server to answer PING with PONG. */
export const redisReadyTimeoutMs = 15_000;

/** The version line of `redis-server --version`, or null when the binary is not installed. */
export function redisServerVersion(): string | null {
  const result = spawnSync(redisServerBinary, ['--version'], { encoding: 'utf8', timeout: 5_000 });
  if (result.error !== undefined || result.status !== 0) return null;
  return result.stdout.trim();
}

/** A free TCP port on 127.0.0.1 other than 6379 (asked of the kernel, then released). */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: chosen } = server.address() as AddressInfo;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 6379) return port;
  }
}

/** How the live Redis keeps its data across a kill -9. */
export type LivePersistence = 'always' | 'everysec' | 'none';
export const livePersistences: readonly LivePersistence[] = ['always', 'everysec', 'none'];

/** The redis-server flags of each persistence. */
function persistenceFlags(persistence: LivePersistence): string[] {
  if (persistence === 'none') return ['--appendonly', 'no', '--save', ''];
  return ['--appendonly', 'yes', '--appendfsync', persistence, '--save', ''];
}

/** One redis-server, started and restarted on the same port and directory. */
export class LiveRedis {
  private process: TrackedChild | undefined;
  /** How many times it was started. */
  starts = 0;

  private constructor(
    readonly port: number,
    readonly directory: string,
    private readonly logFile: string,
    readonly persistence: LivePersistence,
  ) {}

  /** Starts a server on a free loopback port with its AOF (if any) in `directory`. */
  static async start(directory: string, logFile: string, persistence: LivePersistence = 'always'): Promise<LiveRedis> {
    const redis = new LiveRedis(await freeLoopbackPort(), directory, logFile, persistence);
    await redis.boot();
    return redis;
  }

  /**
   * What the running server says it does, read with CONFIG GET: e.g. "AOF on, appendfsync always" or "no AOF, no
   * snapshots".
   */
  async describePersistence(): Promise<string> {
    const { createRedisClient } = await import('../../src/adapters/redis/index.js');
    const client = createRedisClient(this.url);
    try {
      const config = new Map<string, string>();
      for (const name of ['appendonly', 'appendfsync', 'save']) {
        const reply = (await client.call('CONFIG', 'GET', name)) as string[];
        config.set(name, reply[1] ?? '?');
      }
      const aof = config.get('appendonly') === 'yes' ? `AOF on, appendfsync ${config.get('appendfsync')}` : 'no AOF';
      const save = config.get('save') === '' ? 'no snapshots' : `snapshots "${config.get('save')}"`;
      return `${aof}, ${save}`;
    } finally {
      client.disconnect();
    }
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.process !== undefined && !this.process.hasExited();
  }

  /** kill -9: no shutdown, no final fsync beyond what every reply already waited for. */
  async crash(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    if (running !== undefined) await killGroup(running);
  }

  /** Starts it again on the same port and directory; resolves once it answers PONG. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('redis-server is still running');
    await this.boot();
  }

  /** Stops it for good. */
  async stop(): Promise<void> {
    await this.crash();
  }

  private async boot(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    let child: TrackedChild;
    try {
      child = spawnTracked(
        redisServerBinary,
        [
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--protected-mode',
          'yes',
          ...persistenceFlags(this.persistence),
          '--dir',
          path.resolve(this.directory),
          '--daemonize',
          'no',
          '--databases',
          '1',
          '--loglevel',
          'warning',
        ],
        { stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    this.process = child;
    this.starts += 1;
    const deadline = Date.now() + redisReadyTimeoutMs;
    while (!(await answersPong(this.port))) {
      if (child.hasExited())
        throw new Error(`redis-server exited while starting on port ${this.port} (log: ${this.logFile})`);
      if (Date.now() > deadline)
        throw new Error(`redis-server did not answer on port ${this.port} within ${redisReadyTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** True when the server on `port` answers PING with +PONG (not -LOADING, not a refused connection). */
function answersPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
