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
 * - when the threads that train fill the cores (a pipeline of `--workers`
 *   groups, as many as cores), the evaluation thread yields to them: it runs
 *   at the lowest priority, so it computes in the time the pipeline leaves
 *   idle (a group waiting for its neighbour, the gap between epochs) instead
 *   of taking cores from the training threads.
 *
 * docs/engine-notes.md has the measurements behind this.
 */

let budget: number | undefined;
let computing = 1;
/** Worker threads that train (a pipeline's groups); the run's own thread trains when there are none. */
let training = 0;
let yielding = true;
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

/** What a computing worker thread does: trains (a pipeline group) or scores (the evaluation thread). */
export type ComputeRole = 'training' | 'evaluation';

/**
 * A worker thread that computes is starting: the BLAS drops to one thread
 * per caller until the returned function says it has ended.
 */
export function computeThreadStarted(role: ComputeRole = 'training'): () => void {
  computing++;
  if (role === 'training') training++;
  setBlasThreads?.(blasThreads());
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    computing--;
    if (role === 'training') training--;
    setBlasThreads?.(blasThreads());
  };
}

/** The JavaScript threads training now: a pipeline's groups while one lives, else the run's own thread. */
export function trainingThreads(): number {
  return Math.max(1, training);
}

/**
 * Whether the evaluation thread should yield to the training threads (run
 * at the lowest priority) on a machine of `cores` cores: when the threads
 * that train are at least as many as the cores, a third thread would take
 * time from them instead of filling their idle time.
 */
export function evaluationYields(cores: number): boolean {
  return yielding && trainingThreads() >= cores;
}

/** Switches the yielding of {@link evaluationYields} off (or back on): benchmarks measure both in one checkout. */
export function setEvaluationYield(on: boolean): void {
  yielding = on;
}
