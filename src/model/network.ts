import { tf } from '../engine/backend.js';
import { activate, normalizeRows, rmsNormalizeRows } from './activations.js';
import { fusedActive } from '../engine/fused/kernel.js';
import { fusedMish, fusedMishNormalize } from '../engine/fused/mish.js';
import type { ModelSpec } from './spec.js';
import { checkParameters, type ParameterMap, type PlainTensor } from './parameters.js';
import { hiddenBlocks, modelShapes, type BlockShapes, type ModelShapes } from './shapes.js';
import { sizeOf } from './blocks/kind.js';
import { internalLayout, type BlockRule, type LocalRule, type RuleTensor } from '../rules/rule.js';
import { decoderRule } from '../rules/decoder.js';
import { check } from '../util/errors.js';
import { BATCH_NORM_TENSORS, BatchNorm, type NormStatistics } from './batch-norm.js';

/**
 * One block: its parameter layer (`x · w + b` for a dense block, as its
 * kind computes it), then (hidden blocks, when the spec asks) batch norm,
 * then the activation, then (hidden blocks, when asked) row
 * L2-normalisation. The layers without parameters before it (pooling) run
 * first, on what it is fed. Its parameters are held in the layout its kind
 * chooses (a dense weight [in, out], so the forward product needs no
 * transpose); checkpoints use PyTorch's ([out, in]).
 */
export class Block {
  constructor(
    readonly index: number,
    /** Its parameters in its kind's order (a dense block's weight and bias). */
    readonly parameters: tf.Variable[],
    readonly shapes: BlockShapes,
    private readonly spec: ModelSpec,
    /** The block's batch norm, or null without. */
    readonly norm: BatchNorm | null = null,
  ) {}

  /** True for the last block, whose output is the network's. */
  get isOutput(): boolean {
    return this.shapes.isOutput;
  }

  /** Features this block is fed per example (the previous block's output, or the data). */
  get inputSize(): number {
    return sizeOf(this.shapes.fed);
  }
  /** Features this block writes per example. */
  get outputSize(): number {
    return sizeOf(this.shapes.output);
  }

  /**
   * A factor per feature of the block's input laid over its first
   * parameter's layout (dense: [in, 1] over the [in, out] weight), for the
   * drift gates; refused for a kind without per-input weights.
   */
  perInputFeature(factor: tf.Tensor1D): tf.Tensor {
    this.checkPerInputFeature();
    const { kind, layer, input } = this.shapes;
    return kind.perInputFeature!(factor, input, layer);
  }

  /** Refuses, naming the block, when its kind has no weights per feature of what it is fed (see {@link Block.perInputFeature}). */
  checkPerInputFeature(): void {
    const { kind, before } = this.shapes;
    check(kind.perInputFeature !== undefined && before.length === 0, `block ${this.index} (${kind.name}) has no weights per feature of its input for the gates to scale; use --gate-target block`);
  }

  /**
   * The pre-activation `x · w + b` (batch-normalised with `statistics`
   * when the block has batch norm: evaluation's running ones by default).
   * With `inputGrad` false (local learning, or the first block) the
   * backward pass skips the gradient of `x`.
   */
  logits(x: tf.Tensor2D, inputGrad = false, statistics: NormStatistics = 'running'): tf.Tensor2D {
    const { kind, layer, input, before } = this.shapes;
    const read = before.reduce((h, l) => l.kind.forward(h, [], { layer: l.layer, input: l.input, inputGrad }), x);
    const z = kind.forward(read, this.parameters, { layer, input, inputGrad });
    return this.norm ? this.norm.apply(z, statistics) : z;
  }

  /** The block's output as the next block (or the user) sees it; `statistics` as in {@link Block.logits}. */
  apply(x: tf.Tensor2D, inputGrad = false, statistics: NormStatistics = 'running'): tf.Tensor2D {
    return this.fromLogits(this.logits(x, inputGrad, statistics));
  }

  /** The activation (and normalisation) applied to `logits`. */
  fromLogits(z: tf.Tensor2D): tf.Tensor2D {
    if (this.isOutput) return activate(this.spec.out, z);
    // The seed's hidden activation in one kernel (and one for its gradient) on small tensors, same numbers.
    const normalize = this.spec.hidden.normalize;
    if (this.spec.hidden.activation === 'mish' && normalize !== 'rms' && fusedActive(z.size)) return normalize ? fusedMishNormalize(z) : fusedMish(z);
    return this.normalized(this.activated(z));
  }

  /** The activation alone, before a hidden block's normalisation (what Forward-Forward's goodness reads). */
  activated(z: tf.Tensor2D): tf.Tensor2D {
    return activate(this.isOutput ? this.spec.out : this.spec.hidden.activation, z);
  }

  /** A hidden block's normalisation of its activated output `h` (`h` itself when the spec does not normalise). */
  normalized(h: tf.Tensor2D): tf.Tensor2D {
    if (this.isOutput || !this.spec.hidden.normalize) return h;
    return this.spec.hidden.normalize === 'rms' ? rmsNormalizeRows(h) : normalizeRows(h);
  }

