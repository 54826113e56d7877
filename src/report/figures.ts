import { boundaryPanel, classLegend, gridImage, panelSize, plasmaBar, type LabelledPoints } from './boundary.js';
import { lineChart, type Series } from './chart.js';
import { CATEGORY_COLORS } from './colors.js';
import type { GridArea } from './grid.js';
import type { Frame, RunRecord } from './recorder.js';
import { el, svgDocument, text } from './svg.js';
import { getSchedule } from '../schedules/registry.js';
import { scheduleWithRule } from '../rules/registry.js';

/** The runs of one schedule and decoder mode, over seeds. */
export interface RunGroup {
  /** The schedule, with the decoder mode when a report compares both. */
  label: string;
  /** A file-name form of the label. */
  slug: string;
  color: string;
  runs: RunRecord[];
  /** The run whose boundaries are drawn, if any. */
  drawn?: RunRecord;
}

/** Groups runs by schedule and decoder mode in order of appearance; colours follow that order. */
export function groupRuns(runs: RunRecord[]): RunGroup[] {
  const modes = new Set(runs.map((r) => r.decoders));
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const rule = run.options.rule;
    const named = scheduleWithRule(run.schedule, rule);
    const label = modes.size > 1 ? `${named} (${run.decoders})` : named;
    let group = groups.get(label);
    if (!group) {
      const ruled = rule ? `${run.schedule}-${rule}` : run.schedule;
      const slug = modes.size > 1 ? `${ruled}-${run.decoders}` : ruled;
      group = { label, slug, color: CATEGORY_COLORS[groups.size % CATEGORY_COLORS.length], runs: [] };
      groups.set(label, group);
    }
    group.runs.push(run);
    if (!group.drawn && run.frames.length > 0) group.drawn = run;
  }
  return [...groups.values()];
}

/** Per epoch, the mean over the group's runs of `value` (runs that are shorter drop out). */
function meanCurve(runs: RunRecord[], value: (e: RunRecord['epochs'][number]) => number | null): [number, number][] {
  const longest = Math.max(0, ...runs.map((r) => r.epochs.length));
  const out: [number, number][] = [];
  for (let i = 0; i < longest; i++) {
    const vs = runs.map((r) => (r.epochs[i] ? value(r.epochs[i]) : null)).filter((v): v is number => v !== null && Number.isFinite(v));
    // At the epoch the event names (0: the untrained network).
    if (vs.length) out.push([runs.find((r) => r.epochs[i])!.epochs[i].epoch, vs.reduce((a, b) => a + b, 0) / vs.length]);
  }
  return out;
}

function seedCurves(group: RunGroup, value: (e: RunRecord['epochs'][number]) => number | null): Series[] {
  if (group.runs.length < 2) return [];
  return group.runs.map((r) => ({ name: `${group.label} seed ${r.seed}`, color: group.color, faint: true, points: r.epochs.map((e) => [e.epoch, value(e) ?? NaN] as [number, number]) }));
}

/** The y axis of the loss charts. */
export type LossScale = 'log' | 'linear';

/**
 * A chart with one series per group: the mean over seeds of an epoch
 * metric, each seed drawn faintly behind its mean.
 */
export function comparisonChart(groups: RunGroup[], metric: 'testLoss' | 'trainLoss' | 'testAccuracy', lossScale: LossScale): string {
  const titles = { testLoss: 'Test loss', trainLoss: 'Training loss', testAccuracy: 'Test accuracy' };
  const seeds = new Set(groups.flatMap((g) => g.runs.map((r) => r.seed))).size;
  const value = (e: RunRecord['epochs'][number]) => e[metric];
  return lineChart({
    title: `${titles[metric]}${seeds > 1 ? `, mean of ${seeds} seeds` : ''}`,
    xLabel: 'epoch',
    yLabel: metric === 'testAccuracy' ? 'accuracy' : `loss${lossScale === 'log' ? ' (log)' : ''}`,
    yScale: metric === 'testAccuracy' ? 'linear' : lossScale,
    series: [...groups.flatMap((g) => seedCurves(g, value)), ...groups.map((g) => ({ name: g.label, color: g.color, points: meanCurve(g.runs, value) }))],
  });
}

/** Per block, the mean over seeds of a per-block metric: decoder accuracy, or a gate statistic. */
export function blockChart(group: RunGroup, metric: 'blockAccuracy' | 'drift' | 'gate'): string {
  const blocks = group.runs[0].epochs[0]?.blockAccuracy.length ?? 0;
  const read = (b: number) => (e: RunRecord['epochs'][number]): number | null =>
    metric === 'blockAccuracy' ? e.blockAccuracy[b] : (e.gates?.[b]?.[metric] ?? null);
  const first = metric === 'blockAccuracy' ? 0 : 1; // block 0's input is the data: it never drifts
  const series: Series[] = [];
  for (let b = first; b < blocks; b++) {
    series.push({ name: b === blocks - 1 && metric === 'blockAccuracy' ? `block ${b} (network)` : `block ${b}`, color: CATEGORY_COLORS[b % CATEGORY_COLORS.length], points: meanCurve(group.runs, read(b)) });
  }
  const titles = { blockAccuracy: `${group.label}: decoder test accuracy`, drift: `${group.label}: input drift per block`, gate: `${group.label}: mean gate per block` };
  return lineChart({
    title: titles[metric],
    xLabel: 'epoch',
    yLabel: metric === 'blockAccuracy' ? 'accuracy' : metric === 'drift' ? 'drift (log)' : 'gate',
    yScale: metric === 'drift' ? 'log' : 'linear',
    yDomain: metric === 'gate' ? [0, 1] : undefined,
    series,
  });
}

