import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planSweep, type PlannedRun } from '../sweep/plan.js';
import { parseSweepSpec } from '../sweep/spec.js';
import { latestProbes, type RecordStore, type SweepRecord } from '../sweep/store.js';
import { check } from '../util/errors.js';
import { sweepTrainingOptions } from './sweep-options.js';
import { quickRow, RULES_STUDY, rulesRunKey, type RulesRow, type RulesRunRecord } from './rules-study.js';

/** The folder of the study's records, inside the results folder (the page names it). */
export const RULES_RECORDS = 'rules-runs';

/** The backends a row's record may come from: the study trains on native where a BLAS loads, else on wasm. */
export const RULES_BACKENDS = ['native', 'wasm'] as const;

/** The study's seed: every row is one run of seed 0. */
const SEED = 0;

/** How the study's runs are computed, not what: `--eval-thread off` scores on the training thread (same numbers, same ids). */
export interface RulesExecution {
  evalThread?: 'on' | 'off';
}

/**
 * A row's options on one dataset as `localprop train` takes them (the keys
 * of the one option table, dashed), so a sweep spec holds it: the rule's
 * own options (`ff-threshold`, `ff-predict`, …) among them. `trainRows`
 * becomes `limit`, which cuts the test set too (at 10,000 or more it keeps
 * all of it).
 */
export function rowOptions(row: RulesRow, dataset: string): Record<string, unknown> {
  return {
    dataset,
    model: row.model,
    schedule: row.schedule,
    rule: row.rule,
    ...(row.trainRows !== undefined ? { limit: row.trainRows } : {}),
    ...sweepTrainingOptions(row.training, `rules study row ${row.id}`),
  };
}

/** One planned run of the study: the row and dataset it is, and its run. */
export interface RulesRun {
  row: RulesRow;
  dataset: string;
  quick: boolean;
  /** The record's name before the study ran as a sweep (`mnist-ff-seed0`), by which the records of that format are still read. */
  key: string;
  planned: PlannedRun;
}

/**
 * The study's rows on `datasets` as a sweep spec, in the JSON a spec file
 * holds: one point per dataset and row, seed 0, trained on `backend`. Its
 * records folder is `records` (beside the spec unless absolute).
 */
export function rulesSweepSpec(rows: RulesRow[], datasets: string[], backend: string, quick = false, execution: RulesExecution = {}, records = RULES_RECORDS): Record<string, unknown> {
  check(rows.length > 0 && datasets.length > 0, 'the rules study needs at least one row and one dataset');
  return {
    base: { backend, ...(execution.evalThread ? { 'eval-thread': execution.evalThread } : {}) },
    points: datasets.flatMap((dataset) => rows.map((row) => rowOptions(quick ? quickRow(row) : row, dataset))),
    seeds: [SEED],
    records,
  };
}

/**
 * The study's runs, planned as `sweep run` plans the spec at
 * `<specFolder>/rules.sweep.json` (records in its `rules-runs/`), dataset by
 * dataset and row by row. Planning checks every row's options through the
 * option table, so a bad row fails here, before anything trains.
 */
export function planRulesStudy(specFolder: string, rows: RulesRow[], datasets: string[], backend: string, quick = false, execution: RulesExecution = {}): RulesRun[] {
  const spec = rulesSweepSpec(rows, datasets, backend, quick, execution);
  const path = join(specFolder, 'rules.sweep.json');
  const { runs } = planSweep(parseSweepSpec(spec, path), path);
  const wanted = datasets.flatMap((dataset) => rows.map((row) => ({ dataset, row })));
  // One point per (dataset, row), none repeating another: planSweep keeps them in order.
  check(runs.length === wanted.length, `two rows of the rules study plan the same run; give them different options`);
  return runs.map((planned, k) => ({ ...wanted[k], quick, key: rulesRunKey(wanted[k].dataset, wanted[k].row, SEED, quick), planned }));
}

/** Training examples a row's run uses, and its optimizer steps (all blocks' steps of a mini-batch count as one). */
function stepsOf(row: RulesRow, epochs: number): { trainRows: number; steps: number } {
  const trainRows = row.trainRows ?? 60_000;
  const batches = row.training.step === 'epoch' ? 1 : Math.ceil(trainRows / (row.training.batchSize ?? 100));
  return { trainRows, steps: epochs * batches };
}

/**
 * The view of a sweep record that the page reads: the final test error and
 * loss, each hidden block's accuracy as the last epoch's event reports it,
 * the seconds and the backend it trained on.
 */
export function rulesRunView(run: RulesRun, record: SweepRecord): RulesRunRecord {
  const row = run.quick ? quickRow(run.row) : run.row;
  const last = latestProbes(record.history);
  return {
    dataset: run.dataset,
    row: row.id,
    rule: row.rule,
    schedule: row.schedule,
    model: row.model,
    seed: record.seed,
    epochs: record.final.epochs,
    ...stepsOf(row, record.final.epochs),
    testError: 1 - record.final.testAccuracy,
    testLoss: record.final.testLoss,
    blockAccuracy: (last?.blockAccuracy ?? []).slice(0, -1),
    seconds: record.seconds,
    backend: record.backend,
    ...(run.quick ? { quick: true } : {}),
  };
}

/** The records folder's files from before the study ran as a sweep (one file a run, named by {@link rulesRunKey}); read as they are. */
export function earlierRulesRecords(folder: string): Map<string, RulesRunRecord> {
  if (!existsSync(folder)) return new Map();
  const keys = new Set(['mnist', 'fashion-mnist'].flatMap((d) => RULES_STUDY.flatMap((row) => [false, true].map((quick) => rulesRunKey(d, row, SEED, quick)))));
  return new Map(
    readdirSync(folder)
      .filter((f) => f.endsWith('.json') && keys.has(f.slice(0, -'.json'.length)))
      .sort()
      .map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(folder, f), 'utf8')) as RulesRunRecord]),
  );
}

/**
 * A row's finished record, if it has one: a sweep record of the row on any
 * of the study's backends (`variants`: the same run planned for each), or
 * a record from before the study ran as a sweep. A row done on one backend
 * is never trained again on the other.
 */
export function findRulesRecord(variants: RulesRun[], store: RecordStore, earlier: Map<string, RulesRunRecord>): RulesRunRecord | undefined {
  for (const run of variants) {
    const record = store.record(run.planned.id);
    if (record) return rulesRunView(run, record);
  }
  return earlier.get(variants[0].key);
}

/** The study's runs on every backend it may train on, by the row's key: what {@link findRulesRecord} looks through. */
export function rulesVariants(specFolder: string, rows: RulesRow[], datasets: string[], quick: boolean): Map<string, RulesRun[]> {
  const byKey = new Map<string, RulesRun[]>();
  for (const backend of RULES_BACKENDS) for (const run of planRulesStudy(specFolder, rows, datasets, backend, quick)) byKey.set(run.key, [...(byKey.get(run.key) ?? []), run]);
  return byKey;
}
