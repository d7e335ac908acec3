/** The Redis adapter's preflight: does the server answer PING? */
import { StoreUnavailableError } from '../../ports.js';
import type { RedisClient } from './connect.js';
import { translateError } from './errors.js';

/**
 * Sends PING through `client` (on a cluster, to one of its nodes) and resolves once PONG came back. A server that
 * cannot be reached throws StoreUnavailableError, as every store operation does, naming the connection's own error
 * (`connect ECONNREFUSED 127.0.0.1:6379`) when the client saw one.
 */
export async function pingRedis(client: RedisClient): Promise<void> {
  let connectionError: Error | undefined;
  const listener = (error: Error) => {
    connectionError = error;
  };
  client.on('error', listener);
  try {
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
  } catch (error) {
    const translated = translateError(error, null);
    if (translated instanceof StoreUnavailableError && connectionError !== undefined)
      throw new StoreUnavailableError(`no answer to PING: ${connectionError.message}`, { cause: error });
    throw translated;
  } finally {
    client.off('error', listener);
  }
}
