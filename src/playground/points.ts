import { parseCsvRows } from '../data/csv.js';
import { makeDataset, oneHot, type Dataset } from '../data/dataset.js';
import { check } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** A point of the user's own data: x, y and its class (0, 1, 2, …). */
export type Point = [number, number, number];

/** Classes a user may give points of: as many as the report's palette tells apart. */
export const MAX_CLASSES = 8;

/** Clicked points are rounded to this many decimals, so a link carries them exactly. */
const LINK_DECIMALS = 3;

export function roundForLink(v: number): number {
  return Number(v.toFixed(LINK_DECIMALS));
}

/** `x,y,class;x,y,class…`: the points as a link writes them. */
export function encodePoints(points: Point[]): string {
  return points.map(([x, y, c]) => `${roundForLink(x)},${roundForLink(y)},${c}`).join(';');
}

/** Reads {@link encodePoints}' text, saying which point is wrong. */
export function decodePoints(text: string): Point[] {
  if (text.trim() === '') return [];
  return text.split(';').map((item, i) => {
    const parts = item.split(',').map(Number);
    check(parts.length === 3 && parts.every(Number.isFinite), `point ${i + 1} ("${item}") is not x,y,class`);
    checkClass(parts[2], `point ${i + 1}`);
    return parts as Point;
  });
}

function checkClass(label: number, where: string): void {
  check(Number.isInteger(label) && label >= 0 && label < MAX_CLASSES, `${where}: class ${label} must be a whole number from 0 to ${MAX_CLASSES - 1}`);
}

/**
 * Points from an uploaded CSV: two feature columns and a class column
 * (0/1 or 0, 1, 2, …), with or without a header line.
 */
export function pointsFromCsv(text: string, source: string): Point[] {
  const csv = parseCsvRows(text, source);
  check(csv.featureCount === 2, `${source} has ${csv.featureCount} feature columns; the playground draws the plane, so give x,y,class rows`);
  const points: Point[] = [];
  for (let i = 0; i < csv.rows; i++) {
    // The label as written: its float32 would take 1.0000000001 for 1.
    const label = csv.exactTargets[i] + 0; // -0 is class 0
    checkClass(label, `${source} line ${csv.lines[i]}`);
    points.push([shortest(csv.features[2 * i]), shortest(csv.features[2 * i + 1]), label]);
  }
  check(points.length >= 2, `${source} holds ${points.length} point(s); give at least 2 rows of x,y,class`);
  return points;
}

/**
 * The CSV reader keeps float32s: 0.3 comes back as 0.30000001192…. The
 * short decimal with the same float32 is what the user wrote, and what
 * lets a link carry the point exactly; training sees the same float32.
 */
function shortest(v: number): number {
  const short = roundForLink(v);
  return Math.fround(short) === v ? short : v;
}

/** The points as CSV with a header, in the form `localprop --train/--test` reads. */
export function pointsToCsv(points: Point[]): string {
  // 9 significant digits carry a float32 exactly through text.
  const num = (v: number) => String(Number(Math.fround(v).toPrecision(9)));
  return ['x,y,class', ...points.map(([x, y, c]) => `${num(x)},${num(y)},${c}`)].join('\n') + '\n';
}

/** How many classes the points have: at least two. */
export function classCount(points: Point[]): number {
  return Math.max(2, ...points.map((p) => p[2] + 1));
}

/** Below this many points every point is both trained on and tested on: a split would leave too little of either. */
export const MIN_SPLIT_POINTS = 10;

/**
 * The points' training and test sets: a seeded shuffle split by `share`,
 * or (below {@link MIN_SPLIT_POINTS}) all points in both, which
 * `sharedTest` reports so the page can say so.
 */
export function splitPoints(points: Point[], share: number, seed: number): { train: Point[]; test: Point[]; sharedTest: boolean } {
  check(points.length >= 2, 'add at least 2 points (click the picture, or upload a CSV)');
  if (points.length < MIN_SPLIT_POINTS) return { train: points, test: points, sharedTest: true };
  const order = Array.from(new Rng(seed).fork('points').permutation(points.length));
  const cut = Math.min(points.length - 1, Math.max(1, Math.round(points.length * share)));
  return { train: order.slice(0, cut).map((i) => points[i]), test: order.slice(cut).map((i) => points[i]), sharedTest: false };
}

/** A dataset of points, with one 0/1 target for two classes and one-hot rows for more (as the CSV reader makes them). */
export function pointsDataset(points: Point[], classes: number): Dataset {
  const x = new Float32Array(points.flatMap(([a, b]) => [a, b]));
  const labels = new Float32Array(points.map((p) => p[2]));
  return classes <= 2 ? makeDataset(x, labels, 2, 1) : makeDataset(x, oneHot(labels, classes), 2, classes);
}
