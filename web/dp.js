// hush.dp (DPSGD, Accountant, Odometer) and hush.pate: the C DP modules (core/include/hush/dp.h,
// pate.h) in JS.
//
// DPSGD trains an existing hush.Model with DP-SGD (Poisson sampling, per-example clipping,
// Gaussian noise) through the C handle. Its sampling and noise come from the OS CSPRNG, the only
// private choice; with reproducibleNoise: true they come from the canonical sub-stream "dpsgd" of
// `seed` instead, and it produces the bits `hush train --dp --reproducible-noise` produces (NOT
// private: anyone with the seed can remove the noise). It owns its optimiser; the model must
// outlive it. fit() yields to the event loop between epochs, as Model.fit does. Accountant
// composes DP events (RDP or PLD, whose grids adapt to the composition; about 17 MB at the
// default 2^16 bins). Odometer keeps a ledger of DP events against a budget and refuses work that
// would overspend; its bytes (save/load) go to IndexedDB or a file. pate.aggregate/analyze return
// the core's PATE report (the CLI's JSON keys in camelCase); their noise comes from the OS unless
// reproducibleNoise: true (then the "pate" / "pate-ss" sub-stream of the seed, as
// `hush pate ... --reproducible-noise --seed S`).
import { toFloat32, toLabels } from './runtime.js';
import { tick } from './model.js';

const SAMPLING = { poisson: 'HUSH_DPSGD_POISSON', shuffle: 'HUSH_DPSGD_SHUFFLE' };
const OPTIMIZERS = { sgd: 'HUSH_OPTIM_SGD', momentum: 'HUSH_OPTIM_MOMENTUM', adam: 'HUSH_OPTIM_ADAM' };
const EVENTS = { gaussian: 'HUSH_DP_EVENT_GAUSSIAN', sampledGaussian: 'HUSH_DP_EVENT_SAMPLED_GAUSSIAN', laplace: 'HUSH_DP_EVENT_LAPLACE' };
const LEDGER_EVENTS = {
  ...EVENTS, rdpCurve: 'HUSH_DP_EVENT_RDP_CURVE', discreteGaussianSum: 'HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM',
  epsilonDelta: 'HUSH_DP_EVENT_EPSILON_DELTA',
};
const MECHANISMS = { lnmax: 'HUSH_PATE_LNMAX', gnmax: 'HUSH_PATE_GNMAX', confident: 'HUSH_PATE_CONFIDENT' };
const CONVERSIONS = { improved: 'HUSH_DP_CONVERSION_IMPROVED', classic: 'HUSH_DP_CONVERSION_CLASSIC' };

