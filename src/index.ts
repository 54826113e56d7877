/**
 * localprop: train neural networks with local learning rules, in Node and in
 * a browser. Every block of a network learns from its own signal (by
 * default a linear decoder to the target, as in Mertens' note) instead of
 * a gradient back-propagated from the output.
 *
 * - Plain arrays: {@link fit} and {@link Model}.
 * - Runs and their events: {@link Run}, {@link seededStart}, {@link experimentRuns}.
 * - Model specs, datasets, rules and schedules and their registries, backends,
 *   checkpoints and the report's pictures.
 *
 * Building blocks beyond these live in `localprop/internal`.
 *
 * @module localprop
 */

// Plain arrays in and out.
export { fit, Model, type FitOptions, type Examples, type LabelledExamples } from './api/index.js';

// Runs and their events.
export { Run, type RunOptions, type ResolvedRunOptions } from './train/run.js';
export type { RunEvent, RunStartEvent, EpochEvent, RunEndEvent, RunIdentity, DecoderMode, GateMetrics } from './train/events.js';
export { seededStart, type SeededStart } from './experiment/seeded.js';
export { experimentRuns, type ExperimentConfig, type DataSource } from './experiment/experiment.js';
export { summarize, type SummaryRow, type Stats } from './experiment/summary.js';
export { experimentMemory, type ExperimentMemory, type ScheduleMemory } from './metrics/memory.js';

// Model specs and networks.
export { parseModelSpec, modelSpecFrom, formatModelSpec, MERTENS_MODEL, LOSSES, type ModelSpec, type ModelSpecJson, type HiddenSpec, type LossName } from './model/spec.js';
export { modelShapes, type ModelShapes, type BlockShapes, type LayerShapes } from './model/shapes.js';

// Layer kinds (dense; your own with registerLayerKind) and the shapes they read and write.
export { registerLayerKind, listLayerKinds } from './model/blocks/registry.js';
export type { LayerKind, LayerSpec, Shape, ParameterTensor, ForwardContext } from './model/blocks/kind.js';
export { ACTIVATIONS, type Activation } from './model/activations.js';
export { initialParameters, type ParameterMap, type PlainTensor } from './model/parameters.js';
export { Network, type Block } from './model/network.js';
export type { BatchNorm, NormStatistics } from './model/batch-norm.js';
export type { Augmentation } from './data/augment.js';
export { createOptimizer, OPTIMIZERS, type Optimizer, type OptimizerConfig, type OptimizerName } from './optim/index.js';

// Datasets.
export { makeDataset, oneHot, classLabels, type Dataset } from './data/dataset.js';
export { registerDataset, getDataset, listDatasets, buildDataset, type DatasetEntry, type DatasetOptions, type FirstLook } from './data/registry.js';
export { parseCsv, csvDatasets, type CsvOptions, type ParsedCsv } from './data/csv.js';
export { idxDataset, type IdxDatasetOptions } from './data/idx.js';

// Learning rules (what a hidden block learns from) and their registration; a rule computes its loss with TF.js.
export { registerRule, getRule, listRules } from './rules/registry.js';
export { weightedLoss } from './losses/losses.js';
export type { LocalRule, BlockRule, RuleTensor, LocalLossInput, PreparedChunk, ChunkContext, StepMemory } from './rules/rule.js';
export type { Decoder } from './rules/decoder.js';

// The option table's rows, which a rule or schedule declares for its own options (`optionTable`).
export type { OptionDef, OptionOwner, PageOption, PageGroup, Control, CommandName } from './options/option.js';

// Schedules and their registration.
export { registerSchedule, getSchedule, listSchedules } from './schedules/registry.js';
export type { Schedule, EpochPlan } from './schedules/schedule.js';
export { Session, type Chunk, type StepMode, type SessionState, type DropoutPlacement, type SessionAugmentation } from './train/session.js';
export type { PipelineRunOptions, PipelineState } from './train/pipeline.js';
export type { StepModulator, StepAdjuster, StepAdjustment } from './modulators/modulator.js';
export type { BlockEpochAdjustments, PlainStepAdjustments, PlainAdjustment } from './modulators/epoch-adjustments.js';
export type { EpochBatches } from './data/batches.js';
export type { GateOptions } from './modulators/gates.js';
export type { DriftOptions } from './modulators/drift-options.js';
export type { EpochPipeline } from './train/pipeline.js';
export type { TestEvaluator, Evaluation } from './train/evaluation.js';
export type { VariableState } from './optim/optimizer.js';

// Backends.
export { useBackend, tf, type BackendChoice } from './engine/backend.js';

// Checkpoints.
export { encodeCheckpoint, decodeCheckpoint, type CheckpointInfo } from './io/checkpoint.js';
export { encodeRunCheckpoint, decodeRunCheckpoint } from './io/run-checkpoint.js';
export type { RunCheckpoint, PartialEpoch, TrainedEpoch } from './train/resume.js';

// The report's pictures.
export { ReportRecorder, type RecorderOptions, type RunRecord, type Frame } from './report/recorder.js';
export { renderReport, type ReportMeta, type Figure, type RenderedReport } from './report/report.js';
export type { LossScale } from './report/figures.js';
export type { LabelledPoints } from './report/boundary.js';
export { networkGrid, blockGrid, type BoundaryGrid, type GridArea } from './report/grid.js';

// Errors and randomness.
export { LocalpropError } from './util/errors.js';
export { Rng, type RngState } from './util/rng.js';
