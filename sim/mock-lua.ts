/**
 * The adapter's Lua scripts on ioredis-mock without a new Lua state per call.
 *
 * ioredis-mock 8 runs a command defined with `defineCommand` by creating a fengari state, opening its libraries and
 * the JS interop, defining `redis` (a small chunk parsed each time), parsing the script's whole source, running it,
 * and closing the state: about three quarters of a call's time before the script's first line runs.
 * {@link cacheMockScripts} makes a mock's `defineCommand` register the same script through the same steps, with the
 * same functions of fengari and fengari-interop (ioredis-mock's own dependencies), but keeps one state per script
 * source for the whole process, its source parsed once (the chunk kept in the state's registry), and runs that chunk
 * again on each call with the call's KEYS and ARGV, as the mock sets them. `redis.call` reaches the command emulators
 * of the mock whose command runs (the ones ioredis-mock's own scripts reach, taken from its exported Pipeline), and
 * every value crosses between Lua and JS as the mock converts it; errors carry the mock's message. What persists
 * from one call to the next is what a script leaves in its globals: the adapter's scripts write none (Redis refuses
 * global writes), and KEYS and ARGV are set anew each time.
 */
import { createRequire } from 'node:module';

/** A command emulator of ioredis-mock: synchronous, bound to its mock. */
type Emulator = (...args: unknown[]) => unknown;

