import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart, type SeededStart } from '../../src/experiment/seeded.js';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { cloneParameters, type ParameterMap } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import { createOptimizer } from '../../src/optim/index.js';
import type { RunEndEvent, RunEvent } from '../../src/train/events.js';
import type { RunCheckpoint } from '../../src/train/resume.js';
import { Run, type RunOptions } from '../../src/train/run.js';
import { Rng } from '../../src/util/rng.js';
import { localpropErrorOf, TEST_BACKEND } from '../support.js';

const spec = parseModelSpec(SEED_MODEL);
let start: SeededStart;

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
  start = seededStart(0, spec, { dataset: 'signed_xor' });
});

function makeRun(options: Partial<RunOptions>): Run {
  return new Run({ schedule: 'backprop', spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed: 0, ...options });
}

/** An event without its wall-clock time, the one field a resumed run may differ in. */
function withoutTime(e: RunEvent): unknown {
  if (e.type === 'start') return e;
  const { seconds: _seconds, ...rest } = e;
  return rest;
}

interface Outcome {
  events: RunEvent[];
  params: ParameterMap;
  end: RunEndEvent;
}

async function straight(options: Partial<RunOptions>): Promise<Outcome> {
  const run = makeRun(options);
  const events: RunEvent[] = [];
  const end = await run.complete((e) => events.push(e));
  const params = run.network.toParameters();
  run.dispose();
  return { events, params, end };
}

/** Stops the run at epoch `stopAt` (breaking out of the iteration), through the checkpoint's bytes. */
async function stopped(options: Partial<RunOptions>, stopAt: number): Promise<{ bytes: Uint8Array; seen: RunEvent[] }> {
  const run = makeRun(options);
  const seen: RunEvent[] = [];
  let bytes: Uint8Array | undefined;
  for await (const e of run) {
    seen.push(e);
    if (e.type === 'epoch' && e.epoch === stopAt) {
      bytes = encodeRunCheckpoint(run.checkpoint());
      break;
    }
  }
  run.dispose();
  return { bytes: bytes!, seen };
}

async function resumed(options: Partial<RunOptions>, bytes: Uint8Array): Promise<Outcome & { replayed: number }> {
  const run = makeRun({ ...options, resumeFrom: decodeRunCheckpoint(bytes, 'the test checkpoint') });
  const events: RunEvent[] = [];
  let replayed = 0;
  const end = await run.complete((e) => {
    events.push(e);
    if (run.replaying) replayed++;
  });
  const params = run.network.toParameters();
  run.dispose();
  return { events, params, end, replayed };
}

const EPOCH_RPROP: Partial<RunOptions> = { step: 'epoch' };
const BATCH_ADAM: Partial<RunOptions> = { step: 'batch', batchSize: 128, optimizer: { name: 'adam', lr: 3e-3 }, lrDecayAt: [2], lrDecay: 0.5, dropout: 0.2 };

