import type { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';
import { blockInputSize, hiddenBlocks } from '../model/shapes.js';

/**
 * Local, sequential: block 0 learns for its epochs, then block 1 on the
 * frozen output of block 0, and so on. The frozen blocks' output over the
 * training set is computed once per phase, since it cannot change, at the
 * phase's first training step (so a run resumed mid-phase rebuilds it from
 * the restored blocks, and skipped phases cost nothing).
 *
 * With dropout, the learning block's input (the output of block i-1) gets a
 * fresh mask every step, as a block's output does in the other schedules;
 * the frozen blocks before it run without dropout, so their output stays
 * computed once per phase.
 */
export const localSequential: Schedule = {
  name: 'local-sequential',
  description: 'one block at a time, each on the frozen blocks before it (50 epochs per block)',
  note: 'one block at a time, each from its own decoder',
  explanation:
    'Block 0 trains alone against its decoder, then stays fixed while block 1 trains on its output, and so on (★ marks the block in training). One phase per block makes its run longer, so the comparison below plots each run by its share.',
  trainsRule: true,
  oneBlockAtATime: true,
  pipelinable: false,
  // Phase i ≥ 1 holds the frozen blocks' output on the training set: trainRows × what block i is fed.
  stateBytes: (spec, _step, trainRows, bytes) => trainRows * Math.max(0, ...hiddenBlocks(spec).map((i) => blockInputSize(spec, i + 1))) * bytes,
  defaultEpochs: 50,
  totalEpochs: (epochs, blocks) => epochs * blocks,
  *plan(session, epochs) {
    const n = session.blockCount;
    for (let i = 0; i < n; i++) {
      let frozen: tf.Tensor2D | null = null;
      try {
        for (let e = 0; e < epochs; e++) {
          yield {
            block: i,
            *train() {
              // A rule that prepares its chunks (Forward-Forward's positive and negative rows) makes new rows every
              // step: they go through the frozen blocks each time, and no features are cached.
              if (session.network.rule.prepareChunk) {
                for (const chunk of session.chunks()) {
                  const rows = i > 0 ? session.network.encode(chunk.x, i) : chunk.x;
                  const input = i > 0 ? session.dropout(rows, i - 1) : rows;
                  session.recordLoss(i, session.stepBlock(i, input, chunk, false).loss);
                  if (input !== rows) input.dispose();
                  if (rows !== chunk.x) rows.dispose();
                  yield;
                }
                return;
              }
              if (i > 0 && !frozen) frozen = session.network.encode(session.trainX, i);
              for (const chunk of session.chunks()) {
                // Past block 0 the batch's inputs are never read: the frozen features stand in for them.
                if (frozen) session.releaseBatchInput(chunk);
                const rows = frozen ? session.rowsOf(frozen, chunk) : chunk.x;
                const input = frozen ? session.dropout(rows, i - 1) : rows;
                session.recordLoss(i, session.stepBlock(i, input, chunk, false).loss);
                // The unmasked rows are the current network's last input: the next epoch's training loss comes cheap.
                if (i + 1 === n && chunk.indices === null) session.cacheOutputLoss(rows);
                if (input !== rows) input.dispose();
                if (rows !== frozen && rows !== chunk.x) rows.dispose();
                yield;
              }
            },
          };
        }
      } finally {
        (frozen as tf.Tensor2D | null)?.dispose();
      }
    }
  },
};
