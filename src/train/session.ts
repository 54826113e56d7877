import { tf } from '../engine/backend.js';
import type { Dataset } from '../data/dataset.js';
import { batchMeanWeights, epochBatches, type EpochBatches } from '../data/batches.js';
import { perExampleLoss, weightedLoss } from '../losses/losses.js';
import { evaluateNetwork, ScoredSet, type Evaluation } from './evaluation.js';
import type { LossName } from '../model/spec.js';
import type { Block, Network } from '../model/network.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Rng, RngState } from '../util/rng.js';
import type { PlainTensor } from '../model/parameters.js';
import { check } from '../util/errors.js';
import type { DecoderMode } from './events.js';
import type { GateOptions } from '../modulators/gates.js';
import type { DriftOptions } from '../modulators/drift-options.js';
import type { StepAdjuster } from '../modulators/modulator.js';
import { augmentImages, imageSide, type Augmentation } from '../data/augment.js';

/**
 * Where dropout's mask sits for a hidden block's local loss: `shared` (the
 * loss and the next block both see the dropped output: localprop's first
 * behaviour, the default) or `after-loss` (the loss sees the output before
 * dropout, only the next block the dropped one: Nøkland & Eidnes').
 */
export type DropoutPlacement = 'shared' | 'after-loss';

/** Training images' augmentation and the value shifted-in pixels take. */
export type SessionAugmentation = Augmentation & { fill: number };

/** How often the optimizer steps: once per epoch on the summed batch losses (Mertens' protocol), or once per mini-batch. */
export type StepMode = 'epoch' | 'batch';

/**
 * The examples one optimizer step sees. In epoch mode there is one chunk per
 * epoch holding every example, weighted 1/|its batch| so the loss is the
 * seed's sum of per-batch means; in batch mode one chunk per mini-batch,
 * weighted 1/|batch| (its mean).
 */
export interface Chunk {
  /** Rows of the training set, or null for all of them in order. */
  indices: tf.Tensor1D | null;
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  weights: tf.Tensor1D;
  /** Set by a rule that prepares chunks (DFA): the input block i steps on, all from one forward pass. */
  blockInputs?: tf.Tensor2D[];
  /** Set by a rule that prepares chunks: what its local loss reads besides the block's output. */
  context?: Record<string, tf.Tensor>;
}

/**
 * What a session carries from one epoch to the next besides the network and
 * the optimizer: where its random streams stand and, when it has it, the
 * training loss of the current parameters that the next epoch reports.
 */
export interface SessionState {
  shuffle: RngState;
  /** Each block's mask stream. */
  dropout: RngState[] | null;
  /** The rule's stream (Forward-Forward's negative labels), when the rule prepares chunks. */
  rule?: RngState;
  /** Per-example output loss on the training set for the current parameters, or null when not cached. */
  trainLoss: PlainTensor | null;
  /** The augmentation stream, when the run augments its training images. */
  augment?: RngState | null;
}

/**
 * The tensors and the one step helper every schedule shares: the training
 * and test sets on the backend, the network, the optimizer and the rules for
 * local and output losses. Schedules decide only which blocks learn when.
 */
export class Session {
  readonly trainX: tf.Tensor2D;
  readonly trainY: tf.Tensor2D;
  private readonly testSet: ScoredSet;
  /** What adjusts every local block's step (local-gated's drift gates; on a pipeline group, the gates fixed for the epoch), or null for plain steps. */
  modulator: StepAdjuster | null = null;
  /** The batch partition of the epoch being trained (set by {@link Session.beginEpoch}). */
  batches!: EpochBatches;
  /** Each block's dropout mask stream, forked from the run's dropout stream. */
  private readonly blockDropout: Rng[] | null;
  /** Counts optimizer steps, so a cached loss knows which parameters it belongs to. */
  private version = 0;
  /** Per-example output loss on the training set, and the parameter version it was measured at. */
  private outputLossCache: { version: number; perExample: tf.Tensor1D } | null = null;
  /** The network's training loss before this epoch's first step, once known. */
  private epochTrainLoss: number | null = null;
  /** Each block's local loss of every chunk trained so far this epoch (see {@link Session.recordLoss}). */
  private epochLosses: tf.Scalar[][] = [];
  /** The chunk this epoch's {@link Session.chunks} starts at (above 0 when a run resumes mid-epoch). */
  private firstChunk = 0;


