import { ACTIVATIONS, type Activation } from './activations.js';
import { LocalpropError, check } from '../util/errors.js';
import { checkNesting } from '../util/structured-input.js';

/** The losses an output block can have. */
export const LOSSES = ['bce', 'ce', 'mse'] as const;
/** `bce`: binary cross-entropy on probabilities; `ce`: softmax cross-entropy on logits; `mse`: mean squared error. */
export type LossName = (typeof LOSSES)[number];

/** What every hidden block ends with. */
export interface HiddenSpec {
  activation: Activation;
  /**
   * Divide each row of the block's output by its L2 norm (after the
   * activation); `'rms'` then multiplies it by √width, so each row's mean
   * square is 1 rather than its length (loeweX's Forward-Forward: at width
   * 1000 the next block's input is 32 times larger, which plain SGD needs).
   */
  normalize: boolean | 'rms';
  /**
   * Batch normalisation between the linear map and the activation (see
   * {@link BatchNorm}); absent means off, so specs written before it read as they did.
   */
  batchNorm?: boolean;
}

/**
 * A network of dense blocks: block i maps `layers[i]` to `layers[i+1]` features.
 * The JSON form is exactly this object (see docs/model-spec.md).
 */
export interface ModelSpec {
  /** Widths from input to output, at least two numbers. */
  layers: number[];
  hidden: HiddenSpec;
  /** The output block's activation. */
  out: Activation;
  /** The output block's loss. */
  loss: LossName;
}

/**
 * Mertens' network: `2-100-100-10-1 hidden=mish,normalize out=sigmoid`
 * (Mertens' protocol, docs/mertens-protocol.md).
 *
 * @example
 * ```ts
 * const spec = parseModelSpec(MERTENS_MODEL); // layers [2, 100, 100, 10, 1], loss bce
 * ```
 */
export const MERTENS_MODEL = '2-100-100-10-1 hidden=mish,normalize out=sigmoid';

/** The same as {@link MERTENS_MODEL}, under its older name. */
export const SEED_MODEL = MERTENS_MODEL;

const SPEC_HELP =
  'write it as e.g. "2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce" ' +
  `(activations: ${ACTIVATIONS.filter((a) => a !== 'softmax').join(', ')}; out may also be softmax; losses: ${LOSSES.join(', ')})`;

/**
 * Parses the compact string form. Defaults: hidden=relu without normalize;
 * `out` and `loss` follow the output width (1 → sigmoid + bce, more → softmax + ce).
 * docs/model-spec.md has the whole syntax.
 *
 * @example
 * ```ts
 * parseModelSpec('784-256-256-10');
 * // { layers: [784, 256, 256, 10], hidden: { activation: 'relu', normalize: false }, out: 'softmax', loss: 'ce' }
 * ```
 */
export function parseModelSpec(text: string): ModelSpec {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  check(parts.length > 0, `empty model spec; ${SPEC_HELP}`);
  const layers = parseLayers(parts[0], text);
  const fields: Record<string, string> = {};
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    check(eq > 0, `model spec "${text}": "${part}" is not key=value; ${SPEC_HELP}`);
    const key = part.slice(0, eq);
    check(['hidden', 'out', 'loss'].includes(key), `model spec "${text}": unknown key "${key}" (use hidden, out or loss); ${SPEC_HELP}`);
    check(!(key in fields), `model spec "${text}": "${key}" is given twice`);
    fields[key] = part.slice(eq + 1);
  }
  let hidden: HiddenSpec = { activation: 'relu', normalize: false };
  if (fields.hidden !== undefined) {
    const items = fields.hidden.split(',').filter(Boolean);
    const rms = items.includes('normalize=rms');
    const normalize = rms ? 'rms' : items.includes('normalize');
    check(!(rms && items.includes('normalize')), `model spec "${text}": hidden= takes "normalize" or "normalize=rms", not both`);
    const batchNorm = items.includes('batchnorm');
    const acts = items.filter((s) => s !== 'normalize' && s !== 'normalize=rms' && s !== 'batchnorm');
    check(acts.length <= 1, `model spec "${text}": hidden= takes one activation and optionally "normalize" (or "normalize=rms") and "batchnorm", got "${fields.hidden}"`);
    hidden = { activation: acts.length ? parseActivation(acts[0], text, true) : 'relu', normalize, ...(batchNorm ? { batchNorm } : {}) };
  }
  return completeSpec({ layers, hidden, out: fields.out as Activation | undefined, loss: fields.loss as LossName | undefined }, text);
}

/**
 * Accepts a spec as JSON (an object like {@link ModelSpec}, `out`/`loss`/`hidden` optional) or as the compact string.
 * Every field is type-checked and unknown keys are refused at every level,
 * so `"normalize": "false"` or a misspelt key is an error, not a silent default.
 */
