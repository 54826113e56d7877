/**
 * fit() in a page. Serve this folder with `npx vite examples/browser` and
 * open the address it prints. The cpu backend needs no files; for wasm, serve
 * TF.js's .wasm files and call `useBackend('wasm', { wasmPaths })` first
 * (web/worker.ts, the playground's worker, shows how with Vite).
 */
import { fit } from 'localprop';

const log = document.querySelector('#log')!;
const say = (line: string) => (log.textContent += `${line}\n`);

let state = 7;
const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const x = Array.from({ length: 300 }, () => [uniform(), uniform()]);
const y = x.map(([a, b]) => (a * b >= 0 ? 1 : 0));

const model = await fit(
  { x, y },
  {
    backend: 'cpu',
    model: [16, 16],
    optimizer: 'adam',
    step: 'batch',
    batchSize: 30,
    lr: 0.02,
    epochs: 30,
    onEpoch: async (e) => {
      if (e.epoch % 5 === 0) say(`epoch ${e.epoch}: accuracy ${e.testAccuracy.toFixed(3)}`);
      // Let the page draw between epochs.
      await new Promise((resolve) => setTimeout(resolve));
    },
  },
);
const accuracy = model.accuracy({ x, y });
say(`done: accuracy on the training points ${accuracy.toFixed(3)}`);
document.body.dataset.accuracy = String(accuracy);