  constructor(
    readonly network: Network,
    readonly optimizer: Optimizer,
    readonly train: Dataset,
    readonly test: Dataset,
    readonly options: {
      step: StepMode;
      batchSize: number;
      decoders: DecoderMode;
      hiddenLoss: LossName;
      zeroGradSteps?: boolean;
      gate?: Partial<GateOptions>;
      drift?: Partial<DriftOptions>;
      dropout?: number;
      dropoutPlacement?: DropoutPlacement;
      augment?: SessionAugmentation;
      measureTrainLoss?: boolean;
    },
    private readonly shuffleRng: Rng,
    /** Draws the dropout masks (only used when `options.dropout` > 0). */
    dropoutRng?: Rng,
    /** The rule's own stream, for a rule that prepares chunks (see {@link LocalRule.prepareChunk}). */
    private readonly ruleRng?: Rng,
    /** Draws the augmentation (only used when `options.augment` is given). */
    private readonly augmentRng?: Rng,
  ) {
    check(network.rule.prepareChunk === undefined || ruleRng !== undefined, `rule ${network.rule.name} prepares its chunks and needs a generator for them`);
    check(options.augment === undefined || (augmentRng !== undefined && options.step === 'batch'), 'a session that augments its images needs --step batch and a generator for the draws');
    check(this.dropoutRate === 0 || dropoutRng !== undefined, 'a session with dropout needs a generator for its masks');
    // One stream a block: a block's masks do not depend on which thread (see EpochPipeline) or order the blocks step in.
    this.blockDropout = dropoutRng ? network.blocks.map((b) => dropoutRng.fork(`block${b.index}`)) : null;
    this.trainX = tf.tensor2d(train.x, [train.count, train.inputSize]);
    this.trainY = tf.tensor2d(train.y, [train.count, train.outputSize]);
    this.testSet = new ScoredSet(test, options.batchSize, options.hiddenLoss, network.rule.fitsProbes ? train : undefined);
  }

  /** The probability that dropout zeroes a hidden unit in a training step (0: no dropout). */
  get dropoutRate(): number {
    return this.options.dropout ?? 0;
  }

  /**
   * Inverted dropout of a hidden block's output `h` in a training step:
   * each unit is zeroed with probability P and the others are scaled by
   * 1/(1-P), with a fresh mask from the session's dropout stream; `h` itself
   * when P is 0 (no draw at all). Evaluation never calls it.
   */
  dropout(h: tf.Tensor2D, block: number): tf.Tensor2D {
    const mask = this.dropoutMask(block, h.shape[0], h.shape[1]);
    if (!mask) return h;
    const dropped = tf.mul(h, mask) as tf.Tensor2D;
    mask.dispose();
    return dropped;
  }

  /** A [rows, units] mask (see {@link Session.dropout}), or null without dropout. */
  private dropoutMask(block: number, rows: number, units: number): tf.Tensor2D | null {
    const p = this.dropoutRate;
    if (p === 0) return null;
    return tf.tensor2d(this.blockDropout![block].dropoutMask(rows * units, p), [rows, units]);
  }

  /** Blocks of the network. */
  get blockCount(): number {
    return this.network.blocks.length;
  }

  /** Tells the session its network's parameters were changed outside its steps (cached losses are stale). */
  parametersChanged(): void {
    this.version++;
  }

  /**
   * Draws this epoch's shuffle; call once at the start of every epoch. A
   * session that trains part of another session's epoch (a pipeline group)
   * is given that session's batches instead of drawing its own.
   */
  beginEpoch(given?: EpochBatches): void {
    this.batches = given ?? epochBatches(this.train.count, this.options.batchSize, this.shuffleRng);
    this.epochTrainLoss = null;
    this.disposeEpochLosses();
    this.epochLosses = this.network.blocks.map(() => []);
    this.firstChunk = 0;
  }

