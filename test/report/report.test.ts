import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/engine/backend.js';
import { experimentRuns, type ExperimentConfig } from '../../src/experiment/experiment.js';
import { makeDataset } from '../../src/data/dataset.js';
import { parseModelSpec } from '../../src/model/spec.js';
import { ReportRecorder, type RecorderOptions } from '../../src/report/recorder.js';
import { renderReport } from '../../src/report/report.js';
import { Rng } from '../../src/util/rng.js';

beforeAll(async () => {
  await useBackend('cpu');
});

async function record(config: Omit<ExperimentConfig, 'decoders'>, options: Partial<RecorderOptions>): Promise<ReportRecorder> {
  const recorder = new ReportRecorder(options);
  for (const run of experimentRuns({ ...config, decoders: ['learned'] })) {
    for await (const event of run) recorder.onEvent(event, run);
  }
  return recorder;
}

const META = { title: 't', dataset: 'd', model: 'm', config: {} };
const seriesOf = (svg: string) => [...svg.matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]);

describe('recorded reports', () => {
  it('keeps frames every k epochs for the first seed only, and charts one line per schedule', async () => {
    const recorder = await record(
      { data: { dataset: 'signed_xor' }, spec: parseModelSpec('2-8-8-1 hidden=tanh out=sigmoid'), schedules: ['backprop', 'local-sequential'], seeds: [3, 4], training: { epochs: 4 } },
      { snapshotEvery: 3, gridSize: 20, blockGridSize: 8 },
    );
    const [bp3, seq3, bp4] = recorder.runs;
    expect(recorder.runs.map((r) => `${r.schedule}/${r.seed}`)).toEqual(['backprop/3', 'local-sequential/3', 'backprop/4', 'local-sequential/4']);
    // backprop: 4 epochs → frames at 0, 3 and the last; local-sequential: 3 blocks × 4 = 12 → 0, 3, 6, 9, 12.
    expect(bp3.frames.map((f) => f.epoch)).toEqual([0, 3, 4]);
    expect(seq3.frames.map((f) => f.epoch)).toEqual([0, 3, 6, 9, 12]);
    expect(seq3.frames.map((f) => f.trainedBlock)).toEqual([null, 0, 1, 2, 2]);
    expect(seq3.frames[1].blocks.map((g) => g.size)).toEqual([8, 8, 8]);
    expect(seq3.finalGrid?.size).toBe(20);
    expect(bp4.frames).toEqual([]);
    // Events 0 (untrained) to 4.
    expect(bp4.epochs).toHaveLength(5);

    const report = renderReport(recorder, META);
    const names = report.figures.map((f) => f.name);
    expect(names).toEqual([
      'backprop',
      'local-sequential',
      'test-loss',
      'train-loss',
      'test-accuracy',
      'backprop-block-accuracy',
      'local-sequential-block-accuracy',
      'backprop-timeline',
      'local-sequential-timeline',
    ]);
    const testLoss = report.figures.find((f) => f.name === 'test-loss')!.svg;
    // One faint line per seed behind each schedule's mean.
    expect(seriesOf(testLoss)).toEqual(['backprop seed 3', 'backprop seed 4', 'local-sequential seed 3', 'local-sequential seed 4', 'backprop', 'local-sequential']);
    // Back-propagation's picture has no per-block panels, and its caption says none.
    const caption = (name: string) => report.figures.find((f) => f.name === name)!.caption;
    expect(caption('backprop')).toBe("backprop: the network's boundary and its loss curves at the end of seed 3");
    expect(caption('local-sequential')).toBe("local-sequential: the network's boundary, its loss curves and each hidden block's decoder boundary at the end of seed 3");
    expect(seriesOf(report.figures.find((f) => f.name === 'local-sequential-block-accuracy')!.svg)).toEqual(['block 0', 'block 1', 'block 2 (network)']);
    expect(report.html).toContain('<h2>Timeline</h2>');
    expect(report.html).toContain('id="timeline-local-sequential"');
  });

  it('shows charts without boundaries for data that is not 2-D', async () => {
    const rng = new Rng(1);
    const x = Float32Array.from({ length: 60 }, () => rng.uniform());
    const y = Float32Array.from({ length: 20 }, (_, i) => i % 2);
    const data = makeDataset(x, y, 3, 1);
    const recorder = await record({ data: { name: 'three', train: data, test: data }, spec: parseModelSpec('3-4-1'), schedules: ['local-parallel'], seeds: [0], training: { epochs: 2 } }, {});
    expect(recorder.hasBoundaries).toBe(false);
    const report = renderReport(recorder, META);
    expect(report.figures.map((f) => f.name)).toEqual(['test-loss', 'train-loss', 'test-accuracy', 'local-parallel-block-accuracy']);
    expect(report.html).toContain('not 2-D');
  });

  it('draws gate charts for the gated schedule and class colours for a 3-class task', async () => {
    const recorder = await record(
      { data: { dataset: 'spiral3' }, spec: parseModelSpec('2-8-8-3'), schedules: ['local-gated'], seeds: [0], training: { epochs: 3 } },
      { gridSize: 10, blockGridSize: 6 },
    );
    expect(recorder.runs[0].finalGrid?.outputs).toBe(3);
    const report = renderReport(recorder, META);
    expect(report.figures.map((f) => f.name)).toContain('local-gated-drift');
    expect(seriesOf(report.figures.find((f) => f.name === 'local-gated-gate')!.svg)).toEqual(['block 1', 'block 2']);
    const figure = report.figures.find((f) => f.name === 'local-gated')!.svg;
    expect(figure).toContain('class-legend');
    expect(figure).toMatch(/data-class="2"/);
  });
});
