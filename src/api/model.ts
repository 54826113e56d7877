import { tf } from '../engine/backend.js';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint.js';
import { Network } from '../model/network.js';
import type { ParameterMap } from '../model/parameters.js';
import type { ModelSpec } from '../model/spec.js';
import type { EpochEvent, RunEndEvent } from '../train/events.js';
import { check } from '../util/errors.js';
import { datasetFromArrays, featureMatrix, type Examples, type LabelledExamples } from './arrays.js';
import { readyBackend } from './backend.js';
import { inputSize, outputSize } from '../model/shapes.js';

/** Rows predicted in one pass, so a large input does not hold every activation at once. */
const PREDICT_CHUNK = 4096;

/**
 * A trained network over plain arrays: what {@link fit} returns and
 * {@link Model.load} reads back. It holds its parameters as plain arrays,
 * so it needs no disposing; each call runs on the current TF.js backend.
 *
 * @example
 * ```ts
 * const model = await fit({ x, y }, { epochs: 100 });
 * model.classify([[0.5, 0.5], [-0.5, 0.5]]); // [1, 0]
 * const bytes = model.save();                 // safetensors, readable by PyTorch too
 * const again = await Model.load(bytes);
 * ```
 */
export class Model {
  /**
   * @param spec the network's shape (see docs/model-spec.md)
   * @param parameters every weight, in PyTorch's layout
   * @param info what the checkpoint records beside the tensors (schedule, seed, …)
   * @param history the epoch events of the training run (event 0 the untrained network, event k after k epochs), empty for a loaded model
   * @param final the training run's end event, when the model was trained in this process
   */
  constructor(
    readonly spec: ModelSpec,
    readonly parameters: ParameterMap,
    readonly info: Readonly<Record<string, string>> = {},
    readonly history: readonly EpochEvent[] = [],
    readonly final?: RunEndEvent,
  ) {}

  /** Features an example has. */
  get inputs(): number {
    return inputSize(this.spec);
  }

  /** Numbers a prediction has: 1 for two classes (the probability of class 1), else one per class. */
  get outputs(): number {
    return outputSize(this.spec);
  }

  /**
   * The network's output for each example: probabilities (one number per
   * example for two classes, one per class otherwise). Rows in, rows out
   * (`number[][]`); a flat array in, a flat Float32Array out.
   */
  predict(x: ReadonlyArray<ArrayLike<number>>): number[][];
  predict(x: ArrayLike<number>): Float32Array;
  predict(x: Examples): number[][] | Float32Array {
    const flat = this.forward(x);
    if (!isRowInput(x)) return flat;
    const k = this.outputs;
    return Array.from({ length: flat.length / k }, (_, i) => Array.from(flat.subarray(i * k, (i + 1) * k)));
  }

  /** The most likely class of each example (0/1 at probability 0.5 for one output). Rows in, `number[]` out; a flat array in, an Int32Array out. */
  classify(x: ReadonlyArray<ArrayLike<number>>): number[];
  classify(x: ArrayLike<number>): Int32Array;
  classify(x: Examples): number[] | Int32Array {
    const flat = this.forward(x);
    const k = this.outputs;
    const classes = new Int32Array(flat.length / k);
    for (let i = 0; i < classes.length; i++) {
      if (k === 1) classes[i] = flat[i] >= 0.5 ? 1 : 0;
      else {
        let best = 0;
        for (let j = 1; j < k; j++) if (flat[i * k + j] > flat[i * k + best]) best = j;
        classes[i] = best;
      }
    }
    return isRowInput(x) ? Array.from(classes) : classes;
  }

  /** Share of `data`'s examples the model classifies right (labels as {@link fit} takes them). */
  accuracy(data: LabelledExamples): number {
    const set = datasetFromArrays({ features: this.inputs, ...data }, 'accuracy data');
    check(set.outputSize === this.outputs, `the data has ${set.outputSize} target(s) per example but the model gives ${this.outputs}; give the classes the model was trained on (classes: ${this.outputs === 1 ? 2 : this.outputs})`);
    const predicted = this.classify(set.x);
    let right = 0;
    for (let i = 0; i < set.count; i++) {
      const target = set.outputSize === 1 ? (set.y[i] >= 0.5 ? 1 : 0) : argmax(set.y.subarray(i * set.outputSize, (i + 1) * set.outputSize));
      if (predicted[i] === target) right++;
    }
    return right / set.count;
  }

  /** The model as a safetensors checkpoint (the CLI's `--init` and PyTorch's `safetensors` read it). */
  save(): Uint8Array {
    return encodeCheckpoint(this.parameters, { spec: this.spec, extra: { ...this.info } });
  }

  /**
   * A model from the bytes of {@link Model.save} or of the CLI's `--save`.
   * Readies the TF.js backend (wasm unless one was chosen with
   * {@link useBackend}), so the model can predict at once.
   */
  static async load(bytes: Uint8Array | ArrayBuffer): Promise<Model> {
    check(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer, 'Model.load takes the bytes of a checkpoint (a Uint8Array or an ArrayBuffer)');
    const { spec, parameters, metadata } = decodeCheckpoint(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), 'Model.load');
    await readyBackend();
    const { format: _format, spec: _spec, ...info } = metadata;
    return new Model(spec, parameters, info);
  }

  private forward(x: Examples): Float32Array {
    const input = featureMatrix(x, this.inputs, 'predict input');
    check(input.width === this.inputs, `each example has ${input.width} numbers but the model takes ${this.inputs}`);
    const network = Network.fromParameters(this.spec, this.parameters, 'the model');
    try {
      const out = new Float32Array(input.count * this.outputs);
      for (let start = 0; start < input.count; start += PREDICT_CHUNK) {
        const rows = Math.min(PREDICT_CHUNK, input.count - start);
        const chunk = tf.tidy(() => network.predict(tf.tensor2d(input.data.subarray(start * input.width, (start + rows) * input.width), [rows, input.width])));
        out.set(chunk.dataSync() as Float32Array, start * this.outputs);
        chunk.dispose();
      }
      return out;
    } finally {
      network.dispose();
    }
  }
}

function isRowInput(x: Examples): x is ReadonlyArray<ArrayLike<number>> {
  return x.length > 0 && typeof (x as ArrayLike<unknown>)[0] === 'object';
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}
