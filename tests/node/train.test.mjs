// hush.train, the C training driver from JS: secret DP noise by default, withheld training metrics,
// scaling choices recorded in the model, gzip'ed input, and the errors of a bad configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { HushError, bytesEqual, needData, load, readText } from './util.mjs';

const CREDIT = { format: 'arff', spec: 'dense:8,relu,dense:2', epochs: 2, batchSize: 32, lr: 0.1, seed: 3 };

test('DP: two runs with one seed differ, reproducibleNoise repeats; the training metrics are withheld', { skip: needData('credit-g.arff') }, async () => {
  const hush = await load();
  const data = readText('credit-g.arff');
  const run = async (extra) => {
    const r = await hush.train({ ...CREDIT, data, dp: { noiseMultiplier: 1.2 }, ...extra });
    const bytes = r.model.save();
    r.model.free();
    return { r, bytes };
  };
  const a = await run({}), b = await run({});
  assert.ok(!bytesEqual(a.bytes, b.bytes));
  assert.equal(a.r.private, true);
  assert.equal(a.r.privacy.noise, 'os');
  assert.equal(a.r.trainAccuracy, null);
  assert.equal(a.r.finalLoss, null);
  assert.ok(a.r.history.every((e) => e.loss === null));
  assert.equal(a.r.scaling, 'dp'); // ARFF under DP: the DP histogram, paid for in epsilon
  assert.ok(a.r.privacy.scalingEpsilon > 0 && a.r.privacy.epsilon > a.r.privacy.scalingEpsilon);
  const c = await run({ reproducibleNoise: true }), d = await run({ reproducibleNoise: true });
  assert.ok(bytesEqual(c.bytes, d.bytes));
  assert.equal(c.r.private, false);
  const m = hush.Model.load(c.bytes);
  assert.equal(m.inputScaling, 'dp');
  m.free();
  // public bounds instead: no scaling cost
  const bounds = [[4, 72], [250, 18424], [1, 4], [1, 4], [18, 75], [1, 4], [1, 2]];
  const e = await run({ bounds });
  assert.equal(e.r.scaling, 'bounds');
  assert.equal(e.r.privacy.scalingEpsilon, 0);
  const code = async (extra, want) => assert.rejects(hush.train({ ...CREDIT, data, ...extra }), (err) => err instanceof HushError && err.code === want, want);
  await code({ dp: {}, scaling: 'standardize' }, 'HUSH_EARG');
  await code({ dp: {}, bounds: bounds.slice(1) }, 'HUSH_ESHAPE');
  await code({ dp: {}, reproducibleNoise: true, seed: undefined }, 'HUSH_EARG');
  await code({ reproducibleNoise: true }, 'HUSH_EARG');
  await code({ dp: { noiseMultiplier: 1, targetEpsilon: 1 } }, 'HUSH_EARG');
  await code({ spec: 'dense:8,wat' }, 'HUSH_EFORMAT');
  assert.equal(hush.data.guessFormat('x/digits.csv.gz'), 'digits');
});

test('gzip-compressed bytes train like the plain file; the sync parser names them', { skip: needData('digits.csv') }, async () => {
  const hush = await load();
  const text = readText('digits.csv');
  const opts = { format: 'digits', spec: 'dense:8,relu,dense:10', epochs: 1, seed: 2 };
  const a = await hush.train({ ...opts, data: text });
  const b = await hush.train({ ...opts, data: new Uint8Array(gzipSync(Buffer.from(text))) });
  assert.ok(bytesEqual(a.model.save(), b.model.save()));
  assert.equal(a.model.inputScaling, 'custom'); // digits: scaled by 1/16 in the parser, no model norm
  assert.throws(() => hush.data.parse(new Uint8Array(gzipSync(Buffer.from(text))), 'digits'),
    (e) => e.code === 'HUSH_EFORMAT' && /gzip-compressed/.test(e.message));
  a.model.free();
  b.model.free();
});
