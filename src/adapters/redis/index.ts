/**
 * The Redis adapter: {@link RedisJobStore} (the JobStore port on ioredis, one Lua script per
 * write, hash-tagged keys, one outbox stream per job), {@link EventConsumer} (consumer groups
 * over the outbox), {@link RedisWorkSignal} (idle workers wait for work on a list of tokens) and
 * {@link connectRedis} (a `Redis` or a `Cluster` client from a URL).
 * Imported as `chunkwise/redis` so that the core pulls in no Redis client.
 */
export {
  RedisJobStore,
  createRedisClient,
  defaultTerminalRetentionMs,
  claimConflictAttemptsMax,
  missingJobGraceMs,
  eventsPageMax,
  commandTimeoutMs,
  connectTimeoutMs,
  type RedisJobStoreOptions,
  type StoreClock,
} from './store.js';
export {
  connectRedis,
  isCluster,
  isClusterUrl,
  parseClusterUrl,
  redactUrl,
  RedisUrlError,
  clusterRedirectionsMax,
  clusterRetryDelayMs,
  type ClusterUrl,
  type ConnectOptions,
  type RedisClient,
} from './connect.js';
export { EventConsumer, consumerReadCountMax, type DeliveredEvent, type EventConsumerOptions } from './consumer.js';
export {
  asideKeys,
  defaultKeyPrefix,
  jobHashTag,
  jobKeys,
  recoverableIndexKey,
  validateKeyPrefix,
  workTokensKey,
  workTokensMax,
  type JobKeys,
} from './keys.js';
export { RedisWorkSignal } from './work-signal.js';
export {
  chunkField,
  chunkFields,
  decodeEvent,
  decodeJob,
  eventFieldKind,
  stateFields,
  type DecodedJob,
} from './codec.js';
export { isUnavailable, translateError } from './errors.js';
export {
  ScriptCode,
  commandName,
  loadScripts,
  luaDirectory,
  scriptNames,
  type ScriptName,
  type ScriptSource,
} from './scripts.js';
export {
  RedisJobAdmin,
  adminLuaDirectory,
  adminScriptNames,
  escapeGlob,
  loadAdminScripts,
  scanCount,
  type RedisJobAdminOptions,
} from './admin.js';
export { pingRedis } from './preflight.js';
