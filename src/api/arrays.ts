import { makeDataset, oneHot, type Dataset } from '../data/dataset.js';
import { check } from '../util/errors.js';

/**
 * Examples as plain arrays: one array (or typed array) of numbers per
 * example, or all of them in one flat, row-major array.
 */
export type Examples = ReadonlyArray<ArrayLike<number>> | ArrayLike<number>;

/**
 * Labelled examples for {@link fit}: `x` the features, `y` the targets.
 *
 * `y` is one class index per example (0, 1, 2, …; two classes train one
 * sigmoid output, more a softmax over one output per class), or one array
 * of targets per example (one-hot rows, used as given).
 */
export interface LabelledExamples {
  x: Examples;
  y: ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;
  /** Numbers per example, needed when `x` is one flat array. */
  features?: number;
  /** Number of classes, when `y` holds class indices and a small sample may miss the last classes. */
  classes?: number;
}

/** Whether `x` holds one array per example (and not numbers). */
function isRows(x: Examples | LabelledExamples['y']): x is ReadonlyArray<ArrayLike<number>> {
  return x.length > 0 && typeof (x as ArrayLike<unknown>)[0] === 'object';
}

/** Features as one flat Float32Array of `width` numbers per example; `width` is read from rows when not given. */
export function featureMatrix(x: Examples, width: number | undefined, label: string): { data: Float32Array; count: number; width: number } {
  check(x !== null && typeof x === 'object' && typeof x.length === 'number', `${label} must be an array of examples (one array of numbers each) or one flat array of numbers`);
  check(x.length > 0, `${label} holds no examples`);
  if (isRows(x)) {
    const w = width ?? x[0].length;
    check(w > 0, `${label}[0] holds no numbers; every example needs at least one feature`);
    const data = new Float32Array(x.length * w);
    x.forEach((row, i) => {
      check(row.length === w, `${label}[${i}] has ${row.length} numbers but the examples have ${w}; give every example the same features`);
      for (let j = 0; j < w; j++) data[i * w + j] = row[j];
    });
    return { data: checkedFinite(data, label), count: x.length, width: w };
  }
  check(width !== undefined, `${label} is one flat array of ${x.length} numbers: say how many belong to each example with features: N, or pass one array per example`);
  check(Number.isInteger(width) && width >= 1, `features must be a whole number ≥ 1, got ${width}`);
  check(x.length % width === 0, `${label} has ${x.length} numbers, which is not a whole number of examples of ${width} features`);
  return { data: checkedFinite(Float32Array.from(x), label), count: x.length / width, width };
}

function checkedFinite(data: Float32Array, label: string): Float32Array {
  const bad = data.findIndex((v) => !Number.isFinite(v));
  check(bad < 0, () => `${label} holds a value that is not a finite number (${data[bad]}) at position ${bad}; every feature must be a number`);
  return data;
}

/**
 * Targets as a flat Float32Array with one row per example: class indices
 * become 0/1 (two classes) or one-hot rows, rows of targets are taken as given.
 */
export function targetMatrix(y: LabelledExamples['y'], count: number, classes: number | undefined, label: string): { data: Float32Array; outputs: number } {
  check(y !== null && typeof y === 'object' && typeof y.length === 'number', `${label} must be one class index per example or one array of targets per example`);
  check(y.length === count, `${label} has ${y.length} entries but x has ${count} examples; give one target per example`);
  if (isRows(y)) {
    const { data, width } = featureMatrix(y, undefined, label);
    return { data, outputs: width };
  }
  const labels = Array.from(y as ArrayLike<number>);
  const bad = labels.findIndex((v) => !Number.isInteger(v) || v < 0);
  check(bad < 0, () => `${label}[${bad}] is ${labels[bad]}; class indices are whole numbers 0, 1, 2, … (for other targets give one array per example)`);
  const highest = Math.max(...labels);
  const k = classes ?? Math.max(2, highest + 1);
  check(Number.isInteger(k) && k >= 2, `classes must be a whole number ≥ 2, got ${k}`);
  check(highest < k, `${label} holds class ${highest} but classes is ${k}; classes are 0..${k - 1}`);
  return k === 2 ? { data: Float32Array.from(labels), outputs: 1 } : { data: oneHot(labels, k), outputs: k };
}

/** A {@link Dataset} from plain arrays, checked. */
export function datasetFromArrays(examples: LabelledExamples, label = 'data'): Dataset {
  check(examples !== null && typeof examples === 'object', `${label} must be an object { x, y }`);
  const x = featureMatrix(examples.x, examples.features, `${label}.x`);
  const y = targetMatrix(examples.y, x.count, examples.classes, `${label}.y`);
  return makeDataset(x.data, y.data, x.width, y.outputs);
}
