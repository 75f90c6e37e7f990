// hush.DPSGD, hush.Accountant and hush.pate: the C DP module (core/include/hush/dp.h) in JS.
//
// DPSGD trains an existing hush.Model with DP-SGD (Poisson sampling, per-example clipping,
// Gaussian noise) through the C handle. Its sampling and noise come from the OS CSPRNG, the only
// private choice; with reproducibleNoise: true they come from the canonical sub-stream "dpsgd" of
// `seed` instead, and it produces the bits `hush train --dp --reproducible-noise` produces (NOT
// private: anyone with the seed can remove the noise). It owns its optimiser; the model must
// outlive it. fit() yields to the event loop between epochs, as Model.fit does. Accountant composes DP events (RDP or PLD; the PLD's
// support is sized at create, default 2^16 bins here, about 5.8 MB, not the C default of 23 MB).
// pate.aggregate/analyze wrap the PATE aggregators and analyses; aggregate's noise is the "pate"
// sub-stream of the seed, as in `hush pate aggregate`.
import { toFloat32, toLabels } from './runtime.js';
import { tick } from './model.js';

const SAMPLING = { poisson: 'HUSH_DPSGD_POISSON', shuffle: 'HUSH_DPSGD_SHUFFLE' };
const OPTIMIZERS = { sgd: 'HUSH_OPTIM_SGD', momentum: 'HUSH_OPTIM_MOMENTUM', adam: 'HUSH_OPTIM_ADAM' };
const EVENTS = { gaussian: 'HUSH_DP_EVENT_GAUSSIAN', sampledGaussian: 'HUSH_DP_EVENT_SAMPLED_GAUSSIAN', laplace: 'HUSH_DP_EVENT_LAPLACE' };
const MECHANISMS = { lnmax: 'HUSH_PATE_LNMAX', gnmax: 'HUSH_PATE_GNMAX', confident: 'HUSH_PATE_CONFIDENT' };
const CONVERSIONS = { improved: 'HUSH_DP_CONVERSION_IMPROVED', classic: 'HUSH_DP_CONVERSION_CLASSIC' };

