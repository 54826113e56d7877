import { lineChart, type Series } from '../src/report/chart.js';
import { CATEGORY_COLORS } from '../src/report/colors.js';
import { escapeXml } from '../src/report/svg.js';
import type { ColumnFrame } from '../src/playground/lockstep.js';
import { formatLoss, lossAxis, lossTitle, phaseMarks, shareOfRun } from '../src/playground/charts.js';
import type { EpochEvent, RunEndEvent } from '../src/train/events.js';
import { h } from './dom.js';
import { drawPoints, paintGrid } from './draw.js';
import type { ExperimentInfo } from './protocol.js';
import { ruleFacts, scheduleColor, scheduleFacts } from './schedules.js';

/** Canvas pixels before the first layout; {@link ColumnView.fit} sizes them to the screen. */
const NETWORK_SIDE = 260;
const BLOCK_SIDE = 72;
/**
 * Charts are drawn this much smaller than they show, then scaled up to the
 * space they have: their 10-13 px text reads at 12-16 px on the screen.
 */
const CHART_ZOOM = 1.2;

/** Colours of the gated blocks' drift and gate lines: none of the schedules' own, none too pale on white. */
const BLOCK_COLORS = [CATEGORY_COLORS[4], CATEGORY_COLORS[5], CATEGORY_COLORS[7], CATEGORY_COLORS[3]];

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** The rules a column offers in its head, and what choosing one does. */
export interface RuleChoice {
  /** The column's rule now. */
  current: string;
  /** Every registered rule, with why it cannot train this column now (null when it can). */
  choices: { rule: string; description: string; refusal: string | null }[];
  choose(rule: string): void;
}

/** Options the page passes down for drawing points. */
export interface PointView {
  showTest: boolean;
}

/** A chart's logical width for a box `pixels` wide (rounded down, so its text never shows smaller than the zoom says). */
function chartWidth(pixels: number): number {
  return Math.max(150, Math.floor(pixels / CHART_ZOOM));
}

/**
 * One schedule's column: its boundary with the data on top, a thumbnail per
 * hidden block (★ on the block being trained) or, for a schedule without
 * decoders, a line saying so; its loss curves on its own epoch axis and,
 * for the gated schedule, each block's drift and gate.
 */
export class ColumnView {
  readonly element: HTMLElement;
  readonly network: HTMLCanvasElement;
  private readonly blocks: HTMLCanvasElement[];
  private readonly captions: HTMLElement[];
  private readonly status: HTMLElement;
  private readonly progress: HTMLElement;
  private readonly lossChart: HTMLElement;
  private readonly gateChart: HTMLElement | null;
  readonly history: EpochEvent[] = [];
  /** Epochs of the whole run, from its first frame. */
  epochs = 0;
  end: RunEndEvent | null = null;
  private chartsDirty = false;
  private networkGrid: ColumnFrame['network'] | null = null;
  private blockGrids: ColumnFrame['blocks'] = [];
  private readonly layers = new Map<boolean, HTMLCanvasElement>();
  /** The charts' width on the screen, measured by {@link fit}: reading it while drawing would force a layout per chart. */
  private chartPixels = 260;
  /** The points' view as the page last asked for it, to repaint after a resize. */
  private view: PointView = { showTest: false };
  readonly color: string;

