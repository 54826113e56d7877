import type { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';

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
    const n = session.blockCount;
    for (let e = 0; e < epochs; e++) {
      yield {
        block: null,
        train: () => {
          const losses: tf.Scalar[][] = Array.from({ length: n }, () => []);
          for (const chunk of session.chunks()) {
            let input = chunk.x;
            for (let i = 0; i < n; i++) {
              const { loss, output } = session.stepBlock(i, input, chunk, i + 1 < n);
              losses[i].push(loss);
              // The last block's input is the current network's, so the next epoch's training loss comes cheap.
              if (i + 1 === n && chunk.indices === null) session.cacheOutputLoss(input);
              if (input !== chunk.x) input.dispose();
              if (output) input = output;
            }
          }
          return losses;
        },
      };
    }
  },
};
