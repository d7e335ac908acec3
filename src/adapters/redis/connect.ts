/**
 * One entry point from a URL to an ioredis client for the store and the event consumer:
 *
 *   redis://[user:password@]host[:port][/db]     a single server: an ioredis `Redis`
 *   rediss://[user:password@]host[:port][/db]    the same over TLS
 *   redis-cluster://[user:password@]host:port[,host:port...]
 *                                                a Redis Cluster: an ioredis `Cluster` seeded with
 *                                                these nodes (any reachable node will do; the
 *                                                client learns the others from CLUSTER SLOTS)
 *   rediss-cluster://...                         the same over TLS
 *
 * In the cluster form every seed names a port (no default: a cluster node's port is chosen by its
 * operator), a host may be an IPv6 address in brackets (`[::1]:7000`), and no path is accepted (a
 * cluster has database 0 only). User and password, percent-encoded, apply to every node. One query
 * is understood, for a store made from the URL: `?waitReplicas=N&waitTimeoutMs=M` turns on
 * RedisJobStore's waitForReplicas (WAIT N M after every write; docs/redis-cluster.md), so that a
 * worker started with only a URL can ask for it. Whatever is wrong with a URL is a
 * {@link RedisUrlError} naming it.
 *
 * Both clients are configured as the store wants them (see createRedisClient in store.ts): fail
 * fast while a node is down, so that the runtime's backoff takes over. The cluster client also
 * re-reads the slot map when a node stops answering and retries a command that met a failover
 * (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) a bounded number of times before it fails as unavailable.
 */
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';

/** A client the store and the consumer accept: one server or a cluster. */
export type RedisClient = Redis | Cluster;

/** How long a client waits for a connection, in ms. */
export const connectTimeoutMs = 2_000;
/** How long a client waits for one reply, in ms. */
export const commandTimeoutMs = 5_000;
/** Most MOVED/ASK/TRYAGAIN/CLUSTERDOWN redirections of one command before it fails. */
export const clusterRedirectionsMax = 16;
/** Pause before a command that met a failover or a cluster that is down is sent again, in ms. */
export const clusterRetryDelayMs = 100;

/** A URL that names no Redis server or cluster the way {@link connectRedis} reads them. */
export class RedisUrlError extends TypeError {
  override readonly name = 'RedisUrlError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`invalid Redis URL ${JSON.stringify(redactUrl(url))}: ${reason}`);
  }
}

/** Options of {@link connectRedis}; each wins over the defaults of its kind of client. */
export interface ConnectOptions {
  /** For a single server, or for every node of a cluster (ioredis `redisOptions`). */
  readonly redis?: RedisOptions;
  /** For a cluster client only. */
  readonly cluster?: Omit<ClusterOptions, 'redisOptions'>;
}

/** What a `redis-cluster://` URL says. */
export interface ClusterUrl {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** From `?waitReplicas=N&waitTimeoutMs=M` (both or neither). */
  readonly waitForReplicas?: { readonly replicas: number; readonly timeoutMs: number };
}

const clusterSchemes = new Map([
  ['redis-cluster:', false],
  ['rediss-cluster:', true],
]);

/** True when `url` names a cluster (`redis-cluster://` or `rediss-cluster://`). */
export function isClusterUrl(url: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase();
  return scheme !== undefined && clusterSchemes.has(scheme);
}

