import { check } from '../util/errors.js';

/**
 * A labelled set of examples held as flat row-major arrays, so it can be
 * built in a browser, sent to a worker or read from a file without TF.js.
 *
 * `y` holds `outputSize` numbers per example: the 0/1 label when
 * `outputSize` is 1, a one-hot row otherwise.
 */
export interface Dataset {
  /** Features, `count × inputSize`, row-major. */
  readonly x: Float32Array;
  /** Targets, `count × outputSize`, row-major. */
  readonly y: Float32Array;
  readonly count: number;
  readonly inputSize: number;
  readonly outputSize: number;
  /**
   * The shape of one example, when it is more than a row of `inputSize`
   * features: `[1, 28, 28]` for images kept as images (C×H×W, the order
   * of `x`'s rows). Absent: `[inputSize]`.
   */
  readonly inputShape?: readonly number[];
}

/** The shape of one example of `data`: its `inputShape`, or `[inputSize]`. */
export function dataShape(data: Pick<Dataset, 'inputSize' | 'inputShape'>): readonly number[] {
  return data.inputShape ?? [data.inputSize];
}

/** Builds a {@link Dataset}, checking that the arrays match the sizes (and `inputShape`, when given, `inputSize`). */
export function makeDataset(x: Float32Array, y: Float32Array, inputSize: number, outputSize: number, inputShape?: readonly number[]): Dataset {
  check(inputSize > 0 && outputSize > 0, `a dataset needs at least one feature and one target (got ${inputSize} and ${outputSize})`);
  const count = x.length / inputSize;
  check(Number.isInteger(count), `feature array of length ${x.length} is not a whole number of rows of ${inputSize}`);
  check(y.length === count * outputSize, `target array has ${y.length} numbers; ${count} examples × ${outputSize} targets need ${count * outputSize}`);
  if (inputShape === undefined || inputShape.length === 1) return { x, y, count, inputSize, outputSize };
  check(inputShape.reduce((a, d) => a * d, 1) === inputSize, `an example of shape [${inputShape.join(', ')}] holds ${inputShape.reduce((a, d) => a * d, 1)} features, not ${inputSize}`);
  return { x, y, count, inputSize, outputSize, inputShape: [...inputShape] };
}

/** One-hot rows for class indices 0..classes-1. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) y[i * classes + labels[i]] = 1;
  return y;
}

/** The class of each example: the 0/1 label, or the index of the one-hot 1. */
export function classLabels(data: Dataset): Int32Array {
  const labels = new Int32Array(data.count);
  const k = data.outputSize;
  for (let i = 0; i < data.count; i++) {
    if (k === 1) {
      labels[i] = data.y[i] >= 0.5 ? 1 : 0;
    } else {
      let best = 0;
      for (let j = 1; j < k; j++) if (data.y[i * k + j] > data.y[i * k + best]) best = j;
      labels[i] = best;
    }
  }
  return labels;
}

/**
 * Splits off the last `count` examples as a validation set, for choosing
 * options without looking at the test set.
 */
export function splitValidation(data: Dataset, count: number): { train: Dataset; validation: Dataset } {
  check(Number.isInteger(count) && count > 0 && count < data.count, `a validation split needs between 1 and ${data.count - 1} examples, got ${count}`);
  const keep = data.count - count;
  const part = (from: number, to: number) =>
    makeDataset(data.x.slice(from * data.inputSize, to * data.inputSize), data.y.slice(from * data.outputSize, to * data.outputSize), data.inputSize, data.outputSize, data.inputShape);
  return { train: part(0, keep), validation: part(keep, data.count) };
}

/**
 * The first `count` examples, or all of them when there are fewer: copies,
 * so a small slice of a large cached set is small to keep or to send to a
 * worker.
 */
export function firstExamples(data: Dataset, count: number): Dataset {
  check(Number.isInteger(count) && count >= 1, `a dataset slice needs a whole number ≥ 1 of examples, got ${count}`);
  if (count >= data.count) return data;
  return makeDataset(data.x.slice(0, count * data.inputSize), data.y.slice(0, count * data.outputSize), data.inputSize, data.outputSize, data.inputShape);
}
