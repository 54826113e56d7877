import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf, useBackend } from '../../src/engine/backend.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { Network } from '../../src/model/network.js';
import { formatModelSpec, modelSpecFrom, modelSpecJson, parseModelSpec } from '../../src/model/spec.js';
import { configuredRule } from '../../src/rules/registry.js';
import { runConfiguration, runId } from '../../src/sweep/configuration.js';
import { RecordStore } from '../../src/sweep/store.js';
import { CHECKPOINTS, PROBE_ROWS } from '../fixtures/model-v1/cases.js';
import { expectClose, TEST_BACKEND } from '../support.js';

// Files written while the model was a list of widths (test/fixtures/model-v1/generate.ts):
// what they hold must keep its names, shapes and numbers under every later model.
const FIXTURES = resolve(__dirname, '../fixtures/model-v1');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, { predictions: number[][]; firstBlock: number[][] }>;
// The predictions were computed on wasm; another backend's kernels round differently.
const TOLERANCE = TEST_BACKEND === 'wasm' ? 0 : 1e-5;

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
});

describe('checkpoints of the width-list format', () => {
  for (const c of CHECKPOINTS) {
    it(`${c.name}: the spec it records, its tensors' names and shapes, and what it predicts`, () => {
      const rule = configuredRule(c.rule, c.ruleOptions);
      const file = join(FIXTURES, `${c.name}.safetensors`);
      const { spec, parameters, metadata } = decodeCheckpoint(readFileSync(file), file, undefined, rule);
      expect(spec).toEqual(parseModelSpec(c.model));
      expect(metadata.spec).toBe(formatModelSpec(spec));
      expect(Object.fromEntries(Object.entries(parameters).map(([name, t]) => [name, t.shape]))).toEqual(c.tensors);
      const network = Network.fromParameters(spec, parameters, file, rule);
      // What the network holds comes back as the file has it, value for value.
      const again = network.toParameters();
      expect(Object.keys(again).sort()).toEqual(Object.keys(parameters).sort());
      for (const [name, t] of Object.entries(parameters)) expect(Array.from(again[name].data), name).toEqual(Array.from(t.data));
      const x = tf.tensor2d(PROBE_ROWS.map((row) => row.slice(0, network.dataInputs)));
      const predictions = network.predict(x);
      const firstBlock = network.encode(network.dataInput(x), 1);
      expectClose(predictions.dataSync(), expected[c.name].predictions.flat(), TOLERANCE);
      expectClose(firstBlock.dataSync(), expected[c.name].firstBlock.flat(), TOLERANCE);
      tf.dispose([x, predictions, firstBlock]);
      network.dispose();
    });
  }

  it('the batch norm file holds trained running statistics and its batch count as I64', () => {
    const file = join(FIXTURES, 'batch-norm.safetensors');
    const { parameters } = decodeCheckpoint(readFileSync(file), file);
    expect(parameters['blocks.0.bn.num_batches_tracked'].dtype).toBe('I64');
    // 3 epochs of 20 batches of 50 (spiral3 trains on 1000 points).
    expect(Array.from(parameters['blocks.0.bn.num_batches_tracked'].data)).toEqual([60]);
    expect(Array.from(parameters['blocks.1.bn.running_var'].data).some((v) => v !== 1)).toBe(true);
  });
});

describe('sweep records of the width-list format', () => {
  const records = new RecordStore(join(FIXTURES, 'records')).records();

  it('keep their ids: the configuration their options resolve to now hashes to the id they were saved under', () => {
    expect(records.map((r) => r.id).sort()).toEqual(['cd22f6855de45f9b', 'facc4565f8ffc42b']);
    for (const r of records) {
      const now = runConfiguration(r.options);
      expect(JSON.parse(JSON.stringify(now)), r.id).toEqual(r.configuration);
      expect(runId(now)).toBe(r.id);
      expect(runId(r.configuration)).toBe(r.id);
    }
  });

  it("every committed study record's model reads back to the JSON its id hashes", () => {
    const results = resolve(__dirname, '../../docs/results');
    const folders = readdirSync(results).filter((d) => d.endsWith('-runs'));
    let checked = 0;
    for (const folder of folders) {
      for (const r of new RecordStore(join(results, folder)).records()) {
        const model = modelSpecJson(modelSpecFrom(r.configuration.model));
        expect(JSON.parse(JSON.stringify(model)), `${folder}/${r.id}`).toEqual(r.configuration.model);
        expect(runId({ ...r.configuration, model }), `${folder}/${r.id}`).toBe(r.id);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('read back as the models they trained, batch norm included', () => {
    const models = records.map((r) => formatModelSpec(parseModelSpec(r.options.model as string))).sort();
    expect(models).toEqual(['2-8-4-1 hidden=relu,batchnorm out=sigmoid loss=bce', '2-8-4-1 hidden=tanh,normalize out=sigmoid loss=bce']);
  });
});
