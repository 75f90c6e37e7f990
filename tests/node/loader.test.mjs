// Loading both Emscripten builds, the SIMD probe, and the constants table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builds, load, simdSupported, HushError } from './util.mjs';

test('Node 20 has wasm SIMD, so the default load picks the SIMD build', async () => {
  assert.equal(simdSupported(), true);
  const hush = await load();
  assert.equal(hush.simd, true);
});

for (const b of builds) {
  test(`${b.name} build loads and reports itself`, async () => {
    const hush = await load({ simd: b.simd });
    assert.equal(hush.simd, b.simd);
    assert.match(hush.version, /^\d+\.\d+\.\d+$/);
    assert.equal(hush.version, hush.constants.HUSH_VERSION_STRING);
  });

  test(`${b.name}: constants table agrees with hush_status_name/hush_strerror`, async () => {
    const hush = await load({ simd: b.simd });
    const C = hush.constants;
    const statuses = Object.keys(C).filter((k) => /^HUSH_(OK|E[A-Z]+)$/.test(k));
    // Every code in common.h's HUSH_STATUS_LIST, and nothing twice.
    assert.ok(statuses.length >= 14, `only ${statuses.length} statuses`);
    assert.equal(new Set(statuses.map((k) => C[k])).size, statuses.length);
    assert.equal(C.HUSH_OK, 0);
    for (const k of statuses) {
      assert.equal(hush.statusName(C[k]), k);
      assert.notEqual(hush.strerror(C[k]), 'unknown status');
      if (k !== 'HUSH_OK') assert.ok(C[k] < 0);
    }
    assert.equal(hush.statusName(-12345), 'HUSH_EUNKNOWN');
    for (const k of ['HUSH_MODEL_MAX_LAYERS', 'HUSH_MODEL_MAX_BATCH', 'HUSH_OPTIM_ADAM', 'HUSH_LAYER_DENSE',
      'HUSH_RNG_SEED_BYTES', 'sizeof_hush_rng', 'sizeof_hush_parse_error']) {
      assert.equal(typeof C[k], 'number', k);
    }
    assert.equal(C.sizeof_pointer, 4);
    assert.equal(C.HUSH_RNG_SEED_BYTES, 32);
  });
}

test('instances are independent and each has its own heap', async () => {
  const a = await load({ simd: true });
  const b = await load({ simd: true });
  assert.notEqual(a.Model, b.Model);
  const m = a.Model.create('dense:2', { inputSize: 3, seed: 1 });
  assert.throws(() => b.Model.load(new Uint8Array(3)), HushError);
  m.free();
});

test('load rejects a bad wasm binary instead of hanging', async () => {
  await assert.rejects(load({ simd: true, wasmBinary: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]) }));
});
