import { createRequire } from 'node:module';
import { LocalpropError } from '../../util/errors.js';

/**
 * The system BLAS, reached through koffi (npm). Only Node loads this file:
 * the browser bundle never imports the native folder.
 */

/** Names the BLAS library to load instead of OpenBLAS: a path or a name the dynamic loader finds. */
export const BLAS_ENV = 'LOCALPROP_BLAS';

/** The package that gives Debian and Ubuntu the library this backend looks for first. */
export const BLAS_PACKAGE = 'libopenblas0-pthread';

/** Row-major layout and the transpose flags of the CBLAS interface (cblas.h's enums). */
export const CBLAS = { rowMajor: 101, noTrans: 111, trans: 112 } as const;

type Floats = Float32Array;

/** The calls localprop makes into a BLAS; the optional ones are OpenBLAS extensions. */
export interface Blas {
  /** What was loaded: the name or path given to the loader. */
  readonly library: string;
  /** OpenBLAS's kernel family (`openblas_get_corename`), or `unknown` for other libraries. */
  readonly coreType: string;
  /** OpenBLAS's build line (`openblas_get_config`), or the library name. */
  readonly config: string;
  /** `C = alpha·op(A)·op(B) + beta·C`, row-major (cblas_sgemm). */
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Floats, lda: number, b: Floats, ldb: number, beta: number, c: Floats, ldc: number): void;
  /** `B = Aᵀ` for a row-major `rows × cols` A (cblas_somatcopy), when the library has it. */
  readonly transpose?: (rows: number, cols: number, a: Floats, b: Floats) => void;
  /** The library's own thread count, when it can be read and set (OpenBLAS). */
  readonly threads?: { get(): number; set(n: number): void };
}

/** Libraries tried in order when {@link BLAS_ENV} names none. */
function defaultLibraries(): string[] {
  if (process.platform === 'darwin') return ['/System/Library/Frameworks/Accelerate.framework/Accelerate', 'libopenblas.dylib'];
  if (process.platform === 'win32') return ['libopenblas.dll'];
  return ['libopenblas.so.0', 'libopenblas.so'];
}

let loaded: Blas | null | undefined;
let failure = '';

/**
 * The BLAS this process uses, loaded once (OpenBLAS keeps one thread pool per
 * process, so every thread shares it); `null` when none loads, with the
 * reason in {@link blasFailure}.
 */
export function loadBlas(): Blas | null {
  if (loaded !== undefined) return loaded;
  const named = process.env[BLAS_ENV];
  const candidates = named ? [named] : defaultLibraries();
  const reasons: string[] = [];
  for (const library of candidates) {
    try {
      loaded = bind(library);
      return loaded;
    } catch (e) {
      reasons.push(`${library}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  failure = reasons.join('; ');
  loaded = null;
  return null;
}

/** Why {@link loadBlas} found no library (empty while it has not failed). */
export function blasFailure(): string {
  return failure;
}

/** The one line that says no BLAS loaded, and how to get one. */
export function missingBlasMessage(): string {
  const named = process.env[BLAS_ENV];
  const what = named ? `the BLAS library ${BLAS_ENV}=${named} names` : 'OpenBLAS';
  return `the native backend could not load ${what} (${failure}); install OpenBLAS (Debian/Ubuntu: apt-get install ${BLAS_PACKAGE}), or name a library exporting cblas_sgemm in ${BLAS_ENV}, or use --backend wasm`;
}

/** {@link loadBlas}, or a {@link LocalpropError} naming the package to install. */
export function requireBlas(): Blas {
  const blas = loadBlas();
  if (!blas) throw new LocalpropError(missingBlasMessage());
  return blas;
}

function bind(library: string): Blas {
  // koffi is a native addon: required lazily, so a machine where it cannot load still runs wasm.
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load(library);
  const sgemm = lib.func('void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)');
  const optional = (signature: string) => {
    try {
      return lib.func(signature);
    } catch {
      return undefined;
    }
  };
  const corename = optional('const char *openblas_get_corename()');
  const getConfig = optional('const char *openblas_get_config()');
  const getThreads = optional('int openblas_get_num_threads()');
  const setThreads = optional('void openblas_set_num_threads(int n)');
  const omatcopy = optional('void cblas_somatcopy(int order, int trans, int rows, int cols, float alpha, const float *a, int lda, float *b, int ldb)');
  return {
    library,
    coreType: corename ? String(corename()) : 'unknown',
    config: getConfig ? String(getConfig()) : library,
    sgemm: (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      sgemm(CBLAS.rowMajor, transA ? CBLAS.trans : CBLAS.noTrans, transB ? CBLAS.trans : CBLAS.noTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    transpose: omatcopy ? (rows, cols, a, b) => omatcopy(CBLAS.rowMajor, CBLAS.trans, rows, cols, 1, a, cols, b, rows) : undefined,
    threads: getThreads && setThreads ? { get: () => Number(getThreads()), set: (n) => setThreads(n) } : undefined,
  };
}
