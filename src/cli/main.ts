/**
 * `chunkwise <command>`: dispatches to the simulator and the other commands. Unknown commands are
 * a usage error (exit 64).
 */
const commands = `Usage: chunkwise <command> [options]

Commands:
  sim       run the deterministic simulator (chunkwise sim --help)

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
