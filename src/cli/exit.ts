/**
 * Exit codes of the service commands (sysexits.h) and the errors that carry them. A usage error prints the usage
 * (64); an unavailable dependency (a job store that does not answer, an ffmpeg that cannot be run, an API that cannot
 * be reached) and bad configuration (a rejected API key, a chunk directory that cannot be written) print one line
 * naming what is wrong, without a stack.
 */

/** The exit codes of the service commands. */
export const exitCodes = {
  ok: 0,
  /** The command ran and says no: an unknown job, a job in the wrong state. */
  failure: 1,
  /** EX_USAGE: a bad flag or argument. */
  usage: 64,
  /** EX_UNAVAILABLE: a dependency or tool cannot be reached or run. */
  unavailable: 69,
  /** EX_CONFIG: configuration that does not work (a rejected key, a directory that cannot be written). */
  config: 78,
} as const;

/** A dependency the command needs cannot be reached or run: one line, exit 69. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  readonly exitCode = exitCodes.unavailable;
}

/** The configuration does not work: one line, exit 78. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly exitCode = exitCodes.config;
}
