import type { EpochEvent, parseModelSpec as ParseSpec, Run as RunClass, SEED_MODEL as SeedModel, seededStart as SeededStart } from '../../src/index.js';

/** The same short runs in Node and in the page: seed 2, 4 epochs of every seed schedule. */
export async function shortRuns(lib: { parseModelSpec: typeof ParseSpec; Run: typeof RunClass; SEED_MODEL: typeof SeedModel; seededStart: typeof SeededStart }): Promise<EpochEvent[][]> {
  const spec = lib.parseModelSpec(lib.SEED_MODEL);
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
