import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRunCheckpoint } from '../io/run-checkpoint.js';
import { planSweep, type PlannedRun } from '../sweep/plan.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { RECORD_FORMAT, RecordStore, type StoredRecord, type SweepRecord } from '../sweep/store.js';
import { differingOptions } from '../train/run.js';
import { LocalpropError, check } from '../util/errors.js';
import { sweepTrainingOptions } from './sweep-options.js';
import { NOKLAND_ROWS, noklandKey, noklandModel, noklandRuns, noklandTraining, type NoklandDataset, type NoklandRecord, type NoklandRow, type NoklandRun } from './nokland-study.js';

/** The folder of the study's records, inside the results folder (the page names it). */
export const NOKLAND_RECORDS = 'nokland-runs';

/** The backends a run's record may come from: the study trains on native where a BLAS loads, else on wasm. */
export const NOKLAND_BACKENDS = ['native', 'wasm'] as const;

/** A short measurement instead of the recipe (`--limit`, `--epochs`, `--quick`), and other hidden widths (tests). */
export interface NoklandMeasurement {
  /** The first this many training and test examples only. */
  limit?: number;
  /** Epochs instead of the recipe's. */
  epochs?: number;
  /** Hidden widths instead of 3×1024. */
  hidden?: number[];
}

/** How the study's runs are computed, not what (same numbers, same ids): `--eval-thread off` scores on the training thread; `--workers` trains the local rows on a pipeline of that many threads. */
export interface NoklandExecution {
  evalThread?: 'on' | 'off';
  workers?: number;
}

/** What `--quick` measures: 2 epochs on 1000 examples. */
export const NOKLAND_QUICK: NoklandMeasurement = { limit: 1000, epochs: 2 };

/** One row on one dataset as the options of a sweep point: the row's model, schedule and rule over the dataset's recipe, cut down by `measurement`. */
export function noklandPoint(dataset: NoklandDataset, row: NoklandRow, measurement: NoklandMeasurement = {}): Record<string, unknown> {
  return {
    dataset,
    model: noklandModel(row, measurement.hidden),
    schedule: row.schedule,
    rule: row.rule,
    ...sweepTrainingOptions(noklandTraining(dataset), `nokland study on ${dataset}`),
    ...(measurement.limit !== undefined ? { limit: measurement.limit } : {}),
    ...(measurement.epochs !== undefined ? { epochs: measurement.epochs } : {}),
  };
}

/**
 * The study's runs as one sweep spec, in the JSON a spec file holds: one
 * point per dataset and row, the seeds asked, trained on `backend`. Its
 * records folder is `records` (beside the spec unless absolute).
 */
export function noklandSweepSpec(datasets: NoklandDataset[], rows: NoklandRow['row'][], seeds: number[], backend: string, measurement: NoklandMeasurement = {}, execution: NoklandExecution = {}, records = NOKLAND_RECORDS): Record<string, unknown> {
  const chosen = NOKLAND_ROWS.filter((r) => rows.includes(r.row));
  check(chosen.length > 0 && datasets.length > 0 && seeds.length > 0, 'the nokland study needs at least one row, one dataset and one seed');
  return {
    base: { backend, ...(execution.evalThread ? { 'eval-thread': execution.evalThread } : {}), ...(execution.workers && execution.workers > 1 ? { workers: execution.workers } : {}) },
    points: (['mnist', 'fashion-mnist'] as const).filter((d) => datasets.includes(d)).flatMap((dataset) => chosen.map((row) => noklandPoint(dataset, row, measurement))),
    seeds,
    records,
  };
}

/** One planned run of the study: its dataset, row and seed, the key its records had before the study ran as a sweep, and its sweep run. */
export interface NoklandPlannedRun extends NoklandRun {
  /** The name of its record and checkpoint files before the study ran as a sweep (`mnist-pred-seed0`), by which those are still read. */
  key: string;
  planned: PlannedRun;
}

/**
 * The study's runs, planned as `sweep run` plans the spec at
 * `<specFolder>/nokland.sweep.json` (records in its `nokland-runs/`), in
 * the study's order: MNIST before Fashion-MNIST, seed by seed, the rows in
 * page order. Planning checks every option through the option table, so a
 * bad one fails here, before anything trains.
 */
