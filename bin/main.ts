/**
 * `chunkwise <command>`: the dispatcher above the library (src/) and the simulator (sim/), so that neither depends
 * on the other through it. Unknown commands and bad flags are usage errors (exit 64); a command that needs a part
 * the package does not install says which one and how to get it (exit 69).
 *
 * bin/chunkwise.js runs the compiled form of this file (dist/bin/main.js).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exit codes of the dispatcher itself; each command has its own beyond these. */
export const dispatchExitCodes = { usage: 64, unavailable: 69, config: 78 } as const;

/** Where the dispatcher writes; injectable for tests. */
export interface MainIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

export const commandsUsage = `Usage: chunkwise <command> [options]

Commands:
  sim       run the deterministic simulator (chunkwise sim --help)
  chaos     chaos --live: the promises on real processes, real Redis, real kills (chunkwise chaos --live --help)
  worker    run a worker process: a job store by URL, chunk files on disk, ffmpeg, a transcriber by name
  submit    create a job for a media file and print its id
  status    print a job's phase, progress, lease, last error and last events
  list      list jobs, newest first (--state S, --limit N, --json)
  counts    count jobs per phase
  result    print the transcript of a completed job
  retry     put a failed job back to work as a new attempt
  cancel    fail an unfinished job; the worker holding it is fenced out
  remove    delete a job's keys (a leased one only with --force)

Options:
  --version  print the version of chunkwise
  --help     this text

Run "chunkwise <command> --help" for a command's options.
`;

/** The package's root directory: the nearest directory above this module whose package.json is chunkwise's. */
export function packageRoot(moduleUrl: string = import.meta.url): string {
  let directory = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = path.join(directory, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'chunkwise')
      return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`chunkwise: no package.json of chunkwise above ${moduleUrl}`);
    directory = parent;
  }
}

/** The version in chunkwise's package.json. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') throw new Error('chunkwise: package.json has no version');
  return manifest.version;
}

/** True when the package `name` can be loaded from where chunkwise is installed. */
export function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** The pinned versions this checkout develops with, for install hints (`name@version`). */
function pinned(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    const version = manifest.devDependencies?.[name];
    return version === undefined ? name : `${name}@${version}`;
  } catch {
    return name;
  }
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[], io: MainIo = process): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sim':
      return simCommand(rest, io);
    case 'chaos':
      return chaosCommand(rest, io);
    case 'worker':
    case 'submit':
    case 'status':
    case 'list':
    case 'counts':
    case 'result':
    case 'retry':
    case 'cancel':
    case 'remove':
      return serviceCommand(command, rest, io);
    case '--version':
    case '-v':
    case 'version':
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(commandsUsage);
        return 0;
      }
      return main([topic, '--help', ...(topic === 'chaos' ? ['--live'] : [])], io);
    }
    case undefined:
    case '--help':
    case '-h':
      io.stdout.write(commandsUsage);
      return command === undefined ? dispatchExitCodes.usage : 0;
    default:
      io.stderr.write(`chunkwise: unknown command ${JSON.stringify(command)}\n\n${commandsUsage}`);
      return dispatchExitCodes.usage;
  }
}

/** A flag's value from argv (`--name value` or `--name=value`), or undefined. */
function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === `--${name}`) return argv[index + 1];
    if (argument.startsWith(`--${name}=`)) return argument.slice(name.length + 3);
  }
  return undefined;
}

/**
 * `chunkwise sim`: the simulator's own CLI, after two checks of what it needs beyond the package. `--coverage` runs
 * the repository's chaos tests under vitest, which only a checkout has. The differential slice of a default campaign
 * replays runs through the Redis adapter on ioredis-mock, an optional peer dependency: without it the slice is
 * skipped with a note, and asking for it (`--differential N`) says what to install.
 */
async function simCommand(argv: readonly string[], io: MainIo): Promise<number> {
  const asksHelp = argv.includes('--help');
  if (!asksHelp && argv.includes('--coverage')) return coverageCommand(io);
  let args = [...argv];
  if (!asksHelp && !installed('ioredis-mock')) {
    const differential = flagValue(argv, 'differential');
    if (differential !== undefined && differential !== '0') {
      io.stderr.write(
        `chunkwise sim: install ioredis-mock to use --differential (npm install --save-dev ${pinned('ioredis-mock')})\n`,
      );
      return dispatchExitCodes.unavailable;
    }
    // The slice belongs to a default campaign on the memory store (--quick plays none).
    const store = flagValue(argv, 'store');
    const slices =
      (store === undefined || store === 'memory') &&
      ['--replay', '--scenario', '--exhaustive', '--quick', '--shard'].every(
        (flag) => !argv.some((argument) => argument === flag || argument.startsWith(`${flag}=`)),
      );
    if (differential === undefined && slices) {
      io.stderr.write(
        'chunkwise sim: ioredis-mock is not installed, so the differential slice (memory store vs the Redis ' +
          `adapter's Lua) is skipped; npm install --save-dev ${pinned('ioredis-mock')} to run it\n`,
      );
      args = [...args, '--differential', '0'];
    }
  }
  // The simulator's V8 settings, as `npm run sim` sets them: sim/jit.mjs, shipped as source beside dist/ (one
  // directory further up from dist/bin/). A campaign warms up on less CPU under them.
  const jit = [new URL('../sim/jit.mjs', import.meta.url), new URL('../../sim/jit.mjs', import.meta.url)].find((url) =>
    existsSync(url),
  );
  if (jit !== undefined) await import(jit.href);
  const sim = await import('../sim/cli.js');
  return sim.main(args, io);
}

