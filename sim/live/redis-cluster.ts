/**
 * A real local Redis Cluster from the `redis-server` and `redis-cli` binaries: `masters` masters
 * with `replicasPerMaster` replicas each (3 + 3 by default) on free loopback ports, each node with
 * its own temporary directory (nodes.conf, and an AOF if asked for), an explicit cluster bus port
 * (`--cluster-port`, so that port + 10000 need not be free), no persistence by default (`--save ""
 * --appendonly no`). It is created with `redis-cli --cluster create ... --cluster-replicas N
 * --cluster-yes`, then awaited until CLUSTER INFO says `cluster_state:ok` with all 16384 slots ok
 * on every node, every node agrees on the masters, and every replica's link to its master is up.
 *
 * Faults for tests, the live chaos run and the bench:
 *   - failover(master): `CLUSTER FAILOVER` on one of its replicas (the replica first catches up
 *     with its master, so nothing acknowledged is lost); `force` skips that handshake;
 *   - crash(node) / restart(node): kill -9, then start again on the same port and directory (the
 *     node keeps its identity from nodes.conf and rejoins, as a replica if another node took over
 *     its slots meanwhile);
 *   - killMaster(master): crash a master, wait until a replica is promoted and the cluster is ok
 *     again, restart the old master (it comes back as a replica of the new one). What the old
 *     master acknowledged and had not yet sent to the promoted replica is lost: replication is
 *     asynchronous (docs/redis-cluster.md);
 *   - killMasterWithLaggingReplicas(master, whileLagging): the same with the replicas stopped
 *     while `whileLagging` runs, so that what the master acknowledges meanwhile is surely lost.
 *
 * Everything started is tracked by processes.ts, so that no process or directory outlives the
 * run, even an abrupt exit; stop() kills every node and removes every directory now.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { killGroup, removeDirectory, spawnTracked, trackDirectory, type TrackedChild } from './processes.js';
import { freeLoopbackPort, redisServerBinary, type LivePersistence } from './redis-server.js';

/** The binary that creates the cluster. */
export const redisCliBinary = 'redis-cli';
/** Slots of a Redis Cluster. */
export const clusterSlotCount = 16_384;
/** Longest wait for the cluster to be created and ok, and for a failover to complete. */
export const clusterReadyTimeoutMs = 30_000;

/** Options of {@link LiveRedisCluster.start}. */
export interface RedisClusterOptions {
  readonly masters?: number;
  readonly replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over (default 2000 ms). */
  readonly nodeTimeoutMs?: number;
  /** How every node keeps its data across a kill -9 (default `none`: `--save "" --appendonly no`). */
  readonly persistence?: LivePersistence;
  /** Where the nodes' directories go (default: a new temporary directory, removed by stop()). */
  readonly directory?: string;
}

/** One node of the cluster. */
export interface ClusterNodeInfo {
  readonly port: number;
  readonly busPort: number;
  readonly directory: string;
}

/** What `CLUSTER NODES` says of one node. */
export interface ClusterNodeView {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** The master's id, for a replica. */
  readonly masterId: string | null;
  readonly failed: boolean;
  /** Slot ranges a master serves, e.g. [[0, 5460]]. */
  readonly slots: readonly (readonly [number, number])[];
}

/** True when both binaries are installed; else why not. */
export function redisClusterBinaries(): { available: boolean; reason: string } {
  for (const binary of [redisServerBinary, redisCliBinary]) {
    const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5_000 });
    if (result.error !== undefined || result.status !== 0)
      return { available: false, reason: `${binary} is not installed (${result.error?.message ?? result.stderr})` };
  }
  return { available: true, reason: '' };
}

function persistenceFlags(persistence: LivePersistence): string[] {
  if (persistence === 'none') return ['--appendonly', 'no', '--save', ''];
  return ['--appendonly', 'yes', '--appendfsync', persistence, '--save', ''];
}

/** A local Redis Cluster; see the module comment. */
export class LiveRedisCluster {
  private readonly processes = new Map<number, TrackedChild>();
  /** How many times a node was started after the cluster was created. */
  restarts = 0;

  private constructor(
    readonly nodes: readonly ClusterNodeInfo[],
    readonly root: string,
    private readonly ownsRoot: boolean,
    readonly nodeTimeoutMs: number,
    readonly persistence: LivePersistence,
    readonly replicasPerMaster: number,
  ) {}

