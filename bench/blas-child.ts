import { loadBlas } from '../src/engine/native/blas.js';
import { median } from './sections.js';

/**
 * Child process of the BLAS benchmark (bench/blas.ts): OpenBLAS reads its
 * core type and thread count once, when it loads, so each setting is a
 * process of its own. Prints one JSON line: GFLOP/s of `sgemm` for each
 * shape, median of 5 timed windows.
 */
const blas = loadBlas();
if (!blas) throw new Error('no BLAS loaded');
const threads = Number(process.argv[2] ?? '1');
blas.threads?.set(threads);
const shapes: [number, number, number][] = [[512, 512, 512], [128, 1024, 1024], [1024, 1024, 1024]];
const result: Record<string, number> = {};
const cpuResult: Record<string, number> = {};
for (const [m, k, n] of shapes) {
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  // About 0.2 s a window at 100 GFLOP/s.
  const calls = Math.max(3, Math.round(2e10 / flops));
  // Wall and CPU seconds per call: on a shared machine the CPU time of a one-thread run is the work, the wall time includes waiting.
  const window = () => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < calls; i++) blas.sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
    const used = process.cpuUsage(cpu);
    return { wall: (performance.now() - start) / 1000 / calls, cpu: (used.user + used.system) / 1e6 / calls };
  };
  window();
  const windows = Array.from({ length: 5 }, window);
  result[`${m}x${k}x${n}`] = flops / median(windows.map((w) => w.wall)) / 1e9;
  cpuResult[`${m}x${k}x${n}`] = flops / median(windows.map((w) => w.cpu)) / 1e9;
}
process.stdout.write(JSON.stringify({ coreType: blas.coreType, library: blas.library, threads, gflops: result, cpuGflops: cpuResult }) + '\n');
