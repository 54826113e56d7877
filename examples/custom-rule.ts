/**
 * A learning rule of your own: what a hidden block learns from. This one is
 * Mertens' linear decoder with a bias added, drawn as PyTorch's nn.Linear
 * draws it; it is compared with the built-in `decoder` rule under
 * local-parallel, as `localprop compare --import rule.js --rule decoder,biased-decoder` would.
 * Run: npx tsx examples/custom-rule.ts
 */
import { experimentRuns, MERTENS_MODEL, modelShapes, parseModelSpec, registerRule, summarize, tf, useBackend, weightedLoss, type LocalRule, type RunEndEvent } from 'localprop';

const biasedDecoder: LocalRule = {
  name: 'biased-decoder',
  description: "Mertens' linear decoder with a bias (an example rule)",
  // Checkpoint names and PyTorch-layout shapes of what the rule adds to hidden block i.
  tensors: (spec, i) => [
    { name: `biased.${i}.weight`, shape: [modelShapes(spec).outputSize, modelShapes(spec).blocks[i].outputSize], trainable: true },
    { name: `biased.${i}.bias`, shape: [modelShapes(spec).outputSize], trainable: true },
  ],
  initialize(spec, i, rng) {
    const bound = 1 / Math.sqrt(modelShapes(spec).blocks[i].outputSize);
    return Object.fromEntries(
      this.tensors(spec, i).map((t) => [t.name, { shape: t.shape, data: Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => rng.uniformIn(-bound, bound)) }]),
    );
  },
  bind(_spec, i, variables) {
    // Held in the network's layout: the weight as [hidden, outputs], so h · w needs no transpose.
    const w = variables[`biased.${i}.weight`];
    const b = variables[`biased.${i}.bias`];
    const logits = (h: tf.Tensor2D) => tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
    const read = (h: tf.Tensor2D, loss: string) => (loss === 'bce' ? tf.sigmoid(logits(h)) : logits(h));
    return {
      trainable: [w, b],
      variables: [w, b],
      loss: ({ output, y, weights, hiddenLoss }) => weightedLoss(hiddenLoss, read(output, hiddenLoss), y, weights),
      probe: (output, hiddenLoss) => read(output, hiddenLoss),
    };
  },
};
registerRule(biasedDecoder);

await useBackend('wasm');
const config = {
  data: { dataset: 'signed_xor' },
  spec: parseModelSpec(MERTENS_MODEL),
  schedules: ['local-parallel'],
  rules: ['decoder', 'biased-decoder'],
  seeds: [0, 1],
  decoders: ['learned' as const],
  training: { epochs: 60 },
};
const results: RunEndEvent[] = [];
for (const run of experimentRuns(config)) {
  for await (const event of run) if (event.type === 'end') results.push(event);
}
for (const row of summarize(results)) console.log(`${row.schedule} · ${row.rule ?? 'decoder'}: test accuracy ${row.testAccuracy.mean.toFixed(3)} ± ${row.testAccuracy.std.toFixed(3)} over seeds ${row.seeds.join(', ')}`);
