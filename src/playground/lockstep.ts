import { experimentRun } from '../experiment/experiment.js';
import { allBlockGrids, type BoundaryGrid } from '../report/grid.js';
import type { EpochEvent, RunEndEvent, RunEvent } from '../train/events.js';
import type { ResolvedRunOptions, Run } from '../train/run.js';
import type { ParameterMap } from '../model/parameters.js';
import type { PlaygroundSetup } from './setup.js';

/** One column of a frame: a schedule's run as it stands. */
export interface ColumnFrame {
  schedule: string;
  /** The column's learning rule. */
  rule: string;
  /** Epochs trained so far, and in all. */
  epoch: number;
  epochs: number;
  /** The block local-sequential is training now; null for the schedules that train every block. */
  block: number | null;
  done: boolean;
  /** Epoch events since the previous frame. */
  events: EpochEvent[];
  /** The final metrics, once the run has finished. */
  end: RunEndEvent | null;
  /** The network's output over the plane. */
  network: BoundaryGrid;
  /** decoder∘block∘encoder of every hidden block over the plane. */
  blocks: BoundaryGrid[];
}

/** A column as a download needs it. */
export interface ColumnRecord {
  schedule: string;
  rule: string;
  /** The weights the column started from (its rule's tensors included). */
  initial: ParameterMap;
  events: EpochEvent[];
  end: RunEndEvent | null;
  options: ResolvedRunOptions;
  parameters: ParameterMap;
}

export interface Frame {
  /** Calls of {@link Lockstep.advance} so far. */
  tick: number;
  columns: ColumnFrame[];
}

/**
 * Points a side of a frame's pictures. The network's and the blocks' come
 * from one forward pass over one lattice, which is what lets four columns
 * be drawn many times a second.
 */
export const DEFAULT_FRAME_SIZE = 48;

interface Column {
  run: Run;
  initial: ParameterMap;
  events: AsyncIterator<RunEvent>;
  epoch: number;
  epochs: number;
  block: number | null;
  fresh: EpochEvent[];
  history: EpochEvent[];
  end: RunEndEvent | null;
  /** A frame has shown this column since it ended: nothing of it changes any more. */
  shownEnded: boolean;
}

/**
 * Every column of a setup (a schedule with its rule) trained side by side:
 * the same data, seed and initial weights, each column advancing the same number of epochs before a
 * frame is taken, so the comparison is fair at every frame. DOM-free: the
 * page runs it in a Web Worker, tests run it in Node.
 */
export class Lockstep {
  private readonly columns: Column[];
  private ticks = 0;

  constructor(
    readonly setup: PlaygroundSetup,
    private readonly size: number = DEFAULT_FRAME_SIZE,
  ) {
    this.columns = setup.columns.map(({ schedule, rule, config, start }) => {
      const run = experimentRun(config, start, schedule, config.decoders[0], rule);
      return { run, initial: run.network.toParameters(), events: run[Symbol.asyncIterator](), epoch: 0, epochs: 0, block: null, fresh: [], history: [], end: null, shownEnded: false };
    });
  }

  /** True when every column has finished. */
  get done(): boolean {
    return this.columns.every((c) => c.end !== null);
  }

  /** The runs, in column order (their networks hold the weights as of the last frame). */
  get runs(): Run[] {
    return this.columns.map((c) => c.run);
  }

  /** Every column as it stands: its events so far, its options and its weights, for a download. */
  records(): ColumnRecord[] {
    return this.columns.map((c) => ({ schedule: c.run.schedule.name, rule: c.run.rule.name, initial: c.initial, events: [...c.history], end: c.end, options: c.run.options, parameters: c.run.network.toParameters() }));
  }

  /** Trains every unfinished column `epochs` more epochs (or to its end). */
  async advance(epochs: number): Promise<void> {
    this.ticks++;
    for (const column of this.columns) {
      let trained = 0;
      while (trained < epochs && column.end === null) {
        const next = await column.events.next();
        if (next.done) break;
        const event = next.value;
        if (event.type === 'start') column.epochs = event.epochs;
        else if (event.type === 'epoch') {
          // Event 0 scores the untrained network: it comes with the first epoch, not instead of it.
          if (event.epoch > 0) trained++;
          column.epoch = event.epoch;
          column.block = event.block;
          column.fresh.push(event);
          column.history.push(event);
        } else column.end = event;
      }
    }
  }

  /**
   * Every column's pictures now, and its events since the previous frame;
   * with `changedOnly`, only the columns that trained or ended since then.
   */
  frame(changedOnly = false): Frame {
    const { area } = this.setup;
    const shown = changedOnly ? this.columns.filter((c) => c.fresh.length > 0 || (c.end !== null && !c.shownEnded)) : this.columns;
    const columns = shown.map((c): ColumnFrame => {
      const grids = allBlockGrids(c.run.network, c.run.options.hiddenLoss, area, this.size);
      const frame: ColumnFrame = {
        schedule: c.run.schedule.name,
        rule: c.run.rule.name,
        epoch: c.epoch,
        epochs: c.epochs,
        block: c.block,
        done: c.end !== null,
        events: c.fresh,
        end: c.end,
        network: grids[grids.length - 1],
        blocks: grids.slice(0, -1),
      };
      c.fresh = [];
      c.shownEnded = c.end !== null;
      return frame;
    });
    return { tick: this.ticks, columns };
  }

  /** Frees every run's tensors. */
  async dispose(): Promise<void> {
    for (const c of this.columns) {
      // Returning the generator runs its finally: the optimizer and session free their tensors.
      await c.events.return?.(undefined);
      c.run.dispose();
    }
  }
}
