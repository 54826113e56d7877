import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart, type SeededStart } from '../../src/experiment/seeded.js';
import { decodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { Network } from '../../src/model/network.js';
import { cloneParameters } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { eventsFromVersion1 } from '../../src/train/epoch-convention.js';
import { evaluateNetwork, ScoredSet } from '../../src/train/evaluation.js';
import type { EpochEvent, RunEndEvent, RunEvent } from '../../src/train/events.js';
import { Run, type RunOptions } from '../../src/train/run.js';

const spec = parseModelSpec(SEED_MODEL);
let start: SeededStart;

function makeRun(options: Partial<RunOptions>): Run {
  return new Run({ schedule: 'local-parallel', spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed: 0, ...options });
}

function withoutTime(e: RunEvent): unknown {
  if (e.type === 'start') return e;
  const { seconds: _seconds, ...rest } = e;
  return rest;
}

describe('epoch events describe the network after their epoch', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    start = seededStart(0, spec, { dataset: 'signed_xor' });
  });

  // 1000 training points in batches of 100 or 250: every example weighs the same in the training loss, whatever the shuffle.
  const steps: [string, Partial<RunOptions>][] = [
    ['epoch', { step: 'epoch' }],
    ['batch', { step: 'batch', batchSize: 250, optimizer: { name: 'adam', lr: 0.01 } }],
  ];
  const schedules: [string, Partial<RunOptions>][] = [
    ['backprop', { epochs: 3 }],
    ['local-sequential', { epochs: 2 }],
    ['local-parallel', { epochs: 3 }],
    ['local-gated', { epochs: 3, gate: { mode: 'soft' } }],
    ['local-drift', { epochs: 3 }],
  ];
  const cases = schedules.flatMap(([schedule, more]) => steps.map(([step, options]) => [schedule, step, { schedule, ...options, ...more }] as const));

  it.each(cases)('%s, --step %s: event k scores the network restored from the checkpoint at event k; the last is the final model', async (_schedule, _step, options) => {
    const run = makeRun(options);
    const test = new ScoredSet(start.test, options.batchSize ?? 100, 'mse');
    const x = tf.tensor2d(start.train.x, [start.train.count, 2]);
    const y = tf.tensor2d(start.train.y, [start.train.count, 1]);
    const batches = options.step === 'batch' ? 4 : 10;
    const w = tf.fill([start.train.count], 1 / (start.train.count / batches)) as tf.Tensor1D;
    const events: EpochEvent[] = [];
    let end: RunEndEvent | undefined;
    for await (const e of run) {
      if (e.type === 'end') end = e;
      if (e.type !== 'epoch') continue;
      events.push(e);
      const restored = Network.fromParameters(spec, run.checkpoint().parameters, 'the checkpoint');
      const scores = test.evaluate(restored);
      expect([e.testLoss, e.testAccuracy, e.blockAccuracy], `epoch ${e.epoch}`).toEqual([scores.loss, scores.accuracy, scores.blockAccuracy]);
      expect(e.trainLoss, `epoch ${e.epoch}`).toBeCloseTo(evaluateNetwork(restored, x, y, w, batches, null).loss, 6);
      restored.dispose();
    }
    const total = run.schedule.totalEpochs(options.epochs!, run.network.blocks.length);
    expect(events.map((e) => e.epoch)).toEqual(Array.from({ length: total + 1 }, (_, k) => k));
    // Event 0 is the untrained network: no block has stepped yet.
    expect(events[0].blockLosses.every((l) => l === null)).toBe(true);
    expect(events[1].blockLosses.some((l) => l !== null)).toBe(true);
    const last = events.at(-1)!;
    expect([last.trainLoss, last.testLoss, last.testAccuracy]).toEqual([end!.trainLoss, end!.testLoss, end!.testAccuracy]);
    tf.dispose([x, y, w]);
    test.dispose();
    run.dispose();
  });

  it('scores every --eval-every epochs from 0, and always the last, carrying the latest between', async () => {
    const events: EpochEvent[] = [];
    const run = makeRun({ step: 'epoch', epochs: 5, evalEvery: 2 });
    await run.complete((e) => e.type === 'epoch' && events.push(e));
    run.dispose();
    expect(events.map((e) => e.evaluatedAt)).toEqual([0, 0, 2, 2, 4, 5]);
    expect(events[1].testLoss).toBe(events[0].testLoss);
    expect(events[5].testLoss).not.toBe(events[4].testLoss);
  });
});

