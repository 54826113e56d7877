import { describe, expect, it } from 'vitest';
import { fit, Model, MERTENS_MODEL, parseModelSpec, Run, seededStart, useBackend, LocalpropError, encodeCheckpoint } from '../../src/index.js';
import { classLabels } from '../../src/data/dataset.js';
import { halfPlaneRows, threeClassRows } from '../cli/helpers.js';
import { formatLayers } from '../../src/model/spec.js';

await useBackend('wasm');

/** Rows of a Float32Array, as plain number arrays. */
const rowsOf = (flat: Float32Array, width: number) => Array.from({ length: flat.length / width }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));

const errorOf = async (f: () => unknown): Promise<string> => {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(LocalpropError);
    return (e as Error).message;
  }
  throw new Error('expected a LocalpropError');
};

describe('fit on plain arrays', () => {
  it('trains exactly the run the library would: same start, same numbers, same weights', async () => {
    const spec = parseModelSpec(MERTENS_MODEL);
    const start = seededStart(0, spec, { dataset: 'signed_xor' });
    const run = new Run({ schedule: 'local-parallel', spec, ...start, epochs: 5 });
    const events = [];
    for await (const e of run) if (e.type === 'epoch') events.push(e);
    const expectedWeights = run.network.toParameters();
    run.dispose();

    const seen: number[] = [];
    const model = await fit(
      { x: rowsOf(start.train.x, 2), y: Array.from(classLabels(start.train)) },
      { schedule: 'local-parallel', epochs: 5, seed: 0, validation: { x: start.test.x, features: 2, y: classLabels(start.test) }, onEpoch: (e) => void seen.push(e.epoch) },
    );
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(model.history.map((e) => e.testLoss)).toEqual(events.map((e) => e.testLoss));
    expect(model.history.map((e) => e.testAccuracy)).toEqual(events.map((e) => e.testAccuracy));
    expect(model.spec).toEqual(spec);
    for (const [name, t] of Object.entries(expectedWeights)) expect(model.parameters[name].data, name).toEqual(t.data);
    expect(model.info).toMatchObject({ schedule: 'local-parallel', seed: '0', decoders: 'learned' });
  });

  it('learns a separable problem, and predicts rows as rows and flat arrays as flat arrays', async () => {
    const rows = halfPlaneRows(400, 3);
    const x = rows.map((r) => r.slice(0, 2));
    const y = rows.map((r) => r[2]);
    const model = await fit({ x, y }, { schedule: 'backprop', model: [16], optimizer: 'adam', lr: 0.01, step: 'batch', batchSize: 50, epochs: 30 });
    expect(model.outputs).toBe(1);
    expect(model.accuracy({ x, y })).toBeGreaterThan(0.95);
    // Far from the boundary x1 = 0 the classes are certain.
    expect(model.classify([[0.9, 0.1], [-0.9, -0.3]])).toEqual([1, 0]);
    const asRows = model.predict([[0.9, 0.1], [-0.9, -0.3]]);
    expect(asRows).toHaveLength(2);
    expect(asRows[0]).toHaveLength(1);
    expect(asRows[0][0]).toBeGreaterThan(0.5);
    const flat = model.predict(new Float32Array([0.9, 0.1, -0.9, -0.3]));
    expect(flat).toBeInstanceOf(Float32Array);
    expect(Array.from(flat)).toEqual([asRows[0][0], asRows[1][0]]);
    expect(model.classify(new Float32Array([0.9, 0.1, -0.9, -0.3]))).toEqual(new Int32Array([1, 0]));
  });

  it('class indices beyond 1 train one softmax output per class; one-hot rows are taken as given', async () => {
    const rows = threeClassRows(300, 5);
    const x = rows.map((r) => r.slice(0, 2));
    const labels = rows.map((r) => r[2]);
    const model = await fit({ x, y: labels }, { model: [8], epochs: 3 });
    expect(formatLayers(model.spec)).toBe('2-8-3');
    expect(model.spec.loss).toBe('ce');
    const p = model.predict(x.slice(0, 4));
    for (const row of p) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const oneHot = labels.map((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    const same = await fit({ x, y: oneHot }, { model: [8], epochs: 3 });
    expect(same.predict(x.slice(0, 4))).toEqual(p);
    // `classes` keeps a class no example of a small sample has.
    expect((await fit({ x: [[0, 0], [1, 1]], y: [0, 1], classes: 4 }, { model: [2], epochs: 1 })).outputs).toBe(4);
  });

  it('saves and loads to the same predictions; the CLI and PyTorch read the same safetensors', async () => {
    const rows = halfPlaneRows(100, 1);
    const x = rows.map((r) => r.slice(0, 2));
    const model = await fit({ x, y: rows.map((r) => r[2]) }, { model: '2-6-1 hidden=tanh', epochs: 4, seed: 7 });
    const bytes = model.save();
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))).toContain('"spec":"2-6-1 hidden=tanh out=sigmoid loss=bce"');
    const loaded = await Model.load(bytes);
    expect(loaded.spec).toEqual(model.spec);
    expect(loaded.info).toMatchObject({ schedule: 'local-parallel', seed: '7' });
    expect(loaded.predict(x)).toEqual(model.predict(x));
    expect((await Model.load(bytes.slice().buffer)).predict(x)).toEqual(model.predict(x));
    // A checkpoint the CLI writes (`--save`) loads too.
    const cliBytes = encodeCheckpoint(model.parameters, { spec: model.spec, extra: { schedule: 'backprop' } });
    expect((await Model.load(cliBytes)).predict(x)).toEqual(model.predict(x));
  });

  it('refuses bad input with one line that says how to fix it', async () => {
    expect(await errorOf(() => fit({ x: [[1, 2], [3]], y: [0, 1] }))).toBe('data.x[1] has 1 numbers but the examples have 2; give every example the same features');
    expect(await errorOf(() => fit({ x: [1, 2, 3, 4], y: [0, 1] }))).toMatch(/^data.x is one flat array of 4 numbers: say how many belong to each example with features: N/);
    expect(await errorOf(() => fit({ x: [[1, 2]], y: [0, 1] }))).toBe('data.y has 2 entries but x has 1 examples; give one target per example');
    expect(await errorOf(() => fit({ x: [[1, 2], [3, 4]], y: [0, 0.5] }))).toMatch(/^data.y\[1\] is 0.5; class indices are whole numbers/);
    expect(await errorOf(() => fit({ x: [[1, NaN], [3, 4]], y: [0, 1] }))).toMatch(/not a finite number \(NaN\) at position 1/);
    expect(await errorOf(() => fit({ x: [[1, 2], [3, 4]], y: [0, 1] }, { model: '3-4-1' }))).toMatch(/the training set has 2 input\(s\) and 1 output\(s\) but the model 3-4-1 takes 3/);
    expect(await errorOf(() => fit({ x: [[1, 2], [3, 4]], y: [0, 1] }, { schedule: 'nope' }))).toMatch(/unknown schedule "nope"; choose one of: backprop/);
    const model = await fit({ x: [[1, 2], [3, 4]], y: [0, 1] }, { model: [2], epochs: 1 });
    expect(await errorOf(() => model.predict([[1, 2, 3]]))).toBe('predict input[0] has 3 numbers but the examples have 2; give every example the same features');
    expect(await errorOf(() => Model.load(new Uint8Array([1, 2, 3])))).toMatch(/^safetensors file is only 3 bytes, too short/);
  });
});
