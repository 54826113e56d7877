import { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';
import type { Chunk, Session } from '../train/session.js';

/**
 * One epoch of parallel local learning: for every chunk, blocks 0..n-1 step
 * in order, block i on the output of blocks 0..i-1 after they stepped on the
 * same chunk (each output masked by dropout, when on). A step modulator on
 * the session (local-gated's gates) is given each block's unmasked input.
 */
export function* trainParallelEpoch(session: Session): Generator<void, void, void> {
  const n = session.blockCount;
  const masked = session.dropoutRate > 0;
  for (const chunk of session.chunks()) {
    if (chunk.blockInputs) {
      stepFromOnePass(session, chunk, chunk.blockInputs);
      yield;
      continue;
    }
    let input = chunk.x;
    // Under dropout, the unmasked inputs the modulator asks for: [k] is block k's, through blocks that already stepped.
    const unmasked: tf.Tensor2D[] = [chunk.x];
    for (let i = 0; i < n; i++) {
      const block = i;
      const stepInput = input;
      const inputOf = (): tf.Tensor2D => {
        if (!masked) return stepInput;
        for (let k = unmasked.length - 1; k < block; k++) unmasked.push(tf.keep(session.network.blocks[k].apply(unmasked[k])));
        return unmasked[block];
      };
      const { loss, output } = session.stepBlock(block, stepInput, chunk, block + 1 < n, inputOf);
      session.recordLoss(i, loss);
      // The last block's input is the current network's, so the next epoch's training loss comes cheap (not when masked).
      // Not for a chunk a rule prepared (Forward-Forward): its rows are not the training set's.
      if (i + 1 === n && chunk.indices === null && !masked && !chunk.context) session.cacheOutputLoss(input);
      if (input !== chunk.x) input.dispose();
      // Only block 0 reads the batch's inputs (and, under dropout, the unmasked inputs above start from them).
      else if (!masked) session.releaseBatchInput(chunk);
      if (output) input = output;
    }
    unmasked.slice(1).forEach((t) => t.dispose());
    yield;
  }
}

/**
 * A chunk whose rule computed every block's input in one forward pass
 * (DFA): every block steps on its input from that pass, none on the
 * output of blocks that already stepped.
 */
function stepFromOnePass(session: Session, chunk: Chunk, inputs: tf.Tensor2D[]): void {
  for (let i = 0; i < session.blockCount; i++) session.recordLoss(i, session.stepBlock(i, inputs[i], chunk, false).loss);
}

/**
 * Local, parallel: every block learns in every step. Block i learns from the
 * output of blocks 0..i-1 after they have stepped on the same chunk, as in the
 * seed (its input is recomputed through the blocks that already stepped).
 */
export const localParallel: Schedule = {
  name: 'local-parallel',
  description: 'every block learns at once from its own decoder (200 epochs)',
  note: 'every block at once, each from its own decoder',
  explanation:
    'Every block trains at the same time, each from its own decoder’s loss, and no gradient passes between blocks. Each small picture is what that block alone predicts through its decoder: later blocks refine what earlier ones already separate.',
  trainsRule: true,
  pipelinable: true,
  defaultEpochs: 200,
  totalEpochs: (epochs) => epochs,
  *plan(session, epochs) {
    for (let e = 0; e < epochs; e++) yield { block: null, train: () => trainParallelEpoch(session) };
  },
};
