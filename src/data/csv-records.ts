import { parse } from '#csv-parse';
import { LocalpropError } from '../util/errors.js';

/**
 * The rows of CSV text as spreadsheets write it, read by csv-parse (RFC
 * 4180): quoted cells, with commas, doubled quotes and line breaks inside;
 * a byte-order mark; lines ending in \n, \r\n or \r, mixed too. In Node the
 * package's own build runs; in a browser (package.json `imports`) its
 * bundle, which brings the `Buffer` it needs.
 */

// One row per call instead of an array of every row: a large file would
// otherwise hold every cell as a string at once.
const OPTIONS = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  bom: true,
  // Blanks around a cell (and around a quoted one) are not part of it, as the reader always had it.
  trim: true,
  // A short or long row is named by the caller, with its line and the count it expected.
  relax_column_count: true,
  // A quote inside an unquoted cell (a header `my "x"`) stays a character, as before the parser.
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

const LINE_BREAK = /\r\n|\n|\r/g;

function lineBreaks(cells: string[]): number {
  let count = 0;
  for (const cell of cells) if (cell.includes('\n') || cell.includes('\r')) count += cell.match(LINE_BREAK)!.length;
  return count;
}

interface CsvParseError {
  code: string;
  lines: number;
  message: string;
}

// By its code, not its class: the Node build and the browser bundle each have their own CsvError.
function isCsvParseError(e: unknown): e is CsvParseError {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('CSV_');
}

/**
 * Calls `onRow` with the cells of each row that is not blank (unquoted,
 * trimmed) and the 1-based line the row starts on. Malformed quoting is a
 * {@link LocalpropError} naming `source` and the line; whatever `onRow`
 * throws passes through.
 */
export function forEachCsvRow(text: string, source: string, onRow: (cells: string[], line: number) => void): void {
  // Blank lines come through as rows of one empty cell, so this is the line before the row in progress.
  let lastLine = 0;
  try {
    parse(text, {
      ...OPTIONS,
      on_record: (cells: string[], context: { lines: number }) => {
        const line = context.lines - lineBreaks(cells);
        lastLine = context.lines;
        if (!(cells.length === 1 && cells[0] === '')) onRow(cells, line);
        return null;
      },
    });
  } catch (e) {
    if (!isCsvParseError(e)) throw e;
    throw new LocalpropError(quotingProblem(e, source, lastLine + 1));
  }
}

function quotingProblem(e: CsvParseError, source: string, rowLine: number): string {
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `\`${source}\` line ${rowLine}: a quoted cell opens on this line and is never closed; add the closing quote ("), or remove the opening one (numbers need no quotes)`;
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `\`${source}\` line ${e.lines}: a quoted cell goes on after its closing quote (like "0.3"x); put the whole cell inside the quotes and double any quote within it ("")`;
    default:
      return `\`${source}\` line ${e.lines}: the CSV cannot be read (${e.message.split('\n')[0]}); check the quotes and commas on that line`;
  }
}