  /**
   * Continues this epoch (just begun with {@link Session.beginEpoch}, on the
   * batches it had) after its first `chunks` chunks, whose local losses were
   * `losses` (per block, per chunk): what a run stopped mid-epoch needs to go
   * on exactly.
   */
  resumeEpoch(chunks: number, losses: number[][]): void {
    check(Number.isInteger(chunks) && chunks > 0 && chunks < this.chunkCount, `a mid-epoch checkpoint at chunk ${chunks} does not fit an epoch of ${this.chunkCount} chunks; the checkpoint is for other data or options`);
    check(losses.length === this.blockCount, `a mid-epoch checkpoint holds the losses of ${losses.length} blocks; this network has ${this.blockCount}`);
    this.disposeEpochLosses();
    this.epochLosses = losses.map((l) => l.map((v) => tf.scalar(v)));
    this.firstChunk = chunks;
  }

  /** This epoch's training loss before its first step is already known (a resumed run's last event has it): nothing measures it again. */
  knowTrainLoss(loss: number): void {
    this.epochTrainLoss = loss;
  }

  /** Records block `block`'s local loss of the chunk being trained; the session owns (and frees) it. */
  recordLoss(block: number, loss: tf.Scalar): void {
    this.epochLosses[block].push(loss);
  }

  /** The chunks of an epoch: one in epoch mode, one per mini-batch in batch mode. */
  get chunkCount(): number {
    return this.options.step === 'epoch' ? 1 : this.batchCount;
  }

  /** The chunk this epoch starts at: 0, or the chunks trained before a mid-epoch stop. */
  get startChunk(): number {
    return this.firstChunk;
  }

  /**
   * Each block's mean local loss this epoch: the sum of its chunk losses
   * over the batches (the mean of per-batch means), null for blocks that did
   * not learn. Frees the recorded losses.
   */
  takeEpochLosses(): (number | null)[] {
    const losses = this.epochLosses;
    this.epochLosses = this.network.blocks.map(() => []);
    const learned = losses.map((l) => l.length > 0);
    if (!learned.some(Boolean)) return losses.map(() => null);
    const sums = tf.tidy(() => tf.stack(losses.filter((l) => l.length > 0).map((l) => tf.div(tf.addN(l), this.batchCount))));
    const values = sums.dataSync();
    sums.dispose();
    losses.flat().forEach((t) => t.dispose());
    let k = 0;
    return learned.map((did) => (did ? values[k++] : null));
  }

  /** The local losses recorded so far this epoch, as numbers (per block, per chunk), for a mid-epoch checkpoint. */
  epochLossValues(): number[][] {
    return this.epochLosses.map((l) => l.map((t) => t.dataSync()[0]));
  }

  /** The training loss before this epoch, when already measured (null otherwise). */
  get knownTrainLoss(): number | null {
    return this.epochTrainLoss;
  }

  private disposeEpochLosses(): void {
    this.epochLosses.flat().forEach((t) => t.dispose());
    this.epochLosses = [];
  }

  /**
   * The network's output loss on the training set as it was before this
   * epoch's first step (sum of batch means / batches, this epoch's batches).
   * It is measured just before the first step, for free when a schedule has
   * left the loss of the current parameters in the cache or when the step
   * itself runs the whole network on the whole set.
   */
  trainLossBeforeEpoch(): number {
    this.settleTrainLoss();
    return this.epochTrainLoss!;
  }

  /**
   * Measures this epoch's training loss now if it is not known yet: steps
   * call it before they change the parameters, and so must code that
   * changes them another way (a pipeline loading parameters trained on
   * other threads). A session with `measureTrainLoss: false` never measures.
   */
  settleTrainLoss(): void {
    if (this.epochTrainLoss !== null || this.options.measureTrainLoss === false) return;
    const cache = this.outputLossCache;
    if (cache && cache.version === this.version) {
      const total = tf.tidy(() => tf.div(tf.sum(tf.mul(cache.perExample, this.epochWeights())), this.batchCount));
      this.epochTrainLoss = total.dataSync()[0];
      total.dispose();
    } else {
      this.epochTrainLoss = this.evaluateTrain().loss;
    }
  }

  /**
   * Caches the output loss of every training example for the current
   * parameters, given the last block's input for the whole training set as
   * the current network computes it. Schedules call this when they hold that
   * input anyway, which spares the next epoch a forward pass. It must be
   * the network's own input to the last block: never one masked by dropout.
   */
  cacheOutputLoss(lastInput: tf.Tensor2D): void {
    this.outputLossCache?.perExample.dispose();
    const blocks = this.network.blocks;
    const last = blocks[blocks.length - 1];
    const perExample = tf.tidy(() => {
      const logits = last.logits(lastInput);
      const loss = this.network.spec.loss;
      return perExampleLoss(loss, loss === 'ce' ? logits : last.fromLogits(logits), this.trainY);
    });
    this.outputLossCache = { version: this.version, perExample };
  }

