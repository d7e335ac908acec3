/**
 * `chunkwise worker --metrics-port P`: Prometheus text metrics over HTTP on 127.0.0.1 (prom-client). Everything is
 * derived outside the runtime: from the worker's log entries (how each job ended, recoveries, errors) and from
 * wrappers around the ports the worker is given (transcription latency, refused commits, lost renewals, store
 * unavailability). The runtime is not changed for them.
 *
 *   chunkwise_jobs_total{outcome}                  jobs this worker stopped working on, by outcome: completed,
 *                                                  failed, lost (fenced out: its lease went to another worker or an
 *                                                  operator), quarantined, released (handed back on a stop)
 *   chunkwise_claims_total{kind}                   leases granted to this worker: new or recovery
 *   chunkwise_recoveries_total                     claims that began a recovery
 *   chunkwise_chunk_transcription_seconds{result}  one transcription request, by result: ok, retryable, rejected
 *   chunkwise_commits_refused_total{reason}        chunk commits the store refused (stale_epoch: a newer lease holder)
 *   chunkwise_lease_renewals_lost_total{reason}    renewals the store refused: the lease is gone
 *   chunkwise_store_unavailable_total{operation}   store calls that failed as unavailable (each retry counts)
 *   chunkwise_worker_errors_total                  error lines of the worker's log
 *   plus prom-client's default process metrics (prefixed chunkwise_).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Counter, Histogram, Registry } from 'prom-client';
import { StoreUnavailableError, type JobStore, type Transcriber } from '../ports.js';
import type { WorkerLogEntry } from '../runtime/worker.js';

/** Buckets of the transcription latency histogram, in seconds. */
export const transcriptionBucketsSeconds = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const storeOperations = new Set<string>([
  'createJob',
  'claimJob',
  'renewLease',
  'recordChunkPlan',
  'recordChunkRecreated',
  'markResumed',
  'commitChunk',
  'completeJob',
  'failJob',
  'releaseJob',
  'quarantineJob',
  'listRecoverableJobs',
  'getJob',
  'readEvents',
] satisfies (keyof JobStore)[]);

/** A worker's metrics: feed it the log entries, wrap the ports with it, serve it. */
export interface WorkerMetrics {
  readonly registry: Registry;
  /** Counts what a log entry of the worker tells. */
  observe(entry: WorkerLogEntry): void;
  /** `store`, counting refused commits, lost renewals and unavailability. */
  wrapStore<S extends JobStore>(store: S): S;
  /** `transcriber`, timing each request. */
  wrapTranscriber(transcriber: Transcriber): Transcriber;
}

/** A metrics endpoint being served. */
export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one chosen for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Makes the metrics of one worker (prom-client is loaded on demand: only workers with --metrics-port need it). */
export async function createWorkerMetrics(): Promise<WorkerMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: 'chunkwise_' });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
    new prom.Counter({ name, help, labelNames, registers: [registry] });
  const jobs = counter('chunkwise_jobs_total', 'Jobs this worker stopped working on, by outcome', ['outcome']);
  const claims = counter('chunkwise_claims_total', 'Leases granted to this worker, new or recovery', ['kind']);
  const recoveries = counter('chunkwise_recoveries_total', 'Claims of this worker that began a recovery');
  const refused = counter('chunkwise_commits_refused_total', 'Chunk commits the store refused', ['reason']);
  const renewalsLost = counter('chunkwise_lease_renewals_lost_total', 'Lease renewals the store refused', ['reason']);
  const unavailable = counter('chunkwise_store_unavailable_total', 'Store calls that failed as unavailable', [
    'operation',
  ]);
  const errors = counter('chunkwise_worker_errors_total', "Error lines of the worker's log");
  const latency: Histogram<'result'> = new prom.Histogram({
    name: 'chunkwise_chunk_transcription_seconds',
    help: 'Duration of one chunk transcription request, by result',
    labelNames: ['result'],
    buckets: transcriptionBucketsSeconds,
    registers: [registry],
  });
  for (const outcome of ['completed', 'failed', 'lost', 'quarantined', 'released']) jobs.inc({ outcome }, 0);
  for (const kind of ['new', 'recovery']) claims.inc({ kind }, 0);
  refused.inc({ reason: 'stale_epoch' }, 0);
  renewalsLost.inc({ reason: 'stale_epoch' }, 0);

  return {
    registry,
    observe(entry) {
      switch (entry.what) {
        case 'claimed': {
          const recovery = entry.detail.startsWith('recovery');
          claims.inc({ kind: recovery ? 'recovery' : 'new' });
          if (recovery) recoveries.inc();
          return;
        }
        case 'stopped': {
          // "completed", "failed", "lost", each perhaps with the refusal in brackets; or the exhausting claim.
          const outcome = /^(completed|failed|lost)\b/.exec(entry.detail)?.[1];
          jobs.inc({ outcome: outcome ?? (/exhausted/.test(entry.detail) ? 'failed' : 'other') });
          return;
        }
        case 'quarantined':
          jobs.inc({ outcome: 'quarantined' });
          return;
        case 'released':
          jobs.inc({ outcome: 'released' });
          return;
        case 'error':
          errors.inc();
          return;
        default:
          return;
      }
    },
    wrapStore(store) {
      return new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function' || typeof property !== 'string' || !storeOperations.has(property))
            return value;
          return async (...args: unknown[]) => {
            let result: unknown;
            try {
              result = await (value as (...inner: unknown[]) => Promise<unknown>).apply(target, args);
            } catch (error) {
              if (error instanceof StoreUnavailableError) unavailable.inc({ operation: property });
              throw error;
            }
            const kind = (result as { kind?: unknown } | null)?.kind;
            if (typeof kind === 'string' && kind !== 'ok') {
              if (property === 'commitChunk' && kind !== 'already_committed') refused.inc({ reason: kind });
              if (property === 'renewLease') renewalsLost.inc({ reason: kind });
            }
            return result;
          };
        },
      });
    },
    wrapTranscriber(transcriber) {
      return {
        async transcribe(request) {
          const end = latency.startTimer();
          try {
            const result = await transcriber.transcribe(request);
            end({ result: result.kind === 'ok' ? 'ok' : result.retryable ? 'retryable' : 'rejected' });
            return result;
          } catch (error) {
            end({ result: 'retryable' });
            throw error;
          }
        },
      };
    },
  };
}

/** Serves `registry` at `/metrics` on 127.0.0.1:`port` (0: any free port); other paths are 404. */
export async function serveMetrics(registry: Registry, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
