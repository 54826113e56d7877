import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { seededStart } from '../../src/experiment/seeded.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { Run } from '../../src/train/run.js';

describe('run timing', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('counts the run\'s own work in "seconds", not the time a listener spends between events', async () => {
    const spec = parseModelSpec('2-8-1');
    const run = new Run({ schedule: 'backprop', spec, ...seededStart(0, spec, { dataset: 'signed_xor' }), epochs: 5 });
    const wall = performance.now();
    for await (const event of run) {
      // A slow listener (a renderer, say): 100 ms per event, 700 ms in all.
      void event;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const wallSeconds = (performance.now() - wall) / 1000;
    run.dispose();
    expect(wallSeconds).toBeGreaterThan(0.7);
    // The listener's 700 ms are not the run's, however slow the machine is.
    expect(wallSeconds - run.result!.seconds).toBeGreaterThan(0.69);
    expect(run.result!.seconds).toBeGreaterThan(0);
  });
});