  /**
   * Whether this epoch's training loss would cost a pass over the training
   * set: not with one step per epoch (the steps or the cache give it) and
   * not when the cache holds the current parameters' loss.
   */
  get trainLossCostsAPass(): boolean {
    const cache = this.outputLossCache;
    return this.options.step === 'batch' && this.options.measureTrainLoss !== false && !(cache && cache.version === this.version);
  }

  private epochWeights(): tf.Tensor1D {
    return tf.tensor1d(batchMeanWeights(this.batches));
  }

  /** Number of mini-batches in an epoch. */
  get batchCount(): number {
    return this.batches.bounds.length - 1;
  }

  /**
   * The chunks of the current epoch, made lazily and freed after each is
   * used, so batch mode never holds more than one mini-batch's tensors.
   */
  *chunks(): Generator<Chunk> {
    const rule = this.network.rule;
    if (!rule.prepareChunk) {
      yield* this.dataChunks();
      return;
    }
    for (const chunk of this.dataChunks()) {
      const prepared = rule.prepareChunk(chunk, { network: this.network, rng: this.ruleRng! });
      try {
        yield prepared.chunk;
      } finally {
        prepared.release();
      }
    }
  }

  /** The chunks of the data as they are, before any rule prepares them. */
  private *dataChunks(): Generator<Chunk> {
    if (this.options.step === 'epoch') {
      const weights = this.epochWeights();
      try {
        yield { indices: null, x: this.trainX, y: this.trainY, weights };
      } finally {
        weights.dispose();
      }
      return;
    }
    const { order, bounds } = this.batches;
    const augment = this.options.augment;
    const side = augment ? imageSide(this.train.inputSize) : 0;
    for (let b = this.firstChunk; b + 1 < bounds.length; b++) {
      const made = tf.tidy(() => {
        const rows = order.subarray(bounds[b], bounds[b + 1]);
        const indices = tf.tensor1d(rows, 'int32');
        const size = bounds[b + 1] - bounds[b];
        return {
          indices,
          x: augment ? tf.tensor2d(augmentImages(this.train.x, side, rows, augment, augment.fill, this.augmentRng!), [size, this.train.inputSize]) : tf.gather(this.trainX, indices),
          y: tf.gather(this.trainY, indices),
          weights: tf.fill([size], 1 / size) as tf.Tensor1D,
        };
      });
      try {
        yield made;
      } finally {
        made.indices.dispose();
        made.x.dispose();
        made.y.dispose();
        made.weights.dispose();
      }
    }
  }

  /**
   * Frees a mini-batch's inputs once no step of it needs them (a local
   * step past block 0 learns from the previous block's output), so a local
   * step holds one block's input, not the batch's too. The whole training
   * set of an epoch step is the data itself and stays.
   */
  releaseBatchInput(chunk: Chunk): void {
    if (chunk.indices !== null) chunk.x.dispose();
  }

  /** Rows of `all` (a tensor over the whole training set) that belong to `chunk`. */
  rowsOf(all: tf.Tensor2D, chunk: Chunk): tf.Tensor2D {
    return chunk.indices ? tf.gather(all, chunk.indices) : all;
  }

  /**
   * The loss block `block` learns from: its rule's local loss for hidden
   * blocks (on the output times the dropout `mask`, when given and placed
   * `shared`), the output loss for the last (scaled by the rule's
   * {@link LocalRule.outputLossScale}). A training step: batch norm uses
   * and records the batch's statistics.
   */
  localLoss(block: Block, input: tf.Tensor2D, chunk: Chunk, mask?: tf.Tensor2D | null): tf.Scalar {
    const logits = block.logits(input, false, 'batch-update');
    if (block.isOutput) {
      const loss = this.outputLossOf(block, logits, chunk.y, chunk.weights);
      const scale = this.network.rule.outputLossScale;
      return scale === undefined || scale === 1 ? loss : tf.mul(loss, scale);
    }
    const a = block.activated(logits);
    const h = block.normalized(a);
    // With dropout placed after the loss, the loss sees the block's activity before the mask.
    const masked = (t: tf.Tensor2D) => (mask && this.options.dropoutPlacement !== 'after-loss' ? (tf.mul(t, mask) as tf.Tensor2D) : t);
    const output = masked(h);
    return this.network.rules[block.index].loss({
      output,
      y: chunk.y,
      weights: chunk.weights,
      hiddenLoss: this.options.hiddenLoss,
      activated: a === h ? output : masked(a),
      ...(chunk.context ? { context: chunk.context } : {}),
    });
  }

