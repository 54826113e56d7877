import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { denseKind } from '../../src/model/blocks/dense.js';
import { getLayerKind, layerFromToken, listLayerKinds, registerLayerKind } from '../../src/model/blocks/registry.js';
import { Network } from '../../src/model/network.js';
import { blockParameterShapes, initialParameters } from '../../src/model/parameters.js';
import { blockOutputSize, modelShapes, outputSize } from '../../src/model/shapes.js';
import { formatModelSpec, modelSpecFrom, modelSpecJson, parseModelSpec } from '../../src/model/spec.js';
import { parameterBytes, activationBytes } from '../../src/metrics/memory.js';
import { blockWork } from '../../src/train/pipeline.js';
import { checkDataFitsModel } from '../../src/train/run.js';
import { makeDataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';
import { cli, lines } from '../cli/helpers.js';
import { localpropErrorOf, TEST_BACKEND } from '../support.js';

const dense = (...units: number[]) => units.map((n) => ({ kind: 'dense', units: n }));
const CONV = '1x28x28-c32-c32-p2-c64-c64-p2-256-10';

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
});

describe("today's specs", () => {
  it('parse to dense blocks and round-trip through formatModelSpec and the JSON form', () => {
    const mertens = parseModelSpec('2-100-100-10-1 hidden=mish,normalize');
    expect(mertens).toEqual({ input: [2], stack: dense(100, 100, 10, 1), hidden: { activation: 'mish', normalize: true }, out: 'sigmoid', loss: 'bce' });
    const mlp = parseModelSpec('784-1024-1024-1024-10 hidden=relu,batchnorm');
    expect(mlp).toEqual({ input: [784], stack: dense(1024, 1024, 1024, 10), hidden: { activation: 'relu', normalize: false, batchNorm: true }, out: 'softmax', loss: 'ce' });
    for (const spec of [mertens, mlp]) {
      expect(parseModelSpec(formatModelSpec(spec))).toEqual(spec);
      expect(modelSpecFrom(JSON.parse(JSON.stringify(modelSpecJson(spec))))).toEqual(spec);
      expect(modelSpecFrom(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    }
    // The JSON form of dense blocks is the list of widths records have always held, key for key.
    expect(JSON.stringify(modelSpecJson(mlp))).toBe('{"layers":[784,1024,1024,1024,10],"hidden":{"activation":"relu","normalize":false,"batchNorm":true},"out":"softmax","loss":"ce"}');
    expect(modelSpecFrom({ layers: [2, { kind: 'dense', units: 8 }, 1] })).toEqual(parseModelSpec('2-8-1'));
  });

  it('the short form leaves out what the parser infers, and nothing else', () => {
    expect(formatModelSpec(parseModelSpec('2-8-1 hidden=relu,normalize=rms,batchnorm'), { short: true })).toBe('2-8-1 hidden=relu,normalize=rms,batchnorm');
    expect(formatModelSpec(parseModelSpec('2-8-3 out=sigmoid'), { short: true })).toBe('2-8-3 hidden=relu out=sigmoid');
    expect(formatModelSpec(parseModelSpec('2-8-1 out=tanh loss=bce'.replace('bce', 'mse')), { short: true })).toBe('2-8-1 hidden=relu out=tanh');
    expect(formatModelSpec(parseModelSpec('2-8-1 out=sigmoid loss=mse'), { short: true })).toBe('2-8-1 hidden=relu loss=mse');
  });
});

describe('the dense kind', () => {
  it('says its output shape, PyTorch tensors, fan-in, multiply-adds and activation bytes from its input shape', () => {
    const layer = { kind: 'dense' as const, units: 5 };
    // An image input is read flattened, as nn.Flatten then nn.Linear read it.
    expect(denseKind.outputShape([3, 4, 2], layer)).toEqual([5]);
    expect(denseKind.tensors([3, 4, 2], layer)).toEqual([{ name: 'weight', shape: [5, 24] }, { name: 'bias', shape: [5] }]);
    expect(denseKind.fanIn([3, 4, 2], layer)).toBe(24);
    expect(denseKind.multiplyAdds([3, 4, 2], layer)).toBe(120);
    expect(denseKind.activationBytes([24], layer)).toBe(20);
  });

  it('holds its weight transposed and hands it back in PyTorch layout', () => {
    const value = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    const internal = denseKind.toInternal('weight', value);
    expect(internal.shape).toEqual([3, 2]);
    expect(Array.from(internal.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(denseKind.fromInternal('weight', internal)).toEqual(value);
    internal.dispose();
  });

  it('a model of image input flattens it: same parameters, same predictions as its flat twin', () => {
    const image = parseModelSpec('2x3x2-4-3');
    const flat = parseModelSpec('12-4-3');
    expect(modelShapes(image).blocks.map((b) => [b.input, b.output])).toEqual([[[2, 3, 2], [4]], [[4], [3]]]);
    expect(blockParameterShapes(image)).toEqual(blockParameterShapes(flat));
    expect(formatModelSpec(image)).toBe('2x3x2-4-3 hidden=relu out=softmax loss=ce');
    expect(modelSpecJson(image).layers).toEqual([[2, 3, 2], 4, 3]);
    const params = initialParameters(image, new Rng(1));
    expect(params).toEqual(initialParameters(flat, new Rng(1)));
    const a = Network.fromParameters(image, params);
    const b = Network.fromParameters(flat, params);
    const x = tf.tensor2d(Array.from({ length: 24 }, (_, k) => Math.sin(k)), [2, 12]);
    expect(Array.from(a.predict(x).dataSync())).toEqual(Array.from(b.predict(x).dataSync()));
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });
});

describe('data shapes', () => {
  const rows = (shape: number[] | undefined, n: number) => ({ ...makeDataset(new Float32Array(2 * n), new Float32Array(2), n, 1, shape), name: 'the data' });

  it('a flat input reads any example of its size; an image input needs the image', () => {
    expect(() => checkDataFitsModel(parseModelSpec('12-4-1'), [rows([2, 3, 2], 12)])).not.toThrow();
    expect(() => checkDataFitsModel(parseModelSpec('2x3x2-4-1'), [rows([2, 3, 2], 12)])).not.toThrow();
    expect(localpropErrorOf(() => checkDataFitsModel(parseModelSpec('2x3x2-4-1'), [rows(undefined, 12)]))).toBe(
      'the data holds examples of shape 12, but the model 2x3x2-4-1 reads images of 2×3×2; give the model the data\'s shape (12) or a flat input of 12',
    );
    expect(localpropErrorOf(() => checkDataFitsModel(parseModelSpec('2-8-8-1'), [rows(undefined, 3)]))).toBe('the data has 3 input(s) and 1 output(s) but the model 2-8-8-1 takes 2 and gives 1; change --model to 3-8-8-1');
  });
});

describe('the conv form, reserved', () => {
  it('is refused in one line naming the kinds that exist, in text and in JSON', () => {
    expect(localpropErrorOf(() => parseModelSpec(CONV))).toBe(
      `model spec "${CONV}": layers "${CONV}": layer "c32" is a conv2d layer, which this localprop does not have yet; the layer kinds that exist: dense (dense blocks are written as positive integers, their units, like 100)`,
    );
    expect(localpropErrorOf(() => parseModelSpec('1x28x28-p2-10'))).toMatch(/layer "p2" is a maxpool layer, which this localprop does not have yet; the layer kinds that exist: dense/);
    expect(localpropErrorOf(() => parseModelSpec('1x28x28-a2-10'))).toMatch(/layer "a2" is a avgpool layer/);
    expect(localpropErrorOf(() => parseModelSpec('1x28x28-c64k5s2p2-10'))).toMatch(/layer "c64k5s2p2" is a conv2d layer/);
    const json = { layers: [[1, 28, 28], { kind: 'conv2d', channels: 32, kernel: 3, stride: 1, padding: 1, bias: true }, 10] };
    expect(localpropErrorOf(() => modelSpecFrom(json))).toBe('model spec object: "layers"[1]: "conv2d" is a conv2d layer, which this localprop does not have yet; the layer kinds that exist: dense (dense blocks are written as positive integers, their units, like 100)');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [784, { kind: 'flatten' }, 10] }))).toMatch(/"flatten" is a flatten layer, which this localprop does not have yet/);
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [784, { kind: 'lstm' }, 10] }))).toBe('model spec object: "layers"[1]: unknown layer kind "lstm"; the layer kinds that exist: dense');
  });

  it('exits 2 on the command line with that line', async () => {
    const r = await cli('train', '--schedule', 'backprop', '--dataset', 'spiral', '--model', CONV);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`localprop: model spec "${CONV}": layers "${CONV}": layer "c32" is a conv2d layer, which this localprop does not have yet; the layer kinds that exist: dense (dense blocks are written as positive integers, their units, like 100)`]);
  });

  it('other bad layers and inputs are named', () => {
    expect(localpropErrorOf(() => parseModelSpec('2-x-1'))).toBe(
      'model spec "2-x-1": layers "2-x-1": "x" is not a layer of any kind; write the input (a positive integer, or C×H×W like 1x28x28) and then one or more layers: dense blocks are positive integers joined by "-", like 2-100-1 (the layer kinds that exist: dense)',
    );
    expect(localpropErrorOf(() => parseModelSpec('2x2-4-1'))).toMatch(/the input "2x2" must be a positive integer or C×H×W like 1x28x28/);
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, { kind: 'dense', units: 0 }, 1] }))).toBe('model spec object: "layers"[1]: "units" must be a whole number ≥ 1; got 0');
    expect(localpropErrorOf(() => modelSpecFrom({ layers: [2, { kind: 'dense', units: 3, bias: false }, 1] }))).toBe('model spec object: "layers"[1]: unknown key(s) bias (allowed: kind, units)');
  });
});

