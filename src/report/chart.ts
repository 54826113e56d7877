import { el, fmt, svgDocument, text } from './svg.js';
import { extent, linearScale, logScale, type Scale } from './scale.js';

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Drawn thin and pale, without a legend entry (e.g. single seeds behind their mean). */
  faint?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yScale?: 'linear' | 'log';
  /** Vertical rules with a label at their top, e.g. where local-sequential moves to the next block. */
  marks?: { x: number; label: string }[];
  /** Fixed y range (e.g. [0, 1] for accuracies); default the data's. */
  yDomain?: [number, number];
  /** Fixed x range (e.g. a run's whole length while it is still under way); default the data's. */
  xDomain?: [number, number];
  /** About how many intervals the x axis's ticks divide it into (fewer for narrow charts); default 5. */
  xTicks?: number;
  width?: number;
  height?: number;
}

const MARGIN = { top: 26, right: 12, bottom: 40, left: 54 };
const LEGEND_ROW = 14;

/**
 * A line chart as an SVG document. Every series is one `<g class="series">`
 * carrying its name in `data-series`, so tests and scripts can find it.
 * Non-finite points and, on a log scale, points ≤ 0 break the line.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 420;
  const legend = options.series.filter((s) => !s.faint);
  const legendRows = Math.ceil(legend.length / 2);
  const height = (options.height ?? 260) + legendRows * LEGEND_ROW;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom - legendRows * LEGEND_ROW };
  const log = options.yScale === 'log';
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = options.series.flatMap((s) => s.points.map((p) => p[1]));
  const x = linearScale(options.xDomain ?? extent(xs), [plot.left, plot.right], options.xTicks);
  const yDomain = options.yDomain ?? extent(ys, log);
  const y = (log ? logScale : linearScale)(yDomain, [plot.bottom, plot.top]);
  // Unique per chart, as many charts share one HTML page.
  const clipId = `clip${(hash(options.title + options.yLabel + options.series.map((s) => s.name).join()) >>> 0).toString(36)}`;
  return svgDocument(
    width,
    height,
    el('defs', {}, el('clipPath', { id: clipId }, el('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top }))),
    text(width / 2, 16, options.title, { 'font-size': 13, 'font-weight': 'bold' }),
    axes(x, y, plot, options.xLabel, options.yLabel),
    ...(options.marks ?? []).map((m) =>
      el('g', { class: 'mark' }, el('line', { x1: x(m.x), x2: x(m.x), y1: plot.top, y2: plot.bottom, stroke: '#888', 'stroke-dasharray': '2 3' }), text(x(m.x) + 3, plot.top + 11, m.label, { 'text-anchor': 'start', 'font-size': 9.5, fill: '#555' })),
    ),
    el('g', { 'clip-path': `url(#${clipId})` }, ...options.series.filter((s) => s.faint).map((s) => seriesPath(s, x, y, log)), ...legend.map((s) => seriesPath(s, x, y, log))),
    // Below the x axis's label.
    legendBlock(legend, plot.left, plot.bottom + 46, (width - plot.left) / 2),
  );
}

function axes(x: Scale, y: Scale, plot: { left: number; right: number; top: number; bottom: number }, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  for (const t of y.ticks()) {
    const py = y(t);
    parts.push(el('line', { x1: plot.left, x2: plot.right, y1: py, y2: py, stroke: '#e6e6e6' }));
    parts.push(text(plot.left - 5, py + 3.5, y.format(t), { 'text-anchor': 'end', 'font-size': 10 }));
  }
  for (const t of x.ticks()) {
    const px = x(t);
    parts.push(el('line', { x1: px, x2: px, y1: plot.bottom, y2: plot.bottom + 4, stroke: '#444' }));
    parts.push(text(px, plot.bottom + 15, x.format(t), { 'font-size': 10 }));
  }
  parts.push(el('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: 'none', stroke: '#444' }));
  parts.push(text((plot.left + plot.right) / 2, plot.bottom + 30, xLabel));
  parts.push(text(0, 0, yLabel, { transform: `translate(13 ${fmt((plot.top + plot.bottom) / 2)}) rotate(-90)` }));
  return el('g', { class: 'axes' }, ...parts);
}

function seriesPath(s: Series, x: Scale, y: Scale, log: boolean): string {
  let d = '';
  let pen = false;
  for (const [px, py] of s.points) {
    if (!Number.isFinite(py) || (log && py <= 0)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${fmt(x(px))} ${fmt(y(py))}`;
    pen = true;
  }
  return el(
    'g',
    { class: 'series', 'data-series': s.name },
    el('path', { d: d || 'M0 0', fill: 'none', stroke: s.color, 'stroke-width': s.faint ? 0.8 : 1.6, 'stroke-opacity': s.faint ? 0.35 : 1, 'stroke-dasharray': s.dashed ? '5 3' : undefined, 'stroke-linejoin': 'round' }),
  );
}

function legendBlock(series: Series[], left: number, top: number, column: number): string {
  return el(
    'g',
    { class: 'legend' },
    ...series.map((s, i) => {
      const lx = left + (i % 2) * column;
      const ly = top + Math.floor(i / 2) * LEGEND_ROW;
      return el(
        'g',
        {},
        el('line', { x1: lx, x2: lx + 18, y1: ly, y2: ly, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '5 3' : undefined }),
        text(lx + 22, ly + 4, s.name, { 'text-anchor': 'start', 'font-size': 10.5 }),
      );
    }),
  );
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

