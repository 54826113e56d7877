import { check } from '../util/errors.js';
import { forEachCsvRow } from './csv-records.js';
import { makeDataset, oneHot, type Dataset } from './dataset.js';

/**
 * Reads numeric CSV files into datasets. Browser-safe: it takes text, so the
 * CLI reads files and the web page reads uploads with the same parser.
 * The rows come from csv-parse (RFC 4180 quoting, a byte-order mark, any
 * line ends; see csv-records.ts); this file adds what a dataset needs.
 */

export interface CsvOptions {
  /** Number of target columns at the end of each row (default 1). */
  targets?: number;
  /**
   * With one target column, the number of classes C: every label must be
   * 0..C-1. Default: the training file's largest label + 1, every class
   * from 0 to it present there.
   */
  classes?: number;
}

/** The rows of a CSV file: features and targets, row-major. */
export interface ParsedCsv {
  /** `rows × featureCount`, row-major. */
  features: Float32Array;
  /** `rows × targetCount`, row-major. */
  targets: Float32Array;
  rows: number;
  featureCount: number;
  targetCount: number;
  /** Column names when the first line is a header, otherwise null. */
  header: string[] | null;
}

// A one-hot row per example is allocated, so an absurd label (a typo such as
// 1e9) must fail with a message instead of an out-of-memory crash.
const MAX_CLASSES = 65536;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Cells that are meant as numbers but are not usable ones; a first line made
// of these (or of blanks) is a bad data row, not a header.
const NUMBER_LIKE = /^([+-]?(nan|inf|infinity))?$/i;

