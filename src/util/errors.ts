/**
 * The one error type for mistakes a user can fix: a bad spec, an unknown name,
 * a malformed file, a diverging run. The CLI prints its message alone (no
 * stack) and exits with status 2, so the message must say what was wrong and
 * how to fix it.
 */
export class LocalpropError extends Error {
  override readonly name = 'LocalpropError';
  constructor(message: string) {
    super(message);
  }
}

/** Throws a {@link LocalpropError} when `condition` is false. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new LocalpropError(typeof message === 'string' ? message : message());
}
