import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { BatchNorm } from '../../src/model/batch-norm.js';
import { Network } from '../../src/model/network.js';
import { initialParameters, parameterShapes } from '../../src/model/parameters.js';
import { formatModelSpec, modelSpecFrom, parseModelSpec } from '../../src/model/spec.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';
import { Run } from '../../src/train/run.js';
import { getRule } from '../../src/rules/registry.js';
import { makeDataset, oneHot } from '../../src/data/dataset.js';
import { expectClose, localpropErrorOf } from '../support.js';

// Reference numbers from PyTorch 's nn.BatchNorm1d(3) (test/fixtures/torch/reference.py), committed as literals.
const Z = [0.5, -1.0, 2.0, 1.5, 0.0, -2.0, -0.5, 3.0, 1.0, 2.5, 1.0, 0.0];
const GAMMA = [1.0, 2.0, 0.5];
const BETA = [0.0, -1.0, 0.25];
const G = [1.0, 0.0, -1.0, 0.5, 2.0, 0.0, 0.0, -1.0, 1.0, -2.0, 0.5, 0.25];
const TORCH = {
  trainOut: [-0.4472118, -3.3664265, 0.8416066, 0.4472118, -2.0141828, -0.510637, -1.3416355, 2.0425482, 0.5035457, 1.3416355, -0.6619391, 0.1654848],
  gradZ: [0.7155412, -1.4874634, -0.2873521, 0.8497001, 1.7772365, -0.1134914, -0.7602531, -0.5988566, 0.3477197, -0.8049883, 0.3090836, 0.0531239],
  gradWeight: [-2.9068768, -2.4509416, -0.7183794],
  gradBias: [-0.5, 1.5, 0.25],
  runningMean: [0.1, 0.075, 0.025],
  runningVar: [1.0666666, 1.1916666, 1.1916666],
  evalOut: [0.3872966, -2.9695148, 1.1546028, 1.3555379, -1.137408, -0.6775041, -0.5809448, 4.3589125, 0.6965761, 2.3237793, 0.6946988, 0.2385493],
};

function freshNorm(): BatchNorm {
  return new BatchNorm(tf.variable(tf.tensor1d(GAMMA)), tf.variable(tf.tensor1d(BETA)), tf.variable(tf.zeros([3])), tf.variable(tf.ones([3])), tf.variable(tf.scalar(0)));
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('batch norm', () => {
  it('normalises by the batch in training, hand-computed: column 0 of [0.5, 1.5, -0.5, 2.5] has mean 1, biased variance 1.25', () => {
    const norm = freshNorm();
    const out = norm.apply(tf.tensor2d(Z, [4, 3]), 'batch').dataSync();
    // (0.5 - 1) / √(1.25 + 1e-5) · γ₀ + β₀
    expect(out[0]).toBeCloseTo(-0.5 / Math.sqrt(1.25 + 1e-5), 6);
    // 'batch' leaves the running statistics alone.
    expect(Array.from(norm.runningMean.dataSync())).toEqual([0, 0, 0]);
    expect(norm.batchesTracked.dataSync()[0]).toBe(0);
  });

  it("matches PyTorch's forward and backward in training, and its running statistics (momentum 0.1, unbiased variance) and evaluation", () => {
    const norm = freshNorm();
    const z = tf.tensor2d(Z, [4, 3]);
    const g = tf.tensor2d(G, [4, 3]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(norm.apply(z, 'batch-update'), g)) as tf.Scalar, [norm.weight, norm.bias]);
    const gradZ = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(freshNorm().apply(x as tf.Tensor2D, 'batch'), g)))(z);
    expectClose(tf.tidy(() => freshNorm().apply(z, 'batch')).dataSync(), TORCH.trainOut, 1e-5);
    expectClose(gradZ.dataSync(), TORCH.gradZ, 1e-5);
    expectClose(grads[norm.weight.name].dataSync(), TORCH.gradWeight, 1e-5);
    expectClose(grads[norm.bias.name].dataSync(), TORCH.gradBias, 1e-5);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    // One recorded step: mean 0.9·0 + 0.1·μ, variance 0.9·1 + 0.1·σ²·n/(n-1) (column 0: 1.25·4/3 = 5/3 → 1.0666…).
    expectClose(norm.runningMean.dataSync(), TORCH.runningMean, 1e-6);
    expectClose(norm.runningVar.dataSync(), TORCH.runningVar, 1e-6);
    expect(norm.runningVar.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * (1.25 * 4) / 3, 6);
    expect(norm.batchesTracked.dataSync()[0]).toBe(1);
    expectClose(norm.apply(z, 'running').dataSync(), TORCH.evalOut, 1e-5);
  });

  it('refuses a training batch of one example, which has no variance', () => {
    expect(localpropErrorOf(() => freshNorm().apply(tf.tensor2d([1, 2, 3], [1, 3]), 'batch'))).toMatch(/at least 2 examples/);
  });
});