  /** What the optimizer trains: its parameters (weight and bias) and batch norm's γ and β. */
  get variables(): tf.Variable[] {
    return this.norm ? [...this.parameters, ...this.norm.trainable] : [...this.parameters];
  }

  /** State that training forward passes change but no optimizer does (batch norm's running statistics). */
  get buffers(): tf.Variable[] {
    return this.norm?.buffers ?? [];
  }
}

/**
 * A network of blocks plus its rule bound to every hidden block (the
 * decoder rule's decoders, by default). Parameters are TF.js variables;
 * {@link Network.toParameters} and {@link Network.fromParameters} convert
 * to and from plain, PyTorch-layout arrays.
 */
export class Network {
  private constructor(
    readonly spec: ModelSpec,
    /** Every layer's and block's input and output shapes. */
    readonly shapes: ModelShapes,
    readonly blocks: Block[],
    /** The rule the hidden blocks learn from. */
    readonly rule: LocalRule,
    /** The rule bound to each hidden block, by block index. */
    readonly rules: BlockRule[],
    /** The rule's variables by checkpoint name, in {@link parameterShapes} order. */
    private readonly ruleVariables: [RuleTensor, tf.Variable, number][],
  ) {}

  /** A network of TF.js variables holding `params` (plain, PyTorch-layout arrays checked against `spec` and the rule's tensors). */
  static fromParameters(spec: ModelSpec, params: ParameterMap, source = 'parameters', rule: LocalRule = decoderRule): Network {
    checkParameters(spec, params, source, rule);
    const shapes = modelShapes(spec);
    const blocks = shapes.blocks.map((b) => {
      const parameters = b.kind.tensors(b.input, b.layer).map((t) => {
        const name = `blocks.${b.index}.${t.name}`;
        return variableFrom(b.kind.toInternal(t.name, params[name]), name);
      });
      return new Block(b.index, parameters, b, spec, !b.isOutput && spec.hidden.batchNorm ? batchNormFrom(params, b.index) : null);
    });
    const ruleVariables: [RuleTensor, tf.Variable, number][] = [];
    try {
      const rules = hiddenBlocks(spec).map((i) => {
        const named: Record<string, tf.Variable> = {};
        for (const t of rule.tensors(spec, i)) {
          const v = variableFrom(toInternal(t, params[t.name]), t.name);
          named[t.name] = v;
          ruleVariables.push([t, v, i]);
        }
        return rule.bind(spec, i, named);
      });
      return new Network(spec, shapes, blocks, rule, rules, ruleVariables);
    } catch (e) {
      // A rule may refuse the spec when bound: free what was made, so the names can be taken again.
      [...blocks.flatMap((b) => b.variables), ...ruleVariables.map(([, v]) => v)].forEach((v) => v.dispose());
      throw e;
    } finally {
      networkCount++;
    }
  }

  /** Numbers the network outputs per example. */
  get outputSize(): number {
    return sizeOf(this.shapes.output);
  }

  /** Numbers of one data example the network reads: its input's, or fewer when the rule adds to the data (Forward-Forward's label). */
  get dataInputs(): number {
    return this.rule.dataInputs?.(this.spec) ?? sizeOf(this.shapes.input);
  }

