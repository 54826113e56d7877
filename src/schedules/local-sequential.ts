import type { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';

/**
 * Local, sequential: block 0 learns for its epochs, then block 1 on the
 * frozen output of block 0, and so on. The frozen blocks' output over the
 * training set is computed once per phase, since it cannot change.
 */
export const localSequential: Schedule = {
  name: 'local-sequential',
  description: 'one block at a time, each on the frozen blocks before it (50 epochs per block)',
  defaultEpochs: 50,
  totalEpochs: (epochs, blocks) => epochs * blocks,
  *plan(session, epochs) {
    const n = session.blockCount;
    for (let i = 0; i < n; i++) {
      const frozen = i === 0 ? null : session.network.encode(session.trainX, i);
      try {
        for (let e = 0; e < epochs; e++) {
          yield {
            block: i,
            train: () => {
              const losses: tf.Scalar[][] = Array.from({ length: n }, () => []);
              for (const chunk of session.chunks()) {
                const input = frozen ? session.rowsOf(frozen, chunk) : chunk.x;
                losses[i].push(session.stepBlock(i, input, chunk, false).loss);
                if (i + 1 === n && chunk.indices === null) session.cacheOutputLoss(input);
                if (input !== frozen && input !== chunk.x) input.dispose();
              }
              return losses;
            },
          };
        }
      } finally {
        frozen?.dispose();
      }
    }
  },
};