  constructor(
    readonly schedule: string,
    private readonly info: ExperimentInfo,
    readonly rule: string,
    ruleChoice: RuleChoice,
  ) {
    const facts = scheduleFacts(schedule);
    const ruled = ruleFacts(rule);
    this.color = scheduleColor(schedule);
    const label = `${schedule}: decision boundary of the network`;
    this.network = h('canvas', { class: 'network', width: NETWORK_SIDE, height: NETWORK_SIDE, role: 'img', 'aria-label': label, title: 'click: add a point of the chosen class · shift-click: remove the nearest point' });
    this.blocks = [];
    this.captions = [];
    let blockPictures: HTMLElement;
    if (facts.trainsDecoders && ruled.hasReadout) {
      const thumbs = h('div', { class: 'blocks', style: `--blocks:${info.hiddenBlocks}` });
      for (let b = 0; b < info.hiddenBlocks; b++) {
        const canvas = h('canvas', { class: 'block', width: BLOCK_SIDE, height: BLOCK_SIDE, role: 'img', 'aria-label': `${schedule}: block ${b}'s decoder boundary` });
        const caption = h('figcaption', {}, `block ${b}`);
        this.blocks.push(canvas);
        this.captions.push(caption);
        thumbs.append(h('figure', {}, canvas, caption));
      }
      blockPictures = h('div', { class: 'block-pictures' }, h('p', { class: 'caption' }, 'each hidden block through its own decoder'), thumbs);
    } else {
      const why = facts.trainsDecoders
        ? `rule ${rule} gives the hidden blocks no read-out of their own (a block’s accuracy comes from a linear probe fitted when the run is scored), so there is no picture of a block on its own.`
        : `${schedule} trains no decoders: its hidden blocks learn only from the output’s gradient, so there is no picture of a block on its own.`;
      blockPictures = h('div', { class: 'block-pictures' }, h('p', { class: 'no-decoders' }, why));
    }
    this.progress = h('div', { class: 'progress', role: 'progressbar', 'aria-label': `${schedule}: share of the run trained`, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0 }, h('span', {}));
    this.status = h('p', { class: 'status', 'data-epoch': 0 }, 'epoch 0');
    this.lossChart = h('div', { class: 'chart loss', role: 'img', 'aria-label': `${schedule}: training and test loss by epoch` });
    this.gateChart = facts.optionGroups.includes('gate') ? h('div', { class: 'chart gates', role: 'img', 'aria-label': `${schedule}: drift and gate of each block by epoch` }) : null;
    this.element = h(
      'section',
      { class: 'column', 'data-schedule': schedule, 'data-rule': rule, 'aria-label': ruled.isDefault ? schedule : `${schedule} with rule ${rule}`, style: `--schedule-color:${this.color}` },
      h(
        'header',
        { class: 'column-head' },
        h('h2', {}, schedule),
        h('div', { class: 'column-tools' }, ...(facts.trainsDecoders ? [ruleSelect(schedule, ruleChoice)] : [])),
        h('p', { class: 'note' }, facts.note),
        h('p', { class: 'rule-note' }, facts.trainsDecoders ? `rule ${rule}: ${ruled.description}` : 'no local rule: every block learns from the output’s gradient'),
      ),
      this.network,
      this.progress,
      this.status,
      blockPictures,
      this.lossChart,
      this.gateChart,
    );
  }

  /**
   * Sizes the canvases' pixels to the space the layout gives them (and the
   * screen's pixel ratio), so boundaries and points stay sharp at any width.
   */
  fit(): void {
    const ratio = Math.min(2, window.devicePixelRatio || 1);
    const side = Math.round(this.network.clientWidth * ratio);
    if (side > 0 && side !== this.network.width) {
      this.network.width = side;
      this.network.height = side;
      this.layers.clear();
    }
    for (const canvas of this.blocks) {
      const b = Math.round(canvas.clientWidth * ratio);
      if (b > 0 && b !== canvas.width) {
        canvas.width = b;
        canvas.height = b;
      }
    }
    this.chartPixels = this.lossChart.clientWidth || this.chartPixels;
    this.repaint();
    this.chartsDirty = true;
  }