/** `chunkwise sim --coverage`: the chaos tests of a checkout under vitest with v8 coverage. */
async function coverageCommand(io: MainIo): Promise<number> {
  const root = packageRoot();
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(path.join(root, 'test', 'chaos')) || !existsSync(vitest)) {
    io.stderr.write(
      "chunkwise sim --coverage measures the repository's own chaos tests (test/chaos, test/sim), which the " +
        'package does not ship: in a clone of chunkwise run npm ci, then npm run sim -- --coverage\n',
    );
    return dispatchExitCodes.unavailable;
  }
  io.stdout.write('chunkwise sim --coverage: vitest run test/chaos test/sim --coverage\n');
  const child = spawn(process.execPath, [vitest, 'run', 'test/chaos', 'test/sim', '--coverage'], {
    stdio: 'inherit',
    cwd: root,
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

/** `chunkwise chaos --live`: the live chaos runner, once the binaries its test audio is made with are installed. */
async function chaosCommand(argv: readonly string[], io: MainIo): Promise<number> {
  const asksHelp = argv.includes('--help');
  if (!argv.includes('--live') && !asksHelp) {
    io.stderr.write(
      'chunkwise chaos: only --live exists (chunkwise chaos --live --help); the simulator is chunkwise sim\n',
    );
    return dispatchExitCodes.usage;
  }
  const missing = ['@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe'].filter((name) => !installed(name));
  if (!asksHelp && missing.length > 0) {
    io.stderr.write(
      `chunkwise chaos --live makes its test audio with the ffmpeg and ffprobe binaries of ${missing.join(' and ')}, ` +
        `which are not installed: npm install --save-dev ${missing.map(pinned).join(' ')} ` +
        '(it also needs redis-server on the PATH)\n',
    );
    return dispatchExitCodes.unavailable;
  }
  const live = await import('../sim/live/cli.js');
  return live.main(
    argv.filter((argument) => argument !== '--live'),
    io,
  );
}

/** The service commands: the worker, submit and status, and the operator's commands. */
type ServiceCommand = 'worker' | 'submit' | 'status' | 'list' | 'counts' | 'result' | 'retry' | 'cancel' | 'remove';

/**
 * `chunkwise worker|submit|status` and the operator's commands (src/cli/admin.ts). A usage error prints the usage
 * (64); an unavailable dependency, a job store that stopped answering, and configuration that does not work are one
 * line without a stack (69, 69, 78).
 */
async function serviceCommand(command: ServiceCommand, argv: readonly string[], io: MainIo) {
  const service = await import('../src/cli/service.js');
  const admin = await import('../src/cli/admin.js');
  const { DependencyUnavailableError, ConfigurationError } = await import('../src/cli/exit.js');
  const { StoreUnavailableError, CorruptStateError, WorkerUnfitError } = await import('../src/ports.js');
  const run =
    command === 'worker' || command === 'submit' || command === 'status'
      ? { worker: service.workerCommand, submit: service.submitCommand, status: service.statusCommand }[command]
      : admin.adminCommands[command];
  const usage = command in admin.adminUsage ? admin.adminUsage[command as keyof typeof admin.adminUsage] : '';
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof DependencyUnavailableError || error instanceof ConfigurationError) {
      io.stderr.write(`chunkwise ${command}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof WorkerUnfitError) {
      // A tool or the credentials stopped working while the worker ran: it handed its job over and stopped.
      io.stderr.write(`chunkwise ${command}: ${error.message}; the job in hand was handed over\n`);
      return error.kind === 'configuration' ? 78 : dispatchExitCodes.unavailable;
    }
    if (error instanceof StoreUnavailableError) {
      io.stderr.write(`chunkwise ${command}: the job store stopped answering: ${error.message}\n`);
      return dispatchExitCodes.unavailable;
    }
    if (error instanceof CorruptStateError) {
      // The operator's answer to such a job is `chunkwise remove JOB_ID` (which reads nothing of it) or a worker's
      // quarantine; the command says which job and what is wrong with it.
      io.stderr.write(`chunkwise ${command}: ${error.message}\n`);
      return 1;
    }
    if (!(error instanceof service.CommandUsageError || error instanceof TypeError || error instanceof RangeError))
      throw error;
    const text = usage !== '' ? usage : service.commandUsage[command as keyof typeof service.commandUsage];
    io.stderr.write(`chunkwise ${command}: ${error.message}\n\n${text}`);
    return error instanceof service.CommandUsageError ? dispatchExitCodes.usage : 1;
  }
}
