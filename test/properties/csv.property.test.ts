import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvDatasets, parseCsv, type ParsedCsv } from '../../src/data/csv.js';
import { pointsFromCsv, pointsToCsv } from '../../src/playground/points.js';
import { checkProperty, outcome, textOf } from './property.js';

/** Writes a parse back as CSV text: header names quoted as RFC 4180 has it (a quote doubled), numbers in their shortest exact form. */
function toCsv(p: ParsedCsv): string {
  const num = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  const rows: string[] = p.header ? [p.header.map((h) => `"${h.replaceAll('"', '""')}"`).join(',')] : [];
  for (let r = 0; r < p.rows; r++) {
    const cells = [...p.features.subarray(r * p.featureCount, (r + 1) * p.featureCount), ...p.targets.subarray(r * p.targetCount, (r + 1) * p.targetCount)];
    rows.push(cells.map(num).join(','));
  }
  return rows.join('\n');
}

const plain = (p: ParsedCsv) => ({ ...p, features: Array.from(p.features), targets: Array.from(p.targets) });

const cell = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: -5, max: 5 }).map(String) },
  { weight: 40, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String) },
  { weight: 20, arbitrary: fc.constantFrom(' 1 ', '.5', '5.', '+3', '1e-3', '-0', '1E+2') },
  { weight: 1, arbitrary: fc.constantFrom('', 'x', '"y"', 'nan', 'inf', '1e400', '0x1', '--1', '1,5', '"1,5"', '"2"x', '"3', '""""', '"\n"') },
);
/** A cell as a spreadsheet may write it: quoted (RFC 4180) now and then, with blanks around the quotes too. */
const writtenCell = fc
  .tuple(cell, fc.constantFrom('plain', 'plain', 'plain', 'quoted', 'spaced'))
  .map(([c, how]) => (how === 'plain' ? c : how === 'quoted' ? `"${c.replaceAll('"', '""')}"` : ` "${c.replaceAll('"', '""')}" `));
/** Header names, some quoted with a comma, doubled quotes or a line break inside. */
const headerName = fc.constantFrom('x', 'y', 'class', '"a"', 'b c', '1', '"x, first"', '"say ""hi"""', '"two\nlines"', 'my "name"');
/** Rows of cells, mostly of one width, under an optional header: the shapes users upload, right and wrong. */
const tableText = fc
  .record({
    header: fc.option(fc.array(headerName, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    width: fc.integer({ min: 1, max: 4 }),
    // (features; the rows carry one more cell, the target)
    rows: fc.array(fc.array(writtenCell, { minLength: 5, maxLength: 5 }), { maxLength: 12 }),
    // Now and then a row one cell short, to reach the ragged-row errors.
    ragged: fc.integer({ min: 0, max: 15 }),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    // A byte-order mark, as spreadsheets write UTF-8 CSV.
    bom: fc.boolean(),
  })
  .map(({ header, width, rows, ragged, eol, bom }) => (bom ? '\ufeff' : '') + [...(header ? [header.slice(0, width + 1).join(',')] : []), ...rows.map((r, i) => r.slice(0, i === ragged ? width : width + 1).join(','))].join(eol));
const anyCsv = fc.oneof(tableText, textOf(['0', '1', '2', '-', '.', 'e', '5', ',', '\n', '\r\n', ' ', 'x', '"', 'nan', '\t', '1e400']));
/** A text and a target count that mostly leaves feature columns (`width` above is 1 to 4 features). */
const csvAndTargets = fc.tuple(anyCsv, fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }));

describe('the CSV reader (any text)', () => {
  it('parses to a table that round-trips, or refuses with a message (3000 inputs)', () => {
    const { tried, parsed } = checkProperty(
      csvAndTargets,
      ([text, targets]) => {
        const first = outcome(() => parseCsv(text, 'in.csv', { targets }));
        if (!first.ok) return false;
        const p = first.value;
        expect(p.features.length).toBe(p.rows * p.featureCount);
        expect(p.targets.length).toBe(p.rows * p.targetCount);
        expect(p.rows).toBeGreaterThan(0);
        const again = outcome(() => parseCsv(toCsv(p), 'again.csv', { targets }));
        expect(again.ok, again.ok ? '' : again.message).toBe(true);
        expect(plain((again as { value: ParsedCsv }).value)).toEqual(plain(p));
        return true;
      },
      3000,
    );
    expect(tried).toBe(3000);
    // Both kinds of input are reached, or the property tests little.
    expect(parsed).toBeGreaterThan(300);
    expect(parsed).toBeLessThan(2700);
  });

  it('train and test files give datasets whose labels fit their classes, or a message (2000 inputs)', () => {
    const label = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constantFrom(0.5, -1, 9) });
    const labelled = fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), label), { minLength: 0, maxLength: 10 });
    const text = fc.oneof({ weight: 6, arbitrary: labelled.map((rows) => ['a,b,y', ...rows.map((r) => r.join(','))].join('\n')) }, { weight: 1, arbitrary: anyCsv });
    const { parsed } = checkProperty(
      fc.tuple(text, text, fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined, freq: 2 })),
      ([train, test, classes]) => {
        const r = outcome(() => csvDatasets(train, test, { trainSource: 'train.csv', testSource: 'test.csv', classes }));
        if (!r.ok) return false;
        const { train: a, test: b, classes: c } = r.value;
        expect(c).toBeGreaterThanOrEqual(2);
        for (const d of [a, b]) {
          expect(d.outputSize).toBe(c === 2 ? 1 : c);
          expect(d.y.length).toBe(d.count * d.outputSize);
          // One output holds 0/1; one-hot rows hold exactly one 1 (targets from one column).
          if (d.outputSize === 1) expect(Array.from(d.y).every((v) => v === 0 || v === 1)).toBe(true);
          else for (let i = 0; i < d.count; i++) expect(Array.from(d.y.subarray(i * c, (i + 1) * c)).reduce((s, v) => s + v, 0)).toBe(1);
        }
        return true;
      },
      2000,
    );
    expect(parsed).toBeGreaterThan(100);
  });

  it("the playground's point upload parses to points that round-trip through its CSV, or a message (2000 inputs)", () => {
    const points = fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), fc.integer({ min: 0, max: 9 })), { maxLength: 12 });
    const text = fc.oneof(points.map((ps) => ['x,y,class', ...ps.map((p) => p.join(','))].join('\n')), anyCsv);
    const { parsed } = checkProperty(
      text,
      (t) => {
        const r = outcome(() => pointsFromCsv(t, 'points.csv'));
        if (!r.ok) return false;
        const back = outcome(() => pointsFromCsv(pointsToCsv(r.value), 'again.csv'));
        expect(back.ok).toBe(true);
        expect((back as { value: unknown }).value).toEqual(r.value);
        return true;
      },
      2000,
    );
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('found by the properties', () => {
  it('a point label is checked as written, not as its float32 (1.0000000001 is not class 1; -0 is class 0)', () => {
    expect(outcome(() => pointsFromCsv('x,y,c\n0,0,1.0000000001\n1,1,0', 'p.csv'))).toEqual({ ok: false, message: 'p.csv line 2: class 1.0000000001 must be a whole number from 0 to 7' });
    expect(pointsFromCsv('0,0,-0\n1,1,1', 'p.csv')[0][2]).toBe(0);
    expect(Object.is(pointsFromCsv('0,0,-0\n1,1,1', 'p.csv')[0][2], -0)).toBe(false);
  });
});