export function defineDP(rt, { Model, isDataset }) {
  const M = rt.M;
  const C = rt.C;
  const dpRegistry = new FinalizationRegistry((cell) => freeDP(cell));
  const accRegistry = new FinalizationRegistry((cell) => {
    if (cell.acc) M._hush_accountant_free(cell.acc);
    cell.acc = 0;
  });

  function freeDP(cell) {
    if (cell.dp) M._hush_dpsgd_free(cell.dp);
    if (cell.optim) M._hush_optim_free(cell.optim);
    if (cell.rng) {
      M._hush_rng_clear(cell.rng);
      M._free(cell.rng);
    }
    cell.dp = cell.optim = cell.rng = 0;
  }

  function num(v, what, { min = -Infinity, max = Infinity, open = false } = {}) {
    if (typeof v !== 'number' || Number.isNaN(v) || v > max || (open ? v <= min : v < min)) {
      throw rt.fail('HUSH_EARG', `${what} must be a number ${open ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`);
    }
    return v;
  }
  function uint(v, what) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
    return v;
  }
  function enumOf(table, name, what) {
    const key = table[name];
    if (!key) throw rt.fail('HUSH_EARG', `unknown ${what} '${name}' (${Object.keys(table).join(', ')})`);
    return C[key];
  }

  // (x ptr, y ptr, rows) in the heap: a Dataset in place, arrays copied into scope s.
  function inputs(s, model, x, y) {
    const inSize = model.inputSize;
    if (isDataset(x)) {
      const d = x.handle;
      if ((M._hush_dataset_dim(d) >>> 0) !== inSize) {
        throw rt.fail('HUSH_ESHAPE', `data set has ${M._hush_dataset_dim(d) >>> 0} features, the model expects ${inSize}`);
      }
      return [M._hush_dataset_x(d), M._hush_dataset_labels(d), M._hush_dataset_rows(d) >>> 0];
    }
    const xv = toFloat32(rt, x);
    if (xv.length % inSize !== 0) {
      throw rt.fail('HUSH_ESHAPE', `x has ${xv.length} values, not a multiple of the input size ${inSize}`);
    }
    const rows = xv.length / inSize;
    const yv = toLabels(rt, y);
    if (yv.length !== rows) throw rt.fail('HUSH_ESHAPE', `x has ${rows} rows but y has ${yv.length} labels`);
    return [s.copy(xv), s.copy(yv), rows];
  }

  class DPSGD {
    #cell = { dp: 0, optim: 0, rng: 0 };
    #model;
    #o;

    // opts: {l2NormClip (default 1), noiseMultiplier (default 1), samplingRate or batchSize (q =
    // batchSize / rows at the first step), sampling: 'poisson' | 'shuffle', microbatches (shuffle
    // only), delta (default 1e-5), secureNoise (Opacus' secure mode, for released gradients),
    // reproducibleNoise + seed (tests only: not private), optimizer, lr, weightDecay}.
    constructor(model, opts = {}) {
      if (!(model instanceof Model)) throw rt.fail('HUSH_EARG', 'DPSGD needs a hush.Model');
      const o = {
        l2NormClip: opts.l2NormClip ?? 1,
        noiseMultiplier: opts.noiseMultiplier ?? 1,
        samplingRate: opts.samplingRate ?? 0,
        batchSize: opts.batchSize ?? 0,
        sampling: enumOf(SAMPLING, opts.sampling ?? 'poisson', 'sampling'),
        microbatches: uint(opts.microbatches ?? 0, 'microbatches'),
        delta: num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true }),
        optimizer: enumOf(OPTIMIZERS, opts.optimizer ?? 'sgd', 'optimizer'),
        lr: num(opts.lr ?? 0.01, 'lr', { min: 0 }),
        weightDecay: num(opts.weightDecay ?? 0, 'weightDecay', { min: 0 }),
        noise: opts.secureNoise ? C.HUSH_DPSGD_NOISE_SECURE : C.HUSH_DPSGD_NOISE_FAST,
      };
      if (opts.reproducibleNoise && (opts.seed === undefined || opts.seed === null)) {
        throw rt.fail('HUSH_EARG', 'reproducibleNoise needs a seed (the noise comes from it)');
      }
      if (!opts.reproducibleNoise && opts.seed !== undefined && opts.seed !== null) {
        throw rt.fail('HUSH_EARG', 'DPSGD draws its sampling and noise from the OS; a seed needs reproducibleNoise: true (not private)');
      }
      num(o.l2NormClip, 'l2NormClip', { min: 0, open: true });
      num(o.noiseMultiplier, 'noiseMultiplier', { min: 0 });
      num(o.samplingRate, 'samplingRate', { min: 0, max: 1 });
      uint(o.batchSize, 'batchSize');
      if (!o.samplingRate && !o.batchSize) throw rt.fail('HUSH_EARG', 'DPSGD needs samplingRate or batchSize');
      this.#model = model;
      this.#o = o;
      const cell = this.#cell;
      dpRegistry.register(this, cell, this);
      try {
        if (opts.reproducibleNoise) {
          cell.rng = M._malloc(C.sizeof_hush_rng);
          if (!cell.rng) throw rt.fail('HUSH_ENOMEM', 'cannot allocate the rng');
          rt.with((s) => rt.seedStream(cell.rng, opts.seed, C.HUSH_TRAIN_STREAM_DPSGD, s));
        }
        rt.with((s) => {
          const out = s.alloc(4);
          rt.check(M._hush_wasm_optim_create(out, o.optimizer, o.lr, o.weightDecay, model.paramCount), 'optimizer');
          cell.optim = rt.u32At(out);
        });
      } catch (e) {
        this.free();
        throw e;
      }
    }

    // The C handle, created at the first step once the data set size (for batchSize) is known.
    #handle(rows) {
      const cell = this.#cell;
      if (!cell.optim) throw rt.fail('HUSH_ESTATE', 'DPSGD has been freed');
      if (cell.dp) return cell.dp;
      const o = this.#o;
      let q = o.samplingRate;
      if (!q) q = o.sampling === C.HUSH_DPSGD_POISSON ? Math.min(1, o.batchSize / rows) : 0;
      const batch = o.batchSize || Math.max(1, Math.round(q * rows));
      rt.with((s) => {
        const out = s.alloc(4);
        // rng 0: the handle seeds itself from the OS
        rt.check(M._hush_wasm_dpsgd_create(out, this.#model.handle, o.l2NormClip, o.noiseMultiplier, o.sampling, q,
          batch, o.microbatches, o.delta, o.noise, cell.rng), 'DPSGD');
        cell.dp = rt.u32At(out);
      });
      // the handle copied the stream; the JS copy is no longer needed
      if (cell.rng) M._hush_rng_clear(cell.rng);
      return cell.dp;
    }

    // One DP-SGD step. Poisson: (x, y) is the whole training set (or a Dataset) and each row is
    // sampled with probability q; shuffle: (x, y) is one batch. Returns {loss, batchSize}.
    step(x, y) {
      return rt.with((s) => {
        const [xp, yp, rows] = inputs(s, this.#model, x, y);
        const dp = this.#handle(rows);
        const loss = s.alloc(4);
        const batch = s.alloc(C.sizeof_size_t);
        rt.check(M._hush_dpsgd_step(dp, this.#cell.optim, loss, batch, xp, yp, rows), 'DPSGD step');
        return { loss: rt.f32At(loss), batchSize: rt.u32At(batch) };
      });
    }

    // Draws the next step's noise now, so that the step only adds it: for idle time, such as
    // waiting on the network between federated rounds. The result is the same bit for bit.
    // Returns whether it drew (false before the first step, when already drawn, or without noise).
    prefetch() {
      if (!this.#cell.optim) throw rt.fail('HUSH_ESTATE', 'DPSGD has been freed');
      if (!this.#cell.dp) return false;
      return rt.with((s) => {
        const drew = s.alloc(4);
        rt.check(M._hush_dpsgd_prefetch(this.#cell.dp, drew), 'DPSGD prefetch');
        return rt.u32At(drew) === 1;
      });
    }

    // Epochs of DP-SGD (hush_dpsgd_steps_per_epoch steps each), yielding to the event loop between
    // epochs. Resolves to [{epoch, steps, epsilon}]: the epoch's training loss is an exact statistic
    // of the data, so it is not reported.
    async fit(x, y, opts) {
      if (isDataset(x)) [y, opts] = [undefined, y];
      const { epochs = 1, onEpoch } = opts || {};
      uint(epochs, 'epochs');
      const s = rt.scope();
      const history = [];
      try {
        const [xp, yp, rows] = inputs(s, this.#model, x, y);
        const dp = this.#handle(rows);
        const perm = s.alloc(4 * rows);
        const loss = s.alloc(4);
        const steps = s.alloc(C.sizeof_size_t);
        for (let epoch = 1; epoch <= epochs; epoch++) {
          if (!this.#cell.optim) throw rt.fail('HUSH_ESTATE', 'DPSGD was freed during fit()');
          rt.check(M._hush_dpsgd_fit_epoch(dp, this.#cell.optim, perm, loss, steps, xp, yp, rows), `DPSGD epoch ${epoch}`);
          const entry = { epoch, steps: rt.u32At(steps), epsilon: this.epsilon() };
          history.push(entry);
          if (onEpoch) await onEpoch(entry);
          await tick();
        }
        return history;
      } finally {
        s.release();
      }
    }

    // Epsilon spent so far (RDP, improved conversion) at delta (default: the constructor's).
    epsilon(delta = this.#o.delta) {
      num(delta, 'delta', { min: 0, max: 1, open: true });
      if (!this.#cell.optim) throw rt.fail('HUSH_ESTATE', 'DPSGD has been freed');
      if (!this.#cell.dp) return 0;
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_dpsgd_epsilon(this.#cell.dp, out, delta), 'epsilon');
        return new DataView(rt.buffer).getFloat64(out, true);
      });
    }

    get steps() { return this.#cell.dp ? M._hush_wasm_dpsgd_steps(this.#cell.dp) : 0; }
    get freed() { return !this.#cell.optim; }

    // Smallest noise multiplier for `steps` Poisson steps at rate q within targetEpsilon at delta.
    static noiseForEpsilon({ targetEpsilon, delta = 1e-5, samplingRate, steps }) {
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_wasm_dpsgd_noise_for_epsilon(out, targetEpsilon, delta, samplingRate, steps), 'noiseForEpsilon');
        return new DataView(rt.buffer).getFloat64(out, true);
      });
    }

    free() {
      dpRegistry.unregister(this);
      freeDP(this.#cell);
    }
  }

  class Accountant {
    #cell = { acc: 0 };
    #kind;

    // opts: {kind: 'rdp' | 'pld', conversion: 'improved' | 'classic', pldMaxBins (default 2^16),
    // discretization (PLD bin width, default 1e-4)}.
    constructor({ kind = 'rdp', conversion = 'improved', pldMaxBins = 1 << 16, discretization = 1e-4 } = {}) {
      const k = { rdp: C.HUSH_ACCOUNTANT_RDP, pld: C.HUSH_ACCOUNTANT_PLD }[kind];
      if (!k) throw rt.fail('HUSH_EARG', `unknown accountant kind '${kind}' (rdp or pld)`);
      const conv = enumOf(CONVERSIONS, conversion, 'conversion');
      uint(pldMaxBins, 'pldMaxBins');
      num(discretization, 'discretization', { min: 0, open: true });
      rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_wasm_accountant_create(out, k, conv, pldMaxBins, discretization), 'Accountant');
        this.#cell.acc = rt.u32At(out);
      });
      this.#kind = kind;
      accRegistry.register(this, this.#cell, this);
    }

    get #ptr() {
      if (!this.#cell.acc) throw rt.fail('HUSH_ESTATE', 'accountant has been freed');
      return this.#cell.acc;
    }
    get kind() { return this.#kind; }

    // event: {kind: 'gaussian' | 'sampledGaussian' | 'laplace', noiseMultiplier, samplingRate}.
    // Returns this, so calls chain.
    compose(event, count = 1) {
      const p = this.#ptr;
      if (!event || typeof event !== 'object') throw rt.fail('HUSH_EARG', 'compose needs an event object');
      const kind = enumOf(EVENTS, event.kind, 'event kind');
      num(event.noiseMultiplier, 'noiseMultiplier', { min: 0 });
      const q = event.kind === 'sampledGaussian' ? num(event.samplingRate, 'samplingRate', { min: 0, max: 1 }) : 0;
      if (!Number.isSafeInteger(count) || count < 1) throw rt.fail('HUSH_EARG', 'count must be a positive integer');
      rt.check(M._hush_wasm_accountant_compose(p, kind, event.noiseMultiplier, q, count), 'compose');
      return this;
    }

    epsilon(delta) {
      const p = this.#ptr;
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_accountant_epsilon(p, out, 0, delta), 'epsilon');
        return new DataView(rt.buffer).getFloat64(out, true);
      });
    }

    delta(epsilon) {
      const p = this.#ptr;
      num(epsilon, 'epsilon', { min: 0 });
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_accountant_delta(p, out, epsilon), 'delta');
        return new DataView(rt.buffer).getFloat64(out, true);
      });
    }

    free() {
      accRegistry.unregister(this);
      if (this.#cell.acc) M._hush_accountant_free(this.#cell.acc);
      this.#cell.acc = 0;
    }
  }

  // Votes: an array of teacher rows (each an array of labels, one per example), or
  // {votes: Uint32Array (row-major teachers x examples), teachers, examples}.
  function voteMatrix(votes) {
    if (votes && !Array.isArray(votes) && typeof votes === 'object' && 'teachers' in votes) {
      const v = toLabels(rt, votes.votes, 'votes');
      const T = uint(votes.teachers, 'teachers'), E = uint(votes.examples, 'examples');
      if (v.length !== T * E) throw rt.fail('HUSH_ESHAPE', `votes has ${v.length} labels, not ${T} x ${E}`);
      return { v, T, E };
    }
    if (!Array.isArray(votes) || votes.length === 0) throw rt.fail('HUSH_EARG', 'votes must be a non-empty array of teacher rows');
    const T = votes.length, E = votes[0].length;
    const v = new Uint32Array(T * E);
    for (let t = 0; t < T; t++) {
      if (votes[t].length !== E) throw rt.fail('HUSH_ESHAPE', `teacher ${t} has ${votes[t].length} votes, teacher 0 has ${E}`);
      v.set(toLabels(rt, votes[t], `votes[${t}]`), t * E);
    }
    return { v, T, E };
  }

  const f64 = (ptr) => new DataView(rt.buffer).getFloat64(ptr, true);

  function analyzeSS(votes, opts) {
    const { v, T, E } = voteMatrix(votes);
    const sigma = num(opts.sigma, 'sigma', { min: 0, open: true });
    const sigmaSS = num(opts.sigmaSS, 'sigmaSS', { min: 0, open: true });
    const delta = num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true });
    const order = num(opts.order ?? 0, 'order', { min: 0 });
    const beta = num(opts.beta ?? 0, 'beta', { min: 0 });
    if ((opts.threshold === undefined) !== (opts.sigma1 === undefined)) {
      throw rt.fail('HUSH_EARG', 'threshold and sigma1 go together (Confident-GNMax)');
    }
    const thr = opts.threshold ?? 0, s1 = opts.sigma1 ?? 0;
    const conv = enumOf(CONVERSIONS, opts.conversion ?? 'classic', 'conversion');
    let mx = 0;
    for (const x of v) if (x > mx) mx = x;
    const K = Math.max(2, opts.classes ?? mx + 1);
    return rt.with((s) => {
      let labels = 0, queries = E;
      if (opts.indices !== undefined) {
        const idx = toLabels(rt, opts.indices, 'indices');
        const lab = new Int32Array(E).fill(-1);
        for (const i of idx) {
          if (i >= E) throw rt.fail('HUSH_ERANGE', `index ${i} is not below ${E} examples`);
          lab[i] = 0;
        }
        queries = lab.reduce((n, x) => n + (x >= 0), 0);
        labels = s.copy(lab);
      }
      const vp = s.copy(v);
      const out = s.alloc(64), rng = s.alloc(C.sizeof_hush_rng), dd = s.alloc(8), di = s.alloc(8);
      let rc;
      try {
        rt.seedStream(rng, opts.seed, 'pate-ss', s);
        rc = M._hush_pate_release_gnmax(rng, out, vp, T, E, K, labels, thr, s1, sigma, delta, order, beta, sigmaSS, 0);
      } finally {
        M._hush_rng_clear(rng);
      }
      rt.check(rc, 'pate.analyze (smooth sensitivity)');
      rt.check(M._hush_pate_analyze_gnmax(dd, di, vp, T, E, K, labels, thr, s1, sigma, delta, conv, 0), 'pate.analyze');
      // hush_pate_ss_release: eight doubles in declaration order
      return {
        dataDependentEps: f64(dd), dataIndependentEps: f64(di), queries,
        order: f64(out), beta: f64(out + 8), smoothSensitivity: f64(out + 40), releaseRdp: f64(out + 48),
        releasedDataDependentEps: f64(out + 56),
      };
    });
  }

  const pate = Object.freeze({
    // opts: {mechanism: 'lnmax' | 'gnmax' | 'confident', noiseEps | sigma (+ threshold, sigma1),
    // seed, classes (default max label + 1), delta (default 1e-5), conversion ('classic', the
    // paper's, or 'improved'; GNMax and Confident-GNMax only)}. Returns {labels (Int32Array,
    // -1 where declined), answered, epsilon (data-independent), dataDependentEpsilon (null when not
    // defined; publishing it needs smooth sensitivity)}.
    aggregate(votes, opts = {}) {
      const { v, T, E } = voteMatrix(votes);
      const mech = enumOf(MECHANISMS, opts.mechanism, 'mechanism');
      let mx = 0;
      for (const x of v) if (x > mx) mx = x;
      const K = Math.max(2, opts.classes ?? mx + 1);
      const delta = num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true });
      const eps = opts.noiseEps ?? 0, sigma = opts.sigma ?? 0, thr = opts.threshold ?? 0, s1 = opts.sigma1 ?? 0;
      if (mech === C.HUSH_PATE_LNMAX && opts.conversion !== undefined) {
        throw rt.fail('HUSH_EARG', 'conversion applies to the 2018 analysis (gnmax, confident), not lnmax');
      }
      const conv = enumOf(CONVERSIONS, opts.conversion ?? 'classic', 'conversion');
      return rt.with((s) => {
        const vp = s.copy(v);
        const labels = s.alloc(4 * E);
        const answered = s.alloc(C.sizeof_size_t);
        const rng = s.alloc(C.sizeof_hush_rng);
        let rc;
        try {
          rt.seedStream(rng, opts.seed, 'pate', s);
          rc = M._hush_wasm_pate_aggregate(rng, labels, answered, vp, T, E, K, mech, eps, sigma, thr, s1);
        } finally {
          M._hush_rng_clear(rng);
        }
        rt.check(rc, 'pate.aggregate');
        const dd = s.alloc(8), di = s.alloc(8), unused = s.alloc(8);
        let dataDependentEpsilon = null;
        if (mech === C.HUSH_PATE_LNMAX) {
          rt.check(M._hush_pate_lnmax_epsilon(di, E, eps, delta, 8), 'pate epsilon');
          if (M._hush_pate_analyze(dd, unused, vp, T, E, 0, 0, eps, delta, 8, 0) === 0) dataDependentEpsilon = f64(dd);
        } else {
          rt.check(M._hush_pate_analyze_gnmax(dd, di, vp, T, E, K, labels, thr, mech === C.HUSH_PATE_CONFIDENT ? s1 : 0,
            sigma, delta, conv, 0), 'pate epsilon');
          dataDependentEpsilon = f64(dd);
        }
        return {
          labels: new Int32Array(rt.buffer.slice(labels, labels + 4 * E)),
          answered: rt.u32At(answered),
          epsilon: f64(di),
          dataDependentEpsilon,
        };
      });
    },

    // PySyft 0.2 perform_analysis: opts {noiseEps, delta (default 1e-5), moments (default 8),
    // indices (answered example indices; default every example once)}.
    // With smoothSensitivity: true, the 2018 GNMax / Confident-GNMax analysis instead, its
    // data-dependent epsilon released with smooth sensitivity (as `hush pate analyze
    // --smooth-sensitivity`): opts {sigma, threshold + sigma1 (Confident), sigmaSS, beta (default
    // 0.49 / order), order (default: the grid order minimising the data-dependent epsilon),
    // classes, indices (the answered examples), delta, seed (noise: sub-stream "pate-ss"),
    // conversion of the unreleased epsilons ('classic' or 'improved')}.
    analyze(votes, opts = {}) {
      if (opts.smoothSensitivity) return analyzeSS(votes, opts);
      const { v, T, E } = voteMatrix(votes);
      const noiseEps = num(opts.noiseEps, 'noiseEps', { min: 0, open: true });
      const delta = num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true });
      const moments = uint(opts.moments ?? 8, 'moments');
      return rt.with((s) => {
        const idx = opts.indices === undefined ? null : toLabels(rt, opts.indices, 'indices');
        const dd = s.alloc(8), di = s.alloc(8);
        rt.check(M._hush_pate_analyze(dd, di, s.copy(v), T, E, idx ? s.copy(idx) : 0, idx ? idx.length : 0, noiseEps,
          delta, moments, 0), 'pate.analyze');
        return { dataDependentEps: f64(dd), dataIndependentEps: f64(di) };
      });
    },
  });

  return { DPSGD, Accountant, pate };
}
