import type { SummaryRow } from '../experiment/summary.js';

/** Right-aligned columns under a header, separated by two spaces. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The comparison table: mean ± sample std over seeds. `scoredOn` names the
 * held-out set the accuracy and loss are measured on (`validation` with --val).
 */
export function formatSummary(rows: SummaryRow[], scoredOn: 'test' | 'validation' = 'test'): string {
  const set = scoredOn === 'test' ? 'test' : 'val';
  return formatTable(
    ['schedule', 'decoders', 'seeds', `${set} accuracy`, `${set} loss`, 'train loss', 'seconds'],
    rows.map((r) => [
      r.rule ? `${r.schedule} · ${r.rule}` : r.schedule,
      r.decoders,
      String(r.seeds.length),
      `${r.testAccuracy.mean.toFixed(4)} ± ${r.testAccuracy.std.toFixed(4)}`,
      `${r.testLoss.mean.toFixed(4)} ± ${r.testLoss.std.toFixed(4)}`,
      `${r.trainLoss.mean.toFixed(4)} ± ${r.trainLoss.std.toFixed(4)}`,
      `${r.seconds.mean.toFixed(2)} ± ${r.seconds.std.toFixed(2)}`,
    ]),
  );
}
