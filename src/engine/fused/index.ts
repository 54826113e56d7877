import { registerFused } from './kernel.js';
import { thresholdAccuracyKernel } from './accuracy.js';
import { mishBackwardKernel, mishForwardKernel } from './mish.js';
import { weightedMseGradKernel, weightedMseKernel } from './mse.js';
import { rpropKernel } from './rprop.js';
import { adamKernel } from './adam.js';

export { fusedActive, setFusedKernels } from './kernel.js';

/** Every fused kernel, for tools that inspect the kernel registry (each is otherwise registered at its first use). */
export const FUSED_KERNELS = [rpropKernel, adamKernel, mishForwardKernel, mishBackwardKernel, weightedMseKernel, weightedMseGradKernel, thresholdAccuracyKernel];

/** Registers every fused kernel now. */
export function registerFusedKernels(): void {
  FUSED_KERNELS.forEach(registerFused);
}
