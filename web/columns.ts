import { lineChart, type Series } from '../src/report/chart.js';
import { CATEGORY_COLORS } from '../src/report/colors.js';
import type { ColumnFrame } from '../src/playground/lockstep.js';
import type { EpochEvent, RunEndEvent } from '../src/train/events.js';
import { h } from './dom.js';
import { drawPoints, paintGrid } from './draw.js';
import type { ExperimentInfo } from './protocol.js';

const NETWORK_SIDE = 260;
const BLOCK_SIDE = 72;
const CHART = { width: 300, height: 150 };

/** What the schedule does, in a line under its name. */
const SCHEDULE_NOTES: Record<string, string> = {
  backprop: 'one gradient from the output through every block',
  'local-sequential': 'one block at a time, each from its own decoder',
  'local-parallel': 'every block at once, each from its own decoder',
  'local-gated': 'local-parallel, each input axis gated by how much it still moves',
};

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const num = (v: number) => (Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toExponential(2));

/** Options the page passes down for drawing points. */
export interface PointView {
  showTest: boolean;
}

/**
 * One schedule's column: its boundary with the data on top, a thumbnail per
 * hidden block (★ on the block being trained), its loss curves and, for the
 * gated schedule, each block's drift and gate.
 */
export class ColumnView {
  readonly element: HTMLElement;
  readonly network: HTMLCanvasElement;
  private readonly blocks: HTMLCanvasElement[];
  private readonly captions: HTMLElement[];
  private readonly status: HTMLElement;
  private readonly lossChart: HTMLElement;
  private readonly gateChart: HTMLElement | null;
  readonly history: EpochEvent[] = [];
  end: RunEndEvent | null = null;
  private chartsDirty = false;
  private networkGrid: ColumnFrame['network'] | null = null;
  private readonly layers = new Map<boolean, HTMLCanvasElement>();

  constructor(
    readonly schedule: string,
    private readonly info: ExperimentInfo,
  ) {
    const label = `${schedule}: decision boundary of the network`;
    this.network = h('canvas', { class: 'network', width: NETWORK_SIDE, height: NETWORK_SIDE, role: 'img', 'aria-label': label, title: 'click: add a point of the chosen class · shift-click: remove the nearest point' });
    this.blocks = [];
    this.captions = [];
    const thumbs = h('div', { class: 'blocks' });
    for (let b = 0; b < info.hiddenBlocks; b++) {
      const canvas = h('canvas', { class: 'block', width: BLOCK_SIDE, height: BLOCK_SIDE, role: 'img', 'aria-label': `${schedule}: block ${b}'s decoder boundary` });
      const caption = h('figcaption', {}, `block ${b}`);
      this.blocks.push(canvas);
      this.captions.push(caption);
      thumbs.append(h('figure', {}, canvas, caption));
    }
    this.status = h('p', { class: 'status', 'data-epoch': 0 }, 'epoch 0');
    this.lossChart = h('div', { class: 'chart loss', role: 'img', 'aria-label': `${schedule}: training and test loss by epoch` });
    this.gateChart = schedule === 'local-gated' ? h('div', { class: 'chart gates', role: 'img', 'aria-label': `${schedule}: drift and gate of each block by epoch` }) : null;
    this.element = h(
      'section',
      { class: 'column', 'data-schedule': schedule, 'aria-label': schedule },
      h('h2', {}, schedule),
      h('p', { class: 'note' }, SCHEDULE_NOTES[schedule] ?? ''),
      this.network,
      this.status,
      h('p', { class: 'caption' }, 'decoder∘block∘encoder of each hidden block'),
      thumbs,
      this.lossChart,
      this.gateChart,
    );
  }

