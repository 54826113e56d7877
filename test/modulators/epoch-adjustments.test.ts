import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/engine/backend.js';
import { FixedEpochAdjustments, recordEpochAdjustments } from '../../src/modulators/epoch-adjustments.js';
import type { StepAdjuster, StepAdjustment } from '../../src/modulators/modulator.js';
import { LocalpropError } from '../../src/util/errors.js';
import { TEST_BACKEND } from '../support.js';

beforeAll(async () => {
  await useBackend(TEST_BACKEND);
});

/**
 * Block 0: plain steps. Block 1: a reset on its first step of the epoch
 * (consumed then, as local-drift's is), a scale on every step. Block 2:
 * skipped.
 */
function onceAnEpoch(): StepAdjuster & { pendingReset: boolean } {
  return {
    pendingReset: true,
    adjust(block) {
      if (block === 0) return undefined;
      if (block === 2) return [{ skip: true }, { skip: true }];
      const a: StepAdjustment = { scale: tf.tensor2d([0.5, 0], [2, 1]) };
      if (this.pendingReset) a.resetStepSize = tf.tensor2d([1, 0], [2, 1]);
      this.pendingReset = false;
      return [a, undefined];
    },
  };
}

describe('step adjustments fixed for an epoch (a pipeline group\'s)', () => {
  it('records each block\'s first and later steps as plain numbers, consuming what the first step consumes, and frees every tensor', () => {
    const before = tf.memory().numTensors;
    const m = onceAnEpoch();
    const recorded = recordEpochAdjustments(m, 3);
    expect(m.pendingReset).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    expect(recorded[0]).toEqual({ first: undefined, later: undefined });
    expect(recorded[1].first).toEqual([{ scale: { shape: [2, 1], data: new Float32Array([0.5, 0]) }, resetStepSize: { shape: [2, 1], data: new Float32Array([1, 0]) } }, undefined]);
    expect(recorded[1].later).toEqual([{ scale: { shape: [2, 1], data: new Float32Array([0.5, 0]) } }, undefined]);
    expect(recorded[2].later).toEqual([{ skip: true }, { skip: true }]);
  });

  it('gives a block its first step\'s adjustments once, then the later ones at every step', () => {
    const fixed = new FixedEpochAdjustments(recordEpochAdjustments(onceAnEpoch(), 3));
    const steps = [0, 1, 2].map(() => fixed.adjust(1)!);
    expect(steps.map((s) => Object.keys(s[0]!).sort())).toEqual([['resetStepSize', 'scale'], ['scale'], ['scale']]);
    expect(Array.from(steps[2][0]!.scale!.dataSync())).toEqual([0.5, 0]);
    expect(fixed.adjust(0)).toBeUndefined();
    expect(fixed.adjust(2)).toEqual([{ skip: true }, { skip: true }]);
    steps.flat().forEach((a) => Object.values(a ?? {}).forEach((t) => t instanceof tf.Tensor && t.dispose()));
    expect(() => fixed.adjust(3)).toThrow(LocalpropError);
    expect(() => fixed.adjust(3)).toThrow("the epoch's step adjustments cover 3 blocks, not block 3");
  });

  it('refuses a modulator that reads the step\'s input: its adjustments are not fixed for the epoch', () => {
    const perStep: StepAdjuster = { adjust: (_block, input) => [{ scale: tf.mean(input()) }] };
    expect(() => recordEpochAdjustments(perStep, 1)).toThrow("a modulator whose adjustments are fixed for an epoch read a step's input");
  });
});
