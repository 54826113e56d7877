import { getSchedule } from '../schedules/registry.js';
import { scheduleWithRule } from '../rules/registry.js';
import type { SummaryRow } from '../experiment/summary.js';
import { distinctMiB, memoryLabel, type ExperimentMemory } from '../metrics/memory.js';
import type { DivergedRun } from './run-experiment.js';

/** Right-aligned columns under a header, separated by two spaces. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Whether a loss is small enough that four decimals lose it (0.0000 for a nearly perfect fit). */
const tiny = (value: number) => value !== 0 && Number.isFinite(value) && Math.abs(value) < 0.01;

/**
 * A loss for a reader: four decimals while that keeps two significant
 * digits, else two significant digits in exponent form, so a nearly perfect
 * fit reads 3.1e-5 and not 0.0000.
 */
export function formatLoss(value: number): string {
  return tiny(value) ? value.toExponential(1) : value.toFixed(4);
}

/** Mean ± std of a loss, both in the form the mean needs, so the two read alike; the mean alone for one seed (`std` undefined). */
export function formatLossStats(mean: number, std?: number): string {
  const form = (v: number) => (tiny(mean) ? v.toExponential(1) : v.toFixed(4));
  return std === undefined ? form(mean) : `${form(mean)} ± ${form(std)}`;
}

/** Seconds with two significant decimals below 10 s, one above. */
function formatSeconds(value: number, digitsOf = value): string {
  return value.toFixed(digitsOf < 10 ? 2 : 1);
}

/** Whether a schedule trains its hidden blocks' rule (their decoders): back-propagation does not. */
export function usesDecoders(schedule: string): boolean {
  return getSchedule(schedule).trainsRule;
}

/**
 * The comparison table: mean ± sample std over seeds (the mean alone for one seed). `scoredOn` names the
 * held-out set the accuracy and loss are measured on (`validation` with --val).
 * Back-propagation's decoder cell is a dash: it trains no decoder.
 */
export function formatSummary(rows: SummaryRow[], scoredOn: 'test' | 'validation' = 'test', diverged: DivergedRun[] = []): string {
  const set = scoredOn === 'test' ? 'test' : 'val';
  // One row per schedule and decoder mode whose runs diverged, after the rows of the runs that finished.
  const divergedRows = new Map<string, DivergedRun[]>();
  for (const d of diverged) {
    const key = `${d.schedule}\u0000${d.decoders}`;
    divergedRows.set(key, [...(divergedRows.get(key) ?? []), d]);
  }
  const divergedCells = [...divergedRows.values()].map((ds) => [
    ds[0].schedule,
    ds[0].decoders,
    String(ds.length),
    'diverged',
    ds.map((d) => `seed ${d.seed} ${d.epoch === null ? 'at the end' : `epoch ${d.epoch}`}`).join(', '),
    '',
    '',
  ]);
  return formatTable(
    ['schedule', 'decoders', 'seeds', `${set} accuracy`, `${set} loss`, 'train loss', 'seconds a run'],
    rows
      .map((r) => {
        // One seed has no spread: the mean alone.
        const spread = r.seeds.length > 1;
        const std = (s: { std: number }) => (spread ? s.std : undefined);
        return [
          scheduleWithRule(r.schedule, r.rule),
          usesDecoders(r.schedule) ? r.decoders : '—',
          String(r.seeds.length),
          r.testAccuracy.mean.toFixed(4) + (spread ? ` ± ${r.testAccuracy.std.toFixed(4)}` : '') + (r.collapsed ? ` (collapsed: seed ${r.collapsed.join(', ')})` : ''),
          formatLossStats(r.testLoss.mean, std(r.testLoss)),
          formatLossStats(r.trainLoss.mean, std(r.trainLoss)),
          formatSeconds(r.seconds.mean) + (spread ? ` ± ${formatSeconds(r.seconds.std, r.seconds.mean)}` : ''),
        ];
      })
      .concat(divergedCells),
  );
}

/** Bytes with the unit that keeps the number short: 512 B, 41 KiB, 3.2 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** "a", "a and b", "a, b and c". */
function inWords(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * The memory estimate in words, two lines under a title: what a training
 * step keeps for its backward pass (schedules that keep the same amount
 * share one figure), then the parameters, the optimizer's state and what a
 * schedule keeps between steps. Figures are float32 tensor sizes
 * (src/metrics/memory.ts says what is counted).
 */
export function describeMemory(memory: ExperimentMemory): string {
  const bySize = new Map<number, string[]>();
  for (const m of memory.schedules) {
    const names = bySize.get(m.activationBytes) ?? [];
    if (!names.includes(memoryLabel(m))) names.push(memoryLabel(m));
    bySize.set(m.activationBytes, names);
  }
  const rows = [...new Set(memory.schedules.map((m) => m.rowsPerStep))].join(' or ');
  const steps = inWords([...bySize].map(([bytes, names], i) => `${formatBytes(bytes)} with ${i > 0 && names.length > 2 ? `the other ${names.length}` : inWords(names)}`));
  const optimizer = Math.max(...memory.schedules.map((m) => m.optimizerStateBytes));
  const kept = new Map<string, number>();
  for (const m of memory.schedules) if (m.scheduleStateBytes > 0) kept.set(m.schedule, m.scheduleStateBytes);
  const between = [...kept].map(([schedule, bytes]) => `${schedule} ${formatBytes(bytes)}`);
  return [
    'memory, estimated from tensor sizes (float32):',
    `  a training step (${rows} examples) holds ${steps} for its backward pass`,
    `  parameters ${distinctMiB(memory, (m) => m.parameterBytes, formatBytes)}; optimizer state up to ${formatBytes(optimizer)}` + (between.length ? `; kept between steps: ${between.join(', ')}` : ''),
  ].join('\n');
}
