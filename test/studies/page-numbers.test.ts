import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proseNumbers, seedMeans, unheldNumbers, type PageSources } from '../../src/studies/page-numbers.js';
import { currentRecord, RecordStore, type StoredRecord, type SweepRecord } from '../../src/sweep/store.js';

/** A record whose events have these test errors (%) and cumulative seconds; the last is the final model. */
function record(id: string, errors: number[], seconds: number[] = errors.map((_, k) => 10 * k)): SweepRecord {
  const n = errors.length - 1;
  return {
    format: 'localprop-sweep-record',
    version: 2,
    id,
    label: id,
    schedule: 'local-parallel',
    seed: 0,
    backend: 'wasm',
    options: {},
    configuration: {} as SweepRecord['configuration'],
    history: errors.map((e, k) => ({ epoch: k, testAccuracy: 1 - e / 100, seconds: seconds[k] })),
    final: { epochs: n, trainLoss: 0.125, testLoss: 0.5, testAccuracy: 1 - errors[n] / 100 },
    seconds: seconds[n],
    resumedAt: [],
  };
}

const sources = (...records: SweepRecord[]): PageSources => ({ generated: '| row | 7.25 |', records });
const unheld = (text: string, s: PageSources) => unheldNumbers(text, s).map((u) => u.text);

describe('the numbers of a discussion against its records', () => {
  // Errors after 0..4 epochs; cumulative seconds give epochs of 10, 12, 30 and 14 s (median 13, mean 16.5).
  const a = record('aaaa000000000001', [90, 5.0, 3.21, 1.4, 1.3], [0, 10, 22, 52, 66]);
  const b = record('bbbb000000000002', [90, 6.0, 2.5, 2.0, 1.9]);

  it("reads 'after N epochs' as event N, and rounding as written", () => {
    expect(unheld('3.21% after 2 epochs, 3.2% after 2, 5.0% at epoch 1, 1.4% at 3.', sources(a))).toEqual([]);
    // Event 1's error, read as after 2 epochs (the old convention's off-by-one), and a rounding that is not one.
    expect(unheld('5.0% after 2 epochs; 3.3% after 2 epochs.', sources(a))).toEqual(['5.0', '3.3']);
  });

  it('holds a version-1 record to the new convention: its event k + 1 is after k epochs', () => {
    // Version 1 scored each epoch before its updates: epochs 1..3 held the scores after 0, 1 and 2 epochs.
    const v1: StoredRecord = { ...record('cccc000000000003', [0, 0, 0]), version: 1, history: [90, 5, 3].map((e, k) => ({ epoch: k + 1, testAccuracy: 1 - e / 100 })), final: { epochs: 3, trainLoss: 0.1, testLoss: 0.2, testAccuracy: 0.98 } };
    const converted = currentRecord(v1);
    expect(unheld('90% after 0 epochs, 5% after 1, 3% after 2, 2% after 3.', sources(converted))).toEqual([]);
    expect(unheld('3% after 3 epochs.', sources(converted))).toEqual(['3']);
  });

  it("reads 'over the last K' as one record's last K events, the final model's included", () => {
    expect(unheld('1.3-3.21% over the last three.', sources(a, b))).toEqual([]);
    // Events 1-3 of a: the range that leaves out the final value.
    expect(unheld('1.4-5.0% over the last three.', sources(a, b))).toEqual(['1.4-5.0']);
    // The low end from one record and the high end from another is no record's range.
    expect(unheld('1.3-2.5% over the last three epochs.', sources(a, b))).toEqual(['1.3-2.5']);
  });

  it("reads 'lowest' as a record's lowest test error, and a median of seconds as one", () => {
    expect(unheld('(lowest 1.3%, at epoch 4). 13 s a median epoch, 16.5 s an epoch on average; their median epochs took 13 s.', sources(a))).toEqual([]);
    expect(unheld('(lowest 1.4%). 16.5 s a median epoch.', sources(a))).toEqual(['1.4', '16.5']);
  });

  it('narrows a paragraph to the records its runs marker names, up to the next paragraph or list item', () => {
    const text = '<!-- runs: aaaa --> Here 2.5% after 2 epochs.\n\nThere 2.5% after 2 epochs.\n- <!-- runs: bbbb0000 --> 2.5% after 2 epochs\n- 3.21% after 2 epochs';
    expect(unheldNumbers(text, sources(a, b))).toEqual([{ line: 1, text: '2.5', why: 'no record has this test error or accuracy after 2 epochs (event 2)' }]);
    // A marker after the words it narrows (as pages place them: one that begins a line starts an HTML block).
    expect(unheld('Here 2.5% after 2 epochs <!-- runs: aaaa -->, and 3.21% after 2.\n\nThere 2.5% after 2.', sources(a, b))).toEqual(['2.5']);
    expect(unheld('<!-- runs: dddd --> 2.5%', sources(a, b))).toEqual(['2.5']);
    expect(unheldNumbers('<!-- runs: dddd --> 2.5%', sources(a, b))[0].why).toContain('names dddd, which no record of this page has');
  });

  it('leaves out numbers in an external span, code and link targets, and finds the rest in the generated page', () => {
    const text = 'Theirs <!-- external: their table -->0.80%<!-- /external -->, ours 7.25, `--lr 0.375`, [the page](a/0.375.md); 0.375 itself is not held.';
    expect(unheld(text, sources(a))).toEqual(['0.375']);
    expect(proseNumbers(text).numbers.find((n) => n.text === '0.80')!.external).toBe('their table');
  });

  it('says what is wrong with a marker', () => {
    expect(unheldNumbers('<!-- external: x --> 1.3%', sources(a)).map((u) => u.why)).toEqual(['an external span is never closed: add <!-- /external --> after its numbers']);
    expect(unheldNumbers('<!-- external --> 1.3% <!-- /external -->', sources(a)).map((u) => u.why)).toEqual(['an external span must say where its numbers come from: <!-- external: source -->']);
    expect(unheldNumbers('1.3% <!-- /external -->', sources(a)).map((u) => u.why)).toEqual(['closes no external span']);
  });

  it('takes differences and ratios from the numbers of the page or paragraph, and means over seeds from summaries', () => {
    expect(unheld('1.76% against 1.55%: 0.21 points behind, and 0.0002 behind in accuracy; 1.14× the seconds.', { generated: '| 1.76 | 1.55 | 0.9388 | 0.9386 | 10 | 11.4 |', records: [] })).toEqual([]);
    expect(unheld('0.22 points behind; 0.0003 behind.', { generated: '| 0.9388 | 0.9386 | 1.76 | 1.55 |', records: [] })).toEqual(['0.22', '0.0003']);
    const summary = { runs: [{ family: 'p', seed: 1, curve: [0.5, 0.75] }, { family: 'p', seed: 2, curve: [0.25, 0.5] }, { family: 'q', seed: 1, curve: [1, 1] }] };
    expect(seedMeans(summary)).toEqual([1.5, 0.375, 0.625, 1, 1, 1]);
  });
});

