/// <reference types="long" preserve="true" />
// The namespace is tfjs-core's, so the published types name tfjs-core only:
// the umbrella package's types (tfjs-layers') do not compile with
// skipLibCheck off. tfjs-core's types use the global Long of @types/long,
// its own dependency, which a consumer listing "types" would not load: hence
// the reference above. The umbrella is still imported for the cpu and webgl
// backends it registers, by a name used below (a bare side-effect import
// would stay in the declarations too).
import * as tfjs from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LocalpropError } from '../util/errors.js';
import { registerWasmConvKernels } from './conv/wasm-kernels.js';

/**
 * Backends localprop knows how to start; others registered with TF.js also
 * work by name. `native` (Node only) is wasm with its matrix kernels on the
 * system BLAS; `auto` takes native where a BLAS loads, wasm otherwise.
 */
export const KNOWN_BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'webgl', 'webgpu'] as const;

/** The default of the library and the browser: wasm (XNNPACK) is an order of magnitude faster than `cpu`. */
export const DEFAULT_BACKEND = 'wasm';

/** The default of the command line in Node: the BLAS where one loads. */
export const NODE_DEFAULT_BACKEND = 'auto';

/** The backend {@link useBackend} started, with the BLAS behind it for `native`. */
export interface BackendChoice {
  /** The TF.js backend now active (never `auto`). */
  name: string;
  /** The BLAS library and its kernel family, for `native`. */
  blas?: { library: string; coreType: string };
  /** For `auto`: one line saying which backend it took and, for wasm, how to get the fast one. */
  note?: string;
}

/**
 * What this file uses of the native folder (./native/index.ts), which is
 * imported only when asked for: it needs Node (koffi, node:fs), and its
 * types must not enter the browser's build either.
 */
interface NativeModule {
  registerNativeBackend(): { library: string; coreType: string };
  loadBlas(): object | null;
  blasFailure(): string;
  BLAS_PACKAGE: string;
  BLAS_ENV: string;
}
let native: NativeModule | undefined;

const inNode = (): boolean => Boolean((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node);

async function nativeModule(): Promise<NativeModule> {
  if (!inNode()) throw new LocalpropError('the native backend runs in Node only; choose wasm in a browser');
  // A computed specifier keeps bundlers from pulling the Node-only folder into the browser build.
  const path = './native/index.js';
  native ??= (await import(/* @vite-ignore */ path)) as NativeModule;
  return native;
}

/**
 * Selects and initialises a TF.js backend (`wasmPaths`: the URL prefix of
 * the .wasm files, or each file's URL by its name, needed in a browser) and
 * says which one runs. Throws a {@link LocalpropError} naming the backends
 * that are registered when `name` is not one of them or fails to start, and
 * naming the package to install when `native` finds no BLAS.
 *
 * @example
 * ```ts
 * await useBackend('wasm');                          // Node: the fastest here for small networks
 * await useBackend('wasm', { wasmPaths: '/wasm/' }); // a page that serves TF.js's .wasm files under /wasm/
 * await useBackend('auto');                          // Node: native where a BLAS loads, else wasm
 * ```
 */
export async function useBackend(name: string = DEFAULT_BACKEND, options: { wasmPaths?: string | Record<string, string> } = {}): Promise<BackendChoice> {
  // In a browser the wasm binaries are fetched from wherever the page serves them.
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  if (name === 'auto') return useAuto();
  if (name === 'native') {
    const blas = (await nativeModule()).registerNativeBackend();
    await start(name);
    return { name, blas: { library: blas.library, coreType: blas.coreType } };
  }
  await start(name);
  return { name };
}

/** `auto`: native where a BLAS loads (Node), wasm otherwise, with the line that says so. */
async function useAuto(): Promise<BackendChoice> {
  if (inNode()) {
    const mod = await nativeModule();
    if (mod.loadBlas()) {
      const choice = await useBackend('native');
      return { ...choice, note: `backend native (TF.js wasm with matrix products on ${choice.blas!.library}, core ${choice.blas!.coreType}); --backend wasm for the portable one` };
    }
    await start('wasm');
    return { name: 'wasm', note: `backend wasm: no BLAS loaded (${mod.blasFailure()}); for the faster native backend: apt-get install ${mod.BLAS_PACKAGE} (or name a library in ${mod.BLAS_ENV})` };
  }
  await start('wasm');
  return { name: 'wasm' };
}

async function start(name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  const registered = Object.keys(tf.engine().registryFactory);
  if (!registered.includes(name)) {
    throw new LocalpropError(
      `unknown backend "${name}"; choose one of: ${[...new Set(['auto', 'native', ...registered])].join(', ')} (webgpu needs its own package loaded first)`,
    );
  }
  silenceNodeHint();
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new LocalpropError(`backend "${name}" failed to start (${(e as Error).message}); choose another backend (cpu works everywhere)`);
  }
  if (!ok) throw new LocalpropError(`backend "${name}" failed to start here; choose another backend (cpu works everywhere)`);
  await tf.ready();
}

/**
 * Production mode skips TF.js's debug assertions and its advert for
 * tfjs-node (which cannot be installed here). IS_TEST would also silence the
 * advert but turns on kernel leak checks that reject custom gradients.
 */
function silenceNodeHint(): void {
  tf.enableProdMode();
}

void tfjs.version;

// wasm lacks the conv filter gradient, its conv input gradient is a slow loop and its pooling gradients are wrong
// in cases a conv net meets: localprop's kernels replace them wherever wasm runs (./conv/).
registerWasmConvKernels();

export { tf };