/** What boundaries are drawn over. */
export interface Canvas {
  area: GridArea;
  points: LabelledPoints;
  /** Classes of the task (2 for one output). */
  classes: number;
}

const NETWORK_SIDE = 260;
const BLOCK_SIDE = 150;

/** Whether a schedule trains its hidden blocks through their decoders (so their panels mean something). */
export function localSchedule(group: RunGroup): boolean {
  return getSchedule(group.runs[0].schedule).trainsRule;
}

/**
 * The seed's picture of one schedule at the end of the drawn run: the
 * network's boundary next to the run's loss curves and, for local
 * schedules, one panel per hidden block (decoder∘block∘encoder), the block
 * trained last starred.
 */
export function scheduleFigure(group: RunGroup, canvas: Canvas, lossScale: LossScale): string {
  const run = group.drawn!;
  const net = panelSize(NETWORK_SIDE);
  const blockPanel = panelSize(BLOCK_SIDE);
  const last = run.frames[run.frames.length - 1];
  const hidden = localSchedule(group) ? last.blocks.slice(0, -1) : [];
  const chart = lineChart({
    title: `${group.label}, seed ${run.seed}: loss`,
    xLabel: 'epoch',
    yLabel: `loss${lossScale === 'log' ? ' (log)' : ''}`,
    yScale: lossScale,
    width: 360,
    height: NETWORK_SIDE - 4,
    marks: phaseMarks(run),
    series: [
      { name: 'train', color: CATEGORY_COLORS[0], points: run.epochs.map((e) => [e.epoch, e.trainLoss]) },
      { name: 'test', color: CATEGORY_COLORS[5], points: run.epochs.map((e) => [e.epoch, e.testLoss]), dashed: true },
    ],
  });
  const legendX = net.width + 6;
  const chartX = legendX + 56;
  const width = Math.max(chartX + 360, hidden.length * blockPanel.width + 10);
  const topHeight = Math.max(net.height, NETWORK_SIDE + 14 * 1 + 10);
  const height = topHeight + (hidden.length ? blockPanel.height + 22 : 0) + 8;
  const accuracy = run.end ? ` · test acc ${run.end.testAccuracy.toFixed(3)}` : '';
  const parts = [
    el('g', { transform: 'translate(0 6)' }, boundaryPanel({ image: gridImage(run.finalGrid ?? last.blocks[last.blocks.length - 1]), area: canvas.area, classes: canvas.classes, points: canvas.points, title: `network${accuracy}`, side: NETWORK_SIDE })),
    el('g', { transform: 'translate(0 6)' }, canvas.classes > 2 ? classLegend(legendX, 30, canvas.classes) : plasmaBar(legendX, 30, NETWORK_SIDE - 40, 'output')),
    el('svg', { x: chartX, y: 6, width: 360, height: NETWORK_SIDE + 14 }, chart.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '')),
  ];
  if (hidden.length) {
    parts.push(text(8, topHeight + 14, 'each hidden block through its decoder', { 'text-anchor': 'start', 'font-size': 11, fill: '#555' }));
    hidden.forEach((grid, b) => {
      parts.push(
        el('g', { transform: `translate(${b * blockPanel.width} ${topHeight + 18})` }, boundaryPanel({ image: gridImage(grid), area: canvas.area, classes: canvas.classes, points: canvas.points, title: `block ${b}`, starred: last.trainedBlock === b, side: BLOCK_SIDE })),
      );
    });
  }
  return svgDocument(width, height, ...parts);
}

/** Where a schedule that trains one block at a time moves on to the next. */
export function phaseMarks(run: RunRecord): { x: number; label: string }[] {
  const marks: { x: number; label: string }[] = [];
  run.epochs.forEach((e, i) => {
    if (e.block !== null && (i === 0 || run.epochs[i - 1].block !== e.block)) marks.push({ x: e.epoch, label: `block ${e.block}` });
  });
  return marks.length > 1 ? marks : [];
}

/** Up to `count` frames, evenly spread, always the first and the last. */
export function pickFrames(frames: Frame[], count: number): Frame[] {
  if (frames.length <= count) return frames;
  return Array.from({ length: count }, (_, k) => frames[Math.round((k * (frames.length - 1)) / (count - 1))]);
}

const THUMB_SIDE = 110;

/**
 * Small multiples of how each block's boundary evolved: one row per
 * frame, one column per block (the last column is the network).
 */
export function timelineFigure(group: RunGroup, canvas: Canvas, rows = 6): string {
  const run = group.drawn!;
  const frames = pickFrames(run.frames, rows);
  const panel = panelSize(THUMB_SIDE);
  const labelWidth = 74;
  const blocks = frames[0].blocks.length;
  const parts = [text(8, 16, `${group.label}, seed ${run.seed}: boundaries over training`, { 'text-anchor': 'start', 'font-size': 12, 'font-weight': 'bold' })];
  frames.forEach((frame, row) => {
    const y = 24 + row * panel.height;
    parts.push(text(4, y + panel.height / 2 + 4, `epoch ${frame.epoch}`, { 'text-anchor': 'start', 'font-size': 11 }));
    frame.blocks.forEach((grid, b) => {
      const title = b === blocks - 1 ? 'network' : `block ${b}`;
      parts.push(el('g', { transform: `translate(${labelWidth + b * panel.width} ${y})` }, boundaryPanel({ image: gridImage(grid), area: canvas.area, classes: canvas.classes, points: canvas.points, title, starred: frame.trainedBlock === b, side: THUMB_SIDE })));
    });
  });
  return svgDocument(labelWidth + blocks * panel.width + 6, 30 + frames.length * panel.height, ...parts);
}