  /** The network's prediction (probabilities for sigmoid/softmax outputs). */
  predict(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.blocks.reduce((h, block) => block.apply(h), this.dataInput(x)));
  }

  /** The first block's input for data rows `x` outside training: `x`, or what the rule makes of it (see {@link LocalRule.evaluationInput}). */
  dataInput(x: tf.Tensor2D): tf.Tensor2D {
    return this.rule.evaluationInput ? this.rule.evaluationInput(x, this.spec) : x;
  }

  /** The output of blocks 0..count-1 (the input of block `count`). */
  encode(x: tf.Tensor2D, count: number): tf.Tensor2D {
    return tf.tidy(() => this.blocks.slice(0, count).reduce((h, block) => block.apply(h), x));
  }

  /**
   * Every variable in a fixed order: each block's weight and bias (and batch
   * norm's γ and β), then the rule's tensors block by block, then the batch
   * norms' running statistics (last, so networks without them keep their order).
   */
  get variables(): tf.Variable[] {
    return [...this.blocks.flatMap((b) => b.variables), ...this.ruleVariables.map(([, v]) => v), ...this.blocks.flatMap((b) => b.buffers)];
  }

  /** Positions in {@link Network.variables} of what the optimizer trains in block `i`: its weight, bias, batch norm's γ and β, and its rule's tensors. */
  variableIndicesOf(i: number): number[] {
    const start = this.blocks.slice(0, i).reduce((n, b) => n + b.variables.length, 0);
    const own = this.blocks[i].variables.map((_, k) => start + k);
    const first = this.blocks.reduce((n, b) => n + b.variables.length, 0);
    const rule = this.ruleVariables.flatMap(([, , block], k) => (block === i ? [first + k] : []));
    return [...own, ...rule];
  }

  /** Positions in {@link Network.variables} of block `i`'s buffers (batch norm's running statistics), which training changes without the optimizer. */
  bufferIndicesOf(i: number): number[] {
    const first = this.blocks.reduce((n, b) => n + b.variables.length, 0) + this.ruleVariables.length;
    const start = first + this.blocks.slice(0, i).reduce((n, b) => n + b.buffers.length, 0);
    return this.blocks[i].buffers.map((_, k) => start + k);
  }

  /**
   * The parameters' values in {@link Network.variables} order and the
   * internal layout: the cheapest copy to hand to another thread.
   */
  snapshot(): Float32Array[] {
    return this.variables.map((v) => (v.dataSync() as Float32Array).slice());
  }

  /** Sets every parameter from a {@link Network.snapshot} of a network with the same spec. */
  load(snapshot: Float32Array[]): void {
    const vars = this.variables;
    check(snapshot.length === vars.length, `a snapshot of ${snapshot.length} tensors cannot fill a network of ${vars.length}`);
    vars.forEach((v, k) => {
      check(snapshot[k].length === v.size, `snapshot tensor ${k} has ${snapshot[k].length} values; ${v.name} needs ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(snapshot[k], v.shape)));
    });
  }

  /** Sets every parameter from plain, PyTorch-layout arrays (a {@link Network.toParameters} of a network with the same spec). */
  setParameters(params: ParameterMap, source = 'parameters'): void {
    checkParameters(this.spec, params, source, this.rule);
    for (const block of this.blocks) {
      const { kind, input, layer } = block.shapes;
      kind.tensors(input, layer).forEach((t, k) => tf.tidy(() => block.parameters[k].assign(kind.toInternal(t.name, params[`blocks.${block.index}.${t.name}`]))));
      if (block.norm) namedNorm(block).forEach(([name, v]) => tf.tidy(() => v.assign(tf.tensor(params[name].data, v.shape))));
    }
    for (const [t, v] of this.ruleVariables) tf.tidy(() => v.assign(toInternal(t, params[t.name])));
  }

  /** A plain, PyTorch-layout copy of every parameter. */
  toParameters(): ParameterMap {
    const out: ParameterMap = {};
    for (const block of this.blocks) {
      const { kind, input, layer } = block.shapes;
      kind.tensors(input, layer).forEach((t, k) => (out[`blocks.${block.index}.${t.name}`] = kind.fromInternal(t.name, block.parameters[k])));
      if (block.norm) {
        for (const [name, v] of namedNorm(block)) out[name] = { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice(), ...(name.endsWith('num_batches_tracked') ? { dtype: 'I64' as const } : {}) };
      }
    }
    for (const [t, v] of this.ruleVariables) {
      out[t.name] = internalLayout(t) === 'transposed' ? plainTransposed(v as tf.Variable<tf.Rank.R2>) : { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
    }
    return out;
  }

  /** Frees the network's variables. */
  dispose(): void {
    this.variables.forEach((v) => v.dispose());
  }
}

/** A hidden block's batch norm from its `blocks.{i}.bn.*` tensors. */
function batchNormFrom(params: ParameterMap, i: number): BatchNorm {
  const [weight, bias, mean, variance, count] = BATCH_NORM_TENSORS.map((t) => {
    const name = `blocks.${i}.bn.${t}`;
    return variableFrom(tf.tensor(params[name].data, params[name].shape), name);
  });
  return new BatchNorm(weight as tf.Variable<tf.Rank.R1>, bias as tf.Variable<tf.Rank.R1>, mean as tf.Variable<tf.Rank.R1>, variance as tf.Variable<tf.Rank.R1>, count as tf.Variable<tf.Rank.R0>);
}

/** A block's batch norm variables under their checkpoint names, in {@link BATCH_NORM_TENSORS} order. */
function namedNorm(block: Block): [string, tf.Variable][] {
  const n = block.norm!;
  return [n.weight, n.bias, n.runningMean, n.runningVar, n.batchesTracked].map((v, k) => [`blocks.${block.index}.bn.${BATCH_NORM_TENSORS[k]}`, v]);
}

let networkCount = 0;
/**
 * A variable holding `initial`'s values; `initial` is freed (a variable
 * shares the data but the tensor object would still count as live). Names
 * carry a per-network prefix because TF.js requires unique variable names.
 */
function variableFrom(initial: tf.Tensor, name: string): tf.Variable {
  const v = tf.variable(initial, true, `net${networkCount}/${name}`);
  initial.dispose();
  return v;
}

/** A rule tensor in the layout the network holds it (see {@link internalLayout}). */
function toInternal(t: RuleTensor, value: PlainTensor): tf.Tensor {
  return internalLayout(t) === 'transposed' ? transposed(value) : tf.tensor(value.data, value.shape);
}

function transposed(t: PlainTensor): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.tensor2d(t.data, t.shape as [number, number])));
}

function plainTransposed(v: tf.Variable<tf.Rank.R2>): PlainTensor {
  const t = tf.transpose(v);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return { shape: [...t.shape], data: data.slice() };
}
