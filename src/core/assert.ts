/**
 * Assertions: a failed assertion is a bug in chunkwise and throws {@link AssertionError}.
 * Operating errors (Redis down, ffmpeg exit code, HTTP 429) are never asserted: they are values.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an {@link AssertionError} with `message` unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable. */
export function unreachable(value: never, what: string): never {
  throw new AssertionError(`unreachable ${what}: ${JSON.stringify(value)}`);
}
