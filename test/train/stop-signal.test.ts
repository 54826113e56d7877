import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { seededStart, type SeededStart } from '../../src/experiment/seeded.js';
import { decodeRunCheckpoint, encodeRunCheckpoint } from '../../src/io/run-checkpoint.js';
import { cloneParameters, type ParameterMap } from '../../src/model/parameters.js';
import { parseModelSpec, SEED_MODEL } from '../../src/model/spec.js';
import type { RunEvent } from '../../src/train/events.js';
import { Run, RunStoppedError, type RunOptions } from '../../src/train/run.js';

const spec = parseModelSpec(SEED_MODEL);
let start: SeededStart;

beforeAll(async () => {
  await useBackend('wasm');
  start = seededStart(0, spec, { dataset: 'signed_xor' });
});

const makeRun = (options: Partial<RunOptions>) => new Run({ schedule: 'backprop', spec, parameters: cloneParameters(start.parameters), train: start.train, test: start.test, seed: 0, ...options });

/** A signal that turns on once it has been read `reads` times: a stop at a known step boundary. */
function stopAfter(reads: number): { readonly aborted: boolean } {
  let n = 0;
  return {
    get aborted() {
      return ++n > reads;
    },
  };
}

function withoutTime(e: RunEvent): unknown {
  if (e.type === 'start') return e;
  const { seconds: _seconds, ...rest } = e;
  return rest;
}

async function straight(options: Partial<RunOptions>): Promise<{ events: RunEvent[]; params: ParameterMap }> {
  const run = makeRun(options);
  const events: RunEvent[] = [];
  await run.complete((e) => events.push(e));
  const params = run.network.toParameters();
  run.dispose();
  return { events, params };
}

// 1000 training points in batches of 128: 8 steps an epoch.
const BATCH_ADAM: Partial<RunOptions> = { step: 'batch', batchSize: 128, optimizer: { name: 'adam', lr: 3e-3 }, lrDecayAt: [2], lrDecay: 0.5, dropout: 0.2 };

describe('a run stopped by its signal between two steps', () => {
  const cases: [string, Partial<RunOptions>, number][] = [
    ['backprop', { ...BATCH_ADAM, schedule: 'backprop', epochs: 3 }, 11],
    ['local-parallel', { ...BATCH_ADAM, schedule: 'local-parallel', epochs: 3 }, 3],
    ['local-sequential, inside block 1\'s phase', { ...BATCH_ADAM, schedule: 'local-sequential', epochs: 2 }, 20],
    ['local-gated', { ...BATCH_ADAM, schedule: 'local-gated', epochs: 3, gate: { mode: 'soft' } }, 12],
  ];

  it.each(cases)('%s: stops mid-epoch, and its checkpoint resumes to the uninterrupted run bit for bit', async (_name, options, reads) => {
    const full = await straight(options);
    const before = tf.memory().numTensors;
    const run = makeRun({ ...options, signal: stopAfter(reads) });
    const seen: RunEvent[] = [];
    await expect(run.complete((e) => seen.push(e))).rejects.toThrow(RunStoppedError);
    const checkpoint = run.checkpoint();
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Stopped inside an epoch, after some of its steps.
    expect(checkpoint.partial?.chunks).toBeGreaterThan(0);
    expect(checkpoint.partial?.chunks).toBeLessThan(8);
    // Events 0 (the untrained network) to the last finished epoch.
    expect(seen.filter((e) => e.type === 'epoch').length).toBe(checkpoint.epoch + 1);
    const bytes = encodeRunCheckpoint(checkpoint);
    const rest = makeRun({ ...options, resumeFrom: decodeRunCheckpoint(bytes, 'the stopped run') });
    const events: RunEvent[] = [];
    await rest.complete((e) => events.push(e));
    expect(rest.network.toParameters()).toEqual(full.params);
    expect(events.map(withoutTime)).toEqual(full.events.map(withoutTime));
    rest.dispose();
  });

  it('stops at an epoch boundary in epoch mode (one step an epoch), and resumes from there', async () => {
    const options = { schedule: 'local-parallel', epochs: 5 };
    const full = await straight(options);
    const run = makeRun({ ...options, signal: stopAfter(2) });
    await expect(run.complete()).rejects.toThrow(/stopped before epoch 3 of 5/);
    const checkpoint = run.checkpoint();
    run.dispose();
    expect(checkpoint.partial).toBeUndefined();
    expect(checkpoint.epoch).toBe(2);
    const rest = makeRun({ ...options, resumeFrom: decodeRunCheckpoint(encodeRunCheckpoint(checkpoint), 'the stopped run') });
    const events: RunEvent[] = [];
    await rest.complete((e) => events.push(e));
    expect(rest.network.toParameters()).toEqual(full.params);
    expect(events.map(withoutTime)).toEqual(full.events.map(withoutTime));
    rest.dispose();
  });
});