  /** Starts the nodes, creates the cluster and waits until it is ok. Stops everything if any of that fails. */
  static async start(options: RedisClusterOptions = {}): Promise<LiveRedisCluster> {
    const masters = options.masters ?? 3;
    const replicasPerMaster = options.replicasPerMaster ?? 1;
    if (!Number.isInteger(masters) || masters < 3) throw new RangeError(`a cluster needs at least 3 masters`);
    if (!Number.isInteger(replicasPerMaster) || replicasPerMaster < 0)
      throw new RangeError(`replicasPerMaster must be a non-negative integer`);
    const ownsRoot = options.directory === undefined;
    const root = options.directory ?? (await mkdtemp(path.join(tmpdir(), 'chunkwise-cluster-')));
    if (ownsRoot) trackDirectory(root);
    const ports = new Set<number>();
    while (ports.size < 2 * masters * (1 + replicasPerMaster)) ports.add(await freeLoopbackPort());
    const list = [...ports];
    const count = masters * (1 + replicasPerMaster);
    const nodes: ClusterNodeInfo[] = [];
    for (let position = 0; position < count; position += 1) {
      const port = list[position] as number;
      const directory = path.join(root, String(port));
      await mkdir(directory, { recursive: true });
      nodes.push({ port, busPort: list[count + position] as number, directory });
    }
    const cluster = new LiveRedisCluster(
      nodes,
      root,
      ownsRoot,
      options.nodeTimeoutMs ?? 2_000,
      options.persistence ?? 'none',
      replicasPerMaster,
    );
    try {
      await Promise.all(nodes.map((node) => cluster.boot(node)));
      await cluster.create();
      await cluster.waitUntilOk();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** `redis-cluster://127.0.0.1:<port>,...` of every node (for connectRedis). */
  get url(): string {
    return `redis-cluster://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  /** The ports of every node, for ioredis `new Cluster([...])`. */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  /** True while the node on `port` runs. */
  running(port: number): boolean {
    const child = this.processes.get(port);
    return child !== undefined && !child.hasExited();
  }

  /** What the cluster says of its nodes, asked of a running node. */
  async topology(): Promise<ClusterNodeView[]> {
    let lastError: unknown;
    for (const node of this.nodes) {
      if (!this.running(node.port)) continue;
      try {
        return parseClusterNodes((await this.command(node.port, 'CLUSTER', 'NODES')) as string);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no node of the cluster answered CLUSTER NODES: ${String(lastError)}`);
  }

  /** The ports of the masters serving slots now, in slot order. */
  async masterPorts(): Promise<number[]> {
    const view = await this.topology();
    return view
      .filter((node) => node.role === 'master' && !node.failed && node.slots.length > 0)
      .sort((a, b) => (a.slots[0]?.[0] ?? 0) - (b.slots[0]?.[0] ?? 0))
      .map((node) => node.port);
  }

  /** The port of the master serving `slot` now. */
  async masterOfSlot(slot: number): Promise<number> {
    const view = await this.topology();
    const master = view.find(
      (node) => node.role === 'master' && !node.failed && node.slots.some(([low, high]) => slot >= low && slot <= high),
    );
    if (master === undefined) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /**
   * `CLUSTER FAILOVER` (or `... FORCE`) on a replica of the master on `masterPort`, then waits until
   * that replica serves the slots and the cluster is ok. Returns the new master's port.
   */
  async failover(masterPort: number, mode: 'graceful' | 'force' = 'graceful'): Promise<number> {
    const view = await this.topology();
    const master = view.find((node) => node.port === masterPort && node.role === 'master');
    if (master === undefined) throw new Error(`port ${masterPort} is no master`);
    const replica = view.find((node) => node.masterId === master.id && !node.failed && this.running(node.port));
    if (replica === undefined) throw new Error(`master ${masterPort} has no running replica`);
    await this.command(replica.port, 'CLUSTER', 'FAILOVER', ...(mode === 'force' ? ['FORCE'] : []));
    await this.waitUntil(async () => {
      const now = await this.topology();
      return now.some((node) => node.port === replica.port && node.role === 'master' && node.slots.length > 0);
    }, `replica ${replica.port} to take over from ${masterPort}`);
    await this.waitUntilOk();
    return replica.port;
  }

  /**
   * kill -9 the master on `masterPort`, wait until a replica took over its slots and the cluster is
   * ok, then start the old master again (it rejoins as a replica). Returns the new master's port and
   * how long the slots had no master (ms).
   */
  async killMaster(masterPort: number): Promise<{ promoted: number; downMs: number }> {
    const view = await this.topology();
    const master = view.find((node) => node.port === masterPort && node.role === 'master');
    if (master === undefined) throw new Error(`port ${masterPort} is no master`);
    const replicas = view.filter((node) => node.masterId === master.id).map((node) => node.port);
    const startMs = Date.now();
    await this.crash(masterPort);
    const { promoted, servedAtMs } = await this.awaitPromotion(masterPort, replicas);
    return { promoted, downMs: servedAtMs - startMs };
  }

  /**
   * A failover that loses acknowledged writes on purpose: the replicas of the master on `masterPort`
   * are stopped (SIGSTOP) and their links closed by the master (CLIENT KILL TYPE replica),
   * `whileLagging` runs (writes the master acknowledges and cannot replicate), the master is killed
   * (kill -9), the replicas resumed; once one is promoted and the cluster is ok, the old master is
   * started again (as a replica). Keep `whileLagging` well inside
   * the node timeout, or the cluster marks the stopped replicas failed too and cannot fail over.
   */
  async killMasterWithLaggingReplicas(
    masterPort: number,
    whileLagging: () => Promise<void>,
  ): Promise<{ promoted: number; downMs: number }> {
    const view = await this.topology();
    const master = view.find((node) => node.port === masterPort && node.role === 'master');
    if (master === undefined) throw new Error(`port ${masterPort} is no master`);
    const replicas = view
      .filter((node) => node.masterId === master.id && this.running(node.port))
      .map((node) => node.port);
    if (replicas.length === 0) throw new Error(`master ${masterPort} has no running replica`);
    for (const port of replicas) this.pause(port, true);
    // Cut the replication links from the master's side too: what a stopped replica's socket already holds it would
    // still read once resumed, but nothing written from now on reaches it.
    await this.command(masterPort, 'CLIENT', 'KILL', 'TYPE', 'replica');
    let startMs: number;
    try {
      await whileLagging();
    } finally {
      startMs = Date.now();
      await this.crash(masterPort);
      for (const port of replicas) this.pause(port, false);
    }
    const { promoted, servedAtMs } = await this.awaitPromotion(masterPort, replicas);
    return { promoted, downMs: servedAtMs - startMs };
  }

  /**
   * Waits until one of `replicas` serves the slots of the dead `masterPort` and the cluster is ok (then: servedAtMs),
   * then restarts the old master and waits until it rejoined.
   */
  private async awaitPromotion(
    masterPort: number,
    replicas: readonly number[],
  ): Promise<{ promoted: number; servedAtMs: number }> {
    let promoted = -1;
    await this.waitUntil(async () => {
      const now = await this.topology();
      const taken = now.find((node) => replicas.includes(node.port) && node.role === 'master' && node.slots.length > 0);
      promoted = taken?.port ?? -1;
      return taken !== undefined;
    }, `a replica of ${masterPort} to be promoted`);
    await this.waitUntilOk([masterPort]);
    const servedAtMs = Date.now();
    await this.restart(masterPort);
    await this.waitUntilOk();
    return { promoted, servedAtMs };
  }

  /** kill -9 the node on `port`. */
  async crash(port: number): Promise<void> {
    const child = this.processes.get(port);
    this.processes.delete(port);
    if (child !== undefined) await killGroup(child);
  }

  /** Starts the node on `port` again (same directory, same nodes.conf); resolves once it answers. */
  async restart(port: number): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (node === undefined) throw new Error(`no node on port ${port}`);
    if (this.running(port)) throw new Error(`node ${port} is still running`);
    this.restarts += 1;
    await this.boot(node);
  }

  /** SIGSTOP / SIGCONT the node on `port` (a master paused longer than the node timeout is failed over). */
  pause(port: number, paused: boolean): void {
    const child = this.processes.get(port);
    if (child !== undefined) process.kill(-child.pid, paused ? 'SIGSTOP' : 'SIGCONT');
  }

  /**
   * Waits until every running node (but `except`) says cluster_state:ok with every slot ok, agrees
   * that each slot range has one master, and every replica's link to its master is up.
   */
  async waitUntilOk(except: readonly number[] = []): Promise<void> {
    await this.waitUntil(() => this.isOk(except), 'the cluster to be ok on every node');
  }

  /** Stops every node and removes the directories this cluster made. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.keys()].map((port) => this.crash(port)));
    if (this.ownsRoot) await removeDirectory(this.root);
  }

  /** Sends one command to the node on `port` over a short-lived connection. */
  async command(port: number, ...args: (string | number)[]): Promise<unknown> {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      connectTimeout: 1_000,
      commandTimeout: 2_000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      client.disconnect();
    }
  }