/** The parts of ioredis-mock this module uses. */
interface Mock {
  readonly constructor: { readonly Pipeline: new (redis: Mock) => Record<string, unknown> };
  readonly customCommands: Record<string, unknown>;
  [command: string]: unknown;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- fengari is untyped JavaScript */
interface Fengari {
  readonly lua: any;
  readonly lualib: any;
  readonly lauxlib: any;
  readonly to_luastring: (text: string) => Uint8Array;
  readonly to_jsstring: (text: Uint8Array) => string;
}
interface Interop {
  push(L: any, value: unknown): void;
  tojs(L: any, index: number): any;
  luaopen_js(L: any): void;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

let loaded: { fengari: Fengari; interop: Interop } | undefined;

/** fengari and fengari-interop as ioredis-mock resolves them. */
function libraries(): { fengari: Fengari; interop: Interop } {
  if (loaded !== undefined) return loaded;
  const fromHere = createRequire(import.meta.url);
  const fromMock = createRequire(fromHere.resolve('ioredis-mock'));
  loaded = { fengari: fromMock('fengari') as Fengari, interop: fromMock('fengari-interop') as Interop };
  return loaded;
}

/** The mock whose script runs now, and its emulators: a script runs synchronously, so one at a time. */
let running: { readonly mock: Mock; readonly emulator: (name: string) => Emulator | undefined } | undefined;

const emulatorsOf = new WeakMap<Mock, (name: string) => Emulator | undefined>();

/**
 * The emulator of command `name` on `mock`, as the mock's own scripts call it: a Pipeline made on the mock holds every
 * command emulator bound to the mock, and hands it to `_addTransaction` when a command is queued.
 */
function emulators(mock: Mock): (name: string) => Emulator | undefined {
  const known = emulatorsOf.get(mock);
  if (known !== undefined) return known;
  let pipeline: Record<string, unknown> | undefined;
  let captured: Emulator | undefined;
  const byName = new Map<string, Emulator | undefined>();
  const emulator = (name: string): Emulator | undefined => {
    if (byName.has(name)) return byName.get(name);
    if (pipeline === undefined) {
      pipeline = new mock.constructor.Pipeline(mock);
      pipeline['_addTransaction'] = (commandEmulator: Emulator) => {
        captured = commandEmulator;
      };
    }
    captured = undefined;
    const queue = pipeline[name];
    const ownCommand = Object.prototype.hasOwnProperty.call(pipeline, name) && !(name in mock.customCommands);
    if (ownCommand && typeof queue === 'function' && !['batch', 'redis', '_transactions'].includes(name)) {
      try {
        (queue as () => unknown).call(pipeline);
      } catch {
        captured = undefined;
      }
    }
    byName.set(name, captured);
    return captured;
  };
  emulatorsOf.set(mock, emulator);
  return emulator;
}

/** One state per script source: its chunk compiled once, or the message of its load error. */
interface CompiledScript {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a fengari state
  readonly L: any;
  /** The stack height every call starts from: the mock leaves the `js` library table on the stack. */
  readonly base: number;
  readonly loadError: string | undefined;
}

const compiled = new Map<string, CompiledScript>();
const chunkField = 'chunkwise.chunk';

function compile(luaCode: string): CompiledScript {
  const known = compiled.get(luaCode);
  if (known !== undefined) return known;
  const { fengari, interop } = libraries();
  const { lua, lualib, lauxlib, to_luastring: toLuaString } = fengari;
  const L: unknown = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  // Left on the stack, as the mock leaves it: a script that returns nothing returns this table there.
  interop.luaopen_js(L);
  lua.lua_pushjsfunction(L, redisCall);
  lua.lua_setglobal(L, toLuaString('call'));
  // The mock's `redis` object, word for word.
  const redisObject = `
    local redis = {}
    function repair(val)
      if val == nil then
        return false
      end
      return val
    end
    unpack = table.unpack
    redis.call = function(...)
        return repair(call(false, ...))
    end
    redis.pcall = function(...)
        return repair(call(true, ...))
    end
    return redis
  `;
  if (lauxlib.luaL_dostring(L, toLuaString(redisObject)) !== 0)
    throw new Error(`ioredis-mock's redis object did not load: ${lua.lua_tojsstring(L, -1)}`);
  lua.lua_setglobal(L, toLuaString('redis'));
  const base: number = lua.lua_gettop(L);
  let loadError: string | undefined;
  // luaL_dostring is luaL_loadstring then lua_pcall: the chunk is loaded the same way, so its name is the same.
  if (lauxlib.luaL_loadstring(L, toLuaString(luaCode)) !== 0) {
    loadError = String(lua.lua_tojsstring(L, -1));
    lua.lua_settop(L, base);
  } else {
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, toLuaString(chunkField));
  }
  const script = { L, base, loadError };
  compiled.set(luaCode, script);
  return script;
}

/** `call(returnError, name, ...args)` inside a script: the mock's bridge to its command emulators. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a fengari state
function redisCall(L: any): number {
  const { interop, fengari } = libraries();
  const { lua } = fengari;
  const top: number = lua.lua_gettop(L);
  const rawArgs: unknown[] = [];
  for (let index = -top; index < 0; index += 1) rawArgs.push(interop.tojs(L, index));
  const returnError = rawArgs[0];
  let result: unknown;
  try {
    const args = rawArgs.slice(1);
    const name = (args[0] as string).toLowerCase();
    const emulator = running?.emulator(name);
    // As the mock: an unknown command fails reading the emulator it does not have.
    result = (emulator as Emulator).bind(running?.mock)(...args.slice(1));
    if (name === 'hgetall') result = ([] as unknown[]).concat(...Object.entries(result as object));
  } catch (error) {
    if (!returnError) throw error;
    interop.push(L, ['error', String(error)]);
    return 1;
  }
  if (!(result || result === 0)) return 0;
  if (Array.isArray(result)) {
    result.unshift(null);
    (result as unknown as Record<symbol, unknown>)[Symbol.for('__len')] = function (this: unknown[]) {
      return this.length - 1;
    };
  }
  interop.push(L, result);
  return 1;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a fengari state
function pushValue(L: any, value: unknown): void {
  const { fengari, interop } = libraries();
  const { lua } = fengari;
  if (Array.isArray(value)) {
    lua.lua_newtable(L);
    const table: number = lua.lua_gettop(L);
    value.forEach((element, index) => {
      interop.push(L, index + 1);
      interop.push(L, element);
      lua.lua_settable(L, table);
    });
  } else if (value !== null && typeof value === 'object') {
    lua.lua_newtable(L);
    const table: number = lua.lua_gettop(L);
    for (const [field, element] of Object.entries(value)) {
      interop.push(L, field);
      pushValue(L, element);
      lua.lua_settable(L, table);
    }
  } else {
    interop.push(L, value);
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- fengari states and values */
function topKeys(L: any): unknown[] {
  const { fengari, interop } = libraries();
  const { lua, to_jsstring: toJsString } = fengari;
  if (lua.lua_isnil(L, -1)) throw new Error('cannot get keys on nil');
  if (!lua.lua_istable(L, -1))
    throw new Error(`non-tables don't have keys! type is "${toJsString(lua.lua_typename(L, lua.lua_type(L, -1)))}"`);
  lua.lua_pushnil(L);
  const keys: unknown[] = [];
  while (lua.lua_next(L, -2) !== 0) {
    keys.push(interop.tojs(L, -2));
    lua.lua_pop(L, 1);
  }
  return keys;
}

function topIsArray(L: any): boolean {
  try {
    return topKeys(L)
      .reverse()
      .every((key, index) => key === index + 1);
  } catch {
    return false;
  }
}

function returnValue(L: any): unknown {
  const { fengari, interop } = libraries();
  const { lua } = fengari;
  if (!topIsArray(L)) {
    const value = interop.tojs(L, -1);
    return Array.isArray(value) ? value.slice(1) : value;
  }
  lua.lua_len(L, -1);
  const length: number = lua.lua_tointeger(L, -1);
  lua.lua_pop(L, 1);
  const table = interop.tojs(L, -1);
  const values: unknown[] = [];
  if (length === 0) {
    lua.lua_pop(L, 1);
    return values;
  }
  for (let index = 1; index <= length; index += 1) {
    interop.push(L, table.get(index));
    values.push(returnValue(L));
  }
  lua.lua_pop(L, 1);
  return values;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Runs `luaCode` on `mock` with `numberOfKeys` keys among `args`, as ioredis-mock's custom commands do. */
function runScript(mock: Mock, numberOfKeys: number, luaCode: string, args: unknown[]): unknown {
  const script = compile(luaCode);
  const { fengari } = libraries();
  const { lua, to_luastring: toLuaString } = fengari;
  const { L, base } = script;
  lua.lua_settop(L, base);
  pushValue(L, args.slice(0, numberOfKeys));
  lua.lua_setglobal(L, toLuaString('KEYS'));
  pushValue(L, args.slice(numberOfKeys));
  lua.lua_setglobal(L, toLuaString('ARGV'));
  const top: number = lua.lua_gettop(L);
  const message = (text: string) => `Error trying to loading or executing lua code string in VM: ${text}`;
  if (script.loadError !== undefined) throw new Error(message(script.loadError));
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, toLuaString(chunkField));
  const outer = running;
  running = { mock, emulator: emulators(mock) };
  try {
    if (lua.lua_pcall(L, 0, lua.LUA_MULTRET, 0) !== 0) throw new Error(message(String(lua.lua_tojsstring(L, -1))));
    const returned: number = lua.lua_gettop(L) - top + 1;
    return returned > 0 ? returnValue(L) : undefined;
  } finally {
    running = outer;
    lua.lua_settop(L, base);
  }
}

/**
 * Makes `mock` (an ioredis-mock client) define its scripts through {@link runScript}: `defineCommand(name, { lua,
 * numberOfKeys })` then gives a command `name` on the client and in its pipelines, as the mock's own would.
 */
export function cacheMockScripts(mock: object): void {
  const client = mock as Mock;
  client['defineCommand'] = (name: string, definition: { numberOfKeys: number; lua: string }) => {
    const emulator = (...args: unknown[]) =>
      runScript(
        client,
        definition.numberOfKeys,
        definition.lua,
        ([] as unknown[]).concat(...args).map((arg) => (arg == null ? '' : arg instanceof Buffer ? arg : String(arg))),
      );
    const command = (...args: unknown[]) => {
      const callback =
        typeof args.at(-1) === 'function' ? (args.pop() as (error: unknown, reply?: unknown) => void) : undefined;
      const reply = new Promise((resolve) => resolve(emulator(...args)));
      if (callback !== undefined) reply.then((value) => callback(null, value), callback);
      return reply;
    };
    client[name] = command;
    client.customCommands[name] = command;
  };
}
