// hush.fl: the C federated-learning encodings (core/include/hush/fl.h) in JS, name for name:
// clipping, stochastic quantisation into the secure-aggregation ring Z_2^k, weighted FedAvg and
// distributed discrete-Gaussian DP. What a client feeds hush.secagg.Client.setInput and what the
// server makes of the secure sum.
//
//   const q = hush.fl.quantInit({ bits: 32, clients: 100, bound: 1 });
//   const v = hush.fl.fedavgEncode(q, update, weight);          // client: setInput(v)
//   const { avg } = hush.fl.fedavgDecode(q, secureSum);          // server
//
// The parameter sets (quant, ddp) are plain frozen objects mirroring the C structs; the functions
// copy them into the heap for each call. Randomness (stochastic rounding, DP noise) is the OS
// CSPRNG unless opts.seed is given, then the canonical "fl" stream of that seed: use a seed only
// for tests and reproducible experiments, never for noise that protects real data. clipL2 and
// clipRange work in place on a Float32Array, as in C.
import { toFloat32 } from './runtime.js';

export function defineFl(rt) {
  const M = rt.M;
  const C = rt.C;

  function num(v, what) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw rt.fail('HUSH_EARG', `${what} must be a finite number`);
    return v;
  }
  function uint(v, what) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
    return v;
  }
  function f32InPlace(x, what) {
    if (!(x instanceof Float32Array)) throw rt.fail('HUSH_EARG', `${what} must be a Float32Array (clipped in place)`);
    return x;
  }
  function u32s(v, what) {
    if (v instanceof Uint32Array) return v;
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw rt.fail('HUSH_EARG', `${what} must be a Uint32Array`);
    return Uint32Array.from(v);
  }

  const QF = ['bits', 'clients', 'bound', 'headroom', 'scale'];
  function readQuant(p) {
    const dv = new DataView(rt.buffer);
    const o = (f) => p + C[`offsetof_hush_fl_quant_${f}`];
    return Object.freeze({
      bits: dv.getUint32(o('bits'), true),
      clients: dv.getUint32(o('clients'), true),
      bound: dv.getFloat64(o('bound'), true),
      headroom: dv.getFloat64(o('headroom'), true),
      scale: dv.getFloat64(o('scale'), true),
    });
  }
  function writeQuant(s, q) {
    if (!q || QF.some((f) => typeof q[f] !== 'number')) throw rt.fail('HUSH_EARG', 'quant must come from hush.fl.quantInit');
    const p = s.alloc(C.sizeof_hush_fl_quant);
    const dv = new DataView(rt.buffer);
    const o = (f) => p + C[`offsetof_hush_fl_quant_${f}`];
    dv.setUint32(o('bits'), q.bits, true);
    dv.setUint32(o('clients'), q.clients, true);
    dv.setFloat64(o('bound'), q.bound, true);
    dv.setFloat64(o('headroom'), q.headroom, true);
    dv.setFloat64(o('scale'), q.scale, true);
    return p;
  }
  function readDdp(p) {
    const dv = new DataView(rt.buffer);
    const o = (f) => p + C[`offsetof_hush_fl_ddp_${f}`];
    return Object.freeze({
      clip: dv.getFloat64(o('clip'), true),
      noiseMultiplier: dv.getFloat64(o('noise_multiplier'), true),
      sensitivity: dv.getFloat64(o('sensitivity'), true),
      sigma: dv.getFloat64(o('sigma'), true),
      varNum: dv.getBigUint64(o('var_num'), true),
      varDen: dv.getBigUint64(o('var_den'), true),
    });
  }
  function writeDdp(s, d) {
    if (!d || typeof d.varNum !== 'bigint' || typeof d.varDen !== 'bigint') {
      throw rt.fail('HUSH_EARG', 'ddp must come from hush.fl.ddpInit');
    }
    const p = s.alloc(C.sizeof_hush_fl_ddp);
    const dv = new DataView(rt.buffer);
    const o = (f) => p + C[`offsetof_hush_fl_ddp_${f}`];
    dv.setFloat64(o('clip'), d.clip, true);
    dv.setFloat64(o('noise_multiplier'), d.noiseMultiplier, true);
    dv.setFloat64(o('sensitivity'), d.sensitivity, true);
    dv.setFloat64(o('sigma'), d.sigma, true);
    dv.setBigUint64(o('var_num'), d.varNum, true);
    dv.setBigUint64(o('var_den'), d.varDen, true);
    return p;
  }
  // A hush_rng in the scope: the "fl" stream of opts.seed, or the OS.
  function rng(s, opts) {
    const p = s.alloc(C.sizeof_hush_rng);
    rt.seedStream(p, opts && opts.seed, 'fl', s);
    return p;
  }
  function withRng(opts, fn) {
    return rt.with((s) => {
      const r = rng(s, opts);
      try {
        return fn(s, r);
      } finally {
        M._hush_rng_clear(r);
      }
    });
  }

  // Scales x (a Float32Array, in place) into the L2 ball of radius maxNorm; returns the norm before.
  function clipL2(x, maxNorm) {
    f32InPlace(x, 'x');
    return rt.with((s) => {
      const p = s.copy(x);
      const np = s.alloc(8);
      rt.check(M._hush_fl_clip_l2(p, x.length, np, num(maxNorm, 'maxNorm')), 'clipL2');
      x.set(rt.f32(p, x.length));
      return new DataView(rt.buffer).getFloat64(np, true);
    });
  }

  // Clamps every coordinate of x (in place) into [lo, hi]; returns how many changed.
  function clipRange(x, lo, hi) {
    f32InPlace(x, 'x');
    return rt.with((s) => {
      const p = s.copy(x);
      const kp = s.alloc(C.sizeof_size_t);
      rt.check(M._hush_fl_clip_range(p, x.length, kp, num(lo, 'lo'), num(hi, 'hi')), 'clipRange');
      x.set(rt.f32(p, x.length));
      return rt.u32At(kp);
    });
  }

  // { bits, clients, bound, headroom = 0 } -> the quantisation, with its scale.
  function quantInit({ bits, clients, bound, headroom = 0 } = {}) {
    return rt.with((s) => {
      const p = s.alloc(C.sizeof_hush_fl_quant);
      rt.check(M._hush_fl_quant_init(p, uint(bits, 'bits'), uint(clients, 'clients'), num(bound, 'bound'),
        num(headroom, 'headroom')), 'quantInit');
      return readQuant(p);
    });
  }

  function quantize(q, x, opts) {
    const xv = toFloat32(rt, x);
    return withRng(opts, (s, r) => {
      const out = s.alloc(4 * xv.length);
      rt.check(M._hush_fl_quantize(writeQuant(s, q), r, out, s.copy(xv), xv.length), 'quantize');
      return rt.u32(out, xv.length).slice();
    });
  }

  function dequantize(q, sum) {
    const v = u32s(sum, 'sum');
    return rt.with((s) => {
      const out = s.alloc(4 * v.length);
      rt.check(M._hush_fl_dequantize(writeQuant(s, q), out, s.copy(v), v.length), 'dequantize');
      return rt.f32(out, v.length).slice();
    });
  }

  // (weight * update, weight), quantised: update.length + 1 values for hush.secagg.
  function fedavgEncode(q, update, weight, opts) {
    const u = toFloat32(rt, update, 'update');
    return withRng(opts, (s, r) => {
      const out = s.alloc(4 * (u.length + 1));
      rt.check(M._hush_fl_fedavg_encode(writeQuant(s, q), r, out, s.copy(u), u.length, num(weight, 'weight')),
        'fedavgEncode');
      return rt.u32(out, u.length + 1).slice();
    });
  }

  // The secure sum of fedavgEncode vectors -> { avg: Float32Array, totalWeight }.
  function fedavgDecode(q, sum) {
    const v = u32s(sum, 'sum');
    if (v.length < 1) throw rt.fail('HUSH_EARG', 'sum must hold the weighted values and the weight');
    return rt.with((s) => {
      const n = v.length - 1;
      const avg = s.alloc(4 * n);
      const tw = s.alloc(8);
      rt.check(M._hush_fl_fedavg_decode(writeQuant(s, q), avg, tw, s.copy(v), n), 'fedavgDecode');
      return { avg: rt.f32(avg, n).slice(), totalWeight: new DataView(rt.buffer).getFloat64(tw, true) };
    });
  }

  // { bits, clients, dim, clip, noiseMultiplier } -> { ddp, quant } (hush_fl_ddp_init).
  function ddpInit({ bits, clients, dim, clip, noiseMultiplier } = {}) {
    return rt.with((s) => {
      const d = s.alloc(C.sizeof_hush_fl_ddp);
      const q = s.alloc(C.sizeof_hush_fl_quant);
      rt.check(M._hush_fl_ddp_init(d, q, uint(bits, 'bits'), uint(clients, 'clients'), uint(dim, 'dim'), num(clip, 'clip'),
        num(noiseMultiplier, 'noiseMultiplier')), 'ddpInit');
      return { ddp: readDdp(d), quant: readQuant(q) };
    });
  }

  // Clips a copy of x to the ddp's norm, quantises it and adds this client's discrete Gaussian
  // noise: the vector for hush.secagg (x itself is not modified).
  function ddpEncode(ddp, q, x, opts) {
    const xv = toFloat32(rt, x);
    return withRng(opts, (s, r) => {
      const out = s.alloc(4 * xv.length);
      rt.check(M._hush_fl_ddp_encode(writeDdp(s, ddp), r, writeQuant(s, q), out, s.copy(xv), xv.length), 'ddpEncode');
      return rt.u32(out, xv.length).slice();
    });
  }

  // Epsilon of one round with `survivors` noise-adding clients, for delta.
  function ddpEpsilon(ddp, survivors, delta) {
    return rt.with((s) => {
      const e = s.alloc(8);
      rt.check(M._hush_fl_ddp_epsilon(writeDdp(s, ddp), e, uint(survivors, 'survivors'), num(delta, 'delta')), 'ddpEpsilon');
      return new DataView(rt.buffer).getFloat64(e, true);
    });
  }

  return Object.freeze({ clipL2, clipRange, quantInit, quantize, dequantize, fedavgEncode, fedavgDecode, ddpInit,
    ddpEncode, ddpEpsilon });
}
