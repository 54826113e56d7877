import { check } from '../util/errors.js';
import { kindOf } from './blocks/registry.js';
import { formatShape, sizeOf, type LayerKind, type LayerSpec, type Shape } from './blocks/kind.js';
import type { ModelSpec } from './spec.js';

/** One layer of a model with its kind and the shapes it reads and writes. */
export interface LayerShapes {
  layer: LayerSpec;
  kind: LayerKind;
  input: Shape;
  output: Shape;
}

/**
 * One block: its parameter layer, the shape it is fed (the previous
 * block's output, or the data), the shape its parameter layer reads (after
 * the layers between blocks that precede it, such as pooling), and its
 * output, which its local loss reads.
 */
export interface BlockShapes {
  index: number;
  layer: LayerSpec;
  kind: LayerKind;
  /** What the block is fed: the data for block 0, the previous block's output after it. */
  fed: Shape;
  /** The layers without parameters between the previous block and this one, in order. */
  before: LayerShapes[];
  /** What its parameter layer reads: `fed` after the layers {@link BlockShapes.before}. */
  input: Shape;
  output: Shape;
  /** Numbers one example of its output holds: what its rule's read-out reads. */
  outputSize: number;
  isOutput: boolean;
}

/** The shapes of a whole model: what every layer and block reads and writes. */
export interface ModelShapes {
  input: Shape;
  layers: LayerShapes[];
  blocks: BlockShapes[];
  /** The output block's output: what the network predicts for one example. */
  output: Shape;
  /** Numbers one example of the output holds (the targets' width). */
  outputSize: number;
}

/**
 * Walks the spec's layers from its input shape, each kind saying its
 * output shape; a layer whose input does not fit, or a model that does not
 * end with a block, is refused naming the layer.
 */
export function modelShapes(spec: Pick<ModelSpec, 'input' | 'stack'>): ModelShapes {
  const layers: LayerShapes[] = [];
  const blocks: BlockShapes[] = [];
  let shape: Shape = spec.input;
  let fed: Shape = spec.input;
  let before: LayerShapes[] = [];
  spec.stack.forEach((layer, k) => {
    const kind = kindOf(layer);
    const output = kind.outputShape(shape, layer);
    const entry = { layer, kind, input: shape, output };
    layers.push(entry);
    if (kind.block) {
      blocks.push({ index: blocks.length, layer, kind, fed, before, input: shape, output, outputSize: sizeOf(output), isOutput: k === spec.stack.length - 1 });
      before = [];
      fed = output;
    } else {
      before.push(entry);
    }
    shape = output;
  });
  check(blocks.length > 0 && before.length === 0, `model ${formatShape(spec.input)}-…: the last layer must be a block with parameters (like a dense block of the outputs), not ${spec.stack[spec.stack.length - 1]?.kind ?? 'nothing'}`);
  return { input: spec.input, layers, blocks, output: shape, outputSize: sizeOf(shape) };
}

/** Blocks of the model (its parameter layers), the output block included. */
export function blockCount(spec: ModelSpec): number {
  return modelShapes(spec).blocks.length;
}

/** The hidden blocks' indices (every block but the output block). */
export function hiddenBlocks(spec: ModelSpec): number[] {
  return Array.from({ length: blockCount(spec) - 1 }, (_, i) => i);
}

/** Numbers one example of the model's input holds. */
export function inputSize(spec: ModelSpec): number {
  return sizeOf(spec.input);
}

/** Numbers the model outputs per example (its targets' width). */
export function outputSize(spec: ModelSpec): number {
  return sizeOf(modelShapes(spec).output);
}

/** The shapes of block `i`. */
export function blockShapes(spec: ModelSpec, i: number): BlockShapes {
  const blocks = modelShapes(spec).blocks;
  check(Number.isInteger(i) && i >= 0 && i < blocks.length, `block ${i} does not exist: the model has blocks 0 to ${blocks.length - 1}`);
  return blocks[i];
}

/** Numbers per example block `i` outputs (what its rule's read-out reads). */
export function blockOutputSize(spec: ModelSpec, i: number): number {
  return sizeOf(blockShapes(spec, i).output);
}

/** Numbers per example block `i` is fed (the data for block 0, the previous block's output after it). */
export function blockInputSize(spec: ModelSpec, i: number): number {
  return sizeOf(blockShapes(spec, i).fed);
}