  /** Draws a frame: pictures now, curves when {@link drawCharts} is next called. */
  draw(frame: ColumnFrame, view: PointView): void {
    this.history.push(...frame.events);
    if (frame.end) this.end = frame.end;
    this.epochs = frame.epochs;
    this.networkGrid = frame.network;
    this.blockGrids = frame.blocks;
    this.drawNetwork(view);
    this.drawBlocks();
    frame.blocks.forEach((_, b) => {
      if (!this.captions[b]) return;
      const training = frame.block === b && !frame.done;
      this.captions[b].textContent = `${training ? '★ ' : ''}block ${b}`;
      this.captions[b].classList.toggle('training', training);
    });
    const last = frame.events.at(-1) ?? this.history.at(-1);
    const metrics = this.end ?? last;
    const parts = [`epoch ${frame.epoch}/${frame.epochs}${frame.done ? ' · done' : ''}`];
    if (metrics) parts.push(`test accuracy ${pct(metrics.testAccuracy)}`, `test loss ${formatLoss(metrics.testLoss)}`, `train loss ${formatLoss(metrics.trainLoss)}`);
    this.status.replaceChildren(h('span', { class: 'epoch' }, parts[0]), ...(metrics ? [h('span', { class: 'metrics' }, parts.slice(1).join(' · '))] : []));
    this.status.dataset.epoch = String(frame.epoch);
    if (metrics) {
      this.status.dataset.testLoss = String(metrics.testLoss);
      this.status.dataset.trainLoss = String(metrics.trainLoss);
      this.status.dataset.testAccuracy = String(metrics.testAccuracy);
    }
    const share = Math.round(shareOfRun(frame.epoch, frame.epochs));
    (this.progress.firstChild as HTMLElement).style.width = `${share}%`;
    this.progress.setAttribute('aria-valuenow', String(share));
    this.network.setAttribute('aria-label', `${this.schedule}: decision boundary of the network, ${parts.join(', ')}`);
    if (frame.events.length > 0 || frame.end) this.chartsDirty = true;
  }

  /** The network's boundary with the points on top, as the last frame left it. */
  drawNetwork(view: PointView): void {
    this.view = view;
    if (!this.networkGrid) return;
    paintGrid(this.network, this.networkGrid);
    this.network.getContext('2d')!.drawImage(this.pointsLayer(view.showTest), 0, 0);
  }

  private drawBlocks(): void {
    this.blockGrids.forEach((grid, b) => {
      if (this.blocks[b]) paintGrid(this.blocks[b], grid);
    });
  }

