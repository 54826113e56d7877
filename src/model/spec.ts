import { ACTIVATIONS, type Activation } from './activations.js';
import { LocalpropError, check } from '../util/errors.js';

/** The losses an output block can have. */
export const LOSSES = ['bce', 'ce', 'mse'] as const;
/** `bce`: binary cross-entropy on probabilities; `ce`: softmax cross-entropy on logits; `mse`: mean squared error. */
export type LossName = (typeof LOSSES)[number];

/** What every hidden block ends with. */
export interface HiddenSpec {
  activation: Activation;
  /** Divide each row of the block's output by its L2 norm (after the activation). */
  normalize: boolean;
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
    const normalize = items.includes('normalize');
    const batchNorm = items.includes('batchnorm');
    const acts = items.filter((s) => s !== 'normalize' && s !== 'batchnorm');
    check(acts.length <= 1, `model spec "${text}": hidden= takes one activation and optionally "normalize" and "batchnorm", got "${fields.hidden}"`);
    hidden = { activation: acts.length ? parseActivation(acts[0], text, true) : 'relu', normalize, ...(batchNorm ? { batchNorm } : {}) };
  }
  return completeSpec({ layers, hidden, out: fields.out as Activation | undefined, loss: fields.loss as LossName | undefined }, text);
}

/** Accepts a spec as JSON (an object like {@link ModelSpec}, `out`/`loss`/`hidden` optional) or as the compact string. */
export function modelSpecFrom(value: unknown): ModelSpec {
  if (typeof value === 'string') return parseModelSpec(value);
  check(typeof value === 'object' && value !== null && !Array.isArray(value), `a model spec must be a string or an object with "layers"; ${SPEC_HELP}`);
  const o = value as Record<string, unknown>;
  const unknownKeys = Object.keys(o).filter((k) => !['layers', 'hidden', 'out', 'loss'].includes(k));
  check(unknownKeys.length === 0, `model spec object: unknown key(s) ${unknownKeys.join(', ')} (allowed: layers, hidden, out, loss)`);
  check(Array.isArray(o.layers), `model spec object needs "layers", an array of widths like [2, 100, 1]`);
  const layers = parseLayers((o.layers as unknown[]).join('-'), JSON.stringify(value));
  let hidden: HiddenSpec = { activation: 'relu', normalize: false };
  if (o.hidden !== undefined) {
    const h = o.hidden as Record<string, unknown>;
    check(typeof h === 'object' && h !== null, `model spec object: "hidden" must be {"activation": "mish", "normalize": true, "batchNorm": false}`);
    hidden = {
      activation: h.activation === undefined ? 'relu' : parseActivation(String(h.activation), JSON.stringify(value), true),
      normalize: Boolean(h.normalize),
      ...(h.batchNorm ? { batchNorm: true } : {}),
    };
  }
  return completeSpec({ layers, hidden, out: o.out as Activation | undefined, loss: o.loss as LossName | undefined }, JSON.stringify(value));
}

/** The canonical compact string of a spec; `parseModelSpec(formatModelSpec(s))` equals `s`. */
export function formatModelSpec(spec: ModelSpec): string {
  const hidden = `${spec.hidden.activation}${spec.hidden.normalize ? ',normalize' : ''}${spec.hidden.batchNorm ? ',batchnorm' : ''}`;
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
  if (layers.length < 2 || parts.some((s) => !/^[0-9]+$/.test(s)) || layers.some((n) => n < 1)) {
    throw new LocalpropError(`model spec "${source}": layers "${text}" must be two or more positive integers joined by "-", like 2-100-1`);
  }
  return layers;
}

function parseActivation(name: string, source: string, allowSoftmax = false): Activation {
  const allowed = ACTIVATIONS.filter((a) => allowSoftmax || a !== 'softmax');
  check((allowed as readonly string[]).includes(name), `model spec "${source}": unknown activation "${name}"; use one of ${allowed.join(', ')}`);
  return name as Activation;
}
