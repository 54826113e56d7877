import { tf } from '../engine/backend.js';
import type { PlainTensor } from '../model/parameters.js';
import { check } from '../util/errors.js';
import type { StepAdjuster, StepAdjustment } from './modulator.js';

/** A {@link StepAdjustment} as plain data, which crosses to another thread. */
export interface PlainAdjustment {
  scale?: PlainTensor;
  shrinkGate?: PlainTensor;
  resetStepSize?: PlainTensor;
  firstMomentScale?: PlainTensor;
  secondMomentScale?: PlainTensor;
  skip?: boolean;
}

/** The tensors a {@link StepAdjustment} may carry. */
const TENSOR_FIELDS = ['scale', 'shrinkGate', 'resetStepSize', 'firstMomentScale', 'secondMomentScale'] as const satisfies readonly (keyof PlainAdjustment & keyof StepAdjustment)[];

/** One step's adjustments of a block's variables (undefined: a plain step), as plain data. */
export type PlainStepAdjustments = (PlainAdjustment | undefined)[] | undefined;

/**
 * One block's adjustments for the steps of an epoch, fixed when the epoch
 * begins: its first step's, and the one every later step takes (a
 * modulator may ask for something once an epoch, as local-drift's reset).
 */
export interface BlockEpochAdjustments {
  first: PlainStepAdjustments;
  later: PlainStepAdjustments;
}

function toPlain(adjustments: (StepAdjustment | undefined)[] | undefined): PlainStepAdjustments {
  return adjustments?.map((a) => {
    if (!a) return undefined;
    const plain: PlainAdjustment = a.skip ? { skip: true } : {};
    for (const key of TENSOR_FIELDS) {
      const t = a[key];
      if (t) plain[key] = { shape: [...t.shape], data: (t.dataSync() as Float32Array).slice() };
    }
    return plain;
  });
}

function toTensors(adjustments: PlainStepAdjustments): (StepAdjustment | undefined)[] | undefined {
  return adjustments?.map((a) => {
    if (!a) return undefined;
    const made: StepAdjustment = a.skip ? { skip: true } : {};
    for (const key of TENSOR_FIELDS) {
      const t = a[key];
      if (t) made[key] = tf.tensor(t.data, t.shape);
    }
    return made;
  });
}

/**
 * Every block's adjustments for an epoch, asked of `adjust` as the epoch's
 * first two steps of each block would ask: for a modulator whose state
 * changes at most at a block's first step once the epoch has begun, the
 * second step's adjustments are every later step's, and the modulator is
 * left as the epoch's steps would leave it. Such a modulator reads no
 * step's input (it measured its probe rows when the epoch began).
 */
export function recordEpochAdjustments(modulator: StepAdjuster, blocks: number): BlockEpochAdjustments[] {
  const noInput = (): tf.Tensor2D => {
    throw new Error("a modulator whose adjustments are fixed for an epoch read a step's input");
  };
  return Array.from({ length: blocks }, (_, block) => {
    let recorded: BlockEpochAdjustments = { first: undefined, later: undefined };
    // As in a step, the tensors the modulator returns are freed once read.
    tf.tidy(() => {
      recorded = { first: toPlain(modulator.adjust(block, noInput)), later: toPlain(modulator.adjust(block, noInput)) };
    });
    return recorded;
  });
}

/**
 * The adjuster of a thread that trains some blocks of another thread's
 * epoch (a pipeline group): it gives each block the adjustments the run's
 * modulator fixed for this epoch ({@link recordEpochAdjustments}), the
 * first to the block's first step and the later to the others.
 */
export class FixedEpochAdjustments implements StepAdjuster {
  private readonly stepsTaken: number[];

  constructor(private readonly blocks: BlockEpochAdjustments[]) {
    this.stepsTaken = blocks.map(() => 0);
  }

  adjust(block: number): (StepAdjustment | undefined)[] | undefined {
    const fixed = this.blocks[block];
    check(fixed !== undefined, `the epoch's step adjustments cover ${this.blocks.length} blocks, not block ${block}`);
    return toTensors(this.stepsTaken[block]++ === 0 ? fixed.first : fixed.later);
  }
}
