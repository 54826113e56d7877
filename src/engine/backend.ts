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

/** Backends localprop knows how to start; others registered with TF.js also work by name. */
export const KNOWN_BACKENDS = ['wasm', 'cpu', 'webgl', 'webgpu'] as const;

/** The default: wasm (XNNPACK) is an order of magnitude faster than `cpu` here. */
export const DEFAULT_BACKEND = 'wasm';

/**
 * Selects and initialises a TF.js backend (`wasmPaths`: the URL prefix of
 * the .wasm files, or each file's URL by its name, needed in a browser). Throws a {@link LocalpropError}
 * naming the backends that are registered when `name` is not one of them or
 * fails to start.
 *
 * @example
 * ```ts
 * await useBackend('wasm');                          // Node: the fastest here for small networks
 * await useBackend('wasm', { wasmPaths: '/wasm/' }); // a page that serves TF.js's .wasm files under /wasm/
 * ```
 */
export async function useBackend(name: string = DEFAULT_BACKEND, options: { wasmPaths?: string | Record<string, string> } = {}): Promise<void> {
  // In a browser the wasm binaries are fetched from wherever the page serves them.
  if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  if (tf.getBackend() === name) return;
  const registered = Object.keys(tf.engine().registryFactory);
  if (!registered.includes(name)) {
    throw new LocalpropError(
      `unknown backend "${name}"; choose one of: ${registered.join(', ')} (webgpu needs its own package loaded first)`,
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

export { tf };