export function modelSpecFrom(value: unknown): ModelSpec {
  if (typeof value === 'string') return parseModelSpec(value);
  check(isPlainObject(value), `a model spec must be a string or an object with "layers"; ${SPEC_HELP}`);
  // Before the messages below stringify any part of it.
  checkNesting(value, 'model spec object');
  const o = value;
  const source = JSON.stringify(value);
  checkKeys(o, ['layers', 'hidden', 'out', 'loss'], 'model spec object');
  check(Array.isArray(o.layers), `model spec object needs "layers", an array of widths like [2, 100, 1]`);
  const layers = o.layers as unknown[];
  check(
    layers.length >= 2 && layers.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1),
    () => `model spec object: "layers" must be two or more whole numbers ≥ 1, like [2, 100, 1]; got ${JSON.stringify(o.layers)}`,
  );
  let hidden: HiddenSpec = { activation: 'relu', normalize: false };
  if (o.hidden !== undefined) {
    const h = o.hidden;
    check(isPlainObject(h), `model spec object: "hidden" must be an object like {"activation": "mish", "normalize": true, "batchNorm": false}; got ${JSON.stringify(h)}`);
    checkKeys(h, ['activation', 'normalize', 'batchNorm'], 'model spec object: "hidden"');
    check(h.activation === undefined || typeof h.activation === 'string', `model spec object: "hidden.activation" must be a name like "mish" (a string); got ${JSON.stringify(h.activation)}`);
    check(h.normalize === undefined || typeof h.normalize === 'boolean' || h.normalize === 'rms', `model spec object: "hidden.normalize" must be true or false (without quotes), or "rms"; got ${JSON.stringify(h.normalize)}`);
    check(h.batchNorm === undefined || typeof h.batchNorm === 'boolean', `model spec object: "hidden.batchNorm" must be true or false (not a string); got ${JSON.stringify(h.batchNorm)}`);
    hidden = {
      activation: h.activation === undefined ? 'relu' : parseActivation(h.activation, source, true),
      normalize: (h.normalize as boolean | 'rms' | undefined) ?? false,
      ...(h.batchNorm ? { batchNorm: true } : {}),
    };
  }
  for (const key of ['out', 'loss'] as const) {
    check(o[key] === undefined || typeof o[key] === 'string', `model spec object: "${key}" must be a name (a string); got ${JSON.stringify(o[key])}`);
  }
  return completeSpec({ layers: layers as number[], hidden, out: o.out as string | undefined, loss: o.loss as string | undefined }, source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  const unknownKeys = Object.keys(o).filter((k) => !allowed.includes(k));
  check(unknownKeys.length === 0, `${where}: unknown key(s) ${unknownKeys.join(', ')} (allowed: ${allowed.join(', ')})`);
}

/** The canonical compact string of a spec; `parseModelSpec(formatModelSpec(s))` equals `s`. */
export function formatModelSpec(spec: ModelSpec): string {
  const normalize = spec.hidden.normalize === 'rms' ? ',normalize=rms' : spec.hidden.normalize ? ',normalize' : '';
  const hidden = `${spec.hidden.activation}${normalize}${spec.hidden.batchNorm ? ',batchnorm' : ''}`;
  return `${spec.layers.join('-')} hidden=${hidden} out=${spec.out} loss=${spec.loss}`;
}

function completeSpec(partial: { layers: number[]; hidden: HiddenSpec; out?: string; loss?: string }, source: string): ModelSpec {
  const outputs = partial.layers[partial.layers.length - 1];
  const out = partial.out === undefined ? (outputs === 1 ? 'sigmoid' : 'softmax') : parseActivation(partial.out, source, true);
  check(partial.hidden.activation !== 'softmax', `model spec "${source}": softmax is only allowed as out=`);
  let loss: LossName;
  if (partial.loss === undefined) {
    loss = out === 'softmax' ? 'ce' : out === 'sigmoid' ? 'bce' : 'mse';
  } else {
    check((LOSSES as readonly string[]).includes(partial.loss), `model spec "${source}": unknown loss "${partial.loss}"; use one of ${LOSSES.join(', ')}`);
    loss = partial.loss as LossName;
  }
  if (loss === 'ce') check(out === 'softmax', `model spec "${source}": loss=ce needs out=softmax (cross-entropy is taken on the softmax's logits)`);
  if (loss === 'bce') check(out === 'sigmoid', `model spec "${source}": loss=bce needs out=sigmoid (its input must be a probability)`);
  if (out === 'softmax') check(outputs > 1, `model spec "${source}": softmax over a single output is always 1; use out=sigmoid for one output`);
  return { layers: partial.layers, hidden: partial.hidden, out, loss };
}

function parseLayers(text: string, source: string): number[] {
  const parts = text.split('-');
  const layers = parts.map((s) => Number(s));
  if (layers.length < 2 || parts.some((s) => !/^[0-9]+$/.test(s)) || layers.some((n) => n < 1 || !Number.isSafeInteger(n))) {
    throw new LocalpropError(`model spec "${source}": layers "${text}" must be two or more positive integers joined by "-", like 2-100-1`);
  }
  return layers;
}

function parseActivation(name: string, source: string, allowSoftmax = false): Activation {
  const allowed = ACTIVATIONS.filter((a) => allowSoftmax || a !== 'softmax');
  check((allowed as readonly string[]).includes(name), `model spec "${source}": unknown activation "${name}"; use one of ${allowed.join(', ')}`);
  return name as Activation;
}
