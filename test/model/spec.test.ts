import { describe, expect, it } from 'vitest';
import { formatModelSpec, modelSpecFrom, parseModelSpec, SEED_MODEL, type ModelSpec } from '../../src/model/spec.js';
import { localpropErrorOf } from '../support.js';

const dense = (...units: number[]) => units.map((n) => ({ kind: 'dense', units: n }));

const SEED_SPEC: ModelSpec = {
  input: [2],
  stack: dense(100, 100, 10, 1),
  hidden: { activation: 'mish', normalize: true },
  out: 'sigmoid',
  loss: 'bce',
};

describe('parseModelSpec', () => {
  it('parses the seed’s network, with loss bce', () => {
    expect(SEED_MODEL).toBe('2-100-100-10-1 hidden=mish,normalize out=sigmoid');
    expect(parseModelSpec(SEED_MODEL)).toEqual(SEED_SPEC);
  });

  it('accepts normalize before the activation and extra whitespace', () => {
    expect(parseModelSpec('  2-100-100-10-1   out=sigmoid hidden=normalize,mish ')).toEqual(SEED_SPEC);
  });

  it('defaults: hidden relu without normalize; one output → sigmoid + bce', () => {
    expect(parseModelSpec('2-8-1')).toEqual({ input: [2], stack: dense(8, 1), hidden: { activation: 'relu', normalize: false }, out: 'sigmoid', loss: 'bce' });
  });

  it('defaults: more than one output → softmax + ce', () => {
    expect(parseModelSpec('4-16-3')).toEqual({ input: [4], stack: dense(16, 3), hidden: { activation: 'relu', normalize: false }, out: 'softmax', loss: 'ce' });
  });

  it('defaults the loss from out: other activations get mse', () => {
    expect(parseModelSpec('2-8-1 out=tanh').loss).toBe('mse');
    expect(parseModelSpec('2-8-1 out=identity').loss).toBe('mse');
    expect(parseModelSpec('2-8-3 out=sigmoid').loss).toBe('bce');
  });

  it('hidden=normalize alone keeps relu', () => {
    expect(parseModelSpec('2-8-1 hidden=normalize').hidden).toEqual({ activation: 'relu', normalize: true });
  });

  it('normalize=rms: rows scaled to mean square 1, in the string and the JSON form, and back', () => {
    const spec = parseModelSpec('784-1000-10 hidden=relu,normalize=rms');
    expect(spec.hidden).toEqual({ activation: 'relu', normalize: 'rms' });
    expect(formatModelSpec(spec)).toBe('784-1000-10 hidden=relu,normalize=rms out=softmax loss=ce');
    expect(modelSpecFrom({ layers: [784, 1000, 10], hidden: { activation: 'relu', normalize: 'rms' } })).toEqual(spec);
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 hidden=relu,normalize,normalize=rms'))).toMatch(/"normalize" or "normalize=rms", not both/);
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: { normalize: 'l2' } }))).toMatch(/"hidden.normalize" must be true or false \(without quotes\), or "rms"; got "l2"/);
  });

  it('a spec without hidden blocks is allowed', () => {
    expect(parseModelSpec('2-1').stack).toEqual(dense(1));
  });
});

describe('formatModelSpec', () => {
  it('writes the canonical form of the seed’s network', () => {
    expect(formatModelSpec(SEED_SPEC)).toBe('2-100-100-10-1 hidden=mish,normalize out=sigmoid loss=bce');
  });

  it.each([
    SEED_MODEL,
    '2-8-1',
    '4-16-3',
    '2-8-8-1 hidden=tanh out=identity loss=mse',
    '3-5-2 hidden=leaky-relu,normalize out=softmax loss=mse',
    '2-1 out=sigmoid loss=mse',
  ])('round-trips %s', (text) => {
    const spec = parseModelSpec(text);
    const formatted = formatModelSpec(spec);
    expect(parseModelSpec(formatted)).toEqual(spec);
    // And the canonical form is a fixed point.
    expect(formatModelSpec(parseModelSpec(formatted))).toBe(formatted);
  });
});