  /** Draws a frame: pictures now, curves when {@link drawCharts} is next called. */
  draw(frame: ColumnFrame, view: PointView): void {
    this.history.push(...frame.events);
    if (frame.end) this.end = frame.end;
    this.networkGrid = frame.network;
    this.drawNetwork(view);
    frame.blocks.forEach((grid, b) => {
      paintGrid(this.blocks[b], grid);
      const training = frame.block === b && !frame.done;
      this.captions[b].textContent = `${training ? '★ ' : ''}block ${b}`;
      this.captions[b].classList.toggle('training', training);
    });
    const last = frame.events.at(-1) ?? this.history.at(-1);
    const metrics = this.end ?? last;
    const parts = [`epoch ${frame.epoch}/${frame.epochs}${frame.done ? ' · done' : ''}`];
    if (metrics) parts.push(`train loss ${num(metrics.trainLoss)}`, `test loss ${num(metrics.testLoss)}`, `test accuracy ${pct(metrics.testAccuracy)}`);
    this.status.textContent = parts.join(' · ');
    this.status.dataset.epoch = String(frame.epoch);
    if (metrics) {
      this.status.dataset.testLoss = String(metrics.testLoss);
      this.status.dataset.trainLoss = String(metrics.trainLoss);
      this.status.dataset.testAccuracy = String(metrics.testAccuracy);
    }
    this.network.setAttribute('aria-label', `${this.schedule}: decision boundary of the network, ${parts.join(', ')}`);
    if (frame.events.length > 0 || frame.end) this.chartsDirty = true;
  }

  /** The network's boundary with the points on top, as the last frame left it. */
  drawNetwork(view: PointView): void {
    if (!this.networkGrid) return;
    paintGrid(this.network, this.networkGrid);
    this.network.getContext('2d')!.drawImage(this.pointsLayer(view.showTest), 0, 0);
  }

  /**
   * The points, drawn once on a transparent canvas and laid over every
   * frame: a thousand markers a frame would cost the page more than the
   * boundary, and take the CPU from the workers.
   */
  private pointsLayer(showTest: boolean): HTMLCanvasElement {
    let layer = this.layers.get(showTest);
    if (!layer) {
      layer = h('canvas', { width: this.network.width, height: this.network.height });
      drawPoints(layer, this.info.area, this.info.train, this.info.classes);
      if (showTest) drawPoints(layer, this.info.area, this.info.test, this.info.classes, true);
      this.layers.set(showTest, layer);
    }
    return layer;
  }

  /** Redraws the curves if new epochs came in (charts are SVG text: cheap, but not every frame). */
  drawCharts(): void {
    if (!this.chartsDirty) return;
    this.chartsDirty = false;
    const epochs = this.history;
    this.lossChart.innerHTML = lineChart({
      title: 'loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      yScale: 'log',
      ...CHART,
      series: [
        { name: 'train', color: CATEGORY_COLORS[0], points: epochs.map((e) => [e.epoch, e.trainLoss]) },
        { name: 'test', color: CATEGORY_COLORS[5], points: epochs.map((e) => [e.epoch, e.testLoss]), dashed: true },
      ],
    });
    if (this.gateChart) {
      const blocks = epochs[0]?.gates?.length ?? 0;
      const series = (read: (e: EpochEvent, b: number) => number | null): Series[] =>
        Array.from({ length: blocks }, (_, b) => b)
          .filter((b) => b > 0)
          .map((b) => ({ name: `block ${b}`, color: CATEGORY_COLORS[b % CATEGORY_COLORS.length], points: epochs.map((e) => [e.epoch, read(e, b) ?? NaN] as [number, number]) }));
      this.gateChart.innerHTML =
        lineChart({ title: 'drift of each block’s input', xLabel: 'epoch', yLabel: 'drift', yScale: 'log', ...CHART, series: series((e, b) => e.gates?.[b]?.drift ?? null) }) +
        lineChart({ title: 'mean gate', xLabel: 'epoch', yLabel: 'gate', yDomain: [0, 1], ...CHART, series: series((e, b) => e.gates?.[b]?.gate ?? null) });
    }
  }
}

/** The comparison under the columns: one line per schedule, test loss and test accuracy. */
export function comparisonCharts(columns: ColumnView[]): string {
  const series = (read: (e: EpochEvent) => number): Series[] =>
    columns.map((c, k) => ({ name: c.schedule, color: CATEGORY_COLORS[k % CATEGORY_COLORS.length], points: c.history.map((e) => [e.epoch, read(e)] as [number, number]) }));
  return (
    lineChart({ title: 'test loss', xLabel: 'epoch', yLabel: 'loss', yScale: 'log', width: 420, height: 200, series: series((e) => e.testLoss) }) +
    lineChart({ title: 'test accuracy', xLabel: 'epoch', yLabel: 'accuracy', yDomain: [0, 1], width: 420, height: 200, series: series((e) => e.testAccuracy) })
  );
}
