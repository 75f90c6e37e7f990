// hush.data: the C parsers through JS, parse errors with line/offset, split and standardize.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builds, dataFile, needData, load, readText, HushParseError } from './util.mjs';

for (const b of builds) {
  test(`${b.name}: CSV parse, header skip, split and standardize`, async () => {
    const hush = await load({ simd: b.simd });
    const ds = hush.data.parseCsv('a,b,label\n1,10,0\n2,20,1\n3,30,2\n4,40,1\n5,50,0\n');
    const [tr, te] = ds.split({ testFraction: 0.4, seed: 3 });
    const [tr2] = ds.split({ testFraction: 0.4, seed: 3n });
    try {
      assert.equal(ds.rows, 5);
      assert.equal(ds.dim, 2);
      assert.equal(ds.classes, 3);
      assert.deepEqual(ds.shape, { c: 2, h: 1, w: 1 });
      assert.deepEqual(Array.from(ds.x), [1, 10, 2, 20, 3, 30, 4, 40, 5, 50]);
      assert.deepEqual(Array.from(ds.y), [0, 1, 2, 1, 0]);
      assert.equal(tr.rows, 3);
      assert.equal(te.rows, 2);
      assert.deepEqual(tr.x, tr2.x);
      // split is a permutation: every row lands in exactly one part.
      const rows = (d) => Array.from({ length: d.rows }, (_, i) => `${d.x[2 * i]}:${d.y[i]}`);
      assert.deepEqual([...rows(tr), ...rows(te)].sort(), rows(ds).sort());
      const rawTest = te.x;
      tr.standardize(te);
      const x = tr.x;
      for (let j = 0; j < 2; j++) {
        const col = [x[j], x[2 + j], x[4 + j]];
        const mean = col.reduce((a, v) => a + v, 0) / 3;
        const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / 3);
        assert.ok(Math.abs(mean) < 1e-6 && Math.abs(sd - 1) < 1e-5, `column ${j}: ${mean} ${sd}`);
      }
      assert.notDeepEqual(te.x, rawTest, 'the test split was not standardised with the train stats');
      ds.scale(0.5);
      assert.deepEqual(Array.from(ds.x.subarray(0, 2)), [0.5, 5]);
    } finally {
      for (const d of [ds, tr, te, tr2]) d.free();
    }
  });

  test(`${b.name}: parse errors carry line, offset and the parser's message`, async () => {
    const hush = await load({ simd: b.simd });
    const text = '1,2,0\n3,4,1\n5,oops,0\n';
    assert.throws(() => hush.data.parseCsv(text), (e) =>
      e instanceof HushParseError && e.code === 'HUSH_EFORMAT' && e.line === 3 &&
      e.offset >= 12 && e.offset <= text.indexOf('oops') + 4 && e.msg.length > 0);
    assert.throws(() => hush.data.parseArff('@relation r\n@attribute a numeric\n@attribute class {x,y}\n@data\n1,z\n'),
      (e) => e instanceof HushParseError && e.line === 5);
    assert.throws(() => hush.data.parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]), new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 0])),
      (e) => e instanceof HushParseError && e.line === 0 && /HUSH_E/.test(e.code));
    assert.throws(() => hush.data.parseCsv(42), (e) => e.code === 'HUSH_EARG');
  });

  test(`${b.name}: IDX from bytes keeps (c, h, w) order and scales pixels to [0, 1]`, async () => {
    const hush = await load({ simd: b.simd });
    // 2 images of 2 rows x 3 columns, big-endian IDX headers.
    const images = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0]);
    const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 4, 1]);
    const ds = hush.data.parseIdx(images, labels.buffer);
    const m = hush.Model.create('conv:2:2,relu,dense:5', { inputShape: ds.shape, seed: 1 });
    try {
      assert.deepEqual(ds.shape, { c: 1, h: 2, w: 3 });
      assert.deepEqual(m.inputShape, { c: 1, h: 2, w: 3 });
      assert.equal(ds.dim, 6);
      assert.deepEqual(Array.from(ds.y), [4, 1]);
      assert.deepEqual(Array.from(ds.x.subarray(0, 6)), [0, 0.2, 0.4, 0.6, 0.8, 1].map(Math.fround));
      assert.equal(m.evaluate(ds).accuracy >= 0, true);
    } finally {
      ds.free();
      m.free();
    }
  });

  test(`${b.name}: credit-g ARFF one-hot encodes nominal attributes`, { skip: needData('credit-g.arff') }, async () => {
    const hush = await load({ simd: b.simd });
    const ds = hush.data.parseArff(readText('credit-g.arff'));
    try {
      assert.equal(ds.rows, 1000);
      assert.equal(ds.classes, 2);
      assert.deepEqual(ds.classNames, ['good', 'bad']);
      assert.ok(ds.dim > 20);
      const y = ds.y;
      assert.equal(y.filter((v) => v === 0).length, 700);
    } finally {
      ds.free();
    }
  });

  test(`${b.name}: Fashion-MNIST IDX`, { skip: needData('fashion/t10k-images-idx3-ubyte') }, async () => {
    const hush = await load({ simd: b.simd });
    const ds = hush.data.parseIdx(readFileSync(dataFile('fashion/t10k-images-idx3-ubyte')),
      readFileSync(dataFile('fashion/t10k-labels-idx1-ubyte')));
    try {
      assert.equal(ds.rows, 10000);
      assert.deepEqual(ds.shape, { c: 1, h: 28, w: 28 });
      assert.equal(ds.classes, 10);
      const x = ds.x;
      assert.ok(x.every((v) => v >= 0 && v <= 1));
    } finally {
      ds.free();
    }
  });
}
