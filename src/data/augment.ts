import { check } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

/** Random changes to training images, drawn afresh every time an image is used; never applied to the test set. */
export interface Augmentation {
  /** Shift by up to this many pixels each way, as torchvision's `RandomCrop(side, padding=jitter)`; 0 for none. */
  jitter: number;
  /** Mirror left-right with probability 1/2, as `RandomHorizontalFlip()`. */
  flip: boolean;
}

/** The side of the square grey images `inputSize` features hold, or a clear refusal. */
export function imageSide(inputSize: number): number {
  const side = Math.round(Math.sqrt(inputSize));
  check(side * side === inputSize, `--jitter and --flip shift and mirror square grey images (like 28×28, 784 inputs); this data has ${inputSize} inputs`);
  return side;
}

/**
 * The rows `rows` of the images `x` (row-major, `side`² pixels each),
 * each shifted and mirrored as `augmentation` draws from `rng`: per image a
 * vertical then a horizontal offset, each uniform on [-jitter, jitter] (the
 * crop's top and left corner of the padded image), then the flip. Pixels
 * shifted in from outside the image are `fill` (torchvision pads with 0
 * before normalising, so standardised data passes (0 - mean)/std).
 */
export function augmentImages(x: Float32Array, side: number, rows: ArrayLike<number>, augmentation: Augmentation, fill: number, rng: Rng): Float32Array {
  const { jitter, flip } = augmentation;
  check(Number.isInteger(jitter) && jitter >= 0 && jitter < side, `--jitter must be a whole number of pixels from 0 to ${side - 1}, got ${jitter}`);
  const pixels = side * side;
  const out = new Float32Array(rows.length * pixels);
  for (let k = 0; k < rows.length; k++) {
    const dy = jitter > 0 ? rng.int(2 * jitter + 1) - jitter : 0;
    const dx = jitter > 0 ? rng.int(2 * jitter + 1) - jitter : 0;
    const mirrored = flip && rng.uniform() < 0.5;
    const source = rows[k] * pixels;
    const target = k * pixels;
    for (let r = 0; r < side; r++) {
      const sr = r + dy;
      for (let c = 0; c < side; c++) {
        const sc = (mirrored ? side - 1 - c : c) + dx;
        out[target + r * side + c] = sr >= 0 && sr < side && sc >= 0 && sc < side ? x[source + sr * side + sc] : fill;
      }
    }
  }
  return out;
}

/**
 * Inputs standardised as torchvision's `Normalize((mean,), (std,))`:
 * (x - mean) / std for every feature. A new array; `x` is left alone.
 */
export function standardize(x: Float32Array, mean: number, std: number): Float32Array {
  check(Number.isFinite(mean) && Number.isFinite(std) && std > 0, `--standardize takes mean,std with std > 0 (MNIST: 0.1307,0.3081); got ${mean},${std}`);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean) / std;
  return out;
}
