import { classLabels } from '../data/dataset.js';
import type { DecoderMode, EpochEvent, RunEndEvent, RunEvent } from '../train/events.js';
import type { ResolvedRunOptions, Run } from '../train/run.js';
import type { LabelledPoints } from './boundary.js';
import { allBlockGrids, areaOf, networkGrid, type BoundaryGrid, type GridArea } from './grid.js';

/** The model's boundaries at one moment of a run. */
export interface Frame {
  /** Epochs finished when it was taken (0: the initial model). */
  epoch: number;
  /** The block the last finished epoch trained, or null when all blocks learn (or none has yet). */
  trainedBlock: number | null;
  /** One grid per block: each hidden block through its decoder, the last block the network. */
  blocks: BoundaryGrid[];
}

/** Everything a report shows of one run. */
export interface RunRecord {
  schedule: string;
  decoders: DecoderMode;
  seed: number;
  options: ResolvedRunOptions;
  epochs: EpochEvent[];
  end?: RunEndEvent;
  /** Boundaries over time, for the runs whose pictures are drawn (2-D data only). */
  frames: Frame[];
  /** The final network at the fine resolution. */
  finalGrid?: BoundaryGrid;
}

/** Which pictures to take and how finely. */
export interface RecorderOptions {
  /** Points a side of the network's final boundary (Mertens' pictures: 500). */
  gridSize: number;
  /** Points a side of each block's boundary in frames (Mertens' pictures: 60). */
  blockGridSize: number;
  /** A frame every this many epochs; default: about 20 frames a run. */
  snapshotEvery?: number;
  /** Boundaries are drawn for this seed's runs only (default: the first seed seen), to bound the report's size. */
  seed?: number;
}

export const DEFAULT_RECORDER_OPTIONS: RecorderOptions = { gridSize: 500, blockGridSize: 60 };

/**
 * Listens to the events of an experiment's runs and keeps what a report
 * needs: every run's history and, for 2-D data, frames of every block's
 * boundary taken from the live network. It runs between a run's events,
 * where {@link Run} guarantees the network is the one just trained; its
 * time is the listener's and does not count in the run's seconds.
 */
export class ReportRecorder {
  readonly runs: RunRecord[] = [];
  /** The drawn seed's training points and area, once a 2-D run has started. */
  points?: LabelledPoints;
  area?: GridArea;
  private current: RunRecord | null = null;
  private every = 1;
  private drawnSeed: number | undefined;
  private readonly options: RecorderOptions;

  constructor(options: Partial<RecorderOptions> = {}) {
    this.options = { ...DEFAULT_RECORDER_OPTIONS, ...options };
    this.drawnSeed = options.seed;
  }

  /** Feed every event of every run, in order. */
  onEvent(event: RunEvent, run: Run): void {
    if (event.type === 'start') {
      this.drawnSeed ??= event.seed;
      this.current = { schedule: event.schedule, decoders: event.decoders, seed: event.seed, options: run.options, epochs: [], frames: [] };
      this.runs.push(this.current);
      this.every = this.options.snapshotEvery ?? Math.max(1, Math.round(event.epochs / 20));
      if (this.draws(run, event.seed)) {
        if (!this.points) {
          const train = run.trainSet;
          this.area = areaOf(train);
          this.points = { x: train.x, labels: classLabels(train) };
        }
      }
      return;
    }
    const record = this.current;
    if (!record) return;
    if (event.type === 'epoch') {
      record.epochs.push(event);
      // Event 0 gives the untrained network's picture. A resumed run replays its first epochs with the checkpoint's network: no true picture of them exists.
      if (this.draws(run, event.seed) && !run.replaying && (event.epoch % this.every === 0 || event.epoch === event.epochs)) this.capture(run, event.epoch, event.block);
    } else {
      record.end = event;
      if (this.draws(run, event.seed)) record.finalGrid = networkGrid(run.network, this.area!, this.options.gridSize);
      this.current = null;
    }
  }

  /** True when the recorded data is 2-D, so boundaries were drawn. */
  get hasBoundaries(): boolean {
    return this.points !== undefined;
  }

  private draws(run: Run, seed: number): boolean {
    return seed === this.drawnSeed && run.network.dataInputs === 2;
  }

  private capture(run: Run, epoch: number, trainedBlock: number | null): void {
    const blocks = allBlockGrids(run.network, run.options.hiddenLoss, this.area!, this.options.blockGridSize);
    this.current!.frames.push({ epoch, trainedBlock, blocks });
  }
}
