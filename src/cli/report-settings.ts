import type { RecorderOptions } from '../report/recorder.js';
import type { LossScale } from '../report/figures.js';
import type { OptionValues } from './options.js';

/** How the --out folder's pictures are drawn. */
export interface ReportSettings {
  recorder: Partial<RecorderOptions>;
  lossScale: LossScale;
}

/** The report settings of a command, or undefined when it writes no folder, or with --no-report (--report off). */
export function reportSettings(o: OptionValues): ReportSettings | undefined {
  if (o.out === undefined || o.report === 'off') return undefined;
  return {
    recorder: {
      ...(o.gridSize !== undefined ? { gridSize: o.gridSize as number } : {}),
      ...(o.blockGridSize !== undefined ? { blockGridSize: o.blockGridSize as number } : {}),
      ...(o.snapshotEvery !== undefined ? { snapshotEvery: o.snapshotEvery as number } : {}),
    },
    lossScale: (o.lossScale as LossScale | undefined) ?? 'log',
  };
}

/**
 * The --out folder with `{time}` replaced by the local date and time
 * (2026-11-27T11-50-07), so `--out runs/{time}` gives every run its own folder.
 */
export function outFolder(o: OptionValues, now = new Date()): string | undefined {
  const out = o.out as string | undefined;
  if (out === undefined || !out.includes('{time}')) return out;
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  return out.replaceAll('{time}', stamp);
}
