/**
 * `chunkwise <command>`: dispatches to the simulator and the other commands. Unknown commands are
 * a usage error (exit 64).
 */
const commands = `Usage: chunkwise <command> [options]

Commands:
  sim       run the deterministic simulator (chunkwise sim --help)
  chaos     chaos --live: the promises on real processes, real Redis, real kills (chunkwise chaos --live --help)
  worker    run a worker process on Redis, files, ffmpeg and the OpenAI API
  submit    create a job for a media file and print its id
  status    print a job's phase, progress and last events

Run "chunkwise <command> --help" for a command's options.
`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sim': {
      const sim = await import('../../sim/cli.js');
      return sim.main(rest);
    }
    case 'chaos': {
      if (!rest.includes('--live')) {
        process.stderr.write(
          'chunkwise chaos: only --live exists (chunkwise chaos --live --help); the simulator is chunkwise sim\n',
        );
        return 64;
      }
      const live = await import('../../sim/live/cli.js');
      return live.main(rest.filter((argument) => argument !== '--live'));
    }
    case 'worker':
    case 'submit':
    case 'status': {
      const service = await import('./service.js');
      const run = { worker: service.workerCommand, submit: service.submitCommand, status: service.statusCommand }[
        command
      ];
      try {
        return await run(rest, process);
      } catch (error) {
        if (!(error instanceof service.CommandUsageError || error instanceof TypeError || error instanceof RangeError))
          throw error;
        process.stderr.write(`chunkwise ${command}: ${error.message}\n\n${service.serviceUsage}`);
        return error instanceof service.CommandUsageError ? 64 : 1;
      }
    }
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write(commands);
      return command === undefined ? 64 : 0;
    default:
      process.stderr.write(`chunkwise: unknown command ${JSON.stringify(command)}\n\n${commands}`);
      return 64;
  }
}
