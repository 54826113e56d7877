/**
 * `localprop/internal`: the building blocks behind the public API (the
 * dense op, losses, optimizer classes, batching, IDX parsing, memory
 * accounting, report internals, …), for tools that extend localprop
 * itself. Unlike the main entry, these names may change between minor
 * versions. Everything here runs in Node and in a browser.
 *
 * @module internal
 */
export * from './index.js';
export { useBackend, DEFAULT_BACKEND, KNOWN_BACKENDS, tf } from './engine/backend.js';
export { dense, denseFixedInput, linear } from './engine/dense.js';

export { ACTIVATIONS, activate, mish, normalizeRows, LEAKY_RELU_SLOPE, type Activation } from './model/activations.js';
export { parseModelSpec, modelSpecFrom, formatModelSpec, formatLayers, modelSpecJson, withEnds, SEED_MODEL, LOSSES, type ModelSpec, type ModelSpecJson, type HiddenSpec, type LossName } from './model/spec.js';
export { modelShapes, blockShapes, blockCount, hiddenBlocks, inputSize, outputSize, blockInputSize, blockOutputSize, type ModelShapes, type BlockShapes, type LayerShapes } from './model/shapes.js';
export { registerLayerKind, getLayerKind, listLayerKinds, layerFromToken, layerFromJson } from './model/blocks/registry.js';
export { denseKind, type DenseLayer } from './model/blocks/dense.js';
export { sizeOf, formatShape, type LayerKind, type LayerSpec, type Shape, type ParameterTensor, type ForwardContext } from './model/blocks/kind.js';
export { initialParameters, parameterShapes, checkParameters, cloneParameters, type ParameterMap, type PlainTensor } from './model/parameters.js';
export { Network, Block } from './model/network.js';
export { Decoder, decoderRule } from './rules/decoder.js';
export { registerRule, getRule, listRules, DEFAULT_RULE } from './rules/registry.js';
export type { LocalRule, BlockRule, RuleTensor, LocalLossInput, PreparedChunk, ChunkContext, StepMemory } from './rules/rule.js';

export { optionTable, commandOptions, findOption, ruleOptionKeys, sweepRefusal } from './options/table.js';
export { resolveOptions, parseOptionValue } from './options/resolve.js';
export { typedOptions, type ResolvedOptions, type OptionsOf } from './options/typed.js';
export { flagName, urlName, PAGE_GROUPS, type OptionDef, type OptionOwner, type OptionValues, type PageOption, type PageGroup, type Control, type CommandName } from './options/option.js';
export { text, number, positiveInt, nonNegative, positive, list, pair, flag, oneOf, parseSeeds } from './options/values.js';

export { perExampleLoss, weightedLoss, meanLoss, BCE_LOG_FLOOR } from './losses/losses.js';
export {
  createOptimizer,
  defaultLearningRate,
  OPTIMIZERS,
  Rprop,
  Adam,
  Rmsprop,
  Sgd,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerName,
} from './optim/index.js';
export { BaseOptimizer } from './optim/optimizer.js';

export { makeDataset, oneHot, classLabels, firstExamples, type Dataset } from './data/dataset.js';
export { parseIdx, parseIdxImages, parseIdxLabels, idxDataset, isGzip, gunzipIfNeeded, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray, type IdxImages, type IdxDatasetOptions } from './data/idx.js';
export { registerDataset, getDataset, listDatasets, buildDataset, type DatasetEntry, type DatasetOptions } from './data/registry.js';
export { epochBatches, batchMeanWeights, type EpochBatches } from './data/batches.js';
export { parseCsv, csvDatasets, type CsvOptions, type ParsedCsv } from './data/csv.js';

export type { RunEvent, RunStartEvent, EpochEvent, RunEndEvent, RunIdentity, DecoderMode } from './train/events.js';
export type { Schedule, EpochPlan } from './schedules/schedule.js';
export { Session, type Chunk, type StepMode } from './train/session.js';
export { evaluateNetwork, accuracyOf, ScoredSet, type Evaluation, type TestEvaluator } from './train/evaluation.js';
export { Run, resolveRunOptions, DEFAULT_BATCH_SIZE, type RunOptions, type ResolvedRunOptions } from './train/run.js';
export { registerSchedule, getSchedule, listSchedules } from './schedules/registry.js';
export { backprop } from './schedules/backprop.js';
export { localParallel } from './schedules/local-parallel.js';
export { localSequential } from './schedules/local-sequential.js';
export { localGated } from './schedules/local-gated.js';

export { seededStart, type SeededStart } from './experiment/seeded.js';
export { experimentRuns, experimentEpochs, checkExperiment, type ExperimentConfig, type DataSource } from './experiment/experiment.js';
export { summarize, stats, type SummaryRow, type Stats } from './experiment/summary.js';
export {
  scheduleMemory,
  experimentMemory,
  activationBytes,
  parameterBytes,
  optimizerStateBytes,
  scheduleStateBytes,
  dataBytes,
  BYTES_PER_NUMBER,
  OPTIMIZER_STATE_TENSORS,
  KEPT_PER_UNIT,
  type ScheduleMemory,
  type ExperimentMemory,
  type MemoryOptions,
} from './metrics/memory.js';

export { encodeSafetensors, decodeSafetensors, type NamedTensor } from './io/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, type CheckpointInfo } from './io/checkpoint.js';
export { encodeRunCheckpoint, decodeRunCheckpoint } from './io/run-checkpoint.js';
export type { RunCheckpoint } from './train/resume.js';

export { SEED_AREA, areaOf, gridInputs, gridPoint, networkGrid, blockGrid, readCell, type BoundaryGrid, type GridArea } from './report/grid.js';
export { plasma, gridPixels, CATEGORY_COLORS } from './report/colors.js';
export { encodePng, pngDataUrl } from './report/png.js';
export { lineChart, type Series, type LineChartOptions } from './report/chart.js';
export { ReportRecorder, type RecorderOptions, type RunRecord, type Frame } from './report/recorder.js';
export { renderReport, type ReportMeta, type Figure, type RenderedReport } from './report/report.js';

export { LocalpropError, check } from './util/errors.js';
export { Rng } from './util/rng.js';
