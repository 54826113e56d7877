import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { machineLine, median, writeSection } from './sections.js';

const CORE_TYPES = ['Haswell', 'SkylakeX', 'Cooperlake', 'Zen'];
const ROUNDS = 3;
const CHILD = join(import.meta.dirname, 'blas-child.ts');

interface ChildRow {
  coreType: string;
  library: string;
  threads: number;
  gflops: Record<string, number>;
  cpuGflops: Record<string, number>;
}

function child(coreType: string, threads: number): ChildRow {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, String(threads)], { encoding: 'utf8', env: { ...process.env, OPENBLAS_CORETYPE: coreType } });
  if (r.status !== 0) throw new Error(`the BLAS benchmark child failed (is libopenblas0-pthread installed?): ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as ChildRow;
}

/**
 * OpenBLAS's sgemm through koffi for each of its x86-64 kernel families
 * (OPENBLAS_CORETYPE), one thread, candidates interleaved round by round:
 * the choice of the default core type (engine/native/blas.ts) and the peak
 * the training benchmarks' GFLOP/s are a share of.
 */
export async function benchBlas(file: string): Promise<string> {
  const rows: Record<string, ChildRow[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const core of CORE_TYPES) {
      const row = child(core, 1);
      (rows[core] ??= []).push(row);
      process.stderr.write(`blas ${core} round ${round}: ${JSON.stringify(row.gflops)}\n`);
    }
  }
  const shapes = Object.keys(rows[CORE_TYPES[0]][0].gflops);
  const cell = (core: string, shape: string, key: 'gflops' | 'cpuGflops') => median(rows[core].map((r) => r[key][shape])).toFixed(1);
  const table = CORE_TYPES.map((core) => `| ${core}${rows[core][0].coreType !== core ? ` (ran ${rows[core][0].coreType})` : ''} | ${shapes.map((s) => `${cell(core, s, 'gflops')} / ${cell(core, s, 'cpuGflops')}`).join(' | ')} |`);
  const body = `## The BLAS under the native backend: sgemm by OpenBLAS core type
${machineLine()} Shared with other developers' work while measured.

\`cblas_sgemm\` of ${rows[CORE_TYPES[0]][0].library} called through koffi on Float32Arrays, one thread, one process per core type (OpenBLAS reads OPENBLAS_CORETYPE when it loads), ${ROUNDS} rounds interleaved; each cell is GFLOP/s by wall time / by the process's CPU time, medians. On a machine other processes load, wall time counts the waiting and CPU time is closer to the work; docs/engine-notes.md ("The OpenBLAS core type") says what was chosen from it.

| OPENBLAS_CORETYPE | ${shapes.map((s) => s.replace(/x/g, '×')).join(' | ')} |
|---|${shapes.map(() => '---|').join('')}
${table.join('\n')}`;
  writeSection(file, 'blas', body);
  return body;
}
