import { readCell, type BoundaryGrid } from './grid.js';

/**
 * matplotlib's plasma at eleven evenly spaced stops (the seed's colour map):
 * perceptually uniform, ordered in lightness, and readable with the common
 * colour-vision deficiencies. Between stops we interpolate linearly in sRGB,
 * which stays within a couple of levels of the full 256-entry table.
 */
const PLASMA_STOPS = [
  '#0d0887', '#41049d', '#6a00a8', '#8f0da4', '#b12a90', '#cc4778',
  '#e16462', '#f2844b', '#fca636', '#fcce25', '#f0f921',
].map(rgbOf);

/** Okabe and Ito's palette for categories, chosen to stay distinct under colour-vision deficiencies. */
export const CATEGORY_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];

export type Rgb = [number, number, number];

export function rgbOf(hex: string): Rgb {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function hexOf([r, g, b]: Rgb): string {
  return '#' + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/** plasma(t) for t in [0, 1] (clamped). */
export function plasma(t: number): Rgb {
  const u = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) * (PLASMA_STOPS.length - 1);
  const i = Math.min(PLASMA_STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const [a, b] = [PLASMA_STOPS[i], PLASMA_STOPS[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** The colour of class `label`; classes past the palette reuse it. */
export function categoryColor(label: number): string {
  return CATEGORY_COLORS[label % CATEGORY_COLORS.length];
}

/**
 * A grid as RGBA pixels, row 0 on top. One output: the score through
 * plasma (class 1 bright, class 0 dark, the boundary at the middle). More:
 * the predicted class's colour, washed towards white as confidence falls,
 * so both the regions and how sure the model is read at a glance.
 */
export function gridPixels(grid: BoundaryGrid): Uint8ClampedArray {
  const cells = grid.size * grid.size;
  const rgba = new Uint8ClampedArray(cells * 4);
  const palette = CATEGORY_COLORS.map(rgbOf);
  for (let i = 0; i < cells; i++) {
    const { label, confidence } = readCell(grid, i);
    let rgb: Rgb;
    if (grid.outputs === 1) {
      rgb = plasma(confidence);
    } else {
      const base = palette[label % palette.length];
      const strength = 0.15 + 0.85 * confidence;
      rgb = [255 + (base[0] - 255) * strength, 255 + (base[1] - 255) * strength, 255 + (base[2] - 255) * strength];
    }
    rgba[4 * i] = rgb[0];
    rgba[4 * i + 1] = rgb[1];
    rgba[4 * i + 2] = rgb[2];
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
