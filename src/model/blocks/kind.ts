import type { tf } from '../../engine/backend.js';
import type { PlainTensor } from '../parameters.js';

/**
 * The shape of one example, without the batch: `[features]` for points
 * and flat vectors, `[channels, height, width]` for images (PyTorch's
 * order). Between layers a batch travels as rows `[examples, size]`, its
 * features in this order, so a dense block after an image reads it as
 * PyTorch's `nn.Flatten` does; a kind that needs the image reshapes the
 * rows from its input shape.
 */
export type Shape = readonly number[];

/** Numbers one example of `shape` holds. */
export function sizeOf(shape: Shape): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** A shape as pages write it: `784`, `1×28×28`. */
export function formatShape(shape: Shape): string {
  return shape.join('×');
}

/**
 * One layer of a model as data: its kind's name and that kind's options
 * (dense: `units`; a conv kind: channels, kernel, stride, padding, bias).
 * Plain data, so it travels to workers and into JSON as it is.
 */
export interface LayerSpec {
  readonly kind: string;
  readonly [option: string]: unknown;
}

/** One parameter tensor of a block, in PyTorch's layout, as checkpoints name and store it. */
export interface ParameterTensor {
  /** The name after the block's prefix: `weight` is stored as `blocks.{i}.weight`. */
  name: string;
  /** PyTorch's shape: `[out, in]` for a dense weight, `[out, in, kh, kw]` for a conv one. */
  shape: number[];
}

/** What a layer's forward pass is given besides its input rows. */
export interface ForwardContext<L extends LayerSpec = LayerSpec> {
  layer: L;
  /** The shape of one example of the input. */
  input: Shape;
  /**
   * Whether the backward pass needs the gradient of the input: false for
   * the first block and for a block that learns locally, whose input is
   * the data or another block's output (a kind may skip that work then).
   */
  inputGrad: boolean;
}

/**
 * A kind of layer: dense today, conv2d and pooling later. A kind is a
 * **block** when it has parameters (a block has its batch norm, activation,
 * dropout and, when hidden, its rule's local loss); a kind without
 * parameters (pooling, flatten) is a layer between blocks, belonging to
 * none: the block after it reads its output, and the block before it is
 * trained on its own output, before this layer.
 *
 * Everything the rest of the code needs of a layer comes from its kind and
 * its input shape: the output shape, the parameters (PyTorch names and
 * layouts, and how they are held on the backend), the fan-in of PyTorch's
 * default initialisation, and the multiply-adds and activation bytes of one
 * example, for the memory estimates and the pipeline's balance. Adding a
 * kind is one module exporting a `LayerKind` and one call to
 * `registerLayerKind`; the spec grammar, checkpoints, every schedule and
 * rule then take it.
 */
export interface LayerKind<L extends LayerSpec = LayerSpec> {
  /** The name a spec's JSON form gives as `kind`: lower-case letters, digits and dashes. */
  readonly name: string;
  /** One line: what the layer computes, and how the text form writes it. */
  readonly description: string;
  /** True when the layer has parameters, and is so a block. */
  readonly block: boolean;
  /**
   * The layer a token of the text form stands for (`100` is a dense block
   * of 100 units), or null when the token is not of this kind; a token of
   * this kind with a bad option throws a LocalpropError that starts with
   * `where`. The first token of a spec is the input shape, never a layer.
   */
  parseToken(token: string, where: string): L | null;
  /** The token of {@link LayerKind.parseToken} for `layer`: parsing it gives `layer` back. */
  formatToken(layer: L): string;
  /**
   * The layer from its JSON form (an object with `kind` and every option;
   * dense also takes a plain number), every option checked and unknown
   * ones refused; `where` names it in messages.
   */
  fromJson(value: unknown, where: string): L;
  /** The JSON form of `layer`, every option written out (dense: the plain number of units, as specs always wrote it). */
  toJson(layer: L): unknown;
  /** The shape of one example of its output; throws a LocalpropError naming what does not fit when `input` cannot be read. */
  outputShape(input: Shape, layer: L): Shape;
  /** Its parameters in checkpoint order (none for a kind that is not a block). */
  tensors(input: Shape, layer: L): ParameterTensor[];
  /** The fan-in of PyTorch's default initialisation: weight and bias uniform on ±1/√fanIn. */
  fanIn(input: Shape, layer: L): number;
  /** Multiply-adds of its forward pass for one example. */
  multiplyAdds(input: Shape, layer: L): number;
  /**
   * Bytes (float32) of one example that its own operation keeps for the
   * backward pass besides its input: dense keeps its output (the
   * pre-activation); the activation function's share is counted apart.
   */
  activationBytes(input: Shape, layer: L): number;
  /** A parameter in the layout the network holds it, from PyTorch's (dense: the weight transposed to [in, out]). */
  toInternal(name: string, value: PlainTensor): tf.Tensor;
  /** A parameter back in PyTorch's layout from the network's variable. */
  fromInternal(name: string, value: tf.Tensor): PlainTensor;
  /** The forward map: rows `[examples, size(input)]` to rows `[examples, size(output)]`, given its parameters in {@link LayerKind.tensors} order. */
  forward(x: tf.Tensor2D, parameters: tf.Tensor[], context: ForwardContext<L>): tf.Tensor2D;
  /**
   * A factor per input feature laid over the first parameter in its
   * internal layout (dense: `[in, 1]` over the `[in, out]` weight): how
   * the drift gates slow learning from inputs still moving. Absent: the
   * per-weight gates are refused for blocks of this kind.
   */
  perInputFeature?(factor: tf.Tensor1D, input: Shape, layer: L): tf.Tensor;
}
