import type { GridArea } from '../src/report/grid.js';
import type { ColumnRecord, Frame } from '../src/playground/lockstep.js';
import type { PlaygroundState } from '../src/playground/state.js';

/**
 * What the page asks of a training worker. The page drives: it asks every
 * worker to advance, waits for all their frames, draws them, and only then
 * asks again, so the columns stay in lock-step and frames never queue up.
 */
export type ToWorker =
  /** Build the experiment (again) from this state, training only these schedules, and send the first frame. */
  | { type: 'start'; generation: number; state: PlaygroundState; schedules: string[] }
  /** Train every column `epochs` more epochs and send a frame of what changed. */
  | { type: 'advance'; generation: number; epochs: number }
  /** Send every column's record for a download. */
  | { type: 'records'; generation: number };

/** The points of one split, for drawing. */
export interface PlotPoints {
  x: Float32Array;
  labels: Int32Array;
}

/** What the page needs to lay out the columns, sent once per experiment. */
export interface ExperimentInfo {
  area: GridArea;
  classes: number;
  hiddenBlocks: number;
  /** Every column's schedule and learning rule, in the state's order. */
  columns: { schedule: string; rule: string }[];
  train: PlotPoints;
  test: PlotPoints;
  /** The user's points were too few to split: the test set is the training set. */
  sharedTest: boolean;
}

/** Where a worker's time for one frame went. */
export interface StepTiming {
  trainMs: number;
  picturesMs: number;
}

/** What the worker tells the page. */
export type FromWorker =
  | { type: 'backend'; backend: string; note: string }
  | { type: 'ready'; generation: number; info: ExperimentInfo }
  /** `done`: every column of this worker has finished; `timing`: milliseconds spent training and drawing the grids for this frame. */
  | { type: 'frame'; generation: number; frame: Frame; done: boolean; timing: StepTiming }
  | { type: 'records'; generation: number; records: ColumnRecord[] }
  | { type: 'error'; generation: number; message: string };
