import { tf, useBackend } from '../src/engine/backend.js';
import { dense } from '../src/engine/dense.js';
import { Rng } from '../src/util/rng.js';
import { machineLine, median, writeSection } from './sections.js';

/**
 * One training step (forward, backward, SGD update) of a 784-1024-1024-10
 * ReLU MLP at batch 128 on wasm: the dense op with the hand-written
 * gradient against TF.js's own matMul gradient, which passes transpose
 * flags that XNNPACK runs slowly.
 */
export async function benchDenseOp(file: string, repeats = 5): Promise<string> {
  await useBackend('wasm');
  const rng = new Rng(0);
  const sizes = [784, 1024, 1024, 10];
  const random = (shape: number[], scale: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.uniformIn(-scale, scale)), shape);
  const ws = sizes.slice(1).map((out, i) => tf.variable(random([sizes[i], out], 1 / Math.sqrt(sizes[i])) as tf.Tensor2D));
  const bs = sizes.slice(1).map((out) => tf.variable(tf.zeros([out]) as tf.Tensor1D));
  const x = random([128, 784], 1) as tf.Tensor2D;
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32'), 10).toFloat() as tf.Tensor2D;
  const vars = [...ws, ...bs];
  const layer = {
    fast: (h: tf.Tensor2D, i: number) => dense(h, ws[i] as tf.Tensor2D, bs[i] as tf.Tensor1D),
    builtin: (h: tf.Tensor2D, i: number) => tf.add(tf.matMul(h, ws[i]), bs[i]) as tf.Tensor2D,
  };
  const times: Record<string, number[]> = { fast: [], builtin: [] };
  for (let r = 0; r < repeats + 1; r++) {
    for (const kind of ['fast', 'builtin'] as const) {
      const t0 = performance.now();
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          let h = x;
          for (let i = 0; i < 3; i++) h = i < 2 ? tf.relu(layer[kind](h, i)) : layer[kind](h, i);
          return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
        });
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
      });
      (vars[0].dataSync());
      if (r > 0) times[kind].push(performance.now() - t0);
    }
  }
  const fast = median(times.fast);
  const builtin = median(times.builtin);
  const flops = 2 * 3 * 128 * (784 * 1024 + 1024 * 1024 + 1024 * 10);
  const body = [
    '## Dense op: hand-written gradient vs TF.js matMul gradient (wasm)',
    '',
    machineLine(),
    `One SGD step of a 784-1024-1024-10 ReLU MLP at batch 128, median of ${repeats} after one warm-up, both measured in one run (\`npm run bench -- dense\`).`,
    '',
    '| dense op | ms / step | GFLOP/s |',
    '|---|---|---|',
    `| localprop \`dense\` (explicit transposes) | ${fast.toFixed(1)} | ${(flops / fast / 1e6).toFixed(1)} |`,
    `| \`tf.matMul\` + built-in gradient | ${builtin.toFixed(1)} | ${(flops / builtin / 1e6).toFixed(1)} |`,
    '',
    `Speed-up: **${(builtin / fast).toFixed(1)}×**.`,
  ].join('\n');
  vars.forEach((v) => v.dispose());
  x.dispose();
  y.dispose();
  writeSection(file, 'dense-op', body);
  return body;
}
