// hush.fl: clipping in place, quantisation within its stated bound, weighted FedAvg through a real
// secure-aggregation round (hush.secagg.run) equal to the plaintext weighted average within the
// bound, distributed-DP noise with the promised variance and the epsilon the C accountant gives,
// and HushErrors with the C statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builds, load, HushError } from './util.mjs';

for (const b of builds) {
  test(`${b.name}: hush.fl clipping and quantisation`, async () => {
    const hush = await load({ simd: b.simd });
    const x = Float32Array.from([3, 4, 0, 0]);
    assert.equal(hush.fl.clipL2(x, 1), 5);
    assert.ok(Math.abs(x[0] - 0.6) < 1e-6 && Math.abs(x[1] - 0.8) < 1e-6);
    const y = Float32Array.from([-2, 0.5, 9]);
    assert.equal(hush.fl.clipRange(y, -1, 1), 2);
    assert.deepEqual(Array.from(y), [-1, 0.5, 1]);
    assert.throws(() => hush.fl.clipL2([1, 2], 1), (e) => e instanceof HushError && e.code === 'HUSH_EARG');
    const q = hush.fl.quantInit({ bits: 16, clients: 10, bound: 1 });
    assert.ok(Math.abs(q.scale - (32767 - 10) / 10) < 1e-9);
    assert.throws(() => hush.fl.quantInit({ bits: 4, clients: 10, bound: 1 }), (e) => e.code === 'HUSH_ERANGE');
    const v = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i) * 0.9);
    const qv = hush.fl.quantize(q, v, { seed: 1 });
    const back = hush.fl.dequantize(q, qv);
    for (let i = 0; i < 200; i++) assert.ok(Math.abs(back[i] - v[i]) < 1 / q.scale + 1e-6);
    assert.deepEqual(hush.fl.quantize(q, v, { seed: 1 }), qv); // seeded: reproducible
    assert.throws(() => hush.fl.quantize(q, [1.5]), (e) => e.code === 'HUSH_ERANGE');
    assert.throws(() => hush.fl.quantize(q, [NaN]), (e) => e.code === 'HUSH_ENUMERIC');
    assert.throws(() => hush.fl.quantize({ bits: 16 }, [0]), (e) => e.code === 'HUSH_EARG');
  });

  test(`${b.name}: weighted FedAvg through hush.secagg.run`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const N = 5;
    const D = 64;
    const q = hush.fl.quantInit({ bits: 32, clients: N, bound: 10 });
    const w = [1, 3, 0.5, 2, 7];
    const num = new Float64Array(D);
    let den = 0;
    const before = hush.heapInUse();
    const inputs = w.map((wc, c) => {
      const u = Float32Array.from({ length: D }, (_, i) => Math.sin(i * 0.3 + c));
      for (let i = 0; i < D; i++) num[i] += wc * u[i];
      den += wc;
      return hush.fl.fedavgEncode(q, u, wc, { seed: 10 + c });
    });
    const { sum } = hush.secagg.run({ inputs, threshold: 4, maxCorrupt: 1, seed: 5 });
    const { avg, totalWeight } = hush.fl.fedavgDecode(q, sum);
    const e = N / q.scale;
    assert.ok(Math.abs(totalWeight - den) <= e);
    for (let i = 0; i < D; i++) {
      const exact = num[i] / den;
      const bound = (e + Math.abs(exact) * e) / (den - e) + 1e-6 * Math.abs(exact) + 1e-7;
      assert.ok(Math.abs(avg[i] - exact) <= bound, `coordinate ${i}: ${avg[i]} vs ${exact}`);
    }
    assert.equal(hush.heapInUse(), before);
  });

  test(`${b.name}: distributed DP noise and its epsilon`, async () => {
    const hush = await load({ simd: b.simd });
    const { ddp, quant } = hush.fl.ddpInit({ bits: 20, clients: 20, dim: 2000, clip: 1, noiseMultiplier: 1 });
    assert.ok(ddp.sigma >= ddp.noiseMultiplier * ddp.sensitivity);
    assert.equal(typeof ddp.varNum, 'bigint');
    const x = new Float32Array(2000);
    const v = hush.fl.ddpEncode(ddp, quant, x, { seed: 77 });
    let s2 = 0;
    for (const u of v) {
      const e = u >= 1 << 19 ? u - (1 << 20) : u;
      s2 += e * e;
    }
    assert.ok(Math.abs(s2 / 2000 / (ddp.sigma * ddp.sigma) - 1) < 0.12, `variance ${s2 / 2000} vs ${ddp.sigma ** 2}`);
    const ones = new Float32Array(2000).fill(1);
    hush.fl.ddpEncode(ddp, quant, ones, { seed: 78 });
    assert.equal(ones[0], 1, 'ddpEncode must not modify its input');
    const e10 = hush.fl.ddpEpsilon(ddp, 10, 1e-5);
    const e20 = hush.fl.ddpEpsilon(ddp, 20, 1e-5);
    assert.ok(e20 < e10 && e20 > 0.5 && e20 < 2);
    // the same number as the RDP accountant for a Gaussian with z = sigma sqrt(s) / Delta
    const acc = new hush.Accountant({ kind: 'rdp', conversion: 'improved' });
    acc.compose({ kind: 'gaussian', noiseMultiplier: ddp.sigma * Math.sqrt(20) / ddp.sensitivity });
    assert.ok(Math.abs(acc.epsilon(1e-5) - e20) < 1e-9);
    acc.free();
    assert.throws(() => hush.fl.ddpEpsilon(ddp, 0, 1e-5), (e) => e.code === 'HUSH_EARG');
  });
}
