// Train a small network on iris in WebAssembly and print its test accuracy.
import { readFile } from 'node:fs/promises';
import { load } from '../web/index.js'; // from npm: import { load } from 'hushml'

const hush = await load();
const all = hush.data.parseCsv(await readFile('data/iris.csv', 'utf8'));
const [train, test] = all.split({ testFraction: 0.3, seed: 1 });
train.standardize(test);
const model = hush.Model.create('dense:16,relu,dense:3', { inputSize: train.dim, maxBatch: 16, seed: 1 });
await model.fit(train.x, train.y, { epochs: 50, batchSize: 16, optimizer: 'adam', lr: 0.01 });
const { accuracy } = model.evaluate(test.x, test.y);
console.log(`iris test accuracy ${accuracy.toFixed(3)}`);
for (const h of [model, all, train, test]) h.free();
if (accuracy < 0.9) process.exit(1);
