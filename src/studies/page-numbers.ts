import type { RecordEpoch, SweepRecord } from '../sweep/store.js';

/**
 * Which numbers of a results page's discussion its records hold: the rule
 * that keeps hand-written prose honest when records change (docs/results.md
 * states it). Each number of the prose (a decimal, or a whole number with a
 * unit: %, s, ms, minutes, h, points, ×, MiB) must be found, rounded as
 * written, among the values of the page's records or of its generated
 * tables; some phrases ask for one value in particular:
 *
 * - `X% after N epochs`, `X% at epoch N`, `X% at N`: a record's test error
 *   or accuracy (or a block probe's) after N epochs, event N of its history;
 * - `A-B% over the last K`: the lowest and highest test error of one record's
 *   last K events, the final model's included;
 * - `lowest X%`: a record's lowest test error after any epoch;
 * - `X s a median epoch`, or seconds after the word median with no bracket
 *   or clause between them: a record's median seconds an epoch.
 *
 * Two markers, HTML comments the page does not show, say what the prose
 * cannot: `<!-- runs: ID ... -->` narrows the numbers of its paragraph or
 * list item to those records (a marker is best put after some words: one
 * that begins a line starts an HTML block in Markdown, which would show the
 * rest of its line unformatted); `<!-- external: where
 * from -->` ... `<!-- /external -->` encloses numbers that no record holds
 * (a paper's figure, a run nobody recorded), which the prose must say too.
 */

/** How a number is written to be read. */
export type NumberUnit = 'percent' | 'seconds' | 'ms' | 'minutes' | 'hours' | 'points' | 'times' | 'mib' | 'plain';

/** One number of a discussion and what its words ask of it. */
export interface ProseNumber {
  /** As written (the range's low end for a range over the last epochs). */
  text: string;
  value: number;
  /** Half the last written digit: how far a value may lie and round to it. */
  tolerance: number;
  unit: NumberUnit;
  line: number;
  /** The records a `runs` marker in its paragraph or list item named. */
  runs?: string[];
  /** Set inside an `external` span: its reason. */
  external?: string;
  /** `after N epochs` / `at epoch N`. */
  afterEpochs?: number;
  /** `A-B over the last K`: this number is A, `high` is B. */
  lastEvents?: { count: number; high: ProseNumber };
  lowest?: boolean;
  median?: boolean;
  /** A plain number the words call a difference (`0.0002 behind`). */
  difference?: boolean;
  /** The other numbers of its paragraph or list item, of which it may be a difference or ratio. */
  neighbours: number[];
}

/** A number no record holds, or a marker the checker cannot read. */
export interface UnheldNumber {
  line: number;
  text: string;
  why: string;
}

/** What a page is generated from. */
export interface PageSources {
  /** The page above its discussion: tables and text generated from its records. */
  generated: string;
  /** The study's sweep records. */
  records: SweepRecord[];
  /** Summaries the page is generated from where runs left no records here (gated.json, parallel.json). */
  summaries?: unknown[];
}

const NUMBER = String.raw`\d+(?:,\d{3})*(?:\.\d+)?(?:e[-−]?\d+)?`;
const UNITS: [RegExp, NumberUnit][] = [
  [/^\s?%/, 'percent'],
  [/^\s?×/, 'times'],
  [/^\s*ms\b/, 'ms'],
  [/^\s*(?:s|seconds?)\b/, 'seconds'],
  [/^\s*(?:minutes?|min)\b/, 'minutes'],
  [/^\s*(?:h|hours?)\b/, 'hours'],
  [/^\s*points?\b/, 'points'],
  [/^\s*MiB\b/, 'mib'],
];
const COUNT_WORDS: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

function parseNumber(text: string): { value: number; tolerance: number } {
  const plain = text.replace(/,/g, '').replace(/−/g, '-');
  const [mantissa, exponent] = plain.split('e');
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  return { value: Number(plain), tolerance: 0.5 * 10 ** (-decimals + (exponent ? Number(exponent) : 0)) };
}