  private async isOk(except: readonly number[]): Promise<boolean> {
    const running = this.nodes.filter((node) => this.running(node.port) && !except.includes(node.port));
    try {
      for (const node of running) {
        const info = (await this.command(node.port, 'CLUSTER', 'INFO')) as string;
        if (!/cluster_state:ok/.test(info) || !info.includes(`cluster_slots_ok:${clusterSlotCount}`)) return false;
      }
      const views = await Promise.all(
        running.map(async (node) => parseClusterNodes((await this.command(node.port, 'CLUSTER', 'NODES')) as string)),
      );
      // Every node sees the same masters with the same slots and the same live replicas; with every node running,
      // each master has its full count of replicas.
      const signature = (view: ClusterNodeView[]) =>
        view
          .filter((node) => node.role === 'master' && node.slots.length > 0 && !node.failed)
          .map((master) => {
            const replicas = view
              .filter((node) => node.masterId === master.id && !node.failed)
              .map((node) => node.port);
            return `${master.port}:${JSON.stringify(master.slots)}<${replicas.sort().join(',')}>`;
          })
          .sort()
          .join(' ');
      if (new Set(views.map(signature)).size !== 1) return false;
      if (except.length === 0) {
        const view = views[0] ?? [];
        const masters = view.filter((node) => node.role === 'master' && node.slots.length > 0 && !node.failed);
        const complete = masters.every(
          (master) =>
            view.filter((node) => node.masterId === master.id && !node.failed).length === this.replicasPerMaster,
        );
        if (!complete || view.some((node) => node.failed)) return false;
      }
      for (const node of running) {
        const replication = (await this.command(node.port, 'INFO', 'replication')) as string;
        if (/role:slave/.test(replication) && !/master_link_status:up/.test(replication)) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  private async waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + clusterReadyTimeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${clusterReadyTimeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  private async boot(node: ClusterNodeInfo): Promise<void> {
    const logFile = path.join(node.directory, 'redis.log');
    const log = openSync(logFile, 'a');
    let child: TrackedChild;
    try {
      child = spawnTracked(
        redisServerBinary,
        [
          '--port',
          String(node.port),
          '--bind',
          '127.0.0.1',
          '--protected-mode',
          'yes',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(node.busPort),
          '--cluster-node-timeout',
          String(this.nodeTimeoutMs),
          ...persistenceFlags(this.persistence),
          // A replica's full sync starts at once instead of after the default 5 s wait for more replicas.
          '--repl-diskless-sync-delay',
          '0',
          '--dir',
          path.resolve(node.directory),
          '--daemonize',
          'no',
          '--loglevel',
          'warning',
        ],
        { stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    this.processes.set(node.port, child);
    const deadline = Date.now() + clusterReadyTimeoutMs;
    for (;;) {
      try {
        if ((await this.command(node.port, 'PING')) === 'PONG') return;
      } catch {
        // not yet listening, or loading
      }
      if (child.hasExited())
        throw new Error(`redis-server exited while starting on port ${node.port} (log: ${logFile})`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${node.port}`);
      await sleep(20);
    }
  }

  private async create(): Promise<void> {
    const args = [
      '--cluster',
      'create',
      ...this.nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(this.replicasPerMaster),
      '--cluster-yes',
    ];
    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(redisCliBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
      child.stderr.on('data', (data: Buffer) => (output += data.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), clusterReadyTimeoutMs);
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
    if (result.code !== 0 || !/All 16384 slots covered/.test(result.output)) {
      throw new Error(`redis-cli --cluster create failed (exit ${String(result.code)}):\n${result.output}`);
    }
  }
}

/** Parses the reply of CLUSTER NODES. */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  const views: ClusterNodeView[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id = '', address = '', flags = '', master = '-'] = fields;
    const slotFields = fields.slice(8);
    const port = Number(/:(\d+)[@]/.exec(address)?.[1] ?? Number.NaN);
    const flagList = flags.split(',');
    const slots: [number, number][] = [];
    for (const field of slotFields) {
      if (field.startsWith('[')) continue; // a slot being migrated or imported
      const [low, high] = field.split('-').map(Number);
      if (low !== undefined && Number.isInteger(low)) slots.push([low, high ?? low]);
    }
    views.push({
      id,
      port,
      role: flagList.includes('master') ? 'master' : 'replica',
      masterId: master === '-' ? null : master,
      failed: flagList.includes('fail') || flagList.includes('fail?') || flagList.includes('noaddr'),
      slots,
    });
  }
  return views;
}
