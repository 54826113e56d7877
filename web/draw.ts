import { categoryColor, gridPixels } from '../src/report/colors.js';
import type { BoundaryGrid, GridArea } from '../src/report/grid.js';
import type { PlotPoints } from './protocol.js';

/** One canvas per lattice size, reused: the grid is painted at its own resolution, then scaled. */
const scratch = new Map<number, HTMLCanvasElement>();

function latticeCanvas(size: number): HTMLCanvasElement {
  let canvas = scratch.get(size);
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    scratch.set(size, canvas);
  }
  return canvas;
}

/** Paints a boundary grid over the whole canvas (plasma for one output, class colours for more). */
export function paintGrid(canvas: HTMLCanvasElement, grid: BoundaryGrid): void {
  const lattice = latticeCanvas(grid.size);
  const pixels = gridPixels(grid);
  lattice.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(pixels), grid.size, grid.size), 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(lattice, 0, 0, canvas.width, canvas.height);
}

/** Where a point of the plane lands on a canvas showing `area`. */
export function toCanvas(area: GridArea, canvas: { width: number; height: number }, x: number, y: number): [number, number] {
  return [((x - area.x[0]) / (area.x[1] - area.x[0])) * canvas.width, ((area.y[1] - y) / (area.y[1] - area.y[0])) * canvas.height];
}

/** The point of the plane under a canvas position (the inverse of {@link toCanvas}). */
export function toPlane(area: GridArea, canvas: { width: number; height: number }, px: number, py: number): [number, number] {
  return [area.x[0] + (px / canvas.width) * (area.x[1] - area.x[0]), area.y[1] - (py / canvas.height) * (area.y[1] - area.y[0])];
}

/**
 * Draws points as the report does: for two classes open white circles
 * (class 0) and dark triangles (class 1), readable on plasma's dark and
 * bright ends and without colour; for more, each class its colour and shape.
 * Test points are drawn smaller and hollow.
 */
export function drawPoints(canvas: HTMLCanvasElement, area: GridArea, points: PlotPoints, classes: number, test = false): void {
  const ctx = canvas.getContext('2d')!;
  const r = Math.max(1.6, canvas.width / 110) * (test ? 0.8 : 1);
  ctx.lineWidth = 1;
  for (let i = 0; i < points.labels.length; i++) {
    const [px, py] = toCanvas(area, canvas, points.x[2 * i], points.x[2 * i + 1]);
    const label = points.labels[i];
    const two = classes <= 2;
    const fill = two ? (label === 1 ? '#1a1a1a' : '#ffffff') : categoryColor(label);
    const stroke = two ? (label === 1 ? '#ffffff' : '#1a1a1a') : '#1a1a1a';
    ctx.beginPath();
    if (label % 2 === 1) {
      ctx.moveTo(px, py - r * 1.2);
      ctx.lineTo(px + r * 1.1, py + r * 0.8);
      ctx.lineTo(px - r * 1.1, py + r * 0.8);
      ctx.closePath();
    } else ctx.arc(px, py, r, 0, 2 * Math.PI);
    ctx.strokeStyle = stroke;
    if (test) {
      ctx.strokeStyle = two ? fill : stroke;
      ctx.stroke();
    } else {
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.stroke();
    }
  }
}