const RESULTS = 'docs/results';
/** Each page, the records it is generated from and the summaries its runs left where their records are not committed. */
const PAGES: { page: string; records?: string; summaries?: string[] }[] = [
  { page: 'gated', summaries: ['gated.json'] },
  { page: 'mnist', records: 'mnist-runs' },
  { page: 'nokland', records: 'nokland-runs' },
  { page: 'rules', records: 'rules-runs' },
  { page: 'parallel', summaries: ['parallel.json'] },
];

describe('every results page', () => {
  for (const { page, records, summaries = [] } of PAGES) {
    it(`${page}.md holds its discussion as written, and every number of it is in its records or tables`, () => {
      const text = readFileSync(join(RESULTS, `${page}.md`), 'utf8');
      const discussion = readFileSync(join(RESULTS, `${page}.discussion.md`), 'utf8').trim();
      // A page re-rendered since its discussion last changed (`--render-only`).
      expect(text.endsWith(`## Discussion\n\n${discussion}\n`)).toBe(true);
      const generated = text.slice(0, text.lastIndexOf('\n## Discussion\n'));
      const stored = records && existsSync(join(RESULTS, records)) ? new RecordStore(join(RESULTS, records)).records() : [];
      expect(stored.length > 0 || summaries.length > 0).toBe(true);
      const unheldHere = unheldNumbers(discussion, { generated, records: stored, summaries: summaries.map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as unknown) });
      expect(unheldHere.map((u) => `${page}.discussion.md line ${u.line}: ${u.text}: ${u.why}`)).toEqual([]);
    });
  }

  it("rules.md's caption says where the test set was scored, as every record's options say", () => {
    const text = readFileSync(join(RESULTS, 'rules.md'), 'utf8');
    expect(text).toContain('`evalThread: "off"`');
    const off = new RecordStore(join(RESULTS, 'rules-runs')).records().filter((r) => r.options.evalThread !== 'off');
    // A record scored on its own thread needs the caption in src/studies/rules-report.ts changed.
    expect(off.map((r) => r.id)).toEqual([]);
  });
});
