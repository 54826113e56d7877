/** The native backend's Node-only folder, imported by ../backend.ts when asked for. */
export { BLAS_ENV, BLAS_PACKAGE, blasFailure, loadBlas, missingBlasMessage, requireBlas, type Blas } from './blas.js';
export { NATIVE_BACKEND, registerNativeBackend } from './register.js';
