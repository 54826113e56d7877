// The conv kernels at a conv net's sizes, for docs/engine-notes.md ("Conv
// kernels"): batch 128, 3×3 filters, 'same', stride 1, 28×28 32→32 and
// 14×14 32→64 channels; forward, input gradient and filter gradient on wasm
// and native, native also with the JavaScript patch gathers instead of the
// WebAssembly ones. Medians of 7 calls a round, rounds interleaved; wall
// time and the process's CPU time (every thread, the BLAS's too).
//
//   npx tsx bench/conv-kernels.ts [rounds]
//
// bench/peer/conv_kernels.py times PyTorch on the same sizes.
import { tf, useBackend } from '../src/engine/backend.js';
import { setSimdPatches } from '../src/engine/conv/simd-patches.js';
import { loadBlas } from '../src/engine/native/blas.js';

const rounds = Number(process.argv[2] ?? 2);
const CALLS = 7;
const SHAPES = [
  { size: 28, cin: 32, cout: 32 },
  { size: 14, cin: 32, cout: 64 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const results = new Map<string, { wall: number[]; cpu: number[]; flop: number }>();

function time(label: string, flop: number, f: () => tf.Tensor): void {
  const r = results.get(label) ?? { wall: [], cpu: [], flop };
  results.set(label, r);
  f().dispose();
  for (let k = 0; k < CALLS; k++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = f();
    r.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    r.cpu.push((c.user + c.system) / 1000);
    out.dispose();
  }
}

function pattern(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sin(i * 0.37 + seed);
  return out;
}

const data = SHAPES.map(({ size, cin, cout }) => ({
  size,
  cin,
  cout,
  x: pattern(128 * size * size * cin, 1),
  w: pattern(9 * cin * cout, 2),
  dy: pattern(128 * size * size * cout, 3),
}));

const variants: { name: string; backend: string; simd: boolean }[] = [
  { name: 'wasm', backend: 'wasm', simd: true },
  { name: 'native', backend: 'native', simd: true },
  { name: 'native, JS gathers', backend: 'native', simd: false },
];

for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    await useBackend(v.backend);
    setSimdPatches(v.simd);
    for (const d of data) {
      const x = tf.tensor4d(d.x, [128, d.size, d.size, d.cin]);
      const w = tf.tensor4d(d.w, [3, 3, d.cin, d.cout]);
      const dy = tf.tensor4d(d.dy, [128, d.size, d.size, d.cout]);
      const flop = 2 * 128 * d.size * d.size * 9 * d.cin * d.cout;
      const tag = `${d.size}×${d.size} ${d.cin}→${d.cout}`;
      time(`${v.name} | ${tag} | Conv2D`, flop, () => tf.conv2d(x, w, 1, 'same'));
      time(`${v.name} | ${tag} | Conv2DBackpropInput`, flop, () => tf.conv2dTranspose(dy, w, [128, d.size, d.size, d.cin], 1, 'same'));
      time(`${v.name} | ${tag} | Conv2DBackpropFilter`, flop, () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, d.cin, d.cout] }) as tf.Tensor,
      );
      tf.dispose([x, w, dy]);
    }
  }
}
setSimdPatches(true);

const blas = loadBlas();
console.log(`BLAS ${blas?.library ?? 'none'}, core ${blas?.coreType ?? '-'} (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? 'unset'}), threads ${blas?.threads?.get() ?? '-'}; ${rounds} rounds × ${CALLS} calls`);
console.log('| backend | size | kernel | wall ms | CPU ms | GFLOP/s (CPU) |');
console.log('|---|---|---|---:|---:|---:|');
for (const [label, r] of results) {
  const [backend, size, kernel] = label.split(' | ');
  const cpu = median(r.cpu);
  console.log(`| ${backend} | ${size} | ${kernel} | ${median(r.wall).toFixed(1)} | ${cpu.toFixed(1)} | ${(r.flop / cpu / 1e6).toFixed(0)} |`);
}