describe('resume from a checkpoint gives the run never stopped', () => {
  const cases: [string, string, Partial<RunOptions>, number][] = [
    ['backprop', 'epoch mode, Rprop', { ...EPOCH_RPROP, schedule: 'backprop', epochs: 6 }, 3],
    ['backprop', 'batch mode, Adam, milestones, dropout', { ...BATCH_ADAM, schedule: 'backprop', epochs: 4 }, 2],
    ['local-parallel', 'epoch mode, Rprop', { ...EPOCH_RPROP, schedule: 'local-parallel', epochs: 6 }, 4],
    ['local-parallel', 'batch mode, Adam, milestones, dropout', { ...BATCH_ADAM, schedule: 'local-parallel', epochs: 4 }, 1],
    // 3 epochs a block: epoch 5 is the middle of block 1's phase, 11 the middle of the last block's (cached training loss).
    ['local-sequential', 'epoch mode, Rprop, stopped mid-phase', { ...EPOCH_RPROP, schedule: 'local-sequential', epochs: 3 }, 5],
    ['local-sequential', 'epoch mode, Rprop, stopped in the last phase', { ...EPOCH_RPROP, schedule: 'local-sequential', epochs: 3 }, 11],
    ['local-sequential', 'batch mode, Adam, milestones, dropout, stopped mid-phase', { ...BATCH_ADAM, schedule: 'local-sequential', epochs: 3 }, 8],
    ['local-gated', 'epoch mode, Rprop (trackers on the whole set)', { ...EPOCH_RPROP, schedule: 'local-gated', epochs: 6, gate: { mode: 'soft' } }, 3],
    ['local-gated', 'batch mode, Adam, dropout (trackers on the probe)', { ...BATCH_ADAM, schedule: 'local-gated', epochs: 4, gate: { mode: 'soft' } }, 2],
    ['local-parallel', 'epoch mode, Rprop, dropout', { ...EPOCH_RPROP, schedule: 'local-parallel', epochs: 5, dropout: 0.3 }, 2],
    ['local-drift', 'epoch mode, Rprop, flip shrink, resets, lagged start', { ...EPOCH_RPROP, schedule: 'local-drift', epochs: 6, drift: { shrink: 'on', reset: 'on', lag: 0.5, tau: 0.05 } }, 3],
    ['local-parallel', 'batch mode, SGD with momentum, the output block in a group of its own, cooldown', { step: 'batch', batchSize: 128, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 }, outputOptimizer: { lr: 0.5, weightDecay: 1e-3 }, lrCooldown: 2, schedule: 'local-parallel', epochs: 4 }, 2],
    ['backprop', 'batch mode, Adam, the output block in a group of its own', { ...BATCH_ADAM, outputOptimizer: { lr: 0.03 }, schedule: 'backprop', epochs: 3 }, 1],
    ['local-drift', 'batch mode, Adam, moments, freezing (trackers on the probe)', { ...BATCH_ADAM, schedule: 'local-drift', epochs: 4, drift: { moments: 'both', freeze: 0.5 } }, 2],
  ];

  it.each(cases)('%s, %s: same weights and the same events', async (_schedule, _label, options, stopAt) => {
    const full = await straight(options);
    const { bytes, seen } = await stopped(options, stopAt);
    expect(seen.map(withoutTime)).toEqual(full.events.slice(0, seen.length).map(withoutTime));
    const rest = await resumed(options, bytes);
    // Events 0 to stopAt: the untrained network's, then one after each epoch trained.
    expect(rest.replayed).toBe(stopAt + 1);
    expect(rest.params).toEqual(full.params);
    expect(rest.events.map(withoutTime)).toEqual(full.events.map(withoutTime));
    expect(withoutTime(rest.end)).toEqual(withoutTime(full.end));
  });

  it('resumes again from a checkpoint of a resumed run, and frees every tensor', async () => {
    const options = { ...BATCH_ADAM, schedule: 'local-gated', epochs: 5 };
    const before = tf.memory().numTensors;
    const full = await straight(options);
    const first = await stopped(options, 2);
    // Resume, stop again at epoch 4, resume once more.
    const run = makeRun({ ...options, resumeFrom: decodeRunCheckpoint(first.bytes, 'first') });
    let second: Uint8Array | undefined;
    for await (const e of run) {
      if (e.type === 'epoch' && !run.replaying && e.epoch === 4) {
        second = encodeRunCheckpoint(run.checkpoint());
        break;
      }
    }
    run.dispose();
    const last = await resumed(options, second!);
    expect(last.params).toEqual(full.params);
    expect(last.events.map(withoutTime)).toEqual(full.events.map(withoutTime));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a checkpoint at the last epoch resumes straight to the end event', async () => {
    const options = { ...EPOCH_RPROP, schedule: 'local-parallel', epochs: 3 };
    const full = await straight(options);
    const { bytes } = await stopped(options, 3);
    const rest = await resumed(options, bytes);
    expect(rest.params).toEqual(full.params);
    expect(withoutTime(rest.end)).toEqual(withoutTime(full.end));
  });
});

