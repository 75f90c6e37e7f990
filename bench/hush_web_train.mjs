// Hush Emscripten training-step throughput through the public JS API (web/index.js), in Node.
//
// Usage: node bench/hush_web_train.mjs --simd 1|0 [--seconds S] [--repeats R] [--only NAMES]
// Prints one JSON line per case and variant:
//   hush-em-simd / hush-em-base        model.step(dataset): the batch was copied into the wasm
//                                      heap once (a Dataset parsed from CSV text), so each step is
//                                      one call into C with no copying: the kernels plus the
//                                      boundary, the "pre-copied data" measurement;
//   hush-em-simd-copy / -base-copy     model.step(Float32Array, Uint32Array): each step copies
//                                      the batch in, zeroes and frees it (what a naive caller pays).
// Same model, seed scheme, optimiser (SGD, lr 0.01) and synthetic data as bench/train_native.c.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CASES, LR, timeSteps, parseArgs } from './cases.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2), { simd: '1', seconds: 1.0, repeats: 3, warm: 0.3, only: '', copy: '1' });
const simd = args.simd !== '0';
const { load } = await import(pathToFileURL(path.join(root, 'web/index.js')).href);
const hush = await load({ simd });
const base = simd ? 'hush-em-simd' : 'hush-em-base';
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');

// Synthetic data; values only need the right shape. Drawn with a small LCG in JS (the library's
// hush_rng rule is about library randomness, and the values never affect timing).
function filler(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

for (const c of CASES) {
  if (args.only && !args.only.split(',').includes(c.name)) continue;
  const [C, H, W] = c.shape;
  const dim = C * H * W;
  let model;
  let ds;
  try {
    model = hush.Model.create(c.spec, { inputShape: [C, H, W], maxBatch: c.batch, seed: 1, optimizer: 'sgd', lr: LR });
    const classes = model.outputSize;
    const rnd = filler(7);
    const x = new Float32Array(c.batch * dim).map(() => rnd());
    const y = new Uint32Array(c.batch).map(() => Math.floor(rnd() * classes));
    // CSV is the only way the API takes data into the heap as a Dataset; labels in the last column.
    // Float32 values printed with 9 significant digits round-trip exactly.
    const lines = [];
    for (let i = 0; i < c.batch; i++) {
      const row = Array.from(x.subarray(i * dim, (i + 1) * dim), (v) => v.toPrecision(9));
      row.push(String(y[i]));
      lines.push(row.join(','));
    }
    ds = hush.data.parseCsv(lines.join('\n') + '\n');
    if (ds.rows !== c.batch || ds.dim !== dim) throw new Error(`CSV data set is ${ds.rows}x${ds.dim}`);
    // Sanity: on one fixed batch SGD must lower the loss (see train_native.c).
    const loss0 = model.step(ds);
    let loss = loss0;
    const opts = { seconds: args.seconds, repeats: args.repeats, warmSeconds: args.warm };
    const t = timeSteps(() => { loss = model.step(ds); }, c.batch, opts);
    emit({ engine: base, case: c.name, batch: c.batch, params: model.paramCount, eps: t.median, rates: t.rates,
      steps: t.steps, loss0, loss, sane: loss0 > 0 && loss < loss0, loop: 'JS loop: model.step(dataset), batch pre-copied into the heap' });
    if (args.copy !== '0') {
      const t2 = timeSteps(() => { loss = model.step(x, y); }, c.batch, opts);
      emit({ engine: `${base}-copy`, case: c.name, batch: c.batch, eps: t2.median, rates: t2.rates, steps: t2.steps,
        loss, loop: 'JS loop: model.step(Float32Array, Uint32Array), copies the batch in each step' });
    }
  } catch (e) {
    emit({ engine: base, case: c.name, batch: c.batch, error: String(e && e.message ? e.message : e).split('\n')[0] });
  } finally {
    if (ds) ds.free();
    if (model) model.free();
  }
}