  private outputLossOf(block: Block, logits: tf.Tensor2D, y: tf.Tensor2D, weights: tf.Tensor1D): tf.Scalar {
    const loss = this.network.spec.loss;
    return weightedLoss(loss, loss === 'ce' ? logits : block.fromLogits(logits), y, weights);
  }

  /** The variables block `index` updates: its own, and its rule's trainable ones when decoders are learned. */
  trainableOf(index: number): tf.Variable[] {
    const block = this.network.blocks[index];
    const rule = this.network.rules[index];
    return rule && this.options.decoders === 'learned' ? [...block.variables, ...rule.trainable] : block.variables;
  }

  /**
   * One optimizer step of block `index` on its local loss, `input` being the
   * output of the blocks before it, adjusted by the session's step
   * modulator when it has one (`unmaskedInput` gives it the block's input
   * without dropout masks; by default `input`). Returns the loss it stepped on and, when
   * `wantOutput`, the block's output on `input` after the step (what the
   * next block learns from).
   *
   * With dropout, a hidden block draws one mask for the step: its decoder
   * learns from the masked output, and the output it returns (the next
   * block's input) is masked by the same units. `input` is used as given:
   * it is already the previous block's masked output.
   */
  stepBlock(
    index: number,
    input: tf.Tensor2D,
    chunk: Chunk,
    wantOutput: boolean,
    unmaskedInput: () => tf.Tensor2D = () => input,
  ): { loss: tf.Scalar; output: tf.Tensor2D | undefined } {
    const block = this.network.blocks[index];
    const vars = this.trainableOf(index);
    this.settleTrainLoss();
    this.version++;
    return tf.tidy(() => {
      const adjustments = this.modulator?.adjust(index, unmaskedInput);
      const mask = block.isOutput ? null : this.dropoutMask(index, input.shape[0], block.outputSize);
      const { value, grads } = tf.variableGrads(() => this.localLoss(block, input, chunk, mask), vars);
      this.optimizer.step(vars, vars.map((v) => grads[v.name]), adjustments);
      if (this.options.zeroGradSteps) this.stepIdleWithZeroGradients(index);
      if (!wantOutput) return { loss: value, output: undefined };
      // Still a training pass: batch statistics, recorded once already by the step.
      const output = block.apply(input, false, 'batch');
      return { loss: value, output: mask ? (tf.mul(output, mask) as tf.Tensor2D) : output };
    });
  }

  /**
   * The seed's code builds one optimizer over every block and calls
   * zero_grad, which in PyTorch 1.13 leaves zero (not absent) gradients on
   * the blocks that are not learning; its step then "updates" them with
   * zeros. For Rprop that erases their remembered gradient, so in the
   * parallel schedule every step size stays at the initial lr. Off by
   * default; on, it reproduces the seed's parallel figures.
   */
  private stepIdleWithZeroGradients(active: number): void {
    const idle = this.network.blocks.filter((b) => b.index !== active).flatMap((b) => this.trainableOf(b.index));
    this.optimizer.step(idle, idle.map((v) => tf.zerosLike(v)));
  }