describe('a model with batch norm', () => {
  const spec = parseModelSpec('4-3-3-2 hidden=relu,batchnorm');

  it('is written hidden=relu,batchnorm, and specs without it read and print as before', () => {
    expect(spec.hidden).toEqual({ activation: 'relu', normalize: false, batchNorm: true });
    expect(formatModelSpec(spec)).toBe('4-3-3-2 hidden=relu,batchnorm out=softmax loss=ce');
    expect(modelSpecFrom({ layers: [4, 3, 2], hidden: { activation: 'relu', batchNorm: true } }).hidden.batchNorm).toBe(true);
    expect(parseModelSpec('4-3-2').hidden).toEqual({ activation: 'relu', normalize: false });
  });

  it("holds PyTorch's names, starts from its constants, and leaves the blocks' initial draws as without it", () => {
    const names = parameterShapes(spec).map(([n, s]) => `${n}:${s.join('x')}`);
    expect(names.slice(0, 7)).toEqual(['blocks.0.weight:3x4', 'blocks.0.bias:3', 'blocks.0.bn.weight:3', 'blocks.0.bn.bias:3', 'blocks.0.bn.running_mean:3', 'blocks.0.bn.running_var:3', 'blocks.0.bn.num_batches_tracked:']);
    expect(names.filter((n) => n.startsWith('blocks.2.bn'))).toEqual([]);
    const p = initialParameters(spec, new Rng(3));
    const plain = initialParameters(parseModelSpec('4-3-3-2 hidden=relu'), new Rng(3));
    expect(p['blocks.1.weight'].data).toEqual(plain['blocks.1.weight'].data);
    expect(p['decoders.1.weight'].data).toEqual(plain['decoders.1.weight'].data);
    expect(Array.from(p['blocks.0.bn.running_var'].data)).toEqual([1, 1, 1]);
    expect(p['blocks.0.bn.num_batches_tracked'].dtype).toBe('I64');
  });

  it('saves num_batches_tracked as I64 and loads back under the same names after training', async () => {
    const rng = new Rng(0);
    const x = Float32Array.from({ length: 40 }, () => rng.normal());
    const data = makeDataset(x, oneHot(Array.from({ length: 10 }, (_, i) => i % 2), 2), 4, 2);
    const pred = getRule('pred');
    const trained = new Run({ schedule: 'local-parallel', rule: pred, spec, parameters: initialParameters(spec, new Rng(1), pred), train: data, test: data, seed: 0, epochs: 2, step: 'batch', batchSize: 4, optimizer: { name: 'adam', lr: 0.01 } });
    await trained.complete();
    const params = trained.network.toParameters();
    // 10 examples in batches of 4: 3 batches an epoch, 2 epochs.
    expect(Array.from(params['blocks.0.bn.num_batches_tracked'].data)).toEqual([6]);
    const bytes = encodeSafetensors(params);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))))) as Record<string, { dtype: string }>;
    expect(header['blocks.1.bn.num_batches_tracked'].dtype).toBe('I64');
    expect(header['blocks.1.bn.running_var'].dtype).toBe('F32');
    const loaded = Network.fromParameters(spec, decodeSafetensors(bytes).tensors, 'the file', pred);
    const probe = tf.tensor2d(x.slice(0, 8), [2, 4]);
    expect(Array.from(loaded.predict(probe).dataSync())).toEqual(Array.from(trained.network.predict(probe).dataSync()));
    expect(Array.from(loaded.blocks[1].norm!.runningMean.dataSync())).toEqual(Array.from(params['blocks.1.bn.running_mean'].data));
    loaded.dispose();
    trained.dispose();
  });

  it('refuses --step epoch, and a batch size that leaves a batch of one', () => {
    const rng = new Rng(0);
    const data = makeDataset(Float32Array.from({ length: 36 }, () => rng.normal()), oneHot(Array.from({ length: 9 }, (_, i) => i % 2), 2), 4, 2);
    const base = { schedule: 'backprop', spec, parameters: initialParameters(spec, new Rng(1)), train: data, test: data, seed: 0 };
    expect(localpropErrorOf(() => new Run({ ...base, step: 'epoch' }))).toMatch(/batch norm .*--step epoch.*use --step batch/);
    expect(localpropErrorOf(() => new Run({ ...base, step: 'batch', batchSize: 4 }))).toMatch(/last batch of one/);
  });

  it("tells a pipeline group where each block's trained tensors and running statistics lie among the network's variables", () => {
    // 4-3-3-2 with batch norm and pred's decoders: the blocks' trained tensors, the rule's by block, then the running statistics.
    const network = Network.fromParameters(spec, initialParameters(spec, new Rng(0), getRule('pred')), 'test', getRule('pred'));
    const names = network.variables.map((v) => v.name.replace(/^net\d+\//, ''));
    const of = (indices: number[]) => indices.map((k) => names[k]);
    expect(of(network.variableIndicesOf(1))).toEqual(['blocks.1.weight', 'blocks.1.bias', 'blocks.1.bn.weight', 'blocks.1.bn.bias', 'decoders.1.weight', 'decoders.1.bias']);
    expect(of(network.variableIndicesOf(2))).toEqual(['blocks.2.weight', 'blocks.2.bias']);
    expect(of(network.bufferIndicesOf(0))).toEqual(['blocks.0.bn.running_mean', 'blocks.0.bn.running_var', 'blocks.0.bn.num_batches_tracked']);
    expect(of(network.bufferIndicesOf(1))).toEqual(['blocks.1.bn.running_mean', 'blocks.1.bn.running_var', 'blocks.1.bn.num_batches_tracked']);
    expect(network.bufferIndicesOf(2)).toEqual([]);
    // Every variable belongs to exactly one block.
    const all = [0, 1, 2].flatMap((i) => [...network.variableIndicesOf(i), ...network.bufferIndicesOf(i)]).sort((a, b) => a - b);
    expect(all).toEqual(names.map((_, k) => k));
    network.dispose();
  });
});
