import { ACTIVATIONS, type Activation } from './activations.js';
import { check } from '../util/errors.js';
import { checkNesting } from '../util/structured-input.js';
import type { LayerSpec, Shape } from './blocks/kind.js';
import { kindOf, layerFromJson, layerFromToken, listLayerKinds } from './blocks/registry.js';
import { modelShapes } from './shapes.js';

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
 * A network: the shape of one example it reads, then its layers, each of
 * a registered kind (see `src/model/blocks/`). A **block** is a layer with
 * parameters (dense today) together with its batch norm, activation and
 * dropout; the last layer is the output block, the others before it
 * hidden blocks or layers between blocks (pooling). {@link modelShapes}
 * gives every layer's input and output shape. The JSON form is
 * {@link ModelSpecJson} (see docs/model-spec.md).
 */
export interface ModelSpec {
  /** The shape of one example: `[2]` for points, `[784]` for flat images, `[1, 28, 28]` for images as C×H×W. */
  input: number[];
  /** The layers after the input, in order; the last is the output block. */
  stack: LayerSpec[];
  hidden: HiddenSpec;
  /** The output block's activation. */
  out: Activation;
  /** The output block's loss. */
  loss: LossName;
}

/**
 * The JSON form of a spec, as files, sweep records and run ids hold it:
 * `layers` lists the input (its size, or `[C, H, W]`) and then each layer
 * (a dense block as its number of units, another kind as an object with
 * `kind` and every option), so a network of dense blocks reads
 * `{"layers": [2, 100, 1], …}` as it always has.
 */
export interface ModelSpecJson {
  layers: unknown[];
  hidden: HiddenSpec;
  out: Activation;
  loss: LossName;
}

/**
 * Mertens' network: `2-100-100-10-1 hidden=mish,normalize out=sigmoid`
 * (Mertens' protocol, docs/mertens-protocol.md).
 *
 * @example
 * ```ts
 * const spec = parseModelSpec(MERTENS_MODEL); // input [2], dense blocks of 100, 100, 10 and 1 units, loss bce
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
 * // { input: [784], stack: [{ kind: 'dense', units: 256 }, { kind: 'dense', units: 256 }, { kind: 'dense', units: 10 }],
 * //   hidden: { activation: 'relu', normalize: false }, out: 'softmax', loss: 'ce' }
 * ```
 */
export function parseModelSpec(text: string): ModelSpec {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  check(parts.length > 0, `empty model spec; ${SPEC_HELP}`);
  const { input, stack } = parseLayers(parts[0], text);
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
  return completeSpec({ input, stack, hidden, out: fields.out as Activation | undefined, loss: fields.loss as LossName | undefined }, text);
}

/**
 * Accepts a spec as JSON (the form of {@link ModelSpecJson}, `out`/`loss`/`hidden` optional; or a
 * {@link ModelSpec} object itself, `input` and `stack`) or as the compact string.
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
  const asSpec = o.layers === undefined && (o.input !== undefined || o.stack !== undefined);
  checkKeys(o, asSpec ? ['input', 'stack', 'hidden', 'out', 'loss'] : ['layers', 'hidden', 'out', 'loss'], 'model spec object');
  const { input, stack } = asSpec ? specLayersFrom(o) : jsonLayersFrom(o);
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
  return completeSpec({ input, stack, hidden, out: o.out as string | undefined, loss: o.loss as string | undefined }, source);
}

const wholeOk = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
const imageOk = (v: unknown): v is number[] => Array.isArray(v) && v.length === 3 && v.every(wholeOk);

/** `layers` of the JSON form: the input, then each layer (a number is a dense block). */
function jsonLayersFrom(o: Record<string, unknown>): { input: number[]; stack: LayerSpec[] } {
  check(Array.isArray(o.layers), `model spec object needs "layers", an array of widths like [2, 100, 1]`);
  const layers = o.layers as unknown[];
  const plain = layers.every((n, k) => wholeOk(n) || (k === 0 ? imageOk(n) : isPlainObject(n)));
  check(
    layers.length >= 2 && plain,
    () => `model spec object: "layers" must be two or more whole numbers ≥ 1, like [2, 100, 1]; got ${JSON.stringify(o.layers)} (an image input is [C, H, W]; a layer of another kind is an object with "kind", like {"kind": "dense", "units": 100})`,
  );
  const [first, ...rest] = layers;
  return { input: typeof first === 'number' ? [first] : [...(first as number[])], stack: rest.map((l, k) => layerFromJson(l, `model spec object: "layers"[${k + 1}]`)) };
}

