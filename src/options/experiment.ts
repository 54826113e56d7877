import type { DataSource, ExperimentConfig } from '../experiment/experiment.js';
import type { ParameterMap } from '../model/parameters.js';
import type { ModelSpec } from '../model/spec.js';
import type { OptimizerConfig, OptimizerName } from '../optim/index.js';
import type { DecoderMode } from '../train/events.js';
import type { TestEvaluator } from '../train/evaluation.js';
import { check } from '../util/errors.js';
import type { OptionValues } from './option.js';
import type { DriftOptions } from '../modulators/drift-options.js';
import { ruleOptionKeys } from './table.js';
import { typedOptions, type ResolvedOptions } from './typed.js';

/*
 * How parsed option values become an experiment, once the data and the
 * model are known. Browser-safe (no files): the playground reads its state
 * through these same lines, so a configuration it downloads means the same
 * thing to `localprop compare --config`.
 */

function optimizerFrom(o: ResolvedOptions): OptimizerConfig | undefined {
  const name = o.optimizer;
  const given = (['lr', 'etas', 'stepSizes', 'betas', 'eps', 'alpha', 'momentum', 'dampening', 'nesterov', 'weightDecay'] as const).filter((k) => o[k] !== undefined);
  if (!name && given.length === 0) return undefined;
  const resolved: OptimizerName = name ?? (o.step === 'batch' ? 'adam' : 'rprop');
  const config: OptimizerConfig = { name: resolved };
  if (o.lr !== undefined) config.lr = o.lr;
  if (o.etas) [config.etaMinus, config.etaPlus] = o.etas;
  if (o.stepSizes) [config.stepMin, config.stepMax] = o.stepSizes;
  if (o.betas) [config.beta1, config.beta2] = o.betas;
  for (const k of ['eps', 'alpha', 'momentum', 'dampening', 'weightDecay'] as const) if (o[k] !== undefined) config[k] = o[k];
  if (o.nesterov) config.nesterov = true;
  return config;
}

/** What the options alone do not say: the data, the model and where to start. */
export interface ExperimentParts {
  data: DataSource;
  spec: ModelSpec;
  schedules: string[];
  seeds: number[];
  initial?: ParameterMap;
  evaluator?: TestEvaluator;
}

/** The experiment the options describe: decoders, epochs, step, optimizer, gates and the rest. */
export function experimentOf(values: OptionValues, parts: ExperimentParts): ExperimentConfig {
  const o = typedOptions(values);
  const decoders = (o.decoders ?? ['learned']).map((d) => {
    check(d === 'fixed' || d === 'learned', `--decoders takes fixed, learned or fixed,learned; got "${d}"`);
    return d as DecoderMode;
  });
  check(new Set(decoders).size === decoders.length, '--decoders lists a mode twice');
  return {
    data: parts.data,
    spec: parts.spec,
    schedules: parts.schedules,
    seeds: parts.seeds,
    decoders,
    ...(o.rule !== undefined ? { rules: o.rule } : {}),
    initial: parts.initial,
    holdOut: o.val,
    training: {
      epochs: o.epochs,
      step: o.step,
      batchSize: o.batchSize,
      optimizer: optimizerFrom(o),
      ...(o.outputLr !== undefined || o.outputWeightDecay !== undefined ? { outputOptimizer: { lr: o.outputLr, weightDecay: o.outputWeightDecay } } : {}),
      hiddenLoss: o.hiddenLoss,
      zeroGradSteps: o.zeroGradSteps,
      lrDecayAt: o.lrDecayAt,
      lrDecay: o.lrDecay,
      lrCooldown: o.lrCooldown,
      dropout: o.dropout,
      evalEvery: o.evalEvery,
      ...ruleOptionsOf(values),
      dropoutPlacement: o.dropoutPlacement,
      augment: o.jitter !== undefined || o.flip ? { jitter: o.jitter ?? 0, flip: Boolean(o.flip) } : undefined,
      standardize: o.standardize,
      testEvaluator: parts.evaluator,
      gate: { mode: o.gate, tau: o.gateTau, scale: o.gateScale, smoothing: o.gateSmoothing, floor: o.gateFloor, target: o.gateTarget },
      ...driftOf(o),
    },
  };
}

/** The drift options given (`--drift-...`), for {@link RunOptions.drift}; none when none is given, so other runs' options read as before. */
function driftOf(o: ResolvedOptions): { drift?: Partial<DriftOptions> } {
  const given: Partial<DriftOptions> = { tau: o.driftTau, smoothing: o.driftSmoothing, shrink: o.driftShrink, reset: o.driftReset, moments: o.driftMoments, lag: o.driftLag, freeze: o.driftFreeze };
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<DriftOptions>;
  return Object.keys(set).length > 0 ? { drift: set } : {};
}

/** The options of the rules themselves (`--ff-...`), for {@link RunOptions.ruleOptions}; none when none is given. */
export function ruleOptionsOf(o: OptionValues): { ruleOptions?: Record<string, unknown> } {
  const ruleOptions = Object.fromEntries(ruleOptionKeys().filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return Object.keys(ruleOptions).length > 0 ? { ruleOptions } : {};
}
