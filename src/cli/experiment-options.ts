import type { DataSource, ExperimentConfig } from '../experiment/experiment.js';
import type { ParameterMap } from '../model/parameters.js';
import type { LossName, ModelSpec } from '../model/spec.js';
import type { OptimizerConfig, OptimizerName } from '../optim/index.js';
import type { DecoderMode } from '../train/events.js';
import type { TestEvaluator } from '../train/evaluation.js';
import type { GateOptions } from '../modulators/gates.js';
import type { DropoutPlacement, StepMode } from '../train/session.js';
import { check } from '../util/errors.js';
import type { OptionValues } from '../options/option.js';
import { ruleOptionKeys } from '../options/table.js';

/*
 * How parsed option values become an experiment, once the data and the
 * model are known. Browser-safe (no files): the playground reads its state
 * through these same lines, so a configuration it downloads means the same
 * thing to `localprop compare --config`.
 */

function optimizerFrom(o: OptionValues): OptimizerConfig | undefined {
  const name = o.optimizer as OptimizerName | undefined;
  const given = ['lr', 'etas', 'stepSizes', 'betas', 'eps', 'alpha', 'momentum', 'dampening', 'nesterov', 'weightDecay'].filter((k) => o[k] !== undefined);
  if (!name && given.length === 0) return undefined;
  const resolved: OptimizerName = name ?? (o.step === 'batch' ? 'adam' : 'rprop');
  const config: OptimizerConfig = { name: resolved };
  if (o.lr !== undefined) config.lr = o.lr as number;
  if (o.etas) [config.etaMinus, config.etaPlus] = o.etas as [number, number];
  if (o.stepSizes) [config.stepMin, config.stepMax] = o.stepSizes as [number, number];
  if (o.betas) [config.beta1, config.beta2] = o.betas as [number, number];
  for (const k of ['eps', 'alpha', 'momentum', 'dampening', 'weightDecay'] as const) if (o[k] !== undefined) config[k] = o[k] as number;
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
export function experimentOf(o: OptionValues, parts: ExperimentParts): ExperimentConfig {
  const decoders = ((o.decoders as string[] | undefined) ?? ['learned']).map((d) => {
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
    ...(o.rule !== undefined ? { rules: o.rule as string[] } : {}),
    initial: parts.initial,
    holdOut: o.val as number | undefined,
    training: {
      epochs: o.epochs as number | undefined,
      step: o.step as StepMode | undefined,
      batchSize: o.batchSize as number | undefined,
      optimizer: optimizerFrom(o),
      hiddenLoss: o.hiddenLoss as LossName | undefined,
      zeroGradSteps: o.zeroGradSteps as boolean | undefined,
      lrDecayAt: o.lrDecayAt as number[] | undefined,
      lrDecay: o.lrDecay as number | undefined,
      dropout: o.dropout as number | undefined,
      evalEvery: o.evalEvery as number | undefined,
      ...ruleOptionsOf(o),
      dropoutPlacement: o.dropoutPlacement as DropoutPlacement | undefined,
      augment: o.jitter !== undefined || o.flip ? { jitter: (o.jitter as number | undefined) ?? 0, flip: Boolean(o.flip) } : undefined,
      standardize: o.standardize as { mean: number; std: number } | undefined,
      testEvaluator: parts.evaluator,
      gate: {
        mode: o.gate as GateOptions['mode'] | undefined,
        tau: o.gateTau as number | undefined,
        scale: o.gateScale as GateOptions['scale'] | undefined,
        smoothing: o.gateSmoothing as number | undefined,
        floor: o.gateFloor as number | undefined,
        target: o.gateTarget as GateOptions['target'] | undefined,
      },
    },
  };
}

/** The options of the rules themselves (`--ff-...`), for {@link RunOptions.ruleOptions}; none when none is given. */
export function ruleOptionsOf(o: OptionValues): { ruleOptions?: Record<string, unknown> } {
  const ruleOptions = Object.fromEntries(ruleOptionKeys().filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return Object.keys(ruleOptions).length > 0 ? { ruleOptions } : {};
}
