import { LocalpropError, check } from '../../util/errors.js';
import { denseKind } from './dense.js';
import type { LayerKind, LayerSpec } from './kind.js';

const kinds = new Map<string, LayerKind>();

/**
 * Kinds the grammar reserves for the convolutional issue, which implements
 * them: the text forms `c<N>` (a 3×3 conv of N channels, stride 1, same
 * padding; `k<K>`, `s<S>` and `p<P>` set kernel, stride and padding, as in
 * `c64k5s2`), `p<K>` (max pooling over K×K, stride K; `s<S>` another
 * stride) and `a<K>` (average pooling), and `flatten` in the JSON form. Until a module
 * registers one, a spec naming it is refused with the kinds that exist.
 */
const RESERVED: { name: string; token?: RegExp }[] = [
  { name: 'conv2d', token: /^c[0-9]+(k[0-9]+)?(s[0-9]+)?(p[0-9]+)?$/ },
  { name: 'maxpool', token: /^p[0-9]+(s[0-9]+)?$/ },
  { name: 'avgpool', token: /^a[0-9]+(s[0-9]+)?$/ },
  { name: 'flatten' },
];

/**
 * Makes a layer kind available to model specs by name (the JSON form's
 * `kind`) and by its text tokens. A name is taken once: another kind under
 * a registered name is refused (the same kind again changes nothing, so a
 * module may be loaded twice). Kinds are asked for a token in registration
 * order, dense first.
 */
export function registerLayerKind<L extends LayerSpec>(kind: LayerKind<L>): void {
  check(/^[a-z][a-z0-9-]*$/.test(kind.name), `a layer kind's name must be lower-case letters, digits and dashes, like "my-kind"; got "${kind.name}"`);
  if (kinds.get(kind.name) === (kind as unknown as LayerKind)) return;
  check(!kinds.has(kind.name), `a layer kind named "${kind.name}" is already registered; give yours another name`);
  kinds.set(kind.name, kind as unknown as LayerKind);
}

/** Every registered kind, in registration order. */
export function listLayerKinds(): LayerKind[] {
  return [...kinds.values()];
}

/** The kinds that exist, for messages: `dense (…)`, one each. */
export function existingKinds(): string {
  return listLayerKinds()
    .map((k) => k.name)
    .join(', ');
}

function notYet(name: string, what: string): LocalpropError {
  return new LocalpropError(`${what} is a ${name} layer, which this localprop does not have yet; the layer kinds that exist: ${existingKinds()} (dense blocks are written as positive integers, their units, like 100)`);
}

/** The kind named `name`; an error names the kinds that exist. */
export function getLayerKind(name: string, where = 'model spec'): LayerKind {
  const kind = kinds.get(name);
  if (kind) return kind;
  if (RESERVED.some((r) => r.name === name)) throw notYet(name, `${where}: "${name}"`);
  throw new LocalpropError(`${where}: unknown layer kind "${name}"; the layer kinds that exist: ${existingKinds()}`);
}

/**
 * The layer a token of the text form (after the input) stands for, or null
 * when no kind reads it; a reserved form is refused with the kinds that
 * exist. `where` names the spec in messages.
 */
export function layerFromToken(token: string, where: string): LayerSpec | null {
  for (const kind of kinds.values()) {
    const layer = kind.parseToken(token, where);
    if (layer) return layer;
  }
  const reserved = RESERVED.find((r) => r.token?.test(token));
  if (reserved) throw notYet(reserved.name, `${where}: layer "${token}"`);
  return null;
}

/** A layer from the JSON form: a number is a dense block, an object names its kind. */
export function layerFromJson(value: unknown, where: string): LayerSpec {
  if (typeof value === 'number') return denseKind.fromJson(value, where);
  check(typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === 'string', `${where} must be a number of units or an object with "kind", like {"kind": "dense", "units": 100}; got ${JSON.stringify(value)}`);
  return getLayerKind((value as { kind: string }).kind, where).fromJson(value, where);
}

/** The kind of `layer`. */
export function kindOf(layer: LayerSpec): LayerKind {
  return getLayerKind(layer.kind);
}

registerLayerKind(denseKind);
