import { driftTrackerBytes, modulatedParallelEpochs } from './modulated-parallel.js';
import type { Schedule } from './schedule.js';
import { DriftAware } from '../modulators/drift-aware.js';
import { resolveDriftOptions } from '../modulators/drift-options.js';
import { DRIFT_OPTIONS } from '../modulators/drift-option-table.js';

/**
 * Local-parallel with the drift-aware candidates of docs/parallel.md
 * (`--drift-*`): each block's optimizer step is adjusted by how much its
 * input still moves (Rprop's flip shrink and step sizes, Adam's moments),
 * or a block waits for its input to settle before it starts, or lower
 * blocks freeze progressively. With every candidate off it takes exactly
 * local-parallel's steps. On a pipeline (batch mode) the modulator stays
 * on the run's thread, as local-gated's gates do.
 */
export const localDrift: Schedule = {
  name: 'local-drift',
  description: 'local-parallel whose steps adapt to how much each block\'s input still moves (--drift-*; 200 epochs)',
  note: 'local-parallel, each step adapted to its input\'s drift',
  explanation:
    'Local-parallel, but each block adapts how it learns to how much its input still moves: an optimizer that trusts a moving input less, a late start, or lower blocks frozen one after another. Its extra charts show each block’s input drift and its mean axis weight (0 while a block waits or is frozen).',
  defaultEpochs: 200,
  totalEpochs: (epochs) => epochs,
  trainsRule: true,
  pipelinable: true,
  optionGroups: ['drift'],
  optionTable: DRIFT_OPTIONS,
  resolveOptions: (options) => ({ drift: resolveDriftOptions(options.drift) }),
  // At most (when a candidate measures drift): local-gated's trackers plus a few masks of each input's width.
  stateBytes: (spec, step, trainRows, bytes) => driftTrackerBytes(spec, step, trainRows, bytes, 6),
  plan: (session, epochs) => modulatedParallelEpochs(session, epochs, () => new DriftAware(session, resolveDriftOptions(session.options.drift), epochs)),
};