/** Parses a `redis-cluster://` or `rediss-cluster://` URL; throws a RedisUrlError naming what is wrong. */
export function parseClusterUrl(url: string): ClusterUrl {
  if (typeof url !== 'string') throw new RedisUrlError(String(url), 'not a string');
  const match = /^([a-z][a-z0-9+.-]*:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/i.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  if (match === null || scheme === undefined || !clusterSchemes.has(scheme)) {
    throw new RedisUrlError(url, 'a cluster URL starts with redis-cluster:// or rediss-cluster://');
  }
  const [, , userinfo, hostList = '', rest = ''] = match;
  const tail = /^\/?(?:\?([^#]*))?$/.exec(rest);
  if (tail === null) {
    throw new RedisUrlError(url, `a cluster URL takes no path or fragment (got ${JSON.stringify(rest)})`);
  }
  const waitForReplicas = tail[1] === undefined ? undefined : parseWaitQuery(url, tail[1]);
  if (hostList === '') throw new RedisUrlError(url, 'no node: expected host:port[,host:port...]');
  const nodes = hostList.split(',').map((seed) => parseSeed(url, seed));
  const credentials = userinfo === undefined ? {} : parseUserinfo(url, userinfo);
  return {
    nodes,
    tls: clusterSchemes.get(scheme) === true,
    ...credentials,
    ...(waitForReplicas === undefined ? {} : { waitForReplicas }),
  };
}

function parseWaitQuery(url: string, query: string): { replicas: number; timeoutMs: number } {
  const values = new Map<string, string>();
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = pair.split('=');
    if (name !== 'waitReplicas' && name !== 'waitTimeoutMs')
      throw new RedisUrlError(
        url,
        `unknown query parameter ${JSON.stringify(name)} (known: waitReplicas, waitTimeoutMs)`,
      );
    if (!/^[1-9]\d{0,8}$/.test(value))
      throw new RedisUrlError(url, `${name} must be a positive integer, got ${JSON.stringify(value)}`);
    values.set(name, value);
  }
  const replicas = values.get('waitReplicas');
  const timeoutMs = values.get('waitTimeoutMs');
  if (replicas === undefined || timeoutMs === undefined)
    throw new RedisUrlError(url, 'waitReplicas and waitTimeoutMs go together');
  return { replicas: Number(replicas), timeoutMs: Number(timeoutMs) };
}

function parseSeed(url: string, seed: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(seed);
  if (match === null) throw new RedisUrlError(url, `node ${JSON.stringify(seed)} is not host:port`);
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) throw new RedisUrlError(url, `node ${JSON.stringify(seed)} has port out of range`);
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

function parseUserinfo(url: string, userinfo: string): { username?: string; password?: string } {
  const colon = userinfo.indexOf(':');
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new RedisUrlError(url, 'user or password is not valid percent-encoding');
    }
  };
  const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1));
  return {
    ...(username === '' ? {} : { username }),
    ...(password === undefined || password === '' ? {} : { password }),
  };
}

/**
 * The client for `url`: a `Redis` for redis:// and rediss://, a `Cluster` for redis-cluster:// and
 * rediss-cluster:// (see the module comment for the forms). Errors reach the caller through the
 * commands; the client's own `error` events are silenced. The caller closes it (`quit()`).
 */
export function connectRedis(url: string, options: ConnectOptions = {}): RedisClient {
  if (typeof url !== 'string' || url === '') throw new RedisUrlError(String(url), 'empty');
  const nodeOptions: RedisOptions = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    connectionName: 'chunkwise-store',
    ...options.redis,
  };
  if (isClusterUrl(url)) {
    const parsed = parseClusterUrl(url);
    const redisOptions: RedisOptions = {
      ...(parsed.username === undefined ? {} : { username: parsed.username }),
      ...(parsed.password === undefined ? {} : { password: parsed.password }),
      ...(parsed.tls ? { tls: {} } : {}),
      ...nodeOptions,
    };
    const seeds: ClusterNode[] = parsed.nodes.map((node) => ({ host: node.host, port: node.port }));
    const cluster = new Cluster(seeds, {
      enableOfflineQueue: true,
      maxRedirections: clusterRedirectionsMax,
      retryDelayOnFailover: clusterRetryDelayMs,
      retryDelayOnClusterDown: clusterRetryDelayMs,
      retryDelayOnTryAgain: clusterRetryDelayMs,
      slotsRefreshTimeout: connectTimeoutMs,
      ...options.cluster,
      redisOptions,
    });
    cluster.on('error', () => {});
    return cluster;
  }
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') {
    throw new RedisUrlError(url, 'expected redis://, rediss://, redis-cluster:// or rediss-cluster://');
  }
  const client = new Redis(url, nodeOptions);
  // Without a listener ioredis would also print every reconnection failure.
  client.on('error', () => {});
  return client;
}

/** `url` with any password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** True when `client` is a cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: unknown }).isCluster === true;
}

/**
 * How long one store or consumer operation on a cluster client may take before it fails as
 * unavailable, in ms. A cluster client queues commands while it knows no reachable node (at start,
 * or when every seed is down) and ioredis applies no command timeout to that queue, so without this
 * bound an operation would wait for as long as the cluster is unreachable. A command so abandoned
 * may still be sent once the cluster answers: every write is idempotent (request ids, fencing), so
 * it is applied at most once, like a command re-sent after a reconnection.
 */
export const clusterOperationTimeoutMs = commandTimeoutMs;

/** `operation`, failed with an Error "Command timed out" (an unavailability) after `timeoutMs` on a cluster client. */
export async function withClusterDeadline<T>(
  client: RedisClient,
  operation: () => Promise<T>,
  timeoutMs: number = clusterOperationTimeoutMs,
): Promise<T> {
  if (!isCluster(client)) return operation();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Command timed out: no reply from the cluster within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([operation(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
