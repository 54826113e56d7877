import { initialParameters } from '../model/parameters.js';
import { modelSpecFrom, parseModelSpec, SEED_MODEL, withEnds, type ModelSpec } from '../model/spec.js';
import type { OptimizerConfig, OptimizerName } from '../optim/index.js';
import type { DecoderMode, EpochEvent } from '../train/events.js';
import { Run } from '../train/run.js';
import type { StepMode } from '../train/session.js';
import { check } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { datasetFromArrays, type LabelledExamples } from './arrays.js';
import { readyBackend } from './backend.js';
import { Model } from './model.js';

/** How {@link fit} trains; every option has a default. */
export interface FitOptions {
  /** The schedule (see `localprop compare --help` or {@link listSchedules}); default `local-parallel`. */
  schedule?: string;
  /**
   * The network: hidden widths (`[64, 64]`: ReLU blocks, the input and
   * output widths taken from the data), a spec string or object
   * (docs/model-spec.md) whose end widths match the data. Default: Mertens'
   * network, hidden 100-100-10 with mish and row normalisation.
   */
  model?: number[] | string | ModelSpec;
  /** Epochs (per block for local-sequential); default the schedule's own (local-parallel: 200). */
  epochs?: number;
  /** Optimizer by name or with its settings; default Rprop with one step per epoch, or Adam with `step: 'batch'`. */
  optimizer?: OptimizerName | OptimizerConfig;
  /** Learning rate (Rprop: its first step size). */
  lr?: number;
  /** One optimizer step per epoch on the summed batch losses (`epoch`, Mertens' protocol) or one per mini-batch (`batch`). */
  step?: StepMode;
  /** Mini-batch size; default 100. */
  batchSize?: number;
  /** Whether the hidden blocks' decoders learn (`learned`, default) or stay random (`fixed`). */
  decoders?: DecoderMode;
  /** Fixes the initial weights and the shuffles: the same seed gives the same model on the same backend. Default 0. */
  seed?: number;
  /** Examples to score after every epoch (the events' test metrics); default the training examples themselves. */
  validation?: LabelledExamples;
  /** TF.js backend to train on (`wasm`, `cpu`, `webgl`, `webgpu`); default the one in use, else wasm. */
  backend?: string;
  /** Called after every epoch, before the next one trains; training waits for a returned promise. */
  onEpoch?: (event: EpochEvent) => void | Promise<void>;
}

/** The spec for `model`, sized to the data where it gives hidden widths or nothing. */
function specFor(model: FitOptions['model'], inputs: number, outputs: number): ModelSpec {
  if (model === undefined) {
    return withEnds(parseModelSpec(SEED_MODEL), [inputs], outputs);
  }
  if (Array.isArray(model)) {
    check(model.every((w) => Number.isInteger(w) && w >= 1), `model: hidden widths are whole numbers ≥ 1, like [64, 64]; got [${model.join(', ')}]`);
    return modelSpecFrom({ layers: [inputs, ...model, outputs] });
  }
  return typeof model === 'string' ? parseModelSpec(model) : modelSpecFrom(model);
}

/**
 * Trains a network on plain arrays and returns it as a {@link Model}.
 * Runs in Node and in a browser.
 *
 * @param data the examples: `x` one array of features per example (or one
 *   flat array with `features`), `y` one class index per example (or one
 *   array of targets per example)
 * @param options the schedule, network, epochs and optimizer; left out,
 *   Mertens' protocol with the local-parallel schedule
 *
 * @example
 * ```ts
 * import { fit } from 'localprop';
 *
 * // Class 1 where both coordinates have the same sign.
 * const x = Array.from({ length: 400 }, () => [Math.random() * 2 - 1, Math.random() * 2 - 1]);
 * const y = x.map(([a, b]) => (a * b >= 0 ? 1 : 0));
 * const model = await fit({ x, y }, {
 *   schedule: 'local-parallel',
 *   model: [32, 32],
 *   epochs: 100,
 *   onEpoch: (e) => { if (e.epoch % 20 === 0) console.log(e.epoch, e.testAccuracy); },
 * });
 * console.log(model.classify([[0.5, 0.5], [0.5, -0.5]])); // [1, 0]
 * ```
 */
export async function fit(data: LabelledExamples, options: FitOptions = {}): Promise<Model> {
  const train = datasetFromArrays(data, 'data');
  const test = options.validation === undefined ? train : datasetFromArrays({ features: train.inputSize, classes: data.classes, ...options.validation }, 'validation');
  check(test.inputSize === train.inputSize && test.outputSize === train.outputSize, `validation has ${test.inputSize} features and ${test.outputSize} target(s) per example but data has ${train.inputSize} and ${train.outputSize}; give both the same columns (and the same classes)`);
  const spec = specFor(options.model, train.inputSize, train.outputSize);
  const seed = options.seed ?? 0;
  check(Number.isInteger(seed) && seed >= 0, `seed must be a whole number ≥ 0, got ${seed}`);
  const optimizer: OptimizerConfig | undefined =
    options.optimizer === undefined ? (options.lr === undefined ? undefined : { name: options.step === 'batch' ? 'adam' : 'rprop', lr: options.lr }) : typeof options.optimizer === 'string' ? { name: options.optimizer, lr: options.lr } : { ...options.optimizer, ...(options.lr === undefined ? {} : { lr: options.lr }) };
  await readyBackend(options.backend);
  // The same stream the CLI draws a seed's initial weights from, so fit and `localprop train` agree on the same data.
  const parameters = initialParameters(spec, new Rng(seed).fork('init'));
  const run = new Run({ schedule: options.schedule ?? 'local-parallel', spec, parameters, train, test, seed, epochs: options.epochs, step: options.step, batchSize: options.batchSize, optimizer, decoders: options.decoders });
  try {
    const history: EpochEvent[] = [];
    for await (const event of run) {
      if (event.type !== 'epoch') continue;
      history.push(event);
      // Event 0 (the untrained network) is in the history, not an epoch of training.
      if (event.epoch > 0) await options.onEpoch?.(event);
    }
    const info = { schedule: run.options.schedule, seed: String(seed), decoders: run.options.decoders, options: JSON.stringify(run.options) };
    return new Model(spec, run.network.toParameters(), info, history, run.result);
  } finally {
    run.dispose();
  }
}
