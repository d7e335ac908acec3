/**
 * The Lua scripts of the Redis adapter: one file per write operation,
 * `lua/<name>-<numberOfKeys>.lua`, loaded once from disk and registered on a client with ioredis
 * `defineCommand` (EVALSHA, falling back to EVAL once per connection). A line
 * `--- @include "<file>"` is replaced by `lua/includes/<file>.lua` (the shared helpers).
 *
 * The scripts' return codes map through {@link ScriptCode}, the one enum of them, to the typed
 * results of src/ports.ts; this module only marshals keys and arguments.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './connect.js';
import { assert } from '../../core/assert.js';

/** Return codes of the scripts (the first element of every reply). Negative codes are refusals. */
export enum ScriptCode {
  Applied = 0,
  Duplicate = 1,
  Exhausted = 2,
  NotFound = -1,
  AlreadyExists = -2,
  StaleEpoch = -3,
  Terminal = -4,
  InvalidState = -5,
  AlreadyCommitted = -6,
  NotClaimable = -7,
  Corrupt = -8,
  Conflict = -9,
}

/** Every write operation that has a script, by file name (without `-<numberOfKeys>.lua`). */
export const scriptNames = [
  'create-job',
  'claim-job',
  'renew-lease',
  'record-chunk-plan',
  'record-chunk-recreated',
  'mark-resumed',
  'commit-chunk',
  'complete-job',
  'fail-job',
  'release-job',
  'quarantine-job',
  'forget-missing',
] as const;

export type ScriptName = (typeof scriptNames)[number];

/** One script as loaded: its name, key count, Lua source (includes inlined) and the command it is registered as. */
export interface ScriptSource {
  readonly name: ScriptName;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly file: string;
  readonly command: string;
}

/** A script's reply: its code and the remaining elements as strings. */
export interface ScriptReply {
  readonly code: ScriptCode;
  readonly values: readonly string[];
}

const scriptFilePattern = /^([a-z]+(?:-[a-z]+)*)-(\d+)\.lua$/;
const includePattern = /^--- @include "([a-z-]+)"$/gm;

/**
 * The directory of the .lua files, found from `moduleUrl` (this module's URL). From src (tsx,
 * vitest) it is `./lua` beside the module; `tsc` does not copy .lua files into dist, so from
 * dist/src/adapters/redis (or a dist without the src level) it is the package's
 * src/adapters/redis/lua (shipped: "src" is in the package's files).
 */
export function luaDirectory(moduleUrl: string = import.meta.url): string {
  const candidates = [
    new URL('./lua/', moduleUrl),
    new URL('../../../../src/adapters/redis/lua/', moduleUrl),
    new URL('../../../src/adapters/redis/lua/', moduleUrl),
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(`${path}claim-job-3.lua`)) return path;
  }
  throw new Error(
    `chunkwise: cannot find the Redis Lua scripts; looked in ${candidates.map((url) => fileURLToPath(url)).join(', ')}`,
  );
}

let loaded: ReadonlyMap<ScriptName, ScriptSource> | undefined;

/** Every script, read from disk once per process. */
export function loadScripts(): ReadonlyMap<ScriptName, ScriptSource> {
  if (loaded !== undefined) return loaded;
  const directory = luaDirectory();
  const scripts = new Map<ScriptName, ScriptSource>();
  for (const file of readdirSync(directory).sort()) {
    const match = scriptFilePattern.exec(file);
    if (match === null) continue;
    const name = match[1] as ScriptName;
    assert(scriptNames.includes(name), `unexpected Lua script ${file}`);
    const lua = readFileSync(`${directory}${file}`, 'utf8').replace(includePattern, (_line, include: string) =>
      readFileSync(`${directory}includes/${include}.lua`, 'utf8'),
    );
    scripts.set(name, { name, numberOfKeys: Number(match[2]), lua, file, command: commandName(name) });
  }
  for (const name of scriptNames) assert(scripts.has(name), `missing Lua script ${name}-<keys>.lua in ${directory}`);
  loaded = scripts;
  return scripts;
}