describe('the kind registry', () => {
  it('lists dense first, refuses a second kind of a taken name and a bad name, and names unknown kinds', () => {
    expect(listLayerKinds()[0]).toBe(denseKind);
    expect(() => registerLayerKind(denseKind)).not.toThrow();
    expect(localpropErrorOf(() => registerLayerKind({ ...denseKind }))).toBe('a layer kind named "dense" is already registered; give yours another name');
    expect(localpropErrorOf(() => registerLayerKind({ ...denseKind, name: 'My Kind' }))).toMatch(/lower-case letters, digits and dashes/);
    expect(getLayerKind('dense')).toBe(denseKind);
    expect(layerFromToken('64', 'here')).toEqual({ kind: 'dense', units: 64 });
  });
});

describe('what the rest of the code asks of the shapes', () => {
  it('memory, the pipeline and the rules read the same numbers the widths gave', () => {
    const spec = parseModelSpec('784-256-128-10 hidden=relu');
    expect(outputSize(spec)).toBe(10);
    expect(blockOutputSize(spec, 1)).toBe(128);
    // Weights and biases of the blocks, then the decoders [10, 256] and [10, 128]: float32.
    expect(parameterBytes(spec)).toBe((784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10 + 10 * 256 + 10 * 128) * 4);
    // Back-propagation on 100 rows: the batch (784 inputs, 10 targets, 4 of bookkeeping), relu's 2 numbers per hidden unit, 2 per output.
    expect(activationBytes(spec, 'backprop', 100)).toBe((784 + 10 + 4 + 2 * 256 + 2 * 128 + 2 * 10) * 100 * 4);
    expect(blockWork(spec, 0)).toBe(2 * 784 * 256 + 3 * 256 * 10);
    expect(blockWork(spec, 2)).toBe(2 * 128 * 10);
  });
});