export function defineDP(rt, { Model, isDataset }) {
  const M = rt.M;
  const C = rt.C;
  const dpRegistry = new FinalizationRegistry((cell) => freeDP(cell));
  const accRegistry = new FinalizationRegistry((cell) => {
    if (cell.ptr) M._hush_accountant_free(cell.ptr);
    cell.ptr = 0;
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
        rt.check(M._hush_wasm_dpsgd_create(out, cell.rng, this.#model.handle, o.l2NormClip, o.noiseMultiplier,
          o.sampling, q, batch, o.microbatches, o.delta, o.noise), 'DPSGD');
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

  const f64 = (ptr) => new DataView(rt.buffer).getFloat64(ptr, true);
  const sizeAt = (ptr) => (C.sizeof_size_t === 8 ? Number(new DataView(rt.buffer).getBigUint64(ptr, true)) : rt.u32At(ptr));

  // A handle cell: free() releases it, later calls throw HUSH_ESTATE.
  function handleOf(cell, what) {
    if (!cell.ptr) throw rt.fail('HUSH_ESTATE', `${what} has been freed`);
    return cell.ptr;
  }

  class Accountant {
    #cell = { ptr: 0 };
    #kind;

    // opts: {kind: 'rdp' | 'pld', conversion: 'improved' | 'classic', pldMaxBins (default
    // HUSH_PLD_DEFAULT_MAX_BINS)}.
    constructor({ kind = 'rdp', conversion = 'improved', pldMaxBins = C.HUSH_PLD_DEFAULT_MAX_BINS } = {}) {
      const k = { rdp: C.HUSH_ACCOUNTANT_RDP, pld: C.HUSH_ACCOUNTANT_PLD }[kind];
      if (!k) throw rt.fail('HUSH_EARG', `unknown accountant kind '${kind}' (rdp or pld)`);
      const conv = enumOf(CONVERSIONS, conversion, 'conversion');
      uint(pldMaxBins, 'pldMaxBins');
      rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_wasm_accountant_create(out, k, conv, pldMaxBins), 'Accountant');
        this.#cell.ptr = rt.u32At(out);
      });
      this.#kind = kind;
      accRegistry.register(this, this.#cell, this);
    }

    get kind() { return this.#kind; }

    // event: {kind: 'gaussian' | 'sampledGaussian' | 'laplace', noiseMultiplier, samplingRate}.
    // Returns this, so calls chain.
    compose(event, count = 1) {
      const p = handleOf(this.#cell, 'accountant');
      if (!event || typeof event !== 'object') throw rt.fail('HUSH_EARG', 'compose needs an event object');
      const kind = enumOf(EVENTS, event.kind, 'event kind');
      num(event.noiseMultiplier, 'noiseMultiplier', { min: 0 });
      const q = event.kind === 'sampledGaussian' ? num(event.samplingRate, 'samplingRate', { min: 0, max: 1 }) : 0;
      if (!Number.isSafeInteger(count) || count < 1) throw rt.fail('HUSH_EARG', 'count must be a positive integer');
      rt.check(M._hush_wasm_accountant_compose(p, kind, event.noiseMultiplier, q, count), 'compose');
      return this;
    }

    // Epsilon spent at delta (an upper bound; PLD: pessimistic).
    epsilon(delta) {
      const p = handleOf(this.#cell, 'accountant');
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_accountant_epsilon(p, out, 0, delta), 'epsilon');
        return f64(out);
      });
    }

    // {lower, upper}: lower <= true epsilon <= upper (RDP: lower 0).
    epsilonBounds(delta) {
      const p = handleOf(this.#cell, 'accountant');
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const lo = s.alloc(8), hi = s.alloc(8);
        rt.check(M._hush_accountant_epsilon_bounds(p, lo, hi, delta), 'epsilonBounds');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    delta(epsilon) {
      const p = handleOf(this.#cell, 'accountant');
      num(epsilon, 'epsilon', { min: 0 });
      return rt.with((s) => {
        const out = s.alloc(8);
        rt.check(M._hush_accountant_delta(p, out, epsilon), 'delta');
        return f64(out);
      });
    }

    reset() {
      M._hush_accountant_reset(handleOf(this.#cell, 'accountant'));
      return this;
    }

    free() {
      accRegistry.unregister(this);
      if (this.#cell.ptr) M._hush_accountant_free(this.#cell.ptr);
      this.#cell.ptr = 0;
    }
  }

  // An odometer event: {kind: 'sampledGaussian' | 'gaussian' | 'laplace' | 'discreteGaussianSum' |
  // 'rdpCurve' | 'epsilonDelta', count (steps, default 1), noiseMultiplier, samplingRate, sigma,
  // sensitivity, parties, dimension, epsilon, delta, orders + rdp (arrays), id (string or bytes:
  // charging an id already in the ledger is a no-op)}.
  function writeEvent(s, ev) {
    if (!ev || typeof ev !== 'object') throw rt.fail('HUSH_EARG', 'an event object is needed');
    const kind = enumOf(LEDGER_EVENTS, ev.kind, 'event kind');
    const count = ev.count ?? 1;
    if (!Number.isSafeInteger(count) || count < 1) throw rt.fail('HUSH_EARG', 'count must be a positive integer');
    const id = ev.id === undefined ? new Uint8Array(0) : typeof ev.id === 'string' ? new TextEncoder().encode(ev.id) : ev.id;
    if (!(id instanceof Uint8Array) || id.length > C.HUSH_ODOMETER_ID_MAX) {
      throw rt.fail('HUSH_EARG', `id must be a string or Uint8Array of at most ${C.HUSH_ODOMETER_ID_MAX} bytes`);
    }
    const orders = Float64Array.from(ev.orders ?? []), rdp = Float64Array.from(ev.rdp ?? []);
    if (orders.length !== rdp.length || orders.length > C.HUSH_ODOMETER_CURVE_MAX) {
      throw rt.fail('HUSH_EARG', `orders and rdp must have the same length, at most ${C.HUSH_ODOMETER_CURVE_MAX}`);
    }
    const p = s.alloc(C.sizeof_hush_odometer_event);
    const numOr0 = (v, what) => (v === undefined ? 0 : num(v, what));
    rt.check(M._hush_wasm_odometer_event(p, kind, count, numOr0(ev.noiseMultiplier, 'noiseMultiplier'),
      numOr0(ev.samplingRate, 'samplingRate'), numOr0(ev.sigma, 'sigma'), numOr0(ev.sensitivity, 'sensitivity'),
      uint(ev.parties ?? 1, 'parties'), uint(ev.dimension ?? 1, 'dimension'), numOr0(ev.epsilon, 'epsilon'),
      numOr0(ev.delta, 'delta'), id.length ? s.copy(id) : 0, id.length, orders.length ? s.copy(orders) : 0,
      rdp.length ? s.copy(rdp) : 0, orders.length), 'odometer event');
    return p;
  }

  function readEvent(p) {
    const dv = new DataView(rt.buffer);
    const kindNum = dv.getInt32(p + C.offsetof_hush_odometer_event_kind, true);
    const kind = Object.keys(LEDGER_EVENTS).find((k) => C[LEDGER_EVENTS[k]] === kindNum);
    const idLen = dv.getUint32(p + C.offsetof_hush_odometer_event_id_len, true);
    const e = { kind, count: M._hush_wasm_odometer_event_count(p) };
    if (kind === 'sampledGaussian') e.samplingRate = f64(p + C.offsetof_hush_odometer_event_sampling_rate);
    if (kind === 'sampledGaussian' || kind === 'gaussian' || kind === 'laplace') {
      e.noiseMultiplier = f64(p + C.offsetof_hush_odometer_event_noise_multiplier);
    }
    if (kind === 'epsilonDelta') {
      e.epsilon = f64(p + C.offsetof_hush_odometer_event_epsilon);
      e.delta = f64(p + C.offsetof_hush_odometer_event_delta);
    }
    if (idLen) e.id = new Uint8Array(rt.buffer.slice(p + C.offsetof_hush_odometer_event_id, p + C.offsetof_hush_odometer_event_id + idLen));
    return e;
  }

  // The privacy odometer (hush_odometer): a ledger of every DP event a party took part in,
  // composed with RDP and PLD, that refuses an event over the owner's budget (HushError
  // 'HUSH_EBUDGET', nothing charged). Keep its bytes (save()) in IndexedDB or a file and
  // Odometer.load() them back.
  class Odometer {
    #cell = { ptr: 0 };

    // opts: {budgetEpsilon, budgetDelta (default 1e-5), accountant: 'pld' | 'rdp', pldMaxBins}.
    constructor({ budgetEpsilon, budgetDelta = 1e-5, accountant = 'pld', pldMaxBins = C.HUSH_PLD_DEFAULT_MAX_BINS } = {}) {
      if (budgetEpsilon === odometerLoadToken) return; // Odometer.load fills the cell
      const k = { rdp: C.HUSH_ACCOUNTANT_RDP, pld: C.HUSH_ACCOUNTANT_PLD }[accountant];
      if (!k) throw rt.fail('HUSH_EARG', `unknown accountant '${accountant}' (pld or rdp)`);
      num(budgetEpsilon, 'budgetEpsilon', { min: 0, open: true });
      num(budgetDelta, 'budgetDelta', { min: 0, max: 1, open: true });
      rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_wasm_odometer_create(out, budgetEpsilon, budgetDelta, k, uint(pldMaxBins, 'pldMaxBins')), 'Odometer');
        this.#cell.ptr = rt.u32At(out);
      });
      odoRegistry.register(this, this.#cell, this);
    }

    static load(bytes) {
      if (!(bytes instanceof Uint8Array)) throw rt.fail('HUSH_EARG', 'Odometer.load needs a Uint8Array');
      const od = new Odometer({ budgetEpsilon: odometerLoadToken });
      rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_odometer_load(out, s.copy(bytes), bytes.length, 0), 'Odometer.load');
        od.#cell.ptr = rt.u32At(out);
      });
      odoRegistry.register(od, od.#cell, od);
      return od;
    }

    // Charges the event; returns true, or false when its id was already charged. Over budget:
    // throws HushError 'HUSH_EBUDGET' and charges nothing.
    charge(event) {
      const p = handleOf(this.#cell, 'odometer');
      return rt.with((s) => {
        const ev = writeEvent(s, event), charged = s.alloc(4);
        rt.check(M._hush_odometer_charge(p, charged, ev), 'charge');
        return rt.u32At(charged) === 1;
      });
    }

    // {lower, upper}: what the ledger would spend at the budget's delta with the event added.
    wouldSpend(event) {
      const p = handleOf(this.#cell, 'odometer');
      return rt.with((s) => {
        const ev = event === undefined ? 0 : writeEvent(s, event), lo = s.alloc(8), hi = s.alloc(8);
        rt.check(M._hush_odometer_would_spend(p, lo, hi, ev), 'wouldSpend');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    // {lower, upper}: spent so far at delta (default: the budget's).
    spent(delta = this.budgetDelta) {
      const p = handleOf(this.#cell, 'odometer');
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const lo = s.alloc(8), hi = s.alloc(8);
        rt.check(M._hush_odometer_spent(p, lo, hi, delta), 'spent');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    setBudget(budgetEpsilon, budgetDelta = this.budgetDelta) {
      rt.check(M._hush_odometer_set_budget(handleOf(this.#cell, 'odometer'), budgetEpsilon, budgetDelta), 'setBudget');
    }

    // The C handle (for hush.FederatedClient, which charges rounds through the core).
    get handle() { return handleOf(this.#cell, 'odometer'); }
    get count() { return M._hush_odometer_count(handleOf(this.#cell, 'odometer')) >>> 0; }
    get budgetEpsilon() { return M._hush_odometer_budget_epsilon(handleOf(this.#cell, 'odometer')); }
    get budgetDelta() { return M._hush_odometer_budget_delta(handleOf(this.#cell, 'odometer')); }

    // The ledger's entries, in charge order.
    entries() {
      const p = handleOf(this.#cell, 'odometer');
      return rt.with((s) => {
        const ev = s.alloc(C.sizeof_hush_odometer_event), out = [];
        for (let i = 0; i < this.count; i++) {
          rt.check(M._hush_odometer_entry(p, ev, i), 'entries');
          out.push(readEvent(ev));
        }
        return out;
      });
    }

    // The ledger's bytes (versioned, checksummed).
    save() {
      const p = handleOf(this.#cell, 'odometer');
      return rt.with((s) => {
        const n = M._hush_odometer_save_size(p) >>> 0, buf = s.alloc(n), w = s.alloc(C.sizeof_size_t);
        rt.check(M._hush_odometer_save(p, buf, n, w), 'save');
        return new Uint8Array(rt.buffer.slice(buf, buf + n));
      });
    }

    get freed() { return !this.#cell.ptr; }

    free() {
      odoRegistry.unregister(this);
      if (this.#cell.ptr) M._hush_odometer_free(this.#cell.ptr);
      this.#cell.ptr = 0;
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

  // hush_pate_report fields -> camelCase keys, read at the constants table's offsets; NaN (does
  // not apply) is left out, except dataDependentEps, which is null then (as the CLI's null).
  const REPORT_SIZES = ['teachers', 'examples', 'classes', 'answered', 'queries'];
  function readReport(p, fields) {
    const out = {};
    for (const f of fields) {
      const key = f.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
      const at = p + C[`offsetof_hush_pate_report_${f}`];
      const v = REPORT_SIZES.includes(f) ? sizeAt(at) : f64(at);
      out[key] = Number.isNaN(v) ? null : v;
    }
    return out;
  }

  // The noise source of a PATE call: the OS, or (reproducibleNoise: true) the seed's sub-stream.
  function noiseRng(s, opts, stream) {
    const rng = s.alloc(C.sizeof_hush_rng);
    if (opts.seed !== undefined && !opts.reproducibleNoise) {
      throw rt.fail('HUSH_EARG', 'seed makes the noise public: it needs reproducibleNoise: true (the default noise comes from the OS)');
    }
    rt.seedStream(rng, opts.reproducibleNoise ? (opts.seed ?? 1) : undefined, stream, s);
    return rng;
  }

  function pateConfig(s, mech, opts, { conversionDefault = 'classic' } = {}) {
    const cfg = s.alloc(C.sizeof_hush_pate_config);
    const conv = enumOf(CONVERSIONS, opts.conversion ?? conversionDefault, 'conversion');
    const delta = num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true });
    rt.check(M._hush_wasm_pate_config(cfg, mech, opts.noiseEps ?? 0, opts.sigma ?? 0, opts.threshold ?? 0, opts.sigma1 ?? 0,
      uint(opts.classes ?? 0, 'classes'), delta, conv, uint(opts.moments ?? 8, 'moments'), num(opts.order ?? 0, 'order', { min: 0 }),
      num(opts.beta ?? 0, 'beta', { min: 0 }), num(opts.sigmaSS ?? 0, 'sigmaSS', { min: 0 })), 'pate config');
    return cfg;
  }

  function analyzeSS(votes, opts) {
    const { v, T, E } = voteMatrix(votes);
    num(opts.sigma, 'sigma', { min: 0, open: true });
    num(opts.sigmaSS, 'sigmaSS', { min: 0, open: true });
    if ((opts.threshold === undefined) !== (opts.sigma1 === undefined)) {
      throw rt.fail('HUSH_EARG', 'threshold and sigma1 go together (Confident-GNMax)');
    }
    const mech = opts.sigma1 === undefined ? C.HUSH_PATE_GNMAX : C.HUSH_PATE_CONFIDENT;
    return rt.with((s) => {
      const cfg = pateConfig(s, mech, opts);
      const idx = opts.indices === undefined ? null : toLabels(rt, opts.indices, 'indices');
      const rep = s.alloc(C.sizeof_hush_pate_report);
      const rng = noiseRng(s, opts, 'pate-ss');
      let rc;
      try {
        rc = M._hush_pate_release_report(rng, rep, s.copy(v), T, E, idx ? s.copy(idx) : 0, idx ? idx.length : 0, cfg, 0);
      } finally {
        M._hush_rng_clear(rng);
      }
      rt.check(rc, 'pate.analyze (smooth sensitivity)');
      return {
        ...readReport(rep, ['teachers', 'examples', 'queries', 'classes']),
        private: !opts.reproducibleNoise, noise: opts.reproducibleNoise ? 'seed' : 'os',
        ...readReport(rep, ['delta', 'data_dependent_eps', 'data_independent_eps', 'order', 'beta', 'sigma_ss',
          'smooth_sensitivity', 'release_rdp', 'released_data_dependent_eps']),
      };
    });
  }

  const pate = Object.freeze({
    // opts: {mechanism: 'lnmax' | 'gnmax' | 'confident', noiseEps | sigma (+ threshold, sigma1),
    // classes (default max label + 1), delta (default 1e-5), conversion ('classic', the paper's,
    // or 'improved'; GNMax and Confident-GNMax only), reproducibleNoise + seed}. Returns the
    // report of `hush pate aggregate --json`: {labels (Int32Array, -1 where declined), teachers,
    // examples, classes, answered, private, noise, epsilon (data-independent), dataDependentEps
    // (null when not defined; publishing it needs smooth sensitivity), delta}.
    aggregate(votes, opts = {}) {
      const { v, T, E } = voteMatrix(votes);
      const mech = enumOf(MECHANISMS, opts.mechanism, 'mechanism');
      if (mech === C.HUSH_PATE_LNMAX && opts.conversion !== undefined) {
        throw rt.fail('HUSH_EARG', 'conversion applies to the 2018 analysis (gnmax, confident), not lnmax');
      }
      return rt.with((s) => {
        const cfg = pateConfig(s, mech, opts);
        const labels = s.alloc(4 * E), rep = s.alloc(C.sizeof_hush_pate_report);
        const rng = noiseRng(s, opts, 'pate');
        let rc;
        try {
          rc = M._hush_pate_aggregate_report(rng, rep, labels, s.copy(v), T, E, cfg, 0);
        } finally {
          M._hush_rng_clear(rng);
        }
        rt.check(rc, 'pate.aggregate');
        return {
          labels: new Int32Array(rt.buffer.slice(labels, labels + 4 * E)),
          ...readReport(rep, ['teachers', 'examples', 'classes', 'answered']),
          private: !opts.reproducibleNoise, noise: opts.reproducibleNoise ? 'seed' : 'os',
          ...readReport(rep, ['epsilon', 'data_dependent_eps', 'delta']),
        };
      });
    },

    // PySyft 0.2 perform_analysis: opts {noiseEps, delta (default 1e-5), moments (default 8),
    // indices (answered example indices; default every example once)}. Returns the report of
    // `hush pate analyze --json`: {teachers, examples, queries, moments, noiseEps, delta,
    // dataDependentEps, dataIndependentEps}.
    // With smoothSensitivity: true, the 2018 GNMax / Confident-GNMax analysis instead, its
    // data-dependent epsilon released with smooth sensitivity (as `hush pate analyze
    // --smooth-sensitivity`): opts {sigma, threshold + sigma1 (Confident), sigmaSS, beta (default
    // 0.49 / order), order (default: the grid order minimising the data-dependent epsilon),
    // classes, indices (the answered examples), delta, reproducibleNoise + seed (noise: sub-stream
    // "pate-ss"), conversion of the unreleased epsilons ('classic' or 'improved')}.
    analyze(votes, opts = {}) {
      if (opts.smoothSensitivity) return analyzeSS(votes, opts);
      const { v, T, E } = voteMatrix(votes);
      const noiseEps = num(opts.noiseEps, 'noiseEps', { min: 0, open: true });
      return rt.with((s) => {
        const cfg = pateConfig(s, C.HUSH_PATE_LNMAX, opts);
        const idx = opts.indices === undefined ? null : toLabels(rt, opts.indices, 'indices');
        const rep = s.alloc(C.sizeof_hush_pate_report);
        rt.check(M._hush_pate_analyze_report(rep, s.copy(v), T, E, idx ? s.copy(idx) : 0, idx ? idx.length : 0, cfg, 0),
          'pate.analyze');
        return {
          ...readReport(rep, ['teachers', 'examples', 'queries']),
          moments: opts.moments ?? 8, noiseEps,
          ...readReport(rep, ['delta', 'data_dependent_eps', 'data_independent_eps']),
        };
      });
    },
  });

  const odometerLoadToken = Symbol('load');
  const odoRegistry = new FinalizationRegistry((cell) => {
    if (cell.ptr) M._hush_odometer_free(cell.ptr);
    cell.ptr = 0;
  });
  const dp = Object.freeze({ DPSGD, Accountant, Odometer });
  return { DPSGD, Accountant, Odometer, dp, pate };
}