/** The name a script is registered under on a client: `chunkwise` + its name in PascalCase. */
export function commandName(name: ScriptName): string {
  return `chunkwise${name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}

type ScriptCommand = (...keysAndArguments: string[]) => Promise<unknown>;

/** Registers every script on `redis` (once per client). */
export function defineScripts(redis: RedisClient): void {
  const commands = redis as unknown as Record<string, unknown>;
  for (const script of loadScripts().values()) {
    if (typeof commands[script.command] === 'function') continue;
    redis.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}

/** Runs script `name` on `redis` (registered by {@link defineScripts}) and decodes its reply. */
export async function runScript(
  redis: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly string[],
): Promise<ScriptReply> {
  const script = loadScripts().get(name);
  assert(script !== undefined, `unknown script ${name}`);
  assert(keys.length === script.numberOfKeys, `script ${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  const command = (redis as unknown as Record<string, ScriptCommand>)[script.command];
  assert(typeof command === 'function', `script ${name} is not registered on this client`);
  const reply = await command.call(redis, ...keys, ...args);
  return decodeReply(name, reply);
}

/**
 * Runs script `name` and then `WAIT replicas timeoutMs` in one pipeline: on a cluster client the
 * pipeline goes to the master of the keys' slot, so the WAIT counts that master's replicas. Returns
 * the script's reply and how many replicas acknowledged every write of the connection so far.
 *
 * The pipeline carries EVALSHA (EVAL when that node lacks the script: a promoted replica has an
 * empty script cache), not the command defineScripts registers: ioredis does not support custom
 * commands in a cluster pipeline. A pipeline that met a redirection (MOVED, ASK: the slot moved in
 * a failover) ran nothing on the node that answered; it fails with that error (an unavailability)
 * after the client re-reads the slot map, and the caller retries.
 */
export async function runScriptAndWait(
  redis: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly string[],
  replicas: number,
  timeoutMs: number,
): Promise<{ reply: ScriptReply; acknowledged: number }> {
  const script = loadScripts().get(name);
  assert(script !== undefined, `unknown script ${name}`);
  assert(keys.length === script.numberOfKeys, `script ${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  const send = async (withSource: boolean) => {
    const pipeline = redis.pipeline();
    if (withSource) pipeline.eval(script.lua, keys.length, ...keys, ...args);
    else pipeline.evalsha(scriptSha(script), keys.length, ...keys, ...args);
    pipeline.wait(replicas, timeoutMs);
    const results = await pipeline.exec();
    assert(results !== null && results.length === 2, `the pipeline of script ${name} and WAIT returned no results`);
    return results as [[Error | null, unknown], [Error | null, unknown]];
  };
  let [[scriptError, reply], [waitError, acknowledged]] = await send(false);
  if (scriptError !== null && /^NOSCRIPT/.test(scriptError.message))
    [[scriptError, reply], [waitError, acknowledged]] = await send(true);
  if (scriptError !== null) {
    if (/^(MOVED|ASK) /.test(scriptError.message) && 'refreshSlotsCache' in redis) redis.refreshSlotsCache();
    throw scriptError;
  }
  if (waitError !== null) throw waitError;
  return { reply: decodeReply(name, reply), acknowledged: Number(acknowledged) };
}

const shas = new Map<ScriptSource, string>();

function scriptSha(script: ScriptSource): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script.lua).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

const knownCodes = new Set<number>(
  Object.values(ScriptCode).filter((value): value is number => typeof value === 'number'),
);

function decodeReply(name: ScriptName, reply: unknown): ScriptReply {
  assert(
    Array.isArray(reply) && reply.length >= 1,
    `script ${name} returned ${JSON.stringify(reply)}, expected a list`,
  );
  const code = Number(reply[0]);
  assert(knownCodes.has(code), `script ${name} returned the unknown code ${String(reply[0])}`);
  const values = reply.slice(1).map((value: unknown) => {
    assert(typeof value === 'string' || typeof value === 'number', `script ${name} returned a ${typeof value} element`);
    return String(value);
  });
  return { code: code as ScriptCode, values };
}
