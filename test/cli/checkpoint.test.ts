import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { initialParameters, parameterShapes, type ParameterMap } from '../../src/model/parameters.js';
import { formatModelSpec, parseModelSpec } from '../../src/model/spec.js';
import { LocalpropError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const SPEC = parseModelSpec('2-100-100-10-1 hidden=mish,normalize out=sigmoid');

function errorOf(fn: () => unknown): LocalpropError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LocalpropError);
    return error as LocalpropError;
  }
  throw new Error('expected a LocalpropError');
}

/** Parameters with awkward values: signed zeros, subnormals, the float32 extremes. */
function awkward(spec = SPEC): ParameterMap {
  const params = initialParameters(spec, new Rng(7, 'checkpoint-test'));
  const w = params['blocks.0.weight'].data;
  w.set([-0, 0, 1e-45, -3.4028234663852886e38, 3.4028234663852886e38, 1 / 3, Math.PI]);
  return params;
}

describe('encodeCheckpoint / decodeCheckpoint', () => {
  it('round-trips the parameters bit for bit', () => {
    const params = awkward();
    const bytes = encodeCheckpoint(params, { spec: SPEC });
    const decoded = decodeCheckpoint(bytes, 'round trip');
    expect(Object.keys(decoded.parameters)).toEqual(Object.keys(params));
    for (const [name, t] of Object.entries(params)) {
      const d = decoded.parameters[name];
      expect(d.shape, name).toEqual(t.shape);
      expect(d.data).toBeInstanceOf(Float32Array);
      // Compare the bytes, so -0 vs 0 and subnormals count too.
      expect(Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
    }
    expect(decoded.spec).toEqual(SPEC);
  });

  it('writes PyTorch names and shapes, and the spec and extras as metadata', () => {
    const bytes = encodeCheckpoint(awkward(), { spec: SPEC, extra: { schedule: 'backprop', seed: '3' } });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.entries(tensors).map(([n, t]) => [n, t.shape])).toEqual(parameterShapes(SPEC));
    expect(metadata).toEqual({ format: 'localprop', spec: formatModelSpec(SPEC), schedule: 'backprop', seed: '3' });
    expect(decodeCheckpoint(bytes, 'x').metadata).toEqual(metadata);
  });

  it('decodes against a given spec equal to the recorded one', () => {
    const params = awkward();
    const decoded = decodeCheckpoint(encodeCheckpoint(params, { spec: SPEC }), 'x', parseModelSpec(formatModelSpec(SPEC)));
    expect(decoded.parameters['decoders.2.weight'].data).toEqual(params['decoders.2.weight'].data);
  });

  it('a different spec is an error naming the tensor and both shapes', () => {
    const bytes = encodeCheckpoint(awkward(), { spec: SPEC });
    const other = parseModelSpec('2-100-50-10-1 hidden=mish,normalize out=sigmoid');
    const message = errorOf(() => decodeCheckpoint(bytes, 'weights.safetensors', other)).message;
    expect(message).toContain('weights.safetensors');
    expect(message).toContain('"blocks.1.weight"');
    expect(message).toContain('[100, 100]');
    expect(message).toContain('[50, 100]');
    expect(message).toMatch(/--model/);
  });

  it('a spec with fewer blocks names the extra tensors; one with more names the missing one', () => {
    const bytes = encodeCheckpoint(awkward(), { spec: SPEC });
    expect(errorOf(() => decodeCheckpoint(bytes, 'f', parseModelSpec('2-100-1'))).message).toMatch(/unexpected tensor\(s\) .*blocks\.2\.weight/);
    const small = parseModelSpec('2-5-1');
    const smallBytes = encodeCheckpoint(initialParameters(small, new Rng(1)), { spec: small });
    expect(errorOf(() => decodeCheckpoint(smallBytes, 'f', parseModelSpec('2-5-5-1'))).message).toMatch(/tensor "blocks\.1\.weight" has shape \[1, 5\] but model 2-5-5-1 needs \[5, 5\]/);
  });

  it('a file without a recorded spec needs one given', () => {
    const bytes = encodeSafetensors(awkward());
    expect(errorOf(() => decodeCheckpoint(bytes, 'bare.safetensors')).message).toMatch(/bare\.safetensors does not record its model spec; give it with --model/);
    expect(Object.keys(decodeCheckpoint(bytes, 'bare', SPEC).parameters)).toHaveLength(11);
  });

  it('skips data.* tensors stored beside the parameters', () => {
    const params = awkward();
    const bytes = encodeSafetensors({ ...params, 'data.train.x': { shape: [2], data: new Float32Array([1, 2]) } }, { spec: formatModelSpec(SPEC) });
    expect(Object.keys(decodeCheckpoint(bytes, 'x').parameters)).toEqual(Object.keys(params));
  });

  it('encodeCheckpoint refuses parameters that do not fit the spec', () => {
    const params = awkward();
    delete params['decoders.1.weight'];
    expect(errorOf(() => encodeCheckpoint(params, { spec: SPEC })).message).toMatch(/tensor "decoders\.1\.weight" is missing/);
  });
});