describe('modelSpecFrom (JSON form)', () => {
  it('is the same spec as the string form', () => {
    expect(modelSpecFrom({ layers: [2, 100, 100, 10, 1], hidden: { activation: 'mish', normalize: true }, out: 'sigmoid' })).toEqual(SEED_SPEC);
    expect(modelSpecFrom(JSON.parse(JSON.stringify(SEED_SPEC)))).toEqual(SEED_SPEC);
    expect(modelSpecFrom(SEED_MODEL)).toEqual(SEED_SPEC);
  });

  it('fills the same defaults as the string form', () => {
    expect(modelSpecFrom({ layers: [2, 8, 1] })).toEqual(parseModelSpec('2-8-1'));
    expect(modelSpecFrom({ layers: [4, 16, 3] })).toEqual(parseModelSpec('4-16-3'));
    expect(modelSpecFrom({ layers: [2, 8, 1], hidden: { normalize: true } })).toEqual(parseModelSpec('2-8-1 hidden=normalize'));
  });

  it('rejects unknown keys, missing layers and non-objects', () => {
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 1], activation: 'relu' }))).toMatch(/unknown key\(s\) activation/);
    expect(localpropErrorOf(() => modelSpecFrom({ hidden: { activation: 'relu' } }))).toMatch(/needs "layers"/);
    expect(localpropErrorOf(() => modelSpecFrom([2, 1]))).toMatch(/must be a string or an object/);
    expect(localpropErrorOf(() => modelSpecFrom(null))).toMatch(/must be a string or an object/);
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 1.5, 1] }))).toMatch(/"layers" must be two or more whole numbers ≥ 1, like \[2, 100, 1\]; got \[2,1.5,1\]/);
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: { activation: 'swish' } }))).toMatch(/unknown activation "swish"/);
  });

  it('type-checks every field and refuses unknown keys at every level', () => {
    // "normalize": "false" used to turn normalisation on (Boolean("false") is true).
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: { normalize: 'false' } }))).toContain('"hidden.normalize" must be true or false (without quotes), or "rms"; got "false"');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: { activation: 'relu', norm: true } }))).toContain('"hidden": unknown key(s) norm (allowed: activation, normalize, batchNorm)');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: { activation: 7 } }))).toContain('"hidden.activation" must be a name');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], hidden: [] }))).toContain('"hidden" must be an object');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: ['2', '8', '1'] }))).toContain('"layers" must be two or more whole numbers');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, true, 1] }))).toContain('"layers" must be two or more whole numbers');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 1e300, 1] }))).toContain('"layers" must be two or more whole numbers');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], out: 1 }))).toContain('"out" must be a name (a string); got 1');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 1], loss: null }))).toContain('"loss" must be a name (a string); got null');
    expect(modelSpecFrom({ layers: [2, 8, 1], hidden: { normalize: false } }).hidden.normalize).toBe(false);
  });
});

describe('model spec errors', () => {
  it('bad layers name the layers and the expected form', () => {
    for (const text of ['2-x-1', '2', '2-0-1', '2--1', '-2-1', '2-1.5-1']) {
      const message = localpropErrorOf(() => parseModelSpec(text));
      expect(message).toContain(`layers "${text}"`);
      expect(message).toContain('positive integers');
    }
  });

  it('an empty spec is an error', () => {
    expect(localpropErrorOf(() => parseModelSpec('   '))).toMatch(/empty model spec/);
  });

  it('an unknown activation is named, with the valid ones', () => {
    const message = localpropErrorOf(() => parseModelSpec('2-8-1 hidden=swish'));
    expect(message).toContain('unknown activation "swish"');
    expect(message).toContain('mish');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 out=gelu'))).toContain('unknown activation "gelu"');
  });

  it('an unknown key is named', () => {
    const message = localpropErrorOf(() => parseModelSpec('2-8-1 optimizer=adam'));
    expect(message).toContain('unknown key "optimizer"');
    expect(message).toContain('hidden, out or loss');
  });

  it('a part that is not key=value, a repeated key and two hidden activations are errors', () => {
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 mish'))).toContain('"mish" is not key=value');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 out=sigmoid out=tanh'))).toContain('"out" is given twice');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 hidden=relu,tanh'))).toContain('one activation');
  });

  it('softmax as a hidden activation says softmax is only allowed as out=', () => {
    // softmax is a known activation; the problem is where it is used.
    const message = localpropErrorOf(() => parseModelSpec('2-8-3 hidden=softmax'));
    expect(message).toContain('softmax');
    expect(message).toMatch(/only allowed as out=/);
    const json = localpropErrorOf(() => modelSpecFrom({ layers: [2, 8, 3], hidden: { activation: 'softmax' } }));
    expect(json).toMatch(/only allowed as out=/);
  });

  it('a loss that does not fit the output activation is named with the fix', () => {
    expect(localpropErrorOf(() => parseModelSpec('2-8-3 out=sigmoid loss=ce'))).toContain('loss=ce needs out=softmax');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 out=tanh loss=bce'))).toContain('loss=bce needs out=sigmoid');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 out=softmax'))).toContain('softmax over a single output');
    expect(localpropErrorOf(() => parseModelSpec('2-8-1 loss=hinge'))).toContain('unknown loss "hinge"');
  });
});