describe('what a checkpoint holds', () => {
  it('round-trips through its file exactly', async () => {
    const options = { ...EPOCH_RPROP, schedule: 'local-gated', epochs: 4 };
    const run = makeRun(options);
    let checkpoint: RunCheckpoint | undefined;
    for await (const e of run) {
      if (e.type === 'epoch' && e.epoch === 2) {
        checkpoint = run.checkpoint();
        break;
      }
    }
    run.dispose();
    const back = decodeRunCheckpoint(encodeRunCheckpoint(checkpoint!), 'the round trip');
    expect(back).toEqual(checkpoint);
    expect(back.epoch).toBe(2);
    expect(back.history.map((e) => e.epoch)).toEqual([0, 1, 2]);
    // Rprop keeps prev and stepSize for each of the 11 variables (blocks and decoders are all learned).
    expect(back.optimizer.map((s) => s && Object.keys(s.tensors).sort())).toEqual(Array.from({ length: 11 }, () => ['prev', 'stepSize']));
    expect(back.optimizer.every((s) => s!.step === 2)).toBe(true);
    // Local-gated's trackers (blocks 1-3): the last input on the whole set, drift, magnitude and gates.
    expect(Object.keys(back.scheduleState).sort()).toEqual([1, 2, 3].flatMap((i) => ['drift', 'gate', 'magnitude', 'previous'].map((k) => `trackers.${i}.${k}`)));
    expect(back.scheduleState['trackers.1.previous'].shape).toEqual([1000, 100]);
  });

  it('generator and optimizer states continue their streams exactly', () => {
    const a = new Rng(5, 'x');
    a.normal();
    const saved = a.getState();
    const next = [a.normal(), a.uniform(), ...a.dropoutMask(10, 0.5)];
    const b = new Rng(99);
    b.setState(JSON.parse(JSON.stringify(saved)));
    expect([b.normal(), b.uniform(), ...b.dropoutMask(10, 0.5)]).toEqual(next);
    expect(localpropErrorOf(() => b.setState({ s: [0, 0, 0, 0], spare: null }))).toContain('not a generator state');

    const v = tf.variable(tf.tensor1d([1, -2, 3]));
    const w = tf.variable(tf.tensor1d([1, -2, 3]));
    const adam = createOptimizer({ name: 'adam', lr: 0.1 });
    const twin = createOptimizer({ name: 'adam', lr: 0.1 });
    const grad = () => tf.tensor1d([0.5, -0.25, 1]);
    tf.tidy(() => adam.step([v], [grad()]));
    tf.tidy(() => adam.step([v], [grad()]));
    const state = adam.saveState([v]);
    expect(state[0]!.step).toBe(2);
    w.assign(v);
    twin.loadState([w], state);
    tf.tidy(() => adam.step([v], [grad()]));
    tf.tidy(() => twin.step([w], [grad()]));
    expect(w.dataSync()).toEqual(v.dataSync());
    expect(localpropErrorOf(() => twin.loadState([w], [{ step: 1, tensors: { m: { shape: [2], data: new Float32Array(2) } } }]))).toContain('shape [2]');
    adam.dispose();
    twin.dispose();
    v.dispose();
    w.dispose();
  });
});

describe('refusals', () => {
  async function checkpointOf(options: Partial<RunOptions>): Promise<RunCheckpoint> {
    return decodeRunCheckpoint((await stopped(options, 1)).bytes, 'cp');
  }

  it('says which options differ', async () => {
    const cp = await checkpointOf({ schedule: 'local-parallel', epochs: 3 });
    const message = localpropErrorOf(() => makeRun({ schedule: 'local-parallel', epochs: 3, batchSize: 50, resumeFrom: cp }));
    expect(message).toContain('other options');
    expect(message).toContain('batchSize: 100 ≠ 50');
    expect(localpropErrorOf(() => makeRun({ schedule: 'backprop', epochs: 3, resumeFrom: cp }))).toContain('the checkpoint is of local-parallel (seed 0, learned decoders), not of backprop');
    expect(localpropErrorOf(() => makeRun({ schedule: 'local-parallel', epochs: 3, seed: 1, resumeFrom: cp }))).toContain('not of local-parallel (seed 1');
  });

  it('rejects a file that is not a run checkpoint', () => {
    const model = encodeSafetensors({ 'blocks.0.weight': { shape: [1], data: new Float32Array(1) } }, { format: 'localprop' });
    expect(localpropErrorOf(() => decodeRunCheckpoint(model, 'model.safetensors'))).toContain('model.safetensors is not a localprop run checkpoint');
  });

  it('cannot checkpoint a run that is not being iterated', () => {
    const run = makeRun({ epochs: 1 });
    expect(localpropErrorOf(() => run.checkpoint())).toContain('only at its start or epoch events');
    run.dispose();
  });
});