/** `input` and `stack` of a {@link ModelSpec} given as an object. */
function specLayersFrom(o: Record<string, unknown>): { input: number[]; stack: LayerSpec[] } {
  check(Array.isArray(o.input) && (o.input.length === 1 || o.input.length === 3) && o.input.every(wholeOk), () => `model spec object: "input" must be the shape of one example, [N] or [C, H, W] of whole numbers ≥ 1; got ${JSON.stringify(o.input)}`);
  check(Array.isArray(o.stack) && o.stack.length >= 1, () => `model spec object: "stack" must be a list of one or more layers, like [{"kind": "dense", "units": 1}]; got ${JSON.stringify(o.stack)}`);
  return { input: [...(o.input as number[])], stack: (o.stack as unknown[]).map((l, k) => layerFromJson(l, `model spec object: "stack"[${k}]`)) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  const unknownKeys = Object.keys(o).filter((k) => !allowed.includes(k));
  check(unknownKeys.length === 0, `${where}: unknown key(s) ${unknownKeys.join(', ')} (allowed: ${allowed.join(', ')})`);
}

/**
 * The canonical compact string of a spec; `parseModelSpec(formatModelSpec(s))` equals `s`.
 * With `short`, `out=` and `loss=` are left out where the parser infers
 * them (the form the playground's links write).
 */
export function formatModelSpec(spec: ModelSpec, { short = false }: { short?: boolean } = {}): string {
  const normalize = spec.hidden.normalize === 'rms' ? ',normalize=rms' : spec.hidden.normalize ? ',normalize' : '';
  const hidden = `${spec.hidden.activation}${normalize}${spec.hidden.batchNorm ? ',batchnorm' : ''}`;
  const parts = [formatLayers(spec), `hidden=${hidden}`];
  if (!short || spec.out !== defaultOut(spec)) parts.push(`out=${spec.out}`);
  if (!short || spec.loss !== lossFor(spec.out)) parts.push(`loss=${spec.loss}`);
  return parts.join(' ');
}

/** The layers part of the compact string: the input shape (`2`, `1x28x28`), then each layer's token, joined by `-`. */
export function formatLayers(spec: Pick<ModelSpec, 'input' | 'stack'>): string {
  return [spec.input.join('x'), ...spec.stack.map((l) => kindOf(l).formatToken(l))].join('-');
}

/** The JSON form of a spec (see {@link ModelSpecJson}); {@link modelSpecFrom} reads it back. */
export function modelSpecJson(spec: ModelSpec): ModelSpecJson {
  const input = spec.input.length === 1 ? spec.input[0] : [...spec.input];
  return { layers: [input, ...spec.stack.map((l) => kindOf(l).toJson(l))], hidden: spec.hidden, out: spec.out, loss: spec.loss };
}

/**
 * The same spec with another input shape and output width: the output
 * block (a dense block) gets `outputs` units. The output activation and
 * loss are kept while the width stays; a new width takes that width's
 * defaults (sigmoid + bce for one output, softmax + ce for more).
 */
export function withEnds(spec: ModelSpec, input: Shape, outputs: number): ModelSpec {
  const last = spec.stack[spec.stack.length - 1];
  check(last.kind === 'dense', `the output block is a ${last.kind} layer; only a dense output block takes the data's output width`);
  const stack = [...spec.stack.slice(0, -1), { kind: 'dense', units: outputs }];
  const keeps = last.units === outputs;
  const text = `model ${formatLayers({ input: [...input], stack })}`;
  return completeSpec({ input: [...input], stack, hidden: spec.hidden, out: keeps ? spec.out : undefined, loss: keeps ? spec.loss : undefined }, text);
}

/** The output activation the parser infers for a spec without `out=`: sigmoid for one output, softmax for more. */
const defaultOut = (spec: Pick<ModelSpec, 'input' | 'stack'>): Activation => (outputsOf(spec) === 1 ? 'sigmoid' : 'softmax');

/** The loss the parser infers from the output activation. */
const lossFor = (out: Activation): LossName => (out === 'softmax' ? 'ce' : out === 'sigmoid' ? 'bce' : 'mse');

const outputsOf = (spec: Pick<ModelSpec, 'input' | 'stack'>) => modelShapes(spec).output.reduce((a, d) => a * d, 1);

function completeSpec(partial: { input: number[]; stack: LayerSpec[]; hidden: HiddenSpec; out?: string; loss?: string }, source: string): ModelSpec {
  const outputs = outputsOf(partial);
  const out = partial.out === undefined ? defaultOut(partial) : parseActivation(partial.out, source, true);
  check(partial.hidden.activation !== 'softmax', `model spec "${source}": softmax is only allowed as out=`);
  let loss: LossName;
  if (partial.loss === undefined) {
    loss = lossFor(out);
  } else {
    check((LOSSES as readonly string[]).includes(partial.loss), `model spec "${source}": unknown loss "${partial.loss}"; use one of ${LOSSES.join(', ')}`);
    loss = partial.loss as LossName;
  }
  if (loss === 'ce') check(out === 'softmax', `model spec "${source}": loss=ce needs out=softmax (cross-entropy is taken on the softmax's logits)`);
  if (loss === 'bce') check(out === 'sigmoid', `model spec "${source}": loss=bce needs out=sigmoid (its input must be a probability)`);
  if (out === 'softmax') check(outputs > 1, `model spec "${source}": softmax over a single output is always 1; use out=sigmoid for one output`);
  return { input: partial.input, stack: partial.stack, hidden: partial.hidden, out, loss };
}

const LAYERS_FORM = 'the input (a positive integer, or C×H×W like 1x28x28) and then one or more layers: dense blocks are positive integers joined by "-", like 2-100-1';

/** The layers part of the compact string: the input shape, then each layer as its kind reads its token. */
function parseLayers(text: string, source: string): { input: number[]; stack: LayerSpec[] } {
  const where = `model spec "${source}": layers "${text}"`;
  const tokens = text.split('-');
  check(tokens.length >= 2 && tokens.every((t) => t !== ''), `${where} must be ${LAYERS_FORM}`);
  const input = tokens[0].split('x').map((s) => Number(s));
  check(
    (input.length === 1 || input.length === 3) && tokens[0].split('x').every((s) => /^[0-9]+$/.test(s)) && input.every((n) => n >= 1 && Number.isSafeInteger(n)),
    `${where}: the input "${tokens[0]}" must be a positive integer or C×H×W like 1x28x28; the layers must be ${LAYERS_FORM}`,
  );
  const stack = tokens.slice(1).map((t) => {
    const layer = layerFromToken(t, where);
    check(layer !== null, () => `${where}: "${t}" is not a layer of any kind; write ${LAYERS_FORM} (the layer kinds that exist: ${listLayerKinds().map((k) => k.name).join(', ')})`);
    return layer;
  });
  modelShapes({ input, stack });
  return { input, stack };
}

function parseActivation(name: string, source: string, allowSoftmax = false): Activation {
  const allowed = ACTIVATIONS.filter((a) => allowSoftmax || a !== 'softmax');
  check((allowed as readonly string[]).includes(name), `model spec "${source}": unknown activation "${name}"; use one of ${allowed.join(', ')}`);
  return name as Activation;
}
