// One core, three builds, one answer: the same seed must give byte-identical model files from
// the native CLI, the WASI CLI (bin/hush-wasi.mjs), and the JS API on the SIMD and baseline builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, NATIVE, bytesEqual, needData, idxSlice, load, readText, runCli, tempDir } from './util.mjs';

const WASI_MODULE = join(ROOT, 'build/wasi/hush.wasm');
const haveClis = existsSync(NATIVE) && existsSync(WASI_MODULE);

function cliTrain(kind, dir, args) {
  const out = join(dir, `${kind}.model`);
  const r = runCli(kind, ['train', ...args, '--out', out, '--json']);
  assert.equal(r.code, 0, `${kind} train failed: ${r.stderr}`);
  const json = JSON.parse(r.stdout.trim().split('\n').pop());
  return { bytes: new Uint8Array(readFileSync(out)), json, out };
}

async function jsTrain(simd, opts) {
  const hush = await load({ simd });
  const r = await hush.train(opts);
  try {
    return { bytes: r.model.save(), result: r };
  } finally {
    r.model.free();
  }
}

function assertAllEqual(runs) {
  const [first, ...rest] = Object.entries(runs);
  for (const [name, r] of rest) {
    assert.equal(r.bytes.length, first[1].bytes.length, `${name} vs ${first[0]}: length`);
    assert.ok(bytesEqual(r.bytes, first[1].bytes), `${name} model file differs from ${first[0]}`);
  }
}

const CREDIT = { spec: 'dense:32,relu,dense:16,relu,dense:2', epochs: 2, batchSize: 32, lr: 0.05, optimizer: 'sgd', seed: 7, testFraction: 0.2 };

test('credit MLP: native CLI = WASI CLI = JS SIMD = JS baseline, byte for byte', { skip: !haveClis || needData('credit-g.arff') }, async () => {
  const dir = tempDir();
  const args = ['--data', 'data/credit-g.arff', '--model', CREDIT.spec, '--epochs', '2', '--batch', '32', '--lr', '0.05',
    '--optimizer', 'sgd', '--seed', '7', '--test-fraction', '0.2'];
  const native = cliTrain('native', dir, args);
  const wasi = cliTrain('wasi', dir, args);
  const text = readText('credit-g.arff');
  const simd = await jsTrain(true, { data: text, format: 'arff', ...CREDIT });
  const base = await jsTrain(false, { data: text, format: 'arff', ...CREDIT });
  assertAllEqual({ native, wasi, simd, base });
  // The reported numbers agree too.
  for (const r of [simd.result, base.result]) {
    assert.equal(r.finalLoss, Math.fround(native.json.final_loss));
    assert.equal(r.trainRows, native.json.train_rows);
    assert.equal(r.testRows, native.json.test_rows);
    assert.equal(r.params, native.json.params);
    assert.ok(Math.abs(r.testAccuracy - native.json.test_accuracy) < 1e-6);
  }
  assert.deepEqual({ ...wasi.json, examples_per_second: 0, seconds: 0 }, { ...native.json, examples_per_second: 0, seconds: 0 });

  // The same pipeline spelled out with the low-level JS API gives the same bytes.
  const hush = await load({ simd: true });
  const all = hush.data.parseArff(text);
  const [train, testSet] = all.split({ testFraction: 0.2, seed: 7n });
  const m = hush.Model.create(CREDIT.spec, { inputShape: train.shape, maxBatch: 32, seed: 7 });
  m.setInputNorm(train.normStats());
  const history = await m.fit(train.x, train.y, { epochs: 2, batchSize: 32, lr: 0.05, optimizer: 'sgd', seed: 7 });
  assert.equal(history.length, 2);
  assert.ok(bytesEqual(m.save(), native.bytes), 'Model.create + fit differs from the CLI');
  // Standardising the data instead of the model's input gives the same weights bit for bit; the
  // file then lacks the norm section (2 x dim floats).
  const s = hush.Model.create(CREDIT.spec, { inputShape: train.shape, maxBatch: 32, seed: 7 });
  train.standardize(testSet);
  await s.fit(train.x, train.y, { epochs: 2, batchSize: 32, lr: 0.05, optimizer: 'sgd', seed: 7 });
  assert.ok(bytesEqual(new Uint8Array(s.getParams().buffer), new Uint8Array(m.getParams().buffer)));
  assert.equal(s.save().length, native.bytes.length - 8 * train.dim);
  assert.equal(s.inputNorm, null);
  assert.deepEqual(m.inputNorm, hush.Model.load(native.bytes).inputNorm);
  for (const d of [all, train, testSet]) d.free();
  m.free();
  s.free();
});

test('conv model on a Fashion-MNIST slice: native = WASI = JS SIMD = JS baseline', { skip: !haveClis || needData('fashion/t10k-images-idx3-ubyte') }, async () => {
  const dir = tempDir();
  const slice = idxSlice(dir, 300);
  const spec = 'conv:4:3,relu,maxpool,dense:10';
  const args = ['--data', slice.images, '--model', spec, '--epochs', '2', '--batch', '25', '--lr', '0.05', '--seed', '7'];
  const native = cliTrain('native', dir, args);
  const wasi = cliTrain('wasi', dir, args);
  const opts = { data: { images: slice.imagesBytes, labels: slice.labelsBytes }, format: 'idx', spec, epochs: 2, batchSize: 25, lr: 0.05, seed: 7 };
  const simd = await jsTrain(true, opts);
  const base = await jsTrain(false, opts);
  assertAllEqual({ native, wasi, simd, base });
});

