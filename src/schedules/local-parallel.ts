import { tf } from '../engine/backend.js';
import type { Schedule } from './schedule.js';
import type { Chunk, Session } from '../train/session.js';
import { check } from '../util/errors.js';

/**
 * One epoch of parallel local learning: for every chunk, blocks 0..n-1 step
 * in order, block i on the output of blocks 0..i-1 after they stepped on the
 * same chunk (each output masked by dropout, when on). A step modulator on
 * the session (local-gated's gates) is given each block's unmasked input.
 */
export function* trainParallelEpoch(session: Session): Generator<void, void, void> {
  for (const chunk of session.chunks()) {
    if (chunk.blockInputs) stepFromOnePass(session, chunk, chunk.blockInputs);
    else stepBlockRun(session, chunk, chunk.x, 0, session.blockCount, chunk.x);
    yield;
  }
}

/**
 * local-parallel's steps of blocks `from`..`to`-1 on one chunk: block
 * `from` on `input`, each later one on the output of the block before it
 * after that block stepped; each block's loss goes to
 * {@link Session.recordLoss}. Returns the output of block `to`-1 (what
 * block `to` learns from), or undefined when it is the network's last.
 * `input` is freed once used, unless it is the chunk's own (which the
 * session frees). A whole epoch runs blocks 0..n-1; a pipeline group
 * runs its own blocks on its upstream group's output.
 *
 * `unmaskedInput` is block `from`'s input without dropout masks, from
 * which a modulator's unmasked inputs are made when it asks; null when the
 * caller does not have it (a pipeline group, whose modulator never asks).
 */
export function stepBlockRun(session: Session, chunk: Chunk, input: tf.Tensor2D, from: number, to: number, unmaskedInput: tf.Tensor2D | null, beforeStep?: (block: number) => void): tf.Tensor2D | undefined {
  const n = session.blockCount;
  const masked = session.dropoutRate > 0;
  // Under dropout, the unmasked inputs the modulator asks for: [k] is block from+k's, through blocks that already stepped.
  const unmasked: tf.Tensor2D[] = unmaskedInput ? [unmaskedInput] : [];
  let current: tf.Tensor2D | undefined = input;
  for (let i = from; i < to; i++) {
    const block = i;
    const stepInput: tf.Tensor2D = current!;
    const inputOf = (): tf.Tensor2D => {
      if (!masked) return stepInput;
      check(unmasked.length > 0, `block ${block}'s input without dropout masks is not on this thread; a modulator that reads it cannot run on a pipeline`);
      for (let k = from + unmasked.length - 1; k < block; k++) unmasked.push(tf.keep(session.network.blocks[k].apply(unmasked[k - from])));
      return unmasked[block - from];
    };
    beforeStep?.(block);
    const { loss, output } = session.stepBlock(block, stepInput, chunk, block + 1 < n, inputOf);
    session.recordLoss(block, loss);
    // The last block's input is the current network's, so the next epoch's training loss comes cheap (not when masked).
    // Not for a chunk a rule prepared (Forward-Forward): its rows are not the training set's.
    if (block + 1 === n && chunk.indices === null && !masked && !chunk.context) session.cacheOutputLoss(stepInput);
    if (stepInput !== chunk.x) stepInput.dispose();
    // Only block 0 reads the batch's inputs (and, under dropout, the unmasked inputs above start from them).
    else if (!masked) session.releaseBatchInput(chunk);
    current = output;
  }
  unmasked.slice(1).forEach((t) => t.dispose());
  return current;
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