export function planNoklandStudy(specFolder: string, datasets: NoklandDataset[], rows: NoklandRow['row'][], seeds: number[], backend: string, measurement: NoklandMeasurement = {}, execution: NoklandExecution = {}): NoklandPlannedRun[] {
  const spec = noklandSweepSpec(datasets, rows, seeds, backend, measurement, execution);
  const path = join(specFolder, 'nokland.sweep.json');
  const { runs } = planSweep(parseSweepSpec(spec, path), path);
  // planSweep keeps the points in order, each seed by seed within it.
  const points = (['mnist', 'fashion-mnist'] as const).filter((d) => datasets.includes(d)).flatMap((dataset) => NOKLAND_ROWS.filter((r) => rows.includes(r.row)).map((row) => ({ dataset, row })));
  check(runs.length === points.length * seeds.length, 'two runs of the nokland study plan the same configuration; give them different options');
  const byRun = new Map(points.flatMap((p, i) => seeds.map((seed, j) => [`${p.dataset}|${p.row.row}|${seed}`, runs[i * seeds.length + j]] as const)));
  return noklandRuns(datasets, rows, seeds).map((run) => ({ ...run, key: noklandKey(run, measurement.limit, measurement.epochs), planned: byRun.get(`${run.dataset}|${run.row.row}|${run.seed}`)! }));
}

/** The study's runs on every backend it may train on, by their key: what {@link findNoklandRecord} looks through. */
export function noklandVariants(specFolder: string, datasets: NoklandDataset[], rows: NoklandRow['row'][], seeds: number[], measurement: NoklandMeasurement = {}): Map<string, NoklandPlannedRun[]> {
  const byKey = new Map<string, NoklandPlannedRun[]>();
  for (const backend of NOKLAND_BACKENDS) for (const run of planNoklandStudy(specFolder, datasets, rows, seeds, backend, measurement)) byKey.set(run.key, [...(byKey.get(run.key) ?? []), run]);
  return byKey;
}

/**
 * The page's view of a sweep record of the study, from the record alone
 * (its dataset, schedule, rule, model, seed and `limit`), so every record
 * in the folder shows, whatever seeds or measurement it was planned with.
 * Undefined for a record of another study.
 */
