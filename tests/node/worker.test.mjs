// web/worker.js through createWorker() (Node worker_threads here; a Web Worker in browsers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesEqual, createWorker, haveData, load, readText, HushError } from './util.mjs';

test('training in a worker matches training on the main thread', { skip: !haveData('iris.csv') }, async () => {
  const text = readText('iris.csv');
  const opts = { data: text, format: 'csv', spec: 'dense:8,relu,dense:3', epochs: 4, batchSize: 16, lr: 0.1, seed: 21 };
  const w = await createWorker({ simd: false });
  try {
    assert.deepEqual(await w.info(), { simd: false, version: (await load()).version, context: 'node' });
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
