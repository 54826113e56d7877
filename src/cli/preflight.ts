import { totalmem } from 'node:os';
import { buildDataset } from '../data/registry.js';
import type { Dataset } from '../data/dataset.js';
import { tf } from '../engine/backend.js';
import type { ExperimentConfig } from '../experiment/experiment.js';
import { experimentMemory, formatMiB, parameterBytes } from '../metrics/memory.js';
import { formatModelSpec } from '../model/spec.js';
import { Rng } from '../util/rng.js';
import { check } from '../util/errors.js';

/** A step's peak over the activations it holds (src/metrics/memory.ts: 2.3 local, 2.6 back-propagation, measured on cpu). */
const PEAK_PER_ACTIVATION = 2.6;

/** wasm32's address space: TF.js's wasm backend can never hold more, whatever the machine has. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * The bytes a run of `config` needs at its peak, estimated from the spec and
 * the set sizes before anything is allocated. On top of what
 * src/metrics/memory.ts counts for the largest schedule (parameters,
 * optimizer state, activations, schedule state) and the data: the
 * parameters' gradients (one more copy of the parameters) and the backward
 * pass's transients (the step's peak counted as 2.6 times the activations,
 * the most the memory test measured); on wasm the copy of the
 * differentiated weights it makes. An estimate meant to refuse what cannot
 * fit, not a measurement: it errs low rather than refuse a run that fits.
 */
export function peakBytes(config: ExperimentConfig, trainRows: number, heldOutRows: number, wasm: boolean): number {
  const memory = experimentMemory(config, trainRows, heldOutRows);
  const params = parameterBytes(config.spec);
  const perSchedule = memory.schedules.map((m) => m.parameterBytes + m.optimizerStateBytes + PEAK_PER_ACTIVATION * m.activationBytes + m.scheduleStateBytes);
  return Math.max(...perSchedule) + params * (wasm ? 2 : 1) + memory.dataBytes;
}

/** The memory limit that applies on this backend: wasm's heap, else the machine's memory. */
export function memoryLimit(backend: string): { bytes: number; what: string } {
  if (backend === 'wasm') return { bytes: WASM_HEAP_BYTES, what: "the wasm backend's 4 GiB heap" };
  return { bytes: totalmem(), what: `this machine's ${formatMiB(totalmem())} of memory` };
}

/**
 * Everything about the inputs that can only be known by reading the data,
 * checked before any output is written: the first seed's data builds (files
 * found and well-formed, --train-share, --limit), --val leaves training
 * examples, and the model fits in memory. The runs build their data again,
 * per seed (file-backed sets come from the per-process cache).
 */
export function preflight(config: ExperimentConfig): void {
  const d = config.data;
  const sets: { train: Dataset; test: Dataset } = 'dataset' in d ? buildDataset(d.dataset, new Rng(config.seeds[0]).fork('data'), d.options) : d;
  const holdOut = config.holdOut;
  if (holdOut !== undefined) {
    check(
      holdOut < sets.train.count,
      `--val ${holdOut}: a validation split needs between 1 and ${sets.train.count - 1} examples, got ${holdOut} (the training set has ${sets.train.count}); lower --val so some are left to train on`,
    );
  }
  const backend = tf.getBackend();
  const trainRows = sets.train.count - (holdOut ?? 0);
  const needed = peakBytes(config, trainRows, holdOut ?? sets.test.count, backend === 'wasm');
  const limit = memoryLimit(backend);
  const schedules = experimentMemory(config, trainRows, holdOut ?? sets.test.count).schedules;
  // Name only the fixes that help: fewer rows a step when the activations are most of it, another backend when the machine has room.
  const rowsMatter = schedules.some((m) => PEAK_PER_ACTIVATION * m.activationBytes > needed / 2);
  const wholeSetSteps = schedules.some((m) => m.rowsPerStep === trainRows && trainRows > 1);
  const fixes = ['use narrower layers'];
  if (backend === 'wasm' && needed <= totalmem()) fixes.push('--backend cpu');
  if (rowsMatter) fixes.push(wholeSetSteps ? '--step batch (a step of --step epoch holds the whole training set)' : 'a smaller --batch-size');
  check(
    needed <= limit.bytes,
    () => `model ${formatModelSpec(config.spec)} needs about ${formatMiB(needed)} to train (parameters ${formatMiB(parameterBytes(config.spec))}), more than ${limit.what}; ${fixes.join(', or ')}`,
  );
}
