import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatModelSpec, modelSpecFrom, parseModelSpec, type ModelSpec } from '../../src/model/spec.js';
import { ACTIVATIONS } from '../../src/model/activations.js';
import { checkProperty, outcome, textOf } from './property.js';

const names = [...ACTIVATIONS, 'swish', 'normalize', 'bce', 'ce', 'mse', 'hinge', ''];
/** Spec strings: widths, keys and names in any order, most of them close to right. */
const specText = fc.oneof(
  fc
    .record({
      layers: fc.array(fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 300 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom('0', 'x', '', '1.5', '007', '1e3', '99999999999999999999') }), { minLength: 1, maxLength: 6 }),
      parts: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.tuple(fc.constant('hidden'), fc.tuple(fc.constantFrom(...ACTIVATIONS.filter((a) => a !== 'softmax')), fc.constantFrom([], ['normalize']) as fc.Arbitrary<string[]>).map(([a, n]) => [a, ...n])) },
          { weight: 3, arbitrary: fc.tuple(fc.constantFrom('out'), fc.constantFrom(['sigmoid'], ['softmax'], ['tanh'], ['identity'])) },
          { weight: 2, arbitrary: fc.tuple(fc.constantFrom('loss'), fc.constantFrom(['mse'], ['bce'], ['ce'])) },
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom('hidden', 'out', 'loss', 'width', ''), fc.array(fc.constantFrom(...names), { maxLength: 3 })) },
        ),
        { maxLength: 3 },
      ),
      space: fc.constantFrom(' ', '  ', '\t', '\n '),
    })
    .map(({ layers, parts, space }) => [layers.join('-'), ...parts.map(([k, v]) => `${k}=${v.join(',')}`)].join(space)),
  textOf(['2', '10', '-', ' ', 'hidden=', 'out=', 'loss=', 'relu', 'mish', ',normalize', 'softmax', 'sigmoid', 'bce', 'ce', '=', ',']),
);

describe('the model spec string', () => {
  it('parses to a spec whose canonical string parses back to it, or refuses with a message (4000 inputs)', () => {
    const { parsed } = checkProperty(
      specText,
      (text) => {
        const r = outcome(() => parseModelSpec(text));
        if (!r.ok) return false;
        const formatted = formatModelSpec(r.value);
        expect(parseModelSpec(formatted)).toEqual(r.value);
        expect(formatModelSpec(parseModelSpec(formatted))).toBe(formatted);
        return true;
      },
      4000,
    );
    expect(parsed).toBeGreaterThan(200);
  });
});

/** JSON values shaped like specs, with wrong types and unknown keys at every level, and any JSON at all. */
const rarely = <T>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<unknown>) => fc.oneof({ weight: 12, arbitrary: right as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: wrong });
const specJson = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        layers: rarely(fc.array(rarely(fc.integer({ min: 1, max: 64 }), fc.jsonValue()), { minLength: 2, maxLength: 5 }), fc.jsonValue()),
        hidden: rarely(
          fc.record({ activation: rarely(fc.constantFrom(...ACTIVATIONS.filter((a) => a !== 'softmax')), fc.jsonValue()), normalize: rarely(fc.boolean(), fc.jsonValue()) }, { requiredKeys: [] }),
          fc.oneof(fc.dictionary(fc.constantFrom('activation', 'normalize', 'norm', '__proto__', 'constructor'), fc.jsonValue()), fc.jsonValue()),
        ),
        out: rarely(fc.constantFrom('sigmoid', 'softmax', 'tanh', 'identity'), fc.oneof(fc.constantFrom(...names), fc.jsonValue())),
        loss: rarely(fc.constantFrom('mse', 'bce', 'ce'), fc.oneof(fc.constantFrom(...names), fc.jsonValue())),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ['layers'] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: specText },
);

describe('the model spec JSON', () => {
  it('parses to a spec that survives JSON and the string form, or refuses with a message (4000 inputs)', () => {
    const { parsed } = checkProperty(
      // Through JSON text, as --model and config files give it: __proto__ keys arrive as own keys.
      specJson.map((v) => JSON.parse(JSON.stringify(v)) as unknown),
      (value) => {
        const r = outcome(() => modelSpecFrom(value));
        if (!r.ok) return false;
        const spec: ModelSpec = r.value;
        expect(modelSpecFrom(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
        expect(parseModelSpec(formatModelSpec(spec))).toEqual(spec);
        return true;
      },
      4000,
    );
    expect(parsed).toBeGreaterThan(100);
  });
});
