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
  const num = (v, what) => rt.num(v, what);
  const uint = (v, what) => rt.uint(v, what);
  function f32InPlace(x, what) {
    if (!(x instanceof Float32Array)) throw rt.fail('HUSH_EARG', `${what} must be a Float32Array (clipped in place)`);
    return x;
  }

  // The parameter sets are frozen JS objects; each call writes them into hush_fl_quant /
  // hush_fl_ddp structs at the constants table's offsets.
  const QF = ['bits', 'clients', 'bound', 'headroom', 'scale'];
  function readQuant(p) {
    const o = (f) => rt.at(p, `hush_fl_quant_${f}`);
    return Object.freeze({
      bits: rt.u32At(o('bits')),
      clients: rt.u32At(o('clients')),
      bound: rt.f64At(o('bound')),
      headroom: rt.f64At(o('headroom')),
      scale: rt.f64At(o('scale')),
    });
  }
  function writeQuant(s, q) {
    if (!q || QF.some((f) => typeof q[f] !== 'number')) throw rt.fail('HUSH_EARG', 'quant must come from hush.fl.quantInit');
    const p = s.struct('hush_fl_quant');
    const o = (f) => rt.at(p, `hush_fl_quant_${f}`);
    rt.setU32(o('bits'), q.bits);
    rt.setU32(o('clients'), q.clients);
    rt.setF64(o('bound'), q.bound);
    rt.setF64(o('headroom'), q.headroom);
    rt.setF64(o('scale'), q.scale);
    return p;
  }
  function readDdp(p) {
    const o = (f) => rt.at(p, `hush_fl_ddp_${f}`);
    return Object.freeze({
      clip: rt.f64At(o('clip')),
      noiseMultiplier: rt.f64At(o('noise_multiplier')),
      sensitivity: rt.f64At(o('sensitivity')),
      sigma: rt.f64At(o('sigma')),
      varNum: rt.dv.getBigUint64(o('var_num'), true),
      varDen: rt.dv.getBigUint64(o('var_den'), true),
    });
  }
  function writeDdp(s, d) {
    if (!d || typeof d.varNum !== 'bigint' || typeof d.varDen !== 'bigint') {
      throw rt.fail('HUSH_EARG', 'ddp must come from hush.fl.ddpInit');
    }
    const p = s.struct('hush_fl_ddp');
    const o = (f) => rt.at(p, `hush_fl_ddp_${f}`);
    rt.setF64(o('clip'), d.clip);
    rt.setF64(o('noise_multiplier'), d.noiseMultiplier);
    rt.setF64(o('sensitivity'), d.sensitivity);
    rt.setF64(o('sigma'), d.sigma);
    rt.setU64(o('var_num'), d.varNum);
    rt.setU64(o('var_den'), d.varDen);
    return p;
  }
  // A hush_rng in the scope: the "fl" stream of opts.seed, or the OS.
  function rng(s, opts) {
    const p = s.struct('hush_rng');
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
      const np = s.f64Out();
      rt.check(M._hush_fl_clip_l2(p, x.length, np, num(maxNorm, 'maxNorm')), 'clipL2');
      x.set(rt.f32(p, x.length));
      return rt.f64At(np);
    });
  }

  // Clamps every coordinate of x (in place) into [lo, hi]; returns how many changed.
  function clipRange(x, lo, hi) {
    f32InPlace(x, 'x');
    return rt.with((s) => {
      const p = s.copy(x);
      const kp = s.sizeOut();
      rt.check(M._hush_fl_clip_range(p, x.length, kp, num(lo, 'lo'), num(hi, 'hi')), 'clipRange');
      x.set(rt.f32(p, x.length));
      return rt.sizeAt(kp);
    });
  }

  // { bits, clients, bound, headroom = 0 } -> the quantisation, with its scale.
  function quantInit({ bits, clients, bound, headroom = 0 } = {}) {
    return rt.with((s) => {
      const p = s.struct('hush_fl_quant');
      rt.check(M._hush_fl_quant_init(p, uint(bits, 'bits'), uint(clients, 'clients'), num(bound, 'bound'),
        num(headroom, 'headroom')), 'quantInit');
      return readQuant(p);
    });
  }

  function quantize(q, x, opts) {
    const xv = toFloat32(rt, x);
    return withRng(opts, (s, r) => {
      const out = s.u32Out(xv.length);
      rt.check(M._hush_fl_quantize(writeQuant(s, q), r, out, s.copy(xv), xv.length), 'quantize');
      return rt.u32(out, xv.length).slice();
    });
  }

  function dequantize(q, sum) {
    const v = rt.u32Arg(sum, 'sum');
    return rt.with((s) => {
      const out = s.f32Out(v.length);
      rt.check(M._hush_fl_dequantize(writeQuant(s, q), out, s.copy(v), v.length), 'dequantize');
      return rt.f32(out, v.length).slice();
    });
  }

  // (weight * update, weight), quantised: update.length + 1 values for hush.secagg.
  function fedavgEncode(q, update, weight, opts) {
    const u = toFloat32(rt, update, 'update');
    return withRng(opts, (s, r) => {
      const out = s.u32Out(u.length + 1);
      rt.check(M._hush_fl_fedavg_encode(writeQuant(s, q), r, out, s.copy(u), u.length, num(weight, 'weight')),
        'fedavgEncode');
      return rt.u32(out, u.length + 1).slice();
    });
  }

  // The secure sum of fedavgEncode vectors -> { avg: Float32Array, totalWeight }.
  function fedavgDecode(q, sum) {
    const v = rt.u32Arg(sum, 'sum');
    if (v.length < 1) throw rt.fail('HUSH_EARG', 'sum must hold the weighted values and the weight');
    return rt.with((s) => {
      const n = v.length - 1;
      const avg = s.f32Out(n);
      const tw = s.f64Out();
      rt.check(M._hush_fl_fedavg_decode(writeQuant(s, q), avg, tw, s.copy(v), n), 'fedavgDecode');
      return { avg: rt.f32(avg, n).slice(), totalWeight: rt.f64At(tw) };
    });
  }

  // { bits, clients, dim, clip, noiseMultiplier } -> { ddp, quant } (hush_fl_ddp_init).
  function ddpInit({ bits, clients, dim, clip, noiseMultiplier } = {}) {
    return rt.with((s) => {
      const d = s.struct('hush_fl_ddp');
      const q = s.struct('hush_fl_quant');
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
      const out = s.u32Out(xv.length);
      rt.check(M._hush_fl_ddp_encode(writeDdp(s, ddp), r, writeQuant(s, q), out, s.copy(xv), xv.length), 'ddpEncode');
      return rt.u32(out, xv.length).slice();
    });
  }

  // Epsilon of one round with `survivors` noise-adding clients, for delta.
  function ddpEpsilon(ddp, survivors, delta) {
    return rt.with((s) => {
      const e = s.f64Out();
      rt.check(M._hush_fl_ddp_epsilon(writeDdp(s, ddp), e, uint(survivors, 'survivors'), num(delta, 'delta')), 'ddpEpsilon');
      return rt.f64At(e);
    });
  }

  return Object.freeze({ clipL2, clipRange, quantInit, quantize, dequantize, fedavgEncode, fedavgDecode, ddpInit,
    ddpEncode, ddpEpsilon });
}
