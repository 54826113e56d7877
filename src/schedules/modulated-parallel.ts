import { trainParallelEpoch } from './local-parallel.js';
import { PROBE_ROWS } from '../modulators/drift-gate.js';
import type { EpochPlan } from './schedule.js';
import type { Session, StepMode } from '../train/session.js';
import type { ModelSpec } from '../model/spec.js';
import type { StepModulator } from '../modulators/modulator.js';
import type { BlockEpochAdjustments } from '../modulators/epoch-adjustments.js';
import { blockCount, blockInputSize, inputSize } from '../model/shapes.js';

/**
 * Local-parallel's epochs with the modulator `create` makes (when the
 * epochs start) around every block's step: on one thread it measures as
 * the epoch begins and adjusts each step; on a pipeline it measures on the
 * run's thread and hands the groups the adjustments fixed for the epoch.
 * It is the session's until the epochs end.
 */
export function* modulatedParallelEpochs(session: Session, epochs: number, create: () => StepModulator & { epochAdjustments(): BlockEpochAdjustments[] }): Generator<EpochPlan> {
  const modulator = create();
  session.modulator = modulator;
  try {
    for (let e = 0; e < epochs; e++) {
      yield {
        block: null,
        train: () => {
          modulator.beginEpoch?.(e);
          return trainParallelEpoch(session);
        },
        pipelineEpoch: () => {
          modulator.beginEpoch?.(e);
          return modulator.epochAdjustments();
        },
        gateMetrics: () => modulator.metrics(),
        saveState: () => modulator.saveState(),
        loadState: (state) => modulator.loadState(state),
      };
    }
  } finally {
    session.modulator = null;
    modulator.dispose();
  }
}

/**
 * What a drift-tracking modulator keeps: per tracked block, the last input
 * on the tracked rows plus `numbersPerAxis` per input axis; batch mode also
 * keeps the probe rows.
 */
export function driftTrackerBytes(spec: ModelSpec, step: StepMode, trainRows: number, bytes: number, numbersPerAxis: number): number {
  const tracked = step === 'batch' ? Math.min(PROBE_ROWS, trainRows) : trainRows;
  let numbers = step === 'batch' ? tracked * inputSize(spec) : 0;
  // Every block but the first is tracked, on what it is fed.
  for (let i = 1; i < blockCount(spec); i++) numbers += (tracked + numbersPerAxis) * blockInputSize(spec, i);
  return numbers * bytes;
}
