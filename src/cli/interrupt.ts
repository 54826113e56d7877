import { LocalpropError } from '../util/errors.js';

/** A run stopped by the user (Ctrl-C): the CLI exits with 130, the shell's code for SIGINT. */
export class InterruptedError extends LocalpropError {}

/**
 * Ctrl-C while training: the first one asks the running command to stop at
 * the next step boundary (what finished is saved on the way out, and with
 * --out the state to resume from); a second one exits at once. Worker
 * threads live in the process, so neither leaves one behind.
 */
export const interruption = {
  requested: false,
  /** What a run reads between its steps ({@link RunOptions.signal}). */
  signal: {
    get aborted(): boolean {
      return interruption.requested;
    },
  },
  /** Installs the SIGINT handler for the life of `body`. */
  async during<T>(body: () => Promise<T>): Promise<T> {
    const onSigint = () => {
      if (interruption.requested) process.exit(130);
      interruption.requested = true;
      process.stderr.write('\nlocalprop: stopping at the next step (Ctrl-C again to quit at once)\n');
    };
    process.on('SIGINT', onSigint);
    try {
      return await body();
    } finally {
      process.off('SIGINT', onSigint);
      interruption.requested = false;
    }
  },
  /** Throws when the user asked to stop. */
  check(): void {
    if (interruption.requested) throw new InterruptedError('interrupted (Ctrl-C)');
  },
};
