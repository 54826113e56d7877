import { categoryColor, gridPixels, hexOf, plasma } from './colors.js';
import type { BoundaryGrid, GridArea } from './grid.js';
import { encodePng, pngDataUrl } from './png.js';
import { el, fmt, text } from './svg.js';

/** Points drawn over a boundary: 2-D positions and their class. */
export interface LabelledPoints {
  /** `count × 2`, row-major. */
  x: Float32Array;
  labels: Int32Array;
}

/** A grid as a PNG data URL, one pixel per lattice point. */
export function gridImage(grid: BoundaryGrid): string {
  return pngDataUrl(encodePng(gridPixels(grid), grid.size, grid.size));
}

export interface BoundaryPanelOptions {
  /** The image to show (see {@link gridImage}); the timeline swaps it. */
  image: string;
  area: GridArea;
  /** How many classes the colouring stands for (1 output: 2). */
  classes: number;
  points?: LabelledPoints;
  title: string;
  /** Marks the panel of the block being trained, as the seed does with a star. */
  starred?: boolean;
  /** Side of the square plot in pixels. */
  side: number;
  /** Identifies the image element, for the timeline's script. */
  imageId?: string;
}

const PANEL_PAD = { top: 20, left: 4, bottom: 4 };

/** Outer size of a {@link boundaryPanel} of the given side. */
export function panelSize(side: number): { width: number; height: number } {
  return { width: side + 2 * PANEL_PAD.left, height: side + PANEL_PAD.top + PANEL_PAD.bottom };
}

/**
 * One boundary panel as an SVG group at (0, 0): the grid's colours, the
 * points on top (two classes: open white circles for class 0 and dark
 * triangles for class 1, so they read on plasma's dark and bright ends and
 * without colour; more classes: one shape and palette colour each), a title,
 * and a star when the block is the one being trained.
 */
export function boundaryPanel(o: BoundaryPanelOptions): string {
  const { side } = o;
  const x0 = PANEL_PAD.left;
  const y0 = PANEL_PAD.top;
  const px = (v: number) => x0 + ((v - o.area.x[0]) / (o.area.x[1] - o.area.x[0])) * side;
  const py = (v: number) => y0 + ((o.area.y[1] - v) / (o.area.y[1] - o.area.y[0])) * side;
  const parts = [
    el('image', { id: o.imageId, x: x0, y: y0, width: side, height: side, href: o.image, preserveAspectRatio: 'none', style: 'image-rendering:optimizeQuality' }),
  ];
  if (o.points) parts.push(pointMarks(o.points, px, py, o.classes, Math.max(1.2, side / 130)));
  parts.push(el('rect', { x: x0, y: y0, width: side, height: side, fill: 'none', stroke: '#444' }));
  parts.push(text(x0 + side / 2, 14, (o.starred ? '★ ' : '') + o.title, { 'font-size': 11.5, 'font-weight': o.starred ? 'bold' : undefined }));
  return el('g', { class: 'boundary' }, ...parts);
}

const SHAPES = ['circle', 'triangle', 'square', 'diamond'] as const;

function pointMarks(points: LabelledPoints, px: (v: number) => number, py: (v: number) => number, classes: number, r: number): string {
  const paths: string[] = Array.from({ length: Math.max(2, classes) }, () => '');
  for (let i = 0; i < points.labels.length; i++) {
    const label = points.labels[i];
    paths[label] += shapePath(SHAPES[label % SHAPES.length], px(points.x[2 * i]), py(points.x[2 * i + 1]), r);
  }
  return el(
    'g',
    { class: 'points' },
    ...paths.map((d, label) => {
      if (!d) return '';
      if (classes <= 2) {
        return label === 0
          ? el('path', { d, fill: '#ffffff', stroke: '#1a1a1a', 'stroke-width': 0.6, 'data-class': 0 })
          : el('path', { d, fill: '#1a1a1a', stroke: '#ffffff', 'stroke-width': 0.6, 'data-class': 1 });
      }
      return el('path', { d, fill: categoryColor(label), stroke: '#1a1a1a', 'stroke-width': 0.6, 'data-class': label });
    }),
  );
}

function shapePath(shape: (typeof SHAPES)[number], x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${fmt(x - r)} ${fmt(y)}a${fmt(r)} ${fmt(r)} 0 1 0 ${fmt(2 * r)} 0a${fmt(r)} ${fmt(r)} 0 1 0 ${fmt(-2 * r)} 0z`;
    case 'triangle': {
      const s = r * 1.25;
      return `M${fmt(x)} ${fmt(y - s)}L${fmt(x + s)} ${fmt(y + s * 0.8)}L${fmt(x - s)} ${fmt(y + s * 0.8)}z`;
    }
    case 'square':
      return `M${fmt(x - r)} ${fmt(y - r)}h${fmt(2 * r)}v${fmt(2 * r)}h${fmt(-2 * r)}z`;
    case 'diamond': {
      const s = r * 1.3;
      return `M${fmt(x)} ${fmt(y - s)}L${fmt(x + s)} ${fmt(y)}L${fmt(x)} ${fmt(y + s)}L${fmt(x - s)} ${fmt(y)}z`;
    }
  }
}

/** A vertical plasma colour bar from 0 (bottom) to 1 (top), with its ticks. */
export function plasmaBar(x: number, y: number, height: number, label: string): string {
  const stops = Array.from({ length: 11 }, (_, i) => el('stop', { offset: `${i * 10}%`, 'stop-color': hexOf(plasma(1 - i / 10)) }));
  const parts = [
    el('defs', {}, el('linearGradient', { id: 'plasma-bar', x1: 0, x2: 0, y1: 0, y2: 1 }, ...stops)),
    el('rect', { x, y, width: 10, height, fill: 'url(#plasma-bar)', stroke: '#444', 'stroke-width': 0.5 }),
  ];
  for (const t of [0, 0.5, 1]) parts.push(text(x + 14, y + (1 - t) * height + 3.5, String(t), { 'text-anchor': 'start', 'font-size': 9.5 }));
  parts.push(text(0, 0, label, { transform: `translate(${fmt(x + 44)} ${fmt(y + height / 2)}) rotate(-90)`, 'font-size': 10 }));
  return el('g', { class: 'colorbar' }, ...parts);
}

/** A legend of class colours for many-class grids. */
export function classLegend(x: number, y: number, classes: number): string {
  return el(
    'g',
    { class: 'class-legend' },
    ...Array.from({ length: classes }, (_, k) =>
      el('g', {}, el('rect', { x, y: y + k * 15, width: 10, height: 10, fill: categoryColor(k), stroke: '#444', 'stroke-width': 0.5 }), text(x + 14, y + k * 15 + 9, `class ${k}`, { 'text-anchor': 'start', 'font-size': 9.5 })),
    ),
  );
}
