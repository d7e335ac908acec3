/**
 * Which Redis failures are operating errors. A lost or refused connection, a command timeout, a
 * server that is loading, read-only after a failover or busy with a long script, a cluster slot that
 * moved (MOVED, ASK) or a cluster that is down: the operation may
 * or may not have been applied, and every store operation is idempotent, so it becomes a
 * StoreUnavailableError (retryable) and the runtime backs off and retries (P9). A WRONGTYPE reply
 * means a key of the job holds the wrong type: hand-edited state, a CorruptStateError. Anything
 * else (a script error, a bug) is rethrown as it is.
 */
import { CorruptStateError, StoreUnavailableError } from '../../ports.js';

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

const unavailablePatterns = [
  /Connection is closed/i,
  /Command timed out/i,
  /Stream isn't writeable/i,
  /enableOfflineQueue/i,
  /max retries per request/i,
  /Connection in subscriber mode/i,
  /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/,
  // A redirection that reached the store: the command ran nowhere (a slot moved in a failover).
  /^(MOVED|ASK) \d+ /,
  // ioredis' Cluster client while no node serves the slot, or none is reachable.
  /^Too many Cluster redirections/,
  /^None of startup nodes is available/,
  /^Cluster is disconnect/,
  /^Cluster is ended/,
  /^Node is disconnected/,
  /^Connection is (aborted|discarded)/,
  /^Cluster isn't ready/,
];

/** True when `error` says the store could not be reached or did not answer in time. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && connectionCodes.has(code)) return true;
  return unavailablePatterns.some((pattern) => pattern.test(error.message));
}

/** The typed error `error` becomes at the port: StoreUnavailableError, CorruptStateError, or itself. */
export function translateError(error: unknown, jobId: string | null): unknown {
  if (error instanceof StoreUnavailableError || error instanceof CorruptStateError) return error;
  if (isUnavailable(error)) {
    return new StoreUnavailableError(`Redis unavailable: ${(error as Error).message}`, { cause: error });
  }
  if (jobId !== null && error instanceof Error && /WRONGTYPE/.test(error.message)) {
    return new CorruptStateError(jobId, [`a key of the job holds the wrong type: ${error.message}`]);
  }
  return error;
}
