// The model-carried input standardisation from JS: Dataset.normStats() is the map standardize()
// applies, setInputNorm validates its input, and a model with a norm on raw rows predicts exactly
// what the model without one predicts on standardised rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, HushError, readText } from './util.mjs';

test('normStats + setInputNorm on raw rows == standardize on the data', async () => {
  const hush = await load();
  const all = hush.data.parseArff(readText('credit-g.arff'));
  const [train, test] = all.split({ testFraction: 0.2, seed: 4 });
  const norm = train.normStats();
  assert.equal(norm.shift.length, train.dim);
  const a = hush.Model.create('dense:4,tanh,dense:2', { inputSize: train.dim, maxBatch: 64, seed: 9 });
  const b = hush.Model.create('dense:4,tanh,dense:2', { inputSize: train.dim, maxBatch: 64, seed: 9 });
  assert.equal(a.inputNorm, null);
  a.setInputNorm(norm);
  assert.deepEqual(a.inputNorm, norm);
  const raw = test.x;
  const [trainStd, testStd] = all.split({ testFraction: 0.2, seed: 4 });
  trainStd.standardize(testStd);
  assert.deepEqual(a.forward(raw), b.forward(testStd.x));
  // One-hot columns are left alone: shift 0 and scale 1 there.
  assert.ok(norm.shift.some((v, j) => v === 0 && norm.scale[j] === 1));

  for (const bad of [{ shift: norm.shift.slice(1), scale: norm.scale }, { shift: norm.shift }, 42]) {
    assert.throws(() => a.setInputNorm(bad), (e) => e instanceof HushError && ['HUSH_ESHAPE', 'HUSH_EARG'].includes(e.code));
  }
  const inf = Float32Array.from(norm.scale);
  inf[0] = Infinity;
  assert.throws(() => a.setInputNorm({ shift: norm.shift, scale: inf }), (e) => e.code === 'HUSH_ENUMERIC');
  a.setInputNorm(null);
  assert.equal(a.inputNorm, null);
  for (const h of [a, b, all, train, test, trainStd, testStd]) h.free();
});
