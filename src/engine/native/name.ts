/**
 * The TF.js backend name of the wasm module with its matrix kernels on the
 * system BLAS. In a module of its own so that code bundled for the browser
 * can compare with it without importing the BLAS binding.
 */
export const NATIVE_BACKEND = 'native';