export function noklandRunView(record: SweepRecord): NoklandRecord | undefined {
  const data = record.configuration.data;
  if (!('dataset' in data) || (data.dataset !== 'mnist' && data.dataset !== 'fashion-mnist')) return undefined;
  const rule = record.configuration.run.rule ?? 'decoder';
  const row = NOKLAND_ROWS.find((r) => r.schedule === record.schedule && r.rule === rule);
  if (!row) return undefined;
  const cumulative = record.history.map((h) => h.seconds ?? 0);
  const limit = record.options.limit as number | undefined;
  return {
    dataset: data.dataset,
    row: row.row,
    schedule: row.schedule,
    rule: row.rule,
    model: record.options.model as string,
    seed: record.seed,
    epochs: record.final.epochs,
    testError: 1 - record.final.testAccuracy,
    testLoss: record.final.testLoss,
    trainLoss: record.final.trainLoss,
    testErrorPerEpoch: record.history.map((h) => 1 - h.testAccuracy),
    // A block without a read-out scores NaN, which JSON writes as null.
    blockAccuracyPerEpoch: record.history.map((h) => (h.blockAccuracy ?? []).map((a) => (typeof a === 'number' && Number.isFinite(a) ? a : null))),
    // Event 0 scored the untrained network: epoch k's seconds are those between events k - 1 and k.
    secondsPerEpoch: cumulative.slice(1).map((s, i) => s - cumulative[i]),
    seconds: record.seconds,
    backend: record.backend,
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** The name of a record from before the study ran as a sweep: `<dataset>-<row>-seed<n>[-limit<n>][-epochs<n>].json`, as {@link noklandKey} writes it. */
const EARLIER_RECORD = /^(mnist|fashion-mnist)-(backprop|pred|sim|predsim|decoder)-seed(\d+)(?:-limit(\d+))?(?:-epochs(\d+))?\.json$/;

/**
 * A record the study wrote before it ran as a sweep (one file a run, named by
 * {@link noklandKey}), as the sweep record of the run `run`, which the
 * study's spec expands to. Every number the old file had is kept; what the
 * old format lacked (per-epoch losses, the final training accuracy) stays
 * absent, as `imported.note` says.
 */
export function importNoklandRecord(old: NoklandRecord, run: NoklandPlannedRun, from: string): StoredRecord {
  const c = run.planned.configuration.run;
  check(
    old.dataset === run.dataset && old.row === run.row.row && old.seed === c.seed && old.epochs === c.epochs && old.testErrorPerEpoch.length === c.epochs + 1 && old.model === run.planned.options.model,
    `${from} does not hold run ${run.key} of the nokland study (${old.epochs} epochs, ${old.testErrorPerEpoch.length} test errors, model ${old.model}); move it out of the records folder`,
  );
  let elapsed = 0;
  return {
    format: RECORD_FORMAT,
    version: 1,
    id: run.planned.id,
    label: run.planned.label,
    schedule: c.schedule,
    seed: c.seed,
    backend: run.planned.configuration.backend,
    options: run.planned.options,
    configuration: run.planned.configuration,
    history: old.testErrorPerEpoch.slice(0, -1).map((error, k) => ({
      epoch: k + 1,
      testAccuracy: 1 - error,
      ...(old.blockAccuracyPerEpoch[k] ? { blockAccuracy: old.blockAccuracyPerEpoch[k].map((a) => a ?? Number.NaN) } : {}),
      ...(old.secondsPerEpoch[k] !== undefined ? { seconds: (elapsed += old.secondsPerEpoch[k]) } : {}),
    })),
    final: { epochs: old.epochs, trainLoss: old.trainLoss, testLoss: old.testLoss, testAccuracy: 1 - old.testError },
    seconds: old.seconds,
    resumedAt: [],
    imported: { from, note: 'trained by `experiment nokland` before it ran as a sweep: its file kept test error, block probes and seconds per epoch and the final losses, not the per-epoch losses or the final training accuracy' },
  };
}

/**
 * Converts the records in `folder` from before the study ran as a sweep into
 * sweep records of the runs they hold (planned from the file's name, on the
 * backend it names, wasm when it names none: those predate native), so
 * `sweep status|run` of the study's spec count them done; each old file is
 * removed once its new one is written. A run that already has a sweep
 * record keeps it, and the old file stays. Returns how many it converted.
 */
export function importEarlierNoklandRecords(folder: string, specFolder: string): number {
  if (!existsSync(folder)) return 0;
  const store = new RecordStore(folder);
  let converted = 0;
  for (const file of readdirSync(folder).sort()) {
    const name = EARLIER_RECORD.exec(file);
    if (!name) continue;
    const [, dataset, row, seed, limit, epochs] = name;
    const path = join(folder, file);
    let old: NoklandRecord;
    try {
      old = JSON.parse(readFileSync(path, 'utf8')) as NoklandRecord;
    } catch (e) {
      throw new LocalpropError(`${path} is not valid JSON (${(e as Error).message}); it is damaged: move it out of the records folder to train that run again`);
    }
    const measurement = { ...(limit ? { limit: Number(limit) } : {}), ...(epochs ? { epochs: Number(epochs) } : {}) };
    const [run] = planNoklandStudy(specFolder, [dataset as NoklandDataset], [row as NoklandRow['row']], [Number(seed)], old.backend ?? 'wasm', measurement);
    if (store.record(run.planned.id)) continue;
    store.writeRecord(importNoklandRecord(old, run, `${NOKLAND_RECORDS}/${file}`));
    rmSync(path);
    converted++;
  }
  return converted;
}

/** Every record the page shows: the sweep records of the study's runs, by id. */
export function noklandRecords(store: RecordStore): NoklandRecord[] {
  return store.records().flatMap((r) => noklandRunView(r) ?? []);
}

/** True when a run has a sweep record on any backend (`variants`). */
export function noklandDone(variants: NoklandPlannedRun[], store: RecordStore): boolean {
  return variants.some((v) => store.record(v.planned.id) !== undefined);
}

/**
 * Hands a run's mid-run checkpoint from before the study ran as a sweep
 * (`<folder>/<key>.<backend>.safetensors`, the same encoding the sweep
 * runner writes) to the sweep store, so the run continues from it instead
 * of starting over; the old file is removed, so one run never has two.
 * Only a checkpoint of this very configuration (same backend, same resolved
 * options) is taken, and only when the store has none of its own. Says
 * what it did, or null when there was nothing to take.
 */
export function adoptEarlierCheckpoint(run: NoklandPlannedRun, folder: string, store: RecordStore): string | null {
  const file = join(folder, `${run.key}.${run.planned.configuration.backend}.safetensors`);
  if (!existsSync(file) || store.checkpointBytes(run.planned.id)) return null;
  const bytes = new Uint8Array(readFileSync(file));
  const state = decodeRunCheckpoint(bytes, file);
  const differ = differingOptions(state.options, run.planned.configuration.run);
  if (differ.length > 0 || state.seed !== run.seed || state.schedule !== run.row.schedule) return `${file} is not of this run's configuration (${differ.join('; ') || `seed ${state.seed}, ${state.schedule}`}); left where it is, the run starts over`;
  store.writeCheckpointBytes(run.planned.id, bytes);
  rmSync(file);
  return `continues from ${file} (epoch ${state.epoch}), moved into the records folder`;
}