  /** Every picture again, as the last frame left them (after a resize empties the canvases). */
  private repaint(): void {
    this.drawNetwork(this.view);
    this.drawBlocks();
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

  /**
   * Redraws the curves if new epochs came in (charts are SVG text: cheap,
   * but not every frame). Each column's x axis is its own run, first epoch
   * to last, so the curve grows across the chart as the run goes on.
   */
  drawCharts(): void {
    if (!this.chartsDirty) return;
    this.chartsDirty = false;
    const epochs = this.history;
    const width = chartWidth(this.chartPixels);
    const chart = { width, height: 150, xTicks: width < 240 ? 3 : 4, xDomain: [0, Math.max(1, this.epochs)] as [number, number] };
    const axis = lossAxis(epochs.flatMap((e) => [e.trainLoss, e.testLoss]));
    this.lossChart.innerHTML = lineChart({
      title: lossTitle('loss', axis),
      xLabel: `epoch (of ${this.epochs})`,
      yLabel: 'loss',
      yScale: axis,
      ...chart,
      marks: phaseMarks(epochs),
      series: [
        { name: 'train', color: this.color, points: epochs.map((e) => [e.epoch, e.trainLoss]) },
        { name: 'test', color: '#3a3a3a', points: epochs.map((e) => [e.epoch, e.testLoss]), dashed: true },
      ],
    });
    this.lossChart.dataset.axis = axis;
    this.lossChart.dataset.xEnd = String(chart.xDomain[1]);
    if (this.gateChart) {
      const blocks = epochs[0]?.gates?.length ?? 0;
      const series = (read: (e: EpochEvent, b: number) => number | null): Series[] =>
        Array.from({ length: blocks }, (_, b) => b)
          .filter((b) => b > 0)
          .map((b) => ({ name: `block ${b}`, color: BLOCK_COLORS[(b - 1) % BLOCK_COLORS.length], points: epochs.map((e) => [e.epoch, read(e, b) ?? NaN] as [number, number]) }));
      const drift = series((e, b) => e.gates?.[b]?.drift ?? null);
      const driftAxis = lossAxis(drift.flatMap((s) => s.points.map((p) => p[1])));
      this.gateChart.innerHTML =
        lineChart({ title: 'input drift per block', xLabel: 'epoch', yLabel: 'drift', yScale: driftAxis, ...chart, height: 130, series: drift }) +
        lineChart({ title: 'mean gate (1: open)', xLabel: 'epoch', yLabel: 'gate', yDomain: [0, 1], ...chart, height: 130, series: series((e, b) => e.gates?.[b]?.gate ?? null) });
    }
  }
}

/**
 * The column's rule as a select: every registered rule, those it cannot
 * train now disabled with the reason as their tooltip (and in the list's
 * own title), so a choice never starts a run that is refused.
 */
function ruleSelect(schedule: string, choice: RuleChoice): HTMLElement {
  const select = h(
    'select',
    { class: 'rule', name: `rule-${schedule}`, 'aria-label': `${schedule}: learning rule`, title: 'what the hidden blocks learn from' },
    ...choice.choices.map((c) => h('option', { value: c.rule, disabled: c.refusal !== null && c.rule !== choice.current, title: c.refusal ?? c.description }, c.refusal ? `${c.rule} (not here)` : c.rule)),
  );
  select.value = choice.current;
  select.addEventListener('change', () => choice.choose(select.value));
  return h('label', { class: 'rule-choice' }, 'rule ', select);
}

/**
 * The comparison under the columns, for a box `space` pixels wide: one
 * line per schedule, test loss and test accuracy, on a shared axis of each run's share (0-100%), so a
 * longer run (local-sequential) does not squeeze the others into a corner.
 */
export function comparisonCharts(columns: ColumnView[], space: number): string {
  // Two charts a row, one on narrow screens (style.css); less each box's padding.
  const perRow = window.innerWidth > 900 ? 2 : 1;
  const width = Math.max(220, Math.floor(((space - (perRow - 1) * 12) / perRow - 14) / CHART_ZOOM));
  const series = (read: (e: EpochEvent) => number): Series[] =>
    columns.map((c) => ({ name: c.schedule, color: c.color, points: c.history.map((e) => [shareOfRun(e.epoch, c.epochs), read(e)] as [number, number]) }));
  const losses = series((e) => e.testLoss);
  const axis = lossAxis(losses.flatMap((s) => s.points.map((p) => p[1])));
  const common = { xLabel: 'share of each run (%)', width, height: 210, xDomain: [0, 100] as [number, number] };
  // One legend in HTML for both charts: the SVG's own, two to a row, has no room for the schedules' names in a narrow chart (style.css hides it).
  const legend = columns.map((c) => `<li style="--schedule-color:${c.color}">${escapeXml(c.schedule)}</li>`).join('');
  const rows = Math.ceil(columns.length / 2);
  return (
    `<ul class="legend" aria-hidden="true">${legend}</ul>` +
    `<div class="chart" data-chart="test-loss" data-axis="${axis}">${withoutLegend(lineChart({ title: lossTitle('test loss', axis), yLabel: 'loss', yScale: axis, series: losses, ...common }), rows)}</div>` +
    `<div class="chart" data-chart="test-accuracy">${withoutLegend(lineChart({ title: 'test accuracy', yLabel: 'accuracy', yDomain: [0, 1], series: series((e) => e.testAccuracy), ...common }), rows)}</div>`
  );
}

/** The chart's rows of legend (14 units each, at its bottom) cut off its picture, for charts whose legend the page draws itself. */
function withoutLegend(svg: string, rows: number): string {
  const cut = rows * 14;
  return svg.replace(/^<svg([^>]*) height="([\d.]+)" viewBox="0 0 ([\d.]+) ([\d.]+)"/, (_, before: string, height: string, width: string, box: string) => `<svg${before} height="${Number(height) - cut}" viewBox="0 0 ${width} ${Number(box) - cut}"`);
}
