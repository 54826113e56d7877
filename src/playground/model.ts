import { ACTIVATIONS, type Activation } from '../model/activations.js';
import { formatModelSpec, modelSpecFrom, parseModelSpec, type ModelSpec } from '../model/spec.js';
import { check } from '../util/errors.js';

/*
 * The page's model: a spec held as data (its blocks and options), made
 * into text only by {@link modelText}, for the link, the configuration
 * the CLI reads and the spec the page shows.
 */

/** The page's model in the CLI's compact form, leaving out the output activation and loss where the parser infers them. */
export function modelText(model: ModelSpec): string {
  return formatModelSpec(model, { short: true });
}

/**
 * A model the page can train, from the CLI's text: dense blocks on flat
 * points. Image inputs and other layer kinds are refused with the reason,
 * before the text is parsed (conv specs may not even parse yet).
 */
export function pageModel(text: string): ModelSpec {
  const [layers = ''] = text.trim().split(/\s+/);
  const other = layers.split('-').find((token, k) => (k === 0 ? token.includes('x') : !/^[0-9]+$/.test(token)) && token !== '');
  check(
    other === undefined,
    () => `the playground trains networks of dense blocks on 2-D points, and "${other}" is ${other!.includes('x') ? 'an image input' : 'not a dense block'}; write the hidden blocks as widths, like 2-100-100-10-1, and train image models with the command line`,
  );
  return parseModelSpec(text);
}

/** The hidden part of a model, which the page's controls edit. */
export interface HiddenLayout {
  widths: number[];
  activation: Activation;
  normalize: boolean | 'rms';
}

/** The hidden widths, activation and normalisation of a page model. */
export function hiddenLayout(model: ModelSpec): HiddenLayout {
  return { widths: model.stack.slice(0, -1).map((l) => l.units as number), activation: model.hidden.activation, normalize: model.hidden.normalize };
}

/** Hidden activations a control offers (softmax is for outputs only). */
export const HIDDEN_ACTIVATIONS = ACTIVATIONS.filter((a) => a !== 'softmax');

/**
 * The model with these hidden blocks and ends fitted to `inputs` and
 * `outputs`, every other option kept (batch norm, `normalize=rms`). The
 * output activation and loss are kept while the output width stays; a new
 * width takes that width's defaults (sigmoid + bce for one output, softmax
 * + ce for more).
 */
export function fitModel(model: ModelSpec, inputs: number, outputs: number, hidden: Partial<HiddenLayout> = {}): ModelSpec {
  const layout = { ...hiddenLayout(model), ...hidden };
  check(layout.widths.every((w) => Number.isInteger(w) && w >= 1), `hidden widths must be whole numbers ≥ 1, like 100-100-10; got ${layout.widths.join('-')}`);
  const keepsOut = model.stack[model.stack.length - 1].units === outputs;
  return modelSpecFrom({
    input: [inputs],
    stack: [...layout.widths, outputs].map((units) => ({ kind: 'dense', units })),
    hidden: { activation: layout.activation, normalize: layout.normalize, ...(model.hidden.batchNorm ? { batchNorm: true } : {}) },
    ...(keepsOut ? { out: model.out, loss: model.loss } : {}),
  });
}

/**
 * The model as the page's controls set it: the widths as typed (`100-100-10`,
 * or with commas or spaces), the activation, and the normalize box (a model
 * with `normalize=rms` keeps that form while the box stays ticked).
 */
export function withHiddenControls(model: ModelSpec, controls: { widths: string; activation: string; normalize: boolean }): ModelSpec {
  const widths = controls.widths.trim().split(/[-,\s]+/).filter(Boolean);
  check(widths.every((w) => /^[0-9]+$/.test(w)), `hidden widths must be whole numbers ≥ 1, like 100-100-10; got ${controls.widths.trim()}`);
  check((HIDDEN_ACTIVATIONS as readonly string[]).includes(controls.activation), `unknown hidden activation "${controls.activation}"; use one of ${HIDDEN_ACTIVATIONS.join(', ')}`);
  const normalize = controls.normalize ? (model.hidden.normalize === 'rms' ? 'rms' : true) : false;
  const outputs = model.stack[model.stack.length - 1].units as number;
  return fitModel(model, model.input[0], outputs, { widths: widths.map(Number), activation: controls.activation as Activation, normalize });
}
