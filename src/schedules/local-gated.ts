import { driftTrackerBytes, modulatedParallelEpochs } from './modulated-parallel.js';
import { resolveGateOptions } from '../modulators/gates.js';
import { GATE_OPTIONS } from '../modulators/gate-options.js';
import { DriftGate } from '../modulators/drift-gate.js';
import type { Schedule } from './schedule.js';

/**
 * Local, stability-gated: local-parallel's steps with the drift gates
 * ({@link DriftGate}) around every block's step, so how much block i learns
 * from each input axis is scaled by a gate that closes while that axis is
 * still moving. With `--gate off` it takes exactly local-parallel's steps.
 * On a pipeline (batch mode) the gates stay on the run's thread, which
 * holds the whole network: they measure their probe rows as each epoch
 * begins, and the groups apply the gates fixed for that epoch.
 */
export const localGated: Schedule = {
  name: 'local-gated',
  description: 'local-parallel with per-axis gates that slow learning from inputs still moving (200 epochs)',
  note: 'local-parallel, each input axis gated by how much it still moves',
  explanation:
    'Local-parallel, but each block holds back on the input axes that still drift, waiting for the block below to settle. Its extra charts show each block’s input drift and the mean gate it sets (1 open, 0 closed).',
  defaultEpochs: 200,
  totalEpochs: (epochs) => epochs,
  trainsRule: true,
  pipelinable: true,
  optionGroups: ['gate'],
  optionTable: GATE_OPTIONS,
  resolveOptions: (options) => ({ gate: resolveGateOptions(options.gate) }),
  // Per tracked block: the last input on the tracked rows plus drift, magnitude and gate per axis; batch mode also keeps the probe rows.
  stateBytes: (spec, step, trainRows, bytes) => driftTrackerBytes(spec, step, trainRows, bytes, 3),
  plan: (session, epochs) => modulatedParallelEpochs(session, epochs, () => new DriftGate(session, resolveGateOptions(session.options.gate))),
};
