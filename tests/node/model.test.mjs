// hush.Model over both builds: training on synthetic data and iris, error paths, model files,
// and heap discipline (nothing left malloc'ed after many calls).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builds, bytesEqual, needData, load, readText, synthetic, HushError } from './util.mjs';

for (const b of builds) {
  test(`${b.name}: create, step, evaluate, forward and predict on synthetic data`, async () => {
    const hush = await load({ simd: b.simd });
    const m = hush.Model.create('dense:8,relu,dense:2', { inputSize: 4, maxBatch: 16, seed: 3 });
    try {
      assert.equal(m.inputSize, 4);
      assert.equal(m.outputSize, 2);
      assert.equal(m.maxBatch, 16);
      assert.equal(m.paramCount, 4 * 8 + 8 + 8 * 2 + 2);
      assert.deepEqual(m.inputShape, { c: 4, h: 1, w: 1 });
      assert.equal(m.spec, 'dense:8,relu,dense:2');
      const { x, y } = synthetic(256, 4, 11);
      m.setOptimizer({ optimizer: 'sgd', lr: 0.1 });
      const before = m.evaluate(x, y);
      let first = null, last = null;
      for (let epoch = 0; epoch < 20; epoch++) {
        for (let i = 0; i < 256; i += 16) {
          last = m.step(x.subarray(i * 4, (i + 16) * 4), y.subarray(i, i + 16));
          first ??= last;
        }
      }
      const after = m.evaluate(x, y);
      assert.ok(Number.isFinite(last));
      assert.ok(after.loss < before.loss * 0.6, `loss ${before.loss} -> ${after.loss}`);
      assert.ok(after.accuracy > 0.9, `accuracy ${after.accuracy}`);
      // predict is the argmax of forward, also across several maxBatch chunks.
      const logits = m.forward(x);
      const labels = m.predict(x);
      assert.equal(logits.length, 256 * 2);
      assert.equal(labels.length, 256);
      for (let i = 0; i < 256; i++) assert.equal(labels[i], logits[2 * i + 1] > logits[2 * i] ? 1 : 0);
      // Plain arrays (nested rows) are accepted too.
      const rows = [Array.from(x.subarray(0, 4)), Array.from(x.subarray(4, 8))];
      assert.deepEqual(Array.from(m.predict(rows)), Array.from(labels.subarray(0, 2)));
    } finally {
      m.free();
    }
  });

  test(`${b.name}: seeds are canonical (number = bigint, different seeds differ, none = random)`, async () => {
    const hush = await load({ simd: b.simd });
    const mk = (seed) => {
      const m = hush.Model.create('dense:5,tanh,dense:3', { inputSize: 4, seed });
      try { return m.save(); } finally { m.free(); }
    };
    assert.ok(bytesEqual(mk(7), mk(7n)));
    assert.ok(!bytesEqual(mk(7), mk(8)));
    assert.ok(bytesEqual(mk(2n ** 64n - 1n), mk(18446744073709551615n)));
    assert.ok(!bytesEqual(mk(undefined), mk(undefined)));
    for (const bad of [-1, 1.5, 2n ** 64n, -1n, '7', NaN]) {
      assert.throws(() => mk(bad), (e) => e instanceof HushError && e.code === 'HUSH_EARG', String(bad));
    }
  });

  test(`${b.name}: fit on iris learns, follows the seed, and yields between epochs`, { skip: needData('iris.csv') }, async () => {
    const hush = await load({ simd: b.simd });
    const ds = hush.data.parseCsv(readText('iris.csv'));
    const [train, test] = ds.split({ testFraction: 0.2, seed: 5 });
    train.standardize(test);
    const run = async (probe) => {
      const m = hush.Model.create('dense:16,relu,dense:3', { inputShape: train.shape, maxBatch: 16, seed: 5 });
      const seen = [];
      const onEpoch = (e) => {
        seen.push(e.epoch);
        if (!probe) return;
        // Read-only calls are allowed between epochs and must not disturb training...
        m.evaluate(test);
        m.predict(train);
        m.save();
        // ...calls that change the model are refused.
        assert.throws(() => m.step(train.x.subarray(0, 4), [0]), (err) => err.code === 'HUSH_ESTATE');
        assert.throws(() => m.setParams(m.getParams()), (err) => err.code === 'HUSH_ESTATE');
      };
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      const history = await m.fit(train, { epochs: 30, batchSize: 16, lr: 0.1, optimizer: 'momentum', seed: 5, onEpoch });
      clearInterval(timer);
      return { m, history, seen, ticks };
    };
    const r1 = await run(true);
    const r2 = await run(false);
    try {
      assert.equal(r1.history.length, 30);
      assert.deepEqual(r1.seen, Array.from({ length: 30 }, (_, i) => i + 1));
      assert.ok(r1.ticks > 0, 'the event loop never ran during fit');
      assert.ok(r1.history[29].loss < r1.history[0].loss);
      assert.ok(bytesEqual(r1.m.save(), r2.m.save()), 'same seed, different model');
      const ev = r1.m.evaluate(test);
      assert.ok(ev.accuracy >= 0.8, `test accuracy ${ev.accuracy}`);
      // Arrays give the same answer as the data set used in place.
      const ev2 = r1.m.evaluate(test.x, test.y);
      assert.deepEqual(ev2, ev);
    } finally {
      for (const o of [r1.m, r2.m, ds, train, test]) o.free();
    }
  });

  test(`${b.name}: error paths throw HushError with the C status name`, async () => {
    const hush = await load({ simd: b.simd });
    const code = (c) => (e) => e instanceof HushError && e.code === c && e.status === hush.constants[c];
    assert.throws(() => hush.Model.create('dense:8,wobble,dense:2', { inputSize: 4 }), (e) =>
      code('HUSH_EFORMAT')(e) && e.offset === 8);
    assert.throws(() => hush.Model.create('dense:0', { inputSize: 4 }), code('HUSH_EFORMAT'));
    assert.throws(() => hush.Model.create('dense:2', {}), code('HUSH_EARG'));
    const m = hush.Model.create('dense:4,relu,dense:3', { inputSize: 2, maxBatch: 4, seed: 1 });
    try {
      const x = new Float32Array([1, 2, 3, 4]);
      assert.throws(() => m.step(x, new Uint32Array([0, 3])), code('HUSH_ERANGE'));
      assert.throws(() => m.evaluate(x, [0, 7]), code('HUSH_ERANGE'));
      assert.throws(() => m.step(x, [0, -1]), code('HUSH_EARG'));
      assert.throws(() => m.step(new Float32Array(3), [0]), code('HUSH_ESHAPE'));
      assert.throws(() => m.predict(new Float32Array(5)), code('HUSH_ESHAPE'));
      assert.throws(() => m.step(x, [0]), code('HUSH_ESHAPE'));
      assert.throws(() => m.step(new Float32Array(2 * 5), [0, 1, 2, 0, 1]), code('HUSH_ERANGE')); // > maxBatch
      assert.throws(() => m.setOptimizer({ optimizer: 'rmsprop' }), code('HUSH_EARG'));
      const bytes = m.save();
      for (const n of [0, 10, bytes.length - 1]) {
        assert.throws(() => hush.Model.load(bytes.subarray(0, n)), code('HUSH_ETRUNC'), `length ${n}`);
      }
      const bad = bytes.slice();
      bad[bad.length - 40] ^= 1;
      assert.throws(() => hush.Model.load(bad), code('HUSH_ECHECKSUM'));
      const magic = bytes.slice();
      magic[0] ^= 0xff;
      assert.throws(() => hush.Model.load(magic), code('HUSH_EFORMAT'));
    } finally {
      m.free();
    }
    assert.throws(() => m.predict(new Float32Array(2)), code('HUSH_ESTATE'));
    m.free(); // idempotent
  });

  test(`${b.name}: save/load round trip is byte-identical and predicts the same`, async () => {
    const hush = await load({ simd: b.simd });
    const m = hush.Model.create('conv:3:3:same,relu,maxpool,dense:4', { inputShape: [1, 6, 6], maxBatch: 8, seed: 9 });
    const { x, y } = synthetic(8, 36, 4);
    m.step(x, y);
    const bytes = m.save();
    const m2 = hush.Model.load(bytes, { maxBatch: 3 });
    try {
      assert.ok(bytesEqual(m2.save(), bytes));
      assert.equal(m2.maxBatch, 3);
      assert.equal(m2.spec, m.spec);
      assert.deepEqual(m2.inputShape, { c: 1, h: 6, w: 6 });
      assert.deepEqual(m2.forward(x), m.forward(x));
      assert.deepEqual(m2.getParams(), m.getParams());
    } finally {
      m.free();
      m2.free();
    }
  });

  test(`${b.name}: the heap does not grow or leak over many calls`, async () => {
    const hush = await load({ simd: b.simd });
    const base = hush.heapInUse();
    const { x, y } = synthetic(64, 10, 2);
    const once = async () => {
      const m = hush.Model.create('dense:16,relu,dense:2', { inputSize: 10, maxBatch: 16, seed: 1 });
      m.step(x.subarray(0, 160), y.subarray(0, 16));
      await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 2 });
      m.evaluate(x, y);
      m.predict(x);
      m.forward(x);
      const again = hush.Model.load(m.save());
      again.free();
      assert.throws(() => m.step(x, [1]));
      m.free();
      const ds = hush.data.parseCsv('1,2,0\n3,4,1\n5,6,0\n7,8,1\n');
      const [tr, te] = ds.split({ testFraction: 0.5, seed: 1 });
      tr.standardize(te);
      for (const d of [ds, tr, te]) d.free();
      assert.throws(() => hush.data.parseCsv('1,2,0\n3,x,1\n'));
    };
    await once();
    assert.equal(hush.heapInUse(), base, 'leaked after one round');
    const size = hush.heapSize();
    for (let i = 0; i < 200; i++) await once();
    assert.equal(hush.heapInUse(), base, 'leaked');
    assert.equal(hush.heapSize(), size, 'heap grew');
  });

  test(`${b.name}: free() during fit stops after the current epoch`, async () => {
    const hush = await load({ simd: b.simd });
    const base = hush.heapInUse();
    const { x, y } = synthetic(64, 4, 3);
    const m = hush.Model.create('dense:2', { inputSize: 4, seed: 1 });
    const p = m.fit(x, y, { epochs: 50, onEpoch: (e) => { if (e.epoch === 2) m.free(); } });
    await assert.rejects(p, (e) => e.code === 'HUSH_ESTATE');
    assert.equal(m.freed, true);
    assert.equal(hush.heapInUse(), base);
  });
}
