/**
 * Train on points you hold in plain arrays, predict, save and load.
 * Run: npx tsx examples/two-d-arrays.ts
 */
import { fit, Model } from 'localprop';

// Deterministic points in [-1, 1]²; class 1 where both coordinates have the same sign.
let state = 42;
const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
const points = (n: number) => Array.from({ length: n }, () => [uniform(), uniform()]);
const label = ([a, b]: number[]) => (a * b >= 0 ? 1 : 0);

const x = points(500);
const test = points(500);

const model = await fit(
  { x, y: x.map(label) },
  {
    schedule: 'local-parallel', // every block learns at once from its own decoder
    model: [32, 32],            // two hidden ReLU blocks; input and output widths come from the data
    optimizer: 'adam',
    step: 'batch',
    batchSize: 50,
    lr: 0.01,
    epochs: 40,
    validation: { x: test, y: test.map(label) },
    onEpoch: (e) => {
      if (e.epoch % 10 === 0) console.log(`epoch ${e.epoch}: validation accuracy ${e.testAccuracy.toFixed(3)}`);
    },
  },
);

console.log('accuracy on the validation points:', model.accuracy({ x: test, y: test.map(label) }).toFixed(3));
console.log('classes of (0.5, 0.5) and (0.5, -0.5):', model.classify([[0.5, 0.5], [0.5, -0.5]]));

// A safetensors file: `localprop train --init` and PyTorch's safetensors read it too.
const bytes = model.save();
const again = await Model.load(bytes);
console.log(`saved ${bytes.length} bytes; the loaded model predicts the same:`, JSON.stringify(again.predict([[0.5, 0.5]])) === JSON.stringify(model.predict([[0.5, 0.5]])));
