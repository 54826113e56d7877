import * as tf from '@tensorflow/tfjs';
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

export { tf };
