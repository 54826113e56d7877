/**
 * A dataset of your own, registered by name, compared over every schedule
 * and two seeds the way `localprop compare` does.
 * Run: npx tsx examples/custom-dataset.ts
 */
import { experimentRuns, makeDataset, MERTENS_MODEL, parseModelSpec, registerDataset, summarize, useBackend, type DatasetEntry, type RunEndEvent, type Rng } from 'localprop';

/** Two interleaved half circles ("moons"), 400 points; the class is the moon. */
function moons(rng: Rng, count: number) {
  const x = new Float32Array(count * 2);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const upper = i % 2 === 0;
    const angle = Math.PI * rng.uniform();
    x[2 * i] = (upper ? Math.cos(angle) : 1 - Math.cos(angle)) / 1.5 - 0.33 + 0.05 * rng.normal();
    x[2 * i + 1] = (upper ? Math.sin(angle) : 0.5 - Math.sin(angle)) / 1.5 - 0.1 + 0.05 * rng.normal();
    y[i] = upper ? 0 : 1;
  }
  return makeDataset(x, y, 2, 1);
}

const entry: DatasetEntry = {
  name: 'moons',
  description: 'two interleaved half circles; assign the half circle (0 or 1)',
  latex: '\\text{two moons}',
  inputSize: 2,
  outputSize: 1,
  // Each split draws only from the generator it is given: a seed fixes the data.
  train: (rng) => moons(rng, 400),
  test: (rng) => moons(rng, 400),
};
registerDataset(entry);

await useBackend('wasm');
const results: RunEndEvent[] = [];
const config = {
  data: { dataset: 'moons' },
  spec: parseModelSpec(MERTENS_MODEL),
  schedules: ['backprop', 'local-sequential', 'local-parallel'],
  seeds: [0, 1],
  decoders: ['learned' as const],
  training: { epochs: 20 },
};
for (const run of experimentRuns(config)) {
  for await (const event of run) if (event.type === 'end') results.push(event);
}
for (const row of summarize(results)) {
  console.log(`${row.schedule.padEnd(16)} test accuracy ${row.testAccuracy.mean.toFixed(3)} ± ${row.testAccuracy.std.toFixed(3)} over seeds ${row.seeds.join(', ')}`);
}
