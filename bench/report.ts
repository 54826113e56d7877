import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSeeds } from '../src/cli/options.js';
import { runExperiment } from '../src/cli/run-experiment.js';
import { allScheduleNames, experimentFrom } from '../src/cli/setup.js';
import { useBackend } from '../src/engine/backend.js';
import { experimentRuns } from '../src/experiment/experiment.js';
import { WorkerEvaluator } from '../src/node/worker-evaluator.js';
import { writeReportFiles } from '../src/node/report-files.js';
import { ReportRecorder } from '../src/report/recorder.js';
import { renderReport } from '../src/report/report.js';
import { machineLine, median, writeSection } from './sections.js';

const REPEATS = 3;

/**
 * The cost of the report on `npm start`'s job (every schedule, seeds 0-4,
 * Mertens' protocol, evaluation thread on): the same comparison with
 * --out and --report off, then on, alternating, in one process. The
 * issue's budget is max(1 s, 25% of the run).
 */
export async function benchReport(file: string): Promise<string> {
  await useBackend('wasm');
  const evaluator = WorkerEvaluator.start();
  const work = mkdtempSync(join(tmpdir(), 'localprop-bench-report-'));
  try {
    const config = experimentFrom({}, allScheduleNames(), parseSeeds(5), evaluator);
    const timed = async (report: boolean, k: number) => {
      const start = performance.now();
      await runExperiment(config, { out: join(work, `${report ? 'on' : 'off'}${k}`), quiet: true, report: report ? { recorder: {}, lossScale: 'log' } : undefined });
      return (performance.now() - start) / 1000;
    };
    const off: number[] = [];
    const on: number[] = [];
    for (let k = 0; k < REPEATS; k++) {
      off.push(await timed(false, k));
      on.push(await timed(true, k));
      process.stderr.write(`report bench ${k + 1}/${REPEATS}: off ${off[k].toFixed(2)} s, on ${on[k].toFixed(2)} s\n`);
    }
    // Where the report's time goes: the same runs with the recorder fed by hand.
    const recorder = new ReportRecorder();
    let captureMs = 0;
    for (const run of experimentRuns(config)) {
      for await (const event of run) {
        const t = performance.now();
        recorder.onEvent(event, run);
        captureMs += performance.now() - t;
      }
    }
    let t = performance.now();
    const rendered = renderReport(recorder, { title: 'bench', dataset: 'signed_xor', model: 'seed', config: {} });
    const renderMs = performance.now() - t;
    t = performance.now();
    writeReportFiles(join(work, 'split'), rendered);
    const writeMs = performance.now() - t;

    const [a, b] = [median(off), median(on)];
    const overhead = b - a;
    const budget = Math.max(1, 0.25 * a);
    const body = `## Report overhead on Mertens' comparison (\`npm start\`)
${machineLine()}

The whole comparison (4 schedules × seeds 0-4, Mertens' protocol, evaluation thread on) with \`--out\`, without and with the report, alternating, ${REPEATS} times each; medians.

| | seconds |
|---|---|
| without report (\`--report off\`) | ${a.toFixed(2)} |
| with report | ${b.toFixed(2)} |
| overhead | ${overhead.toFixed(2)} (${((100 * overhead) / a).toFixed(1)}%) |
| budget: max(1 s, 25% of the run) | ${budget.toFixed(2)} |

Goal ${overhead <= budget ? 'met' : 'NOT met'}. Where the report's time goes (one extra pass): taking the boundary frames during training ${(captureMs / 1000).toFixed(2)} s, drawing the ${rendered.figures.length} SVG figures and report.html ${(renderMs / 1000).toFixed(2)} s, rasterising PNGs and writing files ${(writeMs / 1000).toFixed(2)} s. report.html is ${(rendered.html.length / 2 ** 20).toFixed(1)} MiB.
Every run: ${off.map((v, i) => `${v.toFixed(2)}/${on[i].toFixed(2)}`).join(', ')} s (off/on).`;
    writeSection(file, 'report', body);
    return body;
  } finally {
    await evaluator.close();
    rmSync(work, { recursive: true, force: true });
  }
}