describe('files of version 1 (events before their epochs)', () => {
  const identity = { type: 'epoch' as const, schedule: 'backprop', seed: 0, decoders: 'learned' as const, epochs: 2 };
  const v1: EpochEvent[] = [
    { ...identity, epoch: 1, block: null, trainLoss: 0.9, testLoss: 0.8, testAccuracy: 0.5, blockLosses: [0.7, 0.6], blockAccuracy: [0.55, 0.5], seconds: 1 },
    { ...identity, epoch: 2, block: null, trainLoss: 0.4, testLoss: 0.45, testAccuracy: 0.8, blockLosses: [0.3, 0.35], blockAccuracy: [0.7, 0.8], seconds: 2 },
  ];

  it('shift their scores back one event, keep each epoch its own block losses, and end on the final scores', () => {
    const { events, unscored } = eventsFromVersion1(v1, { trainLoss: 0.2, testLoss: 0.3, testAccuracy: 0.9 });
    expect(unscored).toBeUndefined();
    expect(events).toEqual([
      { ...identity, epoch: 0, block: null, trainLoss: 0.9, testLoss: 0.8, testAccuracy: 0.5, blockLosses: [null, null], blockAccuracy: [0.55, 0.5], seconds: 0 },
      { ...identity, epoch: 1, block: null, trainLoss: 0.4, testLoss: 0.45, testAccuracy: 0.8, blockLosses: [0.7, 0.6], blockAccuracy: [0.7, 0.8], seconds: 1 },
      // The final model's probes were never measured in version 1.
      { ...identity, epoch: 2, block: null, trainLoss: 0.2, testLoss: 0.3, testAccuracy: 0.9, blockLosses: [0.3, 0.35], seconds: 2 },
    ]);
  });

  it('without the final scores (a checkpoint) leave the last epoch unscored, and move evaluatedAt to the network it scored', () => {
    const { events, unscored } = eventsFromVersion1([{ ...v1[0], evaluatedAt: 1 }, { ...v1[1], evaluatedAt: 1 }]);
    expect(events.map((e) => [e.epoch, e.evaluatedAt, e.testLoss])).toEqual([[0, 0, 0.8], [1, 0, 0.45]]);
    expect(unscored).toEqual({ block: null, blockLosses: [0.3, 0.35] });
  });

  describe('their checkpoints resume to the numbers of a run never stopped', () => {
    const fixture = (name: string) => new URL(`../fixtures/epoch-v1/${name}`, import.meta.url);
    it.each(['epoch-mode-at-3', 'epoch-mode-at-last', 'batch-mode-mid-epoch-2', 'batch-mode-mid-epoch-1'])('%s', async (name) => {
      const { options, events: old } = JSON.parse(readFileSync(fixture(`${name}.events.json`), 'utf8')) as { options: Partial<RunOptions>; events: RunEvent[] };
      const checkpoint = decodeRunCheckpoint(readFileSync(fixture(`${name}.checkpoint.safetensors`)), name);
      const straight = makeRun(options);
      const full: RunEvent[] = [];
      await straight.complete((e) => full.push(e));
      const params = straight.network.toParameters();
      straight.dispose();
      const resumed = makeRun({ ...options, resumeFrom: checkpoint });
      const events: RunEvent[] = [];
      await resumed.complete((e) => events.push(e));
      expect(resumed.network.toParameters()).toEqual(params);
      resumed.dispose();
      // The old run's final model is the new run's: same weights, same scores.
      const oldEnd = old.at(-1) as RunEndEvent;
      expect(withoutTime(events.at(-1)!)).toEqual(withoutTime(oldEnd));
      expect(events.map(withoutTime)).toEqual(full.map(withoutTime));
    });
  });
});