/** The text with code spans, link targets and HTML comments blanked out (lines and offsets kept): no number in them is prose. */
function prose(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return text
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/`[^`]*`/g, blank)
    .replace(/\]\([^)]*\)/g, (s) => `]${blank(s.slice(1))}`);
}

/** Where paragraphs and list items begin: a `runs` marker's reach ends there. */
function blockStarts(text: string): number[] {
  return [...text.matchAll(/\n[ \t]*\n|\n[ \t]*(?:[-*+]|\d+\.)[ \t]|\n#/g)].map((m) => m.index!);
}

/** Every number of a discussion, with what its words and markers say of it; `errors` lists markers it cannot read. */
export function proseNumbers(discussion: string): { numbers: ProseNumber[]; errors: UnheldNumber[] } {
  const lineAt = (offset: number) => discussion.slice(0, offset).split('\n').length;
  const errors: UnheldNumber[] = [];
  const markers = [...discussion.matchAll(/<!--\s*(runs|external|\/external)\b:?([\s\S]*?)-->/g)].map((m) => ({ at: m.index!, kind: m[1], body: m[2].trim() }));
  const spans: { from: number; to: number; reason: string }[] = [];
  let open: { at: number; reason: string } | null = null;
  for (const m of markers) {
    if (m.kind === 'external') {
      if (open) errors.push({ line: lineAt(m.at), text: '<!-- external -->', why: 'an external span opens inside another; close the first with <!-- /external -->' });
      if (!m.body) errors.push({ line: lineAt(m.at), text: '<!-- external -->', why: 'an external span must say where its numbers come from: <!-- external: source -->' });
      open = { at: m.at, reason: m.body };
    } else if (m.kind === '/external') {
      if (!open) errors.push({ line: lineAt(m.at), text: '<!-- /external -->', why: 'closes no external span' });
      else spans.push({ from: open.at, to: m.at, reason: open.reason });
      open = null;
    }
  }
  if (open) errors.push({ line: lineAt(open.at), text: '<!-- external -->', why: 'an external span is never closed: add <!-- /external --> after its numbers' });
  const scopes = markers.filter((m) => m.kind === 'runs').map((m) => ({ at: m.at, runs: m.body.split(/[\s,]+/).filter(Boolean) }));
  const starts = blockStarts(discussion);
  const blockOf = (offset: number) => [...starts, 0].filter((s) => s <= offset).reduce((a, b) => Math.max(a, b), 0);
  const text = prose(discussion);
  const numbers: ProseNumber[] = [];
  const blocks = new Map<ProseNumber, number>();
  const pattern = new RegExp(String.raw`(?<![\w.\/])(${NUMBER})(?:\s?[-–]\s?(${NUMBER}))?`, 'g');
  for (const m of text.matchAll(pattern)) {
    const at = m.index!;
    let rest = text.slice(at + m[0].length);
    if (/^[A-Za-z_]/.test(rest) && !/^(?:ms|s|h|min)\b/.test(rest)) continue;
    const unitMatch = UNITS.find(([re]) => re.test(rest));
    const unit: NumberUnit = unitMatch?.[1] ?? 'plain';
    if (unitMatch) rest = rest.replace(unitMatch[0], '');
    const ends = [m[1], m[2]].filter((s): s is string => s !== undefined);
    if (unit === 'plain' && !ends.some((s) => /[.e]/.test(s))) continue;
    const words = rest.slice(0, 80).replace(/\s+/g, ' ');
    const sentence = text.slice(Math.max(0, at - 80), at).replace(/\s+/g, ' ').split(/\. /).pop()!;
    const span = spans.find((s) => s.from < at && at < s.to);
    const mine = scopes.filter((s) => blockOf(s.at) === blockOf(at));
    const scope = mine.filter((s) => s.at < at).pop() ?? mine[0];
    const make = (written: string): ProseNumber => ({
      text: written,
      ...parseNumber(written),
      unit,
      line: lineAt(at),
      neighbours: [],
      ...(scope ? { runs: scope.runs } : {}),
      ...(span ? { external: span.reason } : {}),
    });
    const parts = ends.map(make);
    for (const p of parts) blocks.set(p, blockOf(at));
    const last = /^,? (?:over|in) the last (\w+)/.exec(words);
    if (last && parts.length === 2 && unit === 'percent') {
      const count = COUNT_WORDS[last[1]] ?? Number(last[1]);
      if (Number.isInteger(count) && count > 0) {
        numbers.push({ ...parts[0], lastEvents: { count, high: parts[1] } });
        continue;
      }
    }
    const after = /^,? (?:test error )?(?:after|at) (?:epoch )?(\d+)(?! ?[%×.\d])(?! ?(?:ms|s|min|h|points)\b)/.exec(words);
    for (const p of parts) {
      if (after && unit === 'percent' && p === parts[parts.length - 1]) p.afterEpochs = Number(after[1]);
      if (unit === 'percent' && /\blowest[ ,]*$/.test(sentence)) p.lowest = true;
      if (unit === 'plain' && /^ (?:behind|ahead|apart|more|less|under|over|better|worse)\b/.test(words)) p.difference = true;
      if (unit === 'seconds' && (/^,? ?a median epoch/.test(words) || /\bmedian\b[^.;,()]*$/.test(sentence))) p.median = true;
      numbers.push(p);
    }
  }
  // A difference or ratio may come from the numbers around it.
  for (const n of numbers) n.neighbours = numbers.filter((o) => o !== n && blocks.get(o) === blocks.get(n)).map((o) => o.value);
  return { numbers, errors };
}

/** What a record holds that prose may quote. */
interface RunFacts {
  id: string;
  /** Test error and accuracy (%), and the blocks' probes, after each number of epochs. */
  scoresAfter: Map<number, number[]>;
  /** Test error (%) of events 1 to the last, in order. */
  errors: number[];
  medianEpochSeconds?: number;
  /** Every number of the record, as fractions, percentages, errors, seconds, minutes, hours and milliseconds a step. */
  values: number[];
  /** Final scores (%) and seconds: what differences and ratios are taken of. */
  headline: number[];
}

function percentForms(x: number): number[] {
  return x >= 0 && x <= 1 ? [x, 100 * x, 100 * (1 - x), 1 - x] : [x];
}

/** Every number in a JSON value, numbers written in its strings (labels, option values) included. */
export function jsonNumbers(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number' && Number.isFinite(value)) out.push(value);
  else if (typeof value === 'string') for (const m of value.matchAll(new RegExp(NUMBER, 'g'))) out.push(parseNumber(m[0]).value);
  else if (Array.isArray(value)) for (const v of value) jsonNumbers(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) jsonNumbers(v, out);
  return out;
}

/**
 * Means over seeds in a summary: every list of objects with a `seed`, grouped
 * by their other text fields (one configuration), each number and each
 * entry of a list of numbers (a curve) averaged over the group.
 */
export function seedMeans(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) {
    const runs = value.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object' && 'seed' in v);
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const r of runs) {
      const key = JSON.stringify(Object.entries(r).filter(([k, v]) => k !== 'seed' && typeof v === 'string'));
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const group of groups.values()) {
      for (const field of Object.keys(group[0])) {
        const values = group.map((r) => r[field]);
        if (values.every((v) => typeof v === 'number')) out.push((values as number[]).reduce((a, b) => a + b, 0) / values.length);
        else if (values.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))) {
          const lists = values as number[][];
          const length = Math.min(...lists.map((l) => l.length));
          for (let k = 0; k < length; k++) out.push(lists.reduce((a, l) => a + l[k], 0) / lists.length);
        }
      }
    }
    for (const v of value) if (v && typeof v === 'object') seedMeans(v, out);
  } else if (value && typeof value === 'object') for (const v of Object.values(value)) seedMeans(v, out);
  return out;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Examples an epoch trains on, for milliseconds a step (the image datasets' 60,000 unless limited). */
function trainRows(record: SweepRecord): number | undefined {
  const limit = record.options.limit as number | undefined;
  const dataset = record.options.dataset as string | undefined;
  return limit ?? (dataset === 'mnist' || dataset === 'fashion-mnist' ? 60_000 : undefined);
}

function runFacts(record: SweepRecord): RunFacts {
  const error = (e: RecordEpoch) => 100 * (1 - e.testAccuracy);
  // The blocks' probes of an event describe the same network as its scores.
  const probes = (e: RecordEpoch) => (e.blockAccuracy ?? []).filter((a) => typeof a === 'number' && Number.isFinite(a)).flatMap((a) => [100 * (1 - a), 100 * a]);
  const scoresAfter = new Map(record.history.map((e) => [e.epoch, [error(e), 100 * e.testAccuracy, ...probes(e)]] as [number, number[]]));
  const cumulative = record.history.map((e) => e.seconds ?? 0);
  const perEpoch = record.history.some((e) => e.seconds !== undefined) ? cumulative.slice(1).map((s, i) => s - cumulative[i]) : [];
  const values = jsonNumbers(record).flatMap(percentForms);
  const medianEpochSeconds = median(perEpoch);
  const { seconds } = record;
  const epochs = record.final.epochs;
  values.push(seconds / 60, seconds / 3600, seconds / epochs, ...perEpoch);
  if (record.wallSeconds !== undefined) values.push(record.wallSeconds / 60, record.wallSeconds / 3600);
  if (medianEpochSeconds !== undefined) values.push(medianEpochSeconds);
  const rows = trainRows(record);
  const batch = record.options.batchSize as number | undefined;
  if (rows && record.options.step === 'batch' && batch) values.push((1000 * seconds) / (epochs * Math.ceil(rows / batch)));
  const final = record.final;
  return {
    id: record.id,
    scoresAfter,
    errors: record.history.slice(1).map(error),
    ...(medianEpochSeconds !== undefined ? { medianEpochSeconds } : {}),
    values,
    headline: [100 * (1 - final.testAccuracy), 100 * final.testAccuracy, seconds],
  };
}

const near = (a: number, n: ProseNumber) => Math.abs(Math.abs(a) - n.value) <= n.tolerance * (1 + 1e-9) + 1e-12;

/** Whether some a / b (times) or a − b (points, or another difference) of `pool` rounds to the number. */
function derivable(n: ProseNumber, pool: number[]): boolean {
  const sorted = sortedUnique(pool.filter((v) => v !== 0));
  const other = (b: number) => ({ ...n, value: b, tolerance: n.unit === 'times' ? n.tolerance * (b / n.value) : n.tolerance });
  for (const a of sorted) {
    // a − b = n within its rounding: b lies within n's tolerance of a − n; a / b = n: b within a / n's share of it.
    const b = n.unit === 'times' ? a / n.value : a - n.value;
    if (b > 0 && holds(sorted, other(b))) return true;
  }
  return false;
}

function sortedUnique(values: number[]): Float64Array {
  return Float64Array.from(new Set(values.map(Math.abs))).sort();
}

function holds(sorted: Float64Array, n: ProseNumber): boolean {
  let lo = 0;
  let hi = sorted.length;
  const low = n.value - n.tolerance * (1 + 1e-9) - 1e-12;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < low) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && near(sorted[lo], n);
}

/** The numbers of a discussion that neither its page's generated part nor its records hold, and its markers' faults; empty when the prose matches. */
export function unheldNumbers(discussion: string, sources: PageSources): UnheldNumber[] {
  const { numbers, errors } = proseNumbers(discussion);
  const facts = sources.records.map(runFacts);
  const page = jsonNumbers(sources.generated);
  const summaries = (sources.summaries ?? []).flatMap((s) => [...jsonNumbers(s), ...seedMeans(s)]).flatMap(percentForms);
  const everyRun = sortedUnique([...page, ...summaries, ...facts.flatMap((f) => f.values)]);
  const byScope = new Map<string, Float64Array>();
  const out = [...errors];
  for (const n of numbers) {
    if (n.external !== undefined) continue;
    const unknown = (n.runs ?? []).filter((id) => !facts.some((f) => f.id.startsWith(id)));
    if (unknown.length > 0) {
      out.push({ line: n.line, text: n.text, why: `its runs marker names ${unknown.join(', ')}, which no record of this page has` });
      continue;
    }
    const runs = n.runs ? facts.filter((f) => n.runs!.some((id) => f.id.startsWith(id))) : facts;
    const unheld = (why: string) => out.push({ line: n.line, text: n.lastEvents ? `${n.text}-${n.lastEvents.high.text}` : n.text, why });
    if (n.lastEvents) {
      const { count, high } = n.lastEvents;
      const ok = runs.some((f) => {
        const tail = f.errors.slice(-count);
        return tail.length === count && near(Math.min(...tail), n) && near(Math.max(...tail), high);
      });
      if (!ok) unheld(`no record's last ${count} events range over it (lowest and highest test error %, the final model's included)`);
      continue;
    }
    if (n.afterEpochs !== undefined) {
      if (!runs.some((f) => (f.scoresAfter.get(n.afterEpochs!) ?? []).some((v) => near(v, n)))) unheld(`no record has this test error or accuracy after ${n.afterEpochs} epochs (event ${n.afterEpochs})`);
      if (!n.lowest) continue;
    }
    if (n.lowest) {
      if (!runs.some((f) => f.errors.length > 0 && near(Math.min(...f.errors), n))) unheld('no record has this as its lowest test error');
      continue;
    }
    if (n.median) {
      if (!runs.some((f) => f.medianEpochSeconds !== undefined && near(f.medianEpochSeconds, n))) unheld('no record has this median seconds an epoch');
      continue;
    }
    const key = n.runs ? n.runs.join(' ') : '';
    if (!byScope.has(key)) byScope.set(key, n.runs ? sortedUnique([...page, ...summaries, ...runs.flatMap((f) => f.values)]) : everyRun);
    if (holds(byScope.get(key)!, n)) continue;
    if ((n.unit === 'points' || n.unit === 'times' || n.difference) && derivable(n, [...page, ...n.neighbours, ...runs.flatMap((f) => f.headline)])) continue;
    unheld('neither the records nor the generated page hold it (rounded as written)');
  }
  return out;
}