test('digits MLP with adam and tanh: native = WASI = JS SIMD = JS baseline', { skip: !haveClis || needData('digits.csv') }, async () => {
  const dir = tempDir();
  const spec = 'dense:24,tanh,dense:16,sigmoid,dense:10';
  const args = ['--data', 'data/digits.csv', '--model', spec, '--epochs', '2', '--batch', '50', '--lr', '0.01',
    '--optimizer', 'adam', '--seed', '12345678901234567890'];
  const native = cliTrain('native', dir, args);
  const wasi = cliTrain('wasi', dir, args);
  const opts = { data: readText('digits.csv'), format: 'digits', spec, epochs: 2, batchSize: 50, lr: 0.01, optimizer: 'adam', seed: 12345678901234567890n };
  const simd = await jsTrain(true, opts);
  const base = await jsTrain(false, opts);
  assertAllEqual({ native, wasi, simd, base });
});

test('hush eval: WASI and native agree on a model file written by JS', { skip: !haveClis || needData('iris.csv') }, async () => {
  const dir = tempDir();
  const { bytes } = await jsTrain(true, { data: readText('iris.csv'), format: 'csv', spec: 'dense:8,relu,dense:3', epochs: 5, lr: 0.1, seed: 3, testFraction: 0 });
  const file = join(dir, 'iris.model');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, bytes);
  const args = ['eval', '--model', file, '--data', 'data/iris.csv', '--json'];
  const n = runCli('native', args);
  const w = runCli('wasi', args);
  assert.equal(n.code, 0, n.stderr);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(w.stdout, n.stdout);
});

test('WASI CLI has the native exit codes and error lines', { skip: !haveClis }, () => {
  const cases = [
    [['train', '--data', 'data/iris.csv'], 2],
    [['train', '--data', 'no/such/file.csv', '--model', 'dense:3'], 1],
    [['train', '--data', 'data/iris.csv', '--model', 'dense:3', '--bogus', '1'], 2],
    [['eval', '--model', 'no-such.model', '--data', 'data/iris.csv'], 1],
  ];
  for (const [args, code] of cases) {
    const n = runCli('native', args);
    const w = runCli('wasi', args);
    assert.equal(n.code, code, `native ${args.join(' ')}: ${n.stderr}`);
    assert.equal(w.code, code, `wasi ${args.join(' ')}: ${w.stderr}`);
    assert.equal(w.stderr, n.stderr);
    assert.match(n.stderr, /^hush: /);
  }
  const abs = runCli('wasi', ['eval', '--model', '/no/such.model', '--data', join(ROOT, 'data/iris.csv')]);
  assert.equal(abs.code, 1);
  assert.match(abs.stderr, /\/no\/such\.model/);
});

test('WASI CLI resolves relative paths against the real cwd, and absolute paths', { skip: !haveClis || needData('iris.csv') }, () => {
  const dir = tempDir();
  const cwd = join(ROOT, 'tests');
  const rel = ['train', '--data', '../data/iris.csv', '--model', 'dense:3', '--epochs', '1', '--seed', '4'];
  const w = runCli('wasi', [...rel, '--out', join(dir, 'w.model')], { cwd });
  const n = runCli('native', [...rel, '--out', join(dir, 'n.model')], { cwd });
  assert.equal(w.code, 0, w.stderr);
  assert.equal(n.code, 0, n.stderr);
  assert.ok(bytesEqual(readFileSync(join(dir, 'w.model')), readFileSync(join(dir, 'n.model'))));
  // Relative output path too: written inside cwd, not at the WASI root.
  const r = runCli('wasi', ['train', '--data', join(ROOT, 'data/iris.csv'), '--model', 'dense:3', '--epochs', '1', '--out', 'rel.model'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'rel.model')));
});

// DP runs repeat only with --reproducible-noise / reproducibleNoise: then the DP scaling histogram
// (exact discrete Gaussian), DP-SGD's Poisson sampling and its secure noise (sums of double normals)
// are the same bits on every build, and so is the calibrated noise multiplier and the epsilon.
test('DP credit MLP (DP scaling, secure noise, target epsilon): native = WASI = JS SIMD = JS baseline', { skip: !haveClis || needData('credit-g.arff') }, async () => {
  const dir = tempDir();
  const args = ['--data', 'data/credit-g.arff', '--model', 'dense:16,tanh,dense:2', '--epochs', '3', '--batch', '64',
    '--lr', '0.2', '--seed', '9', '--dp', '--target-epsilon', '2', '--secure-noise', '--reproducible-noise'];
  const native = cliTrain('native', dir, args);
  const wasi = cliTrain('wasi', dir, args);
  const text = readText('credit-g.arff');
  const opts = { data: text, format: 'arff', spec: 'dense:16,tanh,dense:2', epochs: 3, batchSize: 64, lr: 0.2, seed: 9,
    dp: { targetEpsilon: 2 }, secureNoise: true, reproducibleNoise: true };
  const simd = await jsTrain(true, opts);
  const base = await jsTrain(false, opts);
  assertAllEqual({ native, wasi, simd, base });
  assert.equal(native.json.scaling, 'dp');
  assert.equal(native.json.secure_noise, true);
  assert.deepEqual({ ...wasi.json, examples_per_second: 0, seconds: 0 }, { ...native.json, examples_per_second: 0, seconds: 0 });
  for (const r of [simd.result, base.result]) {
    // the JSON prints 9 significant digits
    assert.ok(Math.abs(r.privacy.epsilon - native.json.epsilon) <= 1e-8 * native.json.epsilon);
    assert.ok(Math.abs(r.privacy.noiseMultiplier - native.json.noise_multiplier) <= 1e-8 * native.json.noise_multiplier);
    assert.equal(r.privacy.steps, native.json.steps);
    assert.equal(r.privacy.private, false);
    assert.equal(r.trainAccuracy, null);
    assert.ok(Math.abs(r.testAccuracy - native.json.test_accuracy) < 1e-6);
  }
});
