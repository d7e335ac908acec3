/**
 * How the worker writes its log lines: one JSON object per line (for a log collector; the default when stdout is not
 * a terminal), or one readable line (the default on a terminal). `--log-format text|json` chooses.
 */

/** The formats of `--log-format`. */
export const logFormats = ['text', 'json'] as const;
/** One of {@link logFormats}. */
export type LogFormat = (typeof logFormats)[number];

/** One log line's fields: `what` happened, to which job, in which words; anything else is kept as it is. */
export interface LogLine {
  readonly workerId?: string;
  readonly what: string;
  readonly jobId?: string;
  readonly detail?: string;
}

/** `format` when given, else text on a terminal and JSON elsewhere. */
export function chooseLogFormat(format: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return format ?? (isTTY === true ? 'text' : 'json');
}

/** A log line as `format` writes it, with its time, ending in a newline. */
export function formatLogLine<L extends LogLine>(format: LogFormat, line: L, at: Date = new Date()): string {
  if (format === 'json') return `${JSON.stringify({ t: at.toISOString(), ...line })}\n`;
  const { workerId, what, jobId, detail, ...rest } = line as LogLine & Record<string, unknown>;
  const extra = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const words = [
    at.toISOString(),
    workerId ?? '-',
    what,
    ...(jobId === undefined ? [] : [jobId]),
    ...(detail === undefined || detail === '' ? [] : [`: ${detail}`]),
    ...(extra === '' ? [] : [extra]),
  ];
  return `${words.join(' ').replace(' : ', ': ')}\n`;
}