  /** One optimizer step of every block on the output loss, back-propagated through the whole network. */
  stepNetwork(chunk: Chunk): tf.Scalar {
    const vars = this.network.blocks.flatMap((b) => b.variables);
    // On the whole training set, the step's own loss is the epoch's training loss: no extra forward pass
    // (unless dropout masked that pass: the training loss is the network's, without dropout).
    const lossIsEpochLoss = this.epochTrainLoss === null && chunk.indices === null && this.dropoutRate === 0;
    if (!lossIsEpochLoss) this.settleTrainLoss();
    this.version++;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const blocks = this.network.blocks;
        const last = blocks[blocks.length - 1];
        // Every block but the first needs its input's gradient to pass the error back; dropout masks every hidden output.
        const h = blocks.slice(0, -1).reduce((acc, b) => this.dropout(b.apply(acc, b.index > 0, 'batch-update'), b.index), chunk.x);
        return this.outputLossOf(last, last.logits(h, blocks.length > 1), chunk.y, chunk.weights);
      }, vars);
      this.optimizer.step(vars, vars.map((v) => grads[v.name]));
      return value;
    });
    if (lossIsEpochLoss) this.epochTrainLoss = loss.dataSync()[0] / this.batchCount;
    return loss;
  }

  /**
   * Output loss (sum of batch means / batches) and accuracy of the current
   * network on the training set, this epoch's batches. The accuracy is the
   * output block's unless `ruleAccuracy` asks for the rule's own prediction
   * (see {@link LocalRule.predict}; the end of a run does).
   */
  evaluateTrain(ruleAccuracy = false): Evaluation {
    const weights = this.epochWeights();
    try {
      return evaluateNetwork(this.network, this.trainX, this.trainY, weights, this.batchCount, null, undefined, ruleAccuracy);
    } finally {
      weights.dispose();
    }
  }

  /** Output loss (mean of per-batch means) and accuracy of the current network on the test set. */
  evaluateTest(): Evaluation {
    return this.testSet.evaluate(this.network);
  }

  /** Where the shuffle stream stands (before {@link Session.beginEpoch} draws an epoch's batches). */
  shuffleState(): RngState {
    return this.shuffleRng.getState();
  }

  /** Moves the shuffle stream to a {@link Session.shuffleState}, so the next epoch draws the batches it drew then. */
  setShuffleState(state: RngState): void {
    this.shuffleRng.setState(state);
  }

  /** The state to continue from between epochs (see {@link SessionState}). */
  saveState(): SessionState {
    const cache = this.outputLossCache;
    const valid = cache !== null && cache.version === this.version;
    return {
      shuffle: this.shuffleRng.getState(),
      dropout: this.blockDropout?.map((r) => r.getState()) ?? null,
      ...(this.ruleRng ? { rule: this.ruleRng.getState() } : {}),
      ...(this.augmentRng && this.options.augment ? { augment: this.augmentRng.getState() } : {}),
      trainLoss: valid ? { shape: [...cache.perExample.shape], data: (cache.perExample.dataSync() as Float32Array).slice() } : null,
    };
  }

  /** Moves the augmentation stream to `state` (a pipeline's first group takes up the run's). */
  setAugmentState(state: RngState): void {
    check(this.augmentRng !== undefined, 'this session draws no augmentation');
    this.augmentRng.setState(state);
  }

  /** Moves block `block`'s mask stream to `state` (a pipeline group takes up its blocks' streams). */
  setDropoutState(block: number, state: RngState): void {
    this.blockDropout?.[block].setState(state);
  }

  /** Continues from a {@link Session.saveState}, on a network restored to the same parameters. */
  loadState(state: SessionState): void {
    this.shuffleRng.setState(state.shuffle);
    if (this.options.augment) {
      check(state.augment != null, 'the checkpoint holds no augmentation stream but this run augments its images; resume with the options it was started with');
      this.augmentRng!.setState(state.augment);
    }
    if (state.dropout && this.blockDropout) {
      check(Array.isArray(state.dropout) && state.dropout.length === this.blockDropout.length, `the checkpoint holds ${Array.isArray(state.dropout) ? state.dropout.length : 'no per-block'} dropout streams; this network has ${this.blockDropout.length} blocks`);
      state.dropout.forEach((r, i) => this.blockDropout![i].setState(r));
    }
    if (state.rule && this.ruleRng) this.ruleRng.setState(state.rule);
    this.outputLossCache?.perExample.dispose();
    this.outputLossCache = null;
    if (state.trainLoss) {
      const t = state.trainLoss;
      check(t.shape.length === 1 && t.shape[0] === this.train.count, `the saved training loss has shape [${t.shape.join(', ')}] but the training set has ${this.train.count} examples; the checkpoint is for other data`);
      this.outputLossCache = { version: this.version, perExample: tf.tensor1d(t.data) };
    }
  }

  /** Frees what the session holds on the backend (its data tensors and caches). */
  dispose(): void {
    this.disposeEpochLosses();
    this.outputLossCache?.perExample.dispose();
    this.testSet.dispose();
    this.trainX.dispose();
    this.trainY.dispose();
  }
}
