import type { GridArea } from '../src/report/grid.js';
import type { Frame } from '../src/playground/lockstep.js';
import type { PlaygroundState } from '../src/playground/state.js';

/** What the page asks of the training worker. */
export type ToWorker =
  /** Build the experiment (again) from this state and send its first frame. */
  | { type: 'start'; state: PlaygroundState }
  | { type: 'play' }
  | { type: 'pause' }
  /** Train one frame's epochs and stop. */
  | { type: 'step' }
  | { type: 'speed'; speed: number }
  /** The page has drawn the last frame: the worker may take the next (so frames never queue up). */
  | { type: 'drawn' }
  | { type: 'download' };

/** The points of one split, for drawing. */
export interface PlotPoints {
  x: Float32Array;
  labels: Int32Array;
}

/** What the page needs to lay out the columns, sent once per experiment. */
export interface ExperimentInfo {
  area: GridArea;
  classes: number;
  /** Outputs of the network: 1 for two classes. */
  outputs: number;
  hiddenBlocks: number;
  columns: { schedule: string; epochs: number }[];
  train: PlotPoints;
  test: PlotPoints;
  /** The user's points were too few to split: the test set is the training set. */
  sharedTest: boolean;
  model: string;
}

/** What the worker tells the page. */
export type FromWorker =
  | { type: 'backend'; backend: string; note: string }
  | { type: 'ready'; generation: number; info: ExperimentInfo }
  | { type: 'frame'; generation: number; frame: Frame; playing: boolean; done: boolean }
  | { type: 'archive'; bytes: Uint8Array }
  | { type: 'error'; message: string };