// Trimmed again: blanks inside the quotes (`" 1 "`) are no part of the number either.
function parseNumber(cell: string): number | null {
  const text = cell.trim();
  if (!NUMBER.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * The parse, plus what label errors need: the 1-based source line of each
 * row, and the targets before rounding to float32 (so 1.1 is reported as 1.1).
 */
interface Table extends ParsedCsv {
  lines: number[];
  exactTargets: number[];
}

function readTable(text: string, source: string, options: CsvOptions = {}): Table {
  const targetCount = options.targets ?? 1;
  check(Number.isInteger(targetCount) && targetCount >= 1, `targets must be a whole number ≥ 1 (got ${targetCount}); pass the number of target columns at the end of each row`);

  let columns = 0;
  let header: string[] | null = null;
  const features: number[] = [];
  const targets: number[] = [];
  const rowLines: number[] = [];

  forEachCsvRow(text, source, (cells, lineNo) => {
    if (columns === 0) {
      columns = cells.length;
      check(
        targetCount < columns,
        `\`${source}\` has ${columns} column${columns === 1 ? '' : 's'}, so --targets ${targetCount} leaves no feature column; lower --targets or add feature columns`,
      );
      if (cells.some((cell) => parseNumber(cell) === null && !NUMBER_LIKE.test(cell.trim()))) {
        header = cells;
        return;
      }
    }
    check(
      cells.length === columns,
      `\`${source}\` line ${lineNo}: expected ${columns} columns, found ${cells.length}; every row needs as many values as the first row, so ${cells.length < columns ? 'remove the row or fill the missing value' : 'remove the extra values or the row'}`,
    );
    for (let c = 0; c < columns; c++) {
      const value = parseNumber(cells[c]);
      check(value !== null, () => `\`${source}\` line ${lineNo}, ${columnName(c, header)}: ${cells[c] === '' ? 'empty cell' : `"${cells[c]}"`} is not a finite number; every cell must be numeric, so fix the value or remove the row`);
      (c < columns - targetCount ? features : targets).push(value);
    }
    rowLines.push(lineNo);
  });

  check(columns > 0, `\`${source}\` is empty; it needs rows of comma-separated numbers, optionally under a header line`);
  check(rowLines.length > 0, `\`${source}\` has a header but no data rows; add rows of comma-separated numbers below it`);
  return {
    features: Float32Array.from(features),
    targets: Float32Array.from(targets),
    rows: rowLines.length,
    featureCount: columns - targetCount,
    targetCount,
    header,
    lines: rowLines,
    exactTargets: targets,
  };
}

function columnName(index: number, header: string[] | null): string {
  return header === null ? `column ${index + 1}` : `column ${index + 1} ("${header[index]}")`;
}

/**
 * {@link parseCsv} with what checking labels needs: each row's 1-based line
 * in the text, and the targets as written (before rounding to float32, so a
 * label 1.0000000001 or -1e-50 is not taken for 1 or 0).
 */
export function parseCsvRows(text: string, source: string, options?: CsvOptions): ParsedCsv & { lines: number[]; exactTargets: number[] } {
  return readTable(text, source, options);
}

/** Parses numeric CSV text; the last `targets` columns are the targets. */
export function parseCsv(text: string, source: string, options?: CsvOptions): ParsedCsv {
  const { lines: _lines, exactTargets: _exact, ...parsed } = readTable(text, source, options);
  return parsed;
}

/** The largest class index in a single target column, checking each label; with the 1-based line and the set of labels seen. */
function classIndices(table: Table, source: string): { max: number; maxLine: number; seen: Set<number> } {
  let max = 0;
  let maxLine = table.lines[0];
  const seen = new Set<number>();
  for (let i = 0; i < table.rows; i++) {
    const label = table.exactTargets[i];
    check(
      Number.isInteger(label) && label >= 0 && label < MAX_CLASSES,
      () => `\`${source}\` line ${table.lines[i]}: target ${label} is not a class index; with one target column the last column must hold 0/1 labels or class indices 0, 1, 2, … (below ${MAX_CLASSES}); fix the label, or pass --targets K if the last K columns are already the targets`,
    );
    seen.add(label);
    if (label > max) [max, maxLine] = [label, table.lines[i]];
  }
  return { max, maxLine, seen };
}

/**
 * The number of classes of a single target column: `--classes C`, else the
 * training file's largest label + 1. Labels that would silently widen the
 * task are refused, naming file, line and value: without --classes, a
 * training label above a class that never appears (7 among 0/1, or {1, 2}
 * without 0); in either file, a label ≥ C.
 */
function classCount(train: Table, test: Table, trainSource: string, testSource: string, given: number | undefined): number {
  const t = classIndices(train, trainSource);
  const u = classIndices(test, testSource);
  if (given !== undefined) {
    check(Number.isInteger(given) && given >= 2 && given <= MAX_CLASSES, `--classes must be a whole number from 2 to ${MAX_CLASSES}, got ${given}`);
    for (const [source, found] of [[trainSource, t], [testSource, u]] as const) {
      check(found.max < given, `\`${source}\` line ${found.maxLine}: label ${found.max} is not one of the ${given} classes 0..${given - 1} that --classes ${given} allows; fix the label or raise --classes`);
    }
    return given;
  }
  const classes = Math.max(2, t.max + 1);
  if (classes > 2) {
    const missing = Array.from({ length: classes }, (_, k) => k).filter((k) => !t.seen.has(k));
    check(
      missing.length === 0,
      () => `\`${trainSource}\` line ${t.maxLine}: label ${t.max} makes ${classes} classes, but ${missing.length === 1 ? 'label' : 'labels'} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} never appear${missing.length === 1 ? 's' : ''} in it; class labels must be 0..C-1, so fix the label, or pass --classes ${classes} if those classes are absent on purpose`,
    );
  }
  check(
    u.max < classes,
    () => `\`${testSource}\` line ${u.maxLine}: label ${u.max} is not one of the training file's classes 0..${classes - 1} (\`${trainSource}\`); fix the label, or pass --classes ${u.max + 1} if the training file lacks classes on purpose`,
  );
  return classes;
}

/**
 * Builds train and test datasets from two CSV texts. One target column holds
 * 0/1 labels (kept as is) or class indices (turned into one-hot rows; the
 * classes are 0..C-1 with C from `--classes` or the training file, see
 * {@link CsvOptions.classes}); several target columns are used as given.
 */
export function csvDatasets(
  trainText: string,
  testText: string,
  options: CsvOptions & { trainSource: string; testSource: string },
): { train: Dataset; test: Dataset; classes: number } {
  const { trainSource, testSource } = options;
  const train = readTable(trainText, trainSource, options);
  const test = readTable(testText, testSource, options);
  check(
    train.featureCount === test.featureCount,
    `\`${trainSource}\` has ${train.featureCount} feature columns but \`${testSource}\` has ${test.featureCount}; both files need the same columns in the same order`,
  );
  const inputs = train.featureCount;

  if (train.targetCount > 1) {
    const k = train.targetCount;
    check(options.classes === undefined, `--classes counts the class indices of one target column; with --targets ${k} the ${k} columns are the targets themselves, so drop --classes`);
    return { train: makeDataset(train.features, train.targets, inputs, k), test: makeDataset(test.features, test.targets, inputs, k), classes: k };
  }
  const classes = classCount(train, test, trainSource, testSource, options.classes);
  if (classes <= 2) {
    return { train: makeDataset(train.features, train.targets, inputs, 1), test: makeDataset(test.features, test.targets, inputs, 1), classes: 2 };
  }
  return {
    train: makeDataset(train.features, oneHot(train.targets, classes), inputs, classes),
    test: makeDataset(test.features, oneHot(test.targets, classes), inputs, classes),
    classes,
  };
}
