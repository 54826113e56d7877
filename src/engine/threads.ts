/**
 * How many threads compute, in one place. OpenBLAS (Debian's 0.3.21) keeps
 * one thread pool per process, and two JavaScript threads calling it while it
 * runs several threads of its own can hang (measured: the evaluation thread
 * next to a training thread never returned). So:
 *
 * - one JavaScript thread computing (no workers, no evaluation thread): the
 *   BLAS runs `--threads` threads, by default its own choice (all cores, or
 *   OPENBLAS_NUM_THREADS);
 * - more than one (a pipeline's workers, the evaluation thread): every call
 *   into the BLAS runs on its caller's thread alone, so the process never
 *   runs more compute threads than JavaScript threads.
 *
 * docs/engine-notes.md has the measurements behind this.
 */

let budget: number | undefined;
let computing = 1;
let setBlasThreads: ((n: number | undefined) => void) | undefined;

/** The BLAS thread count the policy gives now; `undefined`: the library's own default. */
export function blasThreads(): number | undefined {
  return computing > 1 ? 1 : budget;
}

/** `--threads N`: the threads one computing JavaScript thread may use (the BLAS's, on the native backend). */
export function setThreadBudget(threads: number | undefined): void {
  budget = threads;
  setBlasThreads?.(blasThreads());
}

/** Called by the native backend on the main thread: `set` applies the policy to the BLAS, now and on every change. */
export function applyBlasThreads(set: (n: number | undefined) => void): void {
  setBlasThreads = set;
  set(blasThreads());
}

/**
 * A worker thread that computes is starting: the BLAS drops to one thread
 * per caller until the returned function says it has ended.
 */
export function computeThreadStarted(): () => void {
  computing++;
  setBlasThreads?.(blasThreads());
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    computing--;
    setBlasThreads?.(blasThreads());
  };
}
