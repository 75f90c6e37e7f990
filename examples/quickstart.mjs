// Train a small network on iris in WebAssembly and print its test accuracy.
import { readFile } from 'node:fs/promises';
import { load } from '../web/index.js'; // from npm: import { load } from 'hushml'

const hush = await load();
const { model, testAccuracy } = await hush.train({
  data: await readFile('data/iris.csv', 'utf8'), format: 'csv', testFraction: 0.3,
  spec: 'dense:16,relu,dense:3', epochs: 50, batchSize: 16, optimizer: 'adam', lr: 0.01,
  seed: 1, // split, initialisation and minibatch order: the same model as `hush train --seed 1`
});
console.log(`iris test accuracy ${testAccuracy.toFixed(3)}`);
const file = model.save(); // raw rows in: the model standardises its own input
model.free();
if (testAccuracy < 0.9 || file.length === 0) process.exit(1);
