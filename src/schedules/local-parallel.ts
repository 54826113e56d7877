import { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';
import type { Session } from './session.js';

/** Per block, what scales its step: the optimizer's `scales` and `shrinkGates` (see {@link Optimizer.step}). */
export type StepModulation = (block: number, input: tf.Tensor2D) => { scales?: (tf.Tensor | undefined)[]; shrinkGates?: (tf.Tensor | undefined)[] } | undefined;

/**
 * One epoch of parallel local learning: for every chunk, blocks 0..n-1 step
 * in order, block i on the output of blocks 0..i-1 after they stepped on the
 * same chunk. `modulate`, called with each block's input before its step,
 * may scale that step (the gated schedule); its tensors are freed after it.
 */
export function trainParallelEpoch(session: Session, modulate?: StepModulation): tf.Scalar[][] {
  const n = session.blockCount;
  const losses: tf.Scalar[][] = Array.from({ length: n }, () => []);
  for (const chunk of session.chunks()) {
    let input = chunk.x;
    for (let i = 0; i < n; i++) {
      const block = i;
      const stepInput = input;
      const { loss, output } = tf.tidy(() => {
        const m = modulate?.(block, stepInput);
        return session.stepBlock(block, stepInput, chunk, block + 1 < n, m?.scales, m?.shrinkGates);
      });
      losses[i].push(loss);
      // The last block's input is the current network's, so the next epoch's training loss comes cheap.
      if (i + 1 === n && chunk.indices === null) session.cacheOutputLoss(input);
      if (input !== chunk.x) input.dispose();
      if (output) input = output;
    }
  }
  return losses;
}

/**
 * Local, parallel: every block learns in every step. Block i learns from the
 * output of blocks 0..i-1 after they have stepped on the same chunk, as in the
 * seed (its input is recomputed through the blocks that already stepped).
 */
export const localParallel: Schedule = {
  name: 'local-parallel',
  description: 'every block learns at once from its own decoder (200 epochs)',
  defaultEpochs: 200,
  totalEpochs: (epochs) => epochs,
  *plan(session, epochs) {
    for (let e = 0; e < epochs; e++) yield { block: null, train: () => trainParallelEpoch(session) };
  },
};
