import type { EpochEvent, parseModelSpec as ParseSpec, Run as RunClass, MERTENS_MODEL as MertensModel, seededStart as SeededStart } from '../../src/index.js';

/** The same short runs in Node and in the page: seed 2, 4 epochs of every seed schedule. */
export async function shortRuns(lib: { parseModelSpec: typeof ParseSpec; Run: typeof RunClass; MERTENS_MODEL: typeof MertensModel; seededStart: typeof SeededStart }): Promise<EpochEvent[][]> {
  const spec = lib.parseModelSpec(lib.MERTENS_MODEL);
  const out: EpochEvent[][] = [];
  for (const schedule of ['backprop', 'local-sequential', 'local-parallel']) {
    const start = lib.seededStart(2, spec, { dataset: 'signed_xor' });
    const run = new lib.Run({ schedule, spec, ...start, epochs: 4 });
    const events: EpochEvent[] = [];
    for await (const e of run) if (e.type === 'epoch') events.push({ ...e, seconds: 0 });
    run.dispose();
    out.push(events);
  }
  return out;
}

type ReportLib = Pick<typeof import('../../src/index.js'), 'parseModelSpec' | 'experimentRuns' | 'ReportRecorder' | 'renderReport'>;

/** A short local-parallel run drawn into a report: its figure names and the network's final grid. */
export async function shortReport(lib: ReportLib): Promise<{ figures: string[]; grid: number[]; htmlBytes: number }> {
  const recorder = new lib.ReportRecorder({ gridSize: 16, blockGridSize: 8 });
  const config = { data: { dataset: 'spiral3' }, spec: lib.parseModelSpec('2-12-12-3'), schedules: ['local-parallel'], seeds: [1], decoders: ['learned' as const], training: { epochs: 3 } };
  for (const run of lib.experimentRuns(config)) {
    for await (const e of run) recorder.onEvent(e, run);
  }
  const report = lib.renderReport(recorder, { title: 'browser', dataset: 'spiral3', model: '2-12-12-3', config: {} });
  return { figures: report.figures.map((f) => f.name), grid: Array.from(recorder.runs[0].finalGrid!.values), htmlBytes: report.html.length };
}
