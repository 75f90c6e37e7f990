// web/worker.js through createWorker() (Node worker_threads here; a Web Worker in browsers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesEqual, createWorker, needData, load, readText, HushError } from './util.mjs';

test('training in a worker matches training on the main thread', { skip: needData('iris.csv') }, async () => {
  const text = readText('iris.csv');
  const opts = { data: text, format: 'csv', spec: 'dense:8,relu,dense:3', epochs: 4, batchSize: 16, lr: 0.1, seed: 21 };
  const w = await createWorker({ simd: false });
  try {
    assert.deepEqual(await w.info(), { simd: false, full: false, version: (await load()).version, context: 'node' });
    const epochs = [];
    const r = await w.train({ ...opts, onEpoch: (e) => epochs.push(e.epoch) });
    assert.deepEqual(epochs, [1, 2, 3, 4]);
    assert.ok(r.model instanceof Uint8Array);
    const hush = await load({ simd: true });
    const local = await hush.train(opts);
    assert.ok(bytesEqual(local.model.save(), r.model));
    assert.equal(r.testAccuracy, local.testAccuracy);
    const ev = await w.evaluate({ model: r.model, data: text, format: 'csv' });
    assert.equal(typeof ev.accuracy, 'number');
    const labels = await w.predict({ model: r.model, x: new Float32Array(8) });
    assert.equal(labels.length, 2);
    local.model.free();
    await assert.rejects(w.train({ ...opts, spec: 'dense:x' }), (e) => e instanceof HushError && e.code === 'HUSH_EFORMAT');
    await assert.rejects(w.train({ ...opts, data: '1,2\n3,zz\n' }), (e) => e instanceof HushError && e.line === 2);
  } finally {
    await w.terminate();
  }
});

// The worker trains with DP-SGD through the same driver (bit for bit with reproducibleNoise),
// evaluates every epoch for charts, describes a data set, takes gzip'ed bytes, and withholds the
// training metrics of a DP run.
test('DP training in a worker: per-epoch evaluation, describe, gzip, same bits as the main thread', { skip: needData('digits.csv') }, async () => {
  const { gzipSync } = await import('node:zlib');
  const text = readText('digits.csv');
  const gz = new Uint8Array(gzipSync(Buffer.from(text)));
  const opts = { format: 'digits', spec: 'dense:16,relu,dense:10', epochs: 3, batchSize: 32, lr: 0.1, seed: 4,
    dp: { noiseMultiplier: 1.1 }, reproducibleNoise: true, evaluate: 'epoch', confusion: true };
  const w = await createWorker({ simd: true });
  try {
    const d = await w.describe({ data: gz, format: 'digits' });
    assert.equal(d.rows, 1797);
    assert.equal(d.dim, 64);
    assert.equal(d.counts.reduce((a, b) => a + b, 0), 1797);
    const epochs = [];
    const r = await w.train({ ...opts, data: gz, onEpoch: (e) => epochs.push(e) });
    assert.deepEqual(epochs.map((e) => e.epoch), [1, 2, 3]);
    for (const e of epochs) {
      assert.equal(e.loss, null);
      assert.ok(e.epsilon > 0 && e.steps > 0 && e.testAccuracy >= 0 && !('trainAccuracy' in e));
    }
    assert.ok(epochs[2].epsilon > epochs[0].epsilon);
    assert.equal(r.trainAccuracy, null);
    assert.equal(r.privacy.epsilon, epochs[2].epsilon);
    assert.equal(r.confusion.reduce((a, b) => a + b, 0), r.testRows);
    assert.equal(r.classNames.length, 10);
    const hush = await load({ simd: false });
    const local = await hush.train({ ...opts, data: text });
    assert.ok(bytesEqual(local.model.save(), r.model));
    assert.equal(r.testAccuracy, local.testAccuracy);
    local.model.free();
  } finally {
    await w.terminate();
  }
});
