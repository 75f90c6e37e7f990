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
import { CELL, Handle, live, toFloat32, toLabels } from './runtime.js';
import { LOCK, tick } from './model.js';

export function defineDP(rt, { Model, isDataset }) {
  const M = rt.M;
  const C = rt.C;
  // DP quantities may be infinite (a budget, an epsilon), never NaN.
  const num = (v, what, opts = {}) => rt.num(v, what, { ...opts, finite: false });
  const uint = (v, what) => rt.uint(v, what);
  const f64 = (ptr) => rt.f64At(ptr);

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

  // The cell's ptr is the optimiser (from the constructor on); dp, the C hush_dpsgd, comes with the
  // first step (its sampling rate may need the data set's size), and rng holds a seeded stream
  // until then.
  function releaseDP(optim, cell) {
    if (cell.dp) M._hush_dpsgd_free(cell.dp);
    M._hush_optim_free(optim);
    if (cell.rng) {
      M._hush_rng_clear(cell.rng);
      M._free(cell.rng);
    }
    cell.dp = cell.rng = 0;
  }

  class DPSGD extends Handle {
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
        sampling: rt.enumOf('sampling', opts.sampling ?? 'poisson'),
        microbatches: uint(opts.microbatches ?? 0, 'microbatches'),
        delta: num(opts.delta ?? 1e-5, 'delta', { min: 0, max: 1, open: true }),
        optimizer: rt.enumOf('optimizer', opts.optimizer ?? 'sgd'),
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
      const optim = rt.with((s) => {
        const out = s.ptrOut();
        rt.check(M._hush_wasm_optim_create(out, o.optimizer, o.lr, o.weightDecay, model.paramCount), 'optimizer');
        return rt.ptrAt(out);
      });
      super(rt, 'DPSGD', optim, releaseDP);
      this.#model = model;
      this.#o = o;
      const cell = this[CELL];
      cell.dp = cell.rng = 0;
      try {
        if (opts.reproducibleNoise) {
          cell.rng = M._malloc(C.sizeof_hush_rng);
          if (!cell.rng) throw rt.fail('HUSH_ENOMEM', 'cannot allocate the rng');
          rt.with((s) => rt.seedStream(cell.rng, opts.seed, C.HUSH_TRAIN_STREAM_DPSGD, s));
        }
      } catch (e) {
        this.free();
        throw e;
      }
    }

    get #cell() { return this[CELL]; }

    // The C hush_dpsgd pointer: 0 before the first step (it is created then).
    get handle() {
      live(this);
      return this.#cell.dp;
    }

    // The C handle, created at the first step once the data set size (for batchSize) is known.
    #handle(rows) {
      live(this);
      const cell = this.#cell;
      if (cell.dp) return cell.dp;
      const o = this.#o;
      let q = o.samplingRate;
      if (!q) q = o.sampling === C.HUSH_DPSGD_POISSON ? Math.min(1, o.batchSize / rows) : 0;
      const batch = o.batchSize || Math.max(1, Math.round(q * rows));
      rt.with((s) => {
        const out = s.ptrOut();
        // rng 0: the handle seeds itself from the OS
        rt.check(M._hush_wasm_dpsgd_create(out, cell.rng, this.#model.handle, o.l2NormClip, o.noiseMultiplier,
          o.sampling, q, batch, o.microbatches, o.delta, o.noise), 'DPSGD');
        cell.dp = rt.ptrAt(out);
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
        const loss = s.f32Out();
        const batch = s.sizeOut();
        rt.check(M._hush_dpsgd_step(dp, this.#cell.ptr, loss, batch, xp, yp, rows), 'DPSGD step');
        return { loss: rt.f32At(loss), batchSize: rt.sizeAt(batch) };
      });
    }

    // Draws the next step's noise now, so that the step only adds it: for idle time, such as
    // waiting on the network between federated rounds. The result is the same bit for bit.
    // Returns whether it drew (false before the first step, when already drawn, or without noise).
    prefetch() {
      live(this);
      if (!this.#cell.dp) return false;
      return rt.with((s) => {
        const drew = s.u32Out();
        rt.check(M._hush_dpsgd_prefetch(this.#cell.dp, drew), 'DPSGD prefetch');
        return rt.u32At(drew) === 1;
      });
    }

    // Epochs of DP-SGD (hush_dpsgd_steps_per_epoch steps each), yielding to the event loop between
    // epochs as Model.fit does; the model is busy meanwhile (its changes are refused and its free()
    // waits for the end). Resolves to [{epoch, steps, epsilon}]: the epoch's training loss is an
    // exact statistic of the data, so it is not reported.
    async fit(x, y, opts) {
      if (isDataset(x)) [y, opts] = [undefined, y];
      const { epochs = 1, onEpoch } = opts || {};
      uint(epochs, 'epochs');
      live(this);
      const s = rt.scope();
      const history = [];
      let unlock = null;
      try {
        const [xp, yp, rows] = inputs(s, this.#model, x, y);
        const dp = this.#handle(rows);
        unlock = this.#model[LOCK]();
        const perm = s.u32Out(rows);
        const loss = s.f32Out();
        const steps = s.sizeOut();
        for (let epoch = 1; epoch <= epochs; epoch++) {
          if (this.freed) throw rt.fail('HUSH_ESTATE', 'DPSGD was freed during fit()');
          rt.check(M._hush_dpsgd_fit_epoch(dp, this.#cell.ptr, perm, loss, steps, xp, yp, rows), `DPSGD epoch ${epoch}`);
          const entry = { epoch, steps: rt.sizeAt(steps), epsilon: this.epsilon() };
          history.push(entry);
          if (onEpoch) await onEpoch(entry);
          await tick();
        }
        return history;
      } finally {
        s.release();
        if (unlock) unlock();
      }
    }

    // Epsilon spent so far (RDP, improved conversion) at delta (default: the constructor's).
    epsilon(delta = this.#o.delta) {
      num(delta, 'delta', { min: 0, max: 1, open: true });
      live(this);
      if (!this.#cell.dp) return 0;
      return rt.with((s) => {
        const out = s.f64Out();
        rt.check(M._hush_dpsgd_epsilon(this.#cell.dp, out, delta), 'epsilon');
        return rt.f64At(out);
      });
    }

    get steps() { return live(this) && this.#cell.dp ? M._hush_wasm_dpsgd_steps(this.#cell.dp) : 0; }

    // Smallest noise multiplier for `steps` Poisson steps at rate q within targetEpsilon at delta.
    static noiseForEpsilon({ targetEpsilon, delta = 1e-5, samplingRate, steps }) {
      return rt.with((s) => {
        const out = s.f64Out();
        rt.check(M._hush_wasm_dpsgd_noise_for_epsilon(out, num(targetEpsilon, 'targetEpsilon', { min: 0, open: true }),
          num(delta, 'delta', { min: 0, max: 1, open: true }), num(samplingRate, 'samplingRate', { min: 0, max: 1 }),
          rt.count(steps, 'steps')), 'noiseForEpsilon');
        return rt.f64At(out);
      });
    }
  }

  const releaseAccountant = (ptr) => M._hush_accountant_free(ptr);

  class Accountant extends Handle {
    #kind;

    // opts: {kind: 'rdp' | 'pld', conversion: 'improved' | 'classic', pldMaxBins (default
    // HUSH_PLD_DEFAULT_MAX_BINS)}.
    constructor({ kind = 'rdp', conversion = 'improved', pldMaxBins = C.HUSH_PLD_DEFAULT_MAX_BINS } = {}) {
      const k = rt.enumOf('accountant', kind, 'accountant kind');
      const conv = rt.enumOf('conversion', conversion);
      uint(pldMaxBins, 'pldMaxBins');
      const ptr = rt.with((s) => {
        const out = s.ptrOut();
        rt.check(M._hush_wasm_accountant_create(out, k, conv, pldMaxBins), 'Accountant');
        return rt.ptrAt(out);
      });
      super(rt, 'accountant', ptr, releaseAccountant);
      this.#kind = kind;
    }

    get kind() { return this.#kind; }

    // event: {kind: 'gaussian' | 'sampledGaussian' | 'laplace', noiseMultiplier, samplingRate}.
    // Returns this, so calls chain.
    compose(event, count = 1) {
      const p = this.handle;
      if (!event || typeof event !== 'object') throw rt.fail('HUSH_EARG', 'compose needs an event object');
      const kind = rt.enumOf('dpEvent', event.kind, 'event kind');
      num(event.noiseMultiplier, 'noiseMultiplier', { min: 0 });
      const q = event.kind === 'sampledGaussian' ? num(event.samplingRate, 'samplingRate', { min: 0, max: 1 }) : 0;
      rt.count(count, 'count');
      rt.check(M._hush_wasm_accountant_compose(p, kind, event.noiseMultiplier, q, count), 'compose');
      return this;
    }

    // Epsilon spent at delta (an upper bound; PLD: pessimistic).
    epsilon(delta) {
      const p = this.handle;
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const out = s.f64Out();
        rt.check(M._hush_accountant_epsilon(p, out, 0, delta), 'epsilon');
        return f64(out);
      });
    }

    // {lower, upper}: lower <= true epsilon <= upper (RDP: lower 0).
    epsilonBounds(delta) {
      const p = this.handle;
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const lo = s.f64Out(), hi = s.f64Out();
        rt.check(M._hush_accountant_epsilon_bounds(p, lo, hi, delta), 'epsilonBounds');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    delta(epsilon) {
      const p = this.handle;
      num(epsilon, 'epsilon', { min: 0 });
      return rt.with((s) => {
        const out = s.f64Out();
        rt.check(M._hush_accountant_delta(p, out, epsilon), 'delta');
        return f64(out);
      });
    }

    reset() {
      M._hush_accountant_reset(this.handle);
      return this;
    }
  }

  // An odometer event: {kind: 'sampledGaussian' | 'gaussian' | 'laplace' | 'discreteGaussianSum' |
  // 'rdpCurve' | 'epsilonDelta', count (steps, default 1), noiseMultiplier, samplingRate, sigma,
  // sensitivity, parties, dimension, epsilon, delta, orders + rdp (arrays), id (string or bytes:
  // charging an id already in the ledger is a no-op)}.
  function writeEvent(s, ev) {
    if (!ev || typeof ev !== 'object') throw rt.fail('HUSH_EARG', 'an event object is needed');
    const kind = rt.enumOf('ledgerEvent', ev.kind, 'event kind');
    const count = rt.count(ev.count ?? 1, 'count');
    const id = ev.id === undefined ? new Uint8Array(0) : typeof ev.id === 'string' ? new TextEncoder().encode(ev.id) : ev.id;
    if (!(id instanceof Uint8Array) || id.length > C.HUSH_ODOMETER_ID_MAX) {
      throw rt.fail('HUSH_EARG', `id must be a string or Uint8Array of at most ${C.HUSH_ODOMETER_ID_MAX} bytes`);
    }
    const orders = Float64Array.from(ev.orders ?? []), rdp = Float64Array.from(ev.rdp ?? []);
    if (orders.length !== rdp.length || orders.length > C.HUSH_ODOMETER_CURVE_MAX) {
      throw rt.fail('HUSH_EARG', `orders and rdp must have the same length, at most ${C.HUSH_ODOMETER_CURVE_MAX}`);
    }
    const p = s.struct('hush_odometer_event');
    const numOr0 = (v, what) => (v === undefined ? 0 : num(v, what));
    rt.check(M._hush_wasm_odometer_event(p, kind, count, numOr0(ev.noiseMultiplier, 'noiseMultiplier'),
      numOr0(ev.samplingRate, 'samplingRate'), numOr0(ev.sigma, 'sigma'), numOr0(ev.sensitivity, 'sensitivity'),
      uint(ev.parties ?? 1, 'parties'), uint(ev.dimension ?? 1, 'dimension'), numOr0(ev.epsilon, 'epsilon'),
      numOr0(ev.delta, 'delta'), id.length ? s.copy(id) : 0, id.length, orders.length ? s.copy(orders) : 0,
      rdp.length ? s.copy(rdp) : 0, orders.length), 'odometer event');
    return p;
  }

  function readEvent(p) {
    const at = (f) => rt.at(p, `hush_odometer_event_${f}`);
    const kind = rt.enumName('ledgerEvent', rt.i32At(at('kind')));
    const idLen = rt.u32At(at('id_len'));
    const e = { kind, count: M._hush_wasm_odometer_event_count(p) };
    if (kind === 'sampledGaussian') e.samplingRate = f64(at('sampling_rate'));
    if (kind === 'sampledGaussian' || kind === 'gaussian' || kind === 'laplace') e.noiseMultiplier = f64(at('noise_multiplier'));
    if (kind === 'epsilonDelta') {
      e.epsilon = f64(at('epsilon'));
      e.delta = f64(at('delta'));
    }
    if (idLen) e.id = rt.bytes(at('id'), idLen);
    return e;
  }

  // The privacy odometer (hush_odometer): a ledger of every DP event a party took part in,
  // composed with RDP and PLD, that refuses an event over the owner's budget (HushError
  // 'HUSH_EBUDGET', nothing charged). Keep its bytes (save()) in IndexedDB or a file and
  // Odometer.load() them back.
  const releaseOdometer = (ptr) => M._hush_odometer_free(ptr);
  const loadToken = Symbol('hush.Odometer.load');

  class Odometer extends Handle {
    // opts: {budgetEpsilon, budgetDelta (default 1e-5), accountant: 'pld' | 'rdp', pldMaxBins}.
    constructor(opts = {}, loaded = 0) {
      let ptr = loaded;
      if (opts !== loadToken) {
        const { budgetEpsilon, budgetDelta = 1e-5, accountant = 'pld', pldMaxBins = C.HUSH_PLD_DEFAULT_MAX_BINS } = opts;
        const k = rt.enumOf('accountant', accountant);
        num(budgetEpsilon, 'budgetEpsilon', { min: 0, open: true });
        num(budgetDelta, 'budgetDelta', { min: 0, max: 1, open: true });
        ptr = rt.with((s) => {
          const out = s.ptrOut();
          rt.check(M._hush_wasm_odometer_create(out, budgetEpsilon, budgetDelta, k, uint(pldMaxBins, 'pldMaxBins')), 'Odometer');
          return rt.ptrAt(out);
        });
      }
      super(rt, 'odometer', ptr, releaseOdometer);
    }

    static load(bytes) {
      if (!(bytes instanceof Uint8Array)) throw rt.fail('HUSH_EARG', 'Odometer.load needs a Uint8Array');
      const ptr = rt.with((s) => {
        const out = s.ptrOut();
        rt.check(M._hush_odometer_load(out, s.copy(bytes), bytes.length, 0), 'Odometer.load');
        return rt.ptrAt(out);
      });
      return new Odometer(loadToken, ptr);
    }

    // Charges the event; returns true, or false when its id was already charged. Over budget:
    // throws HushError 'HUSH_EBUDGET' and charges nothing.
    charge(event) {
      const p = this.handle;
      return rt.with((s) => {
        const ev = writeEvent(s, event), charged = s.u32Out();
        rt.check(M._hush_odometer_charge(p, charged, ev), 'charge');
        return rt.u32At(charged) === 1;
      });
    }

    // {lower, upper}: what the ledger would spend at the budget's delta with the event added.
    wouldSpend(event) {
      const p = this.handle;
      return rt.with((s) => {
        const ev = event === undefined ? 0 : writeEvent(s, event), lo = s.f64Out(), hi = s.f64Out();
        rt.check(M._hush_odometer_would_spend(p, lo, hi, ev), 'wouldSpend');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    // {lower, upper}: spent so far at delta (default: the budget's).
    spent(delta = this.budgetDelta) {
      const p = this.handle;
      num(delta, 'delta', { min: 0, max: 1, open: true });
      return rt.with((s) => {
        const lo = s.f64Out(), hi = s.f64Out();
        rt.check(M._hush_odometer_spent(p, lo, hi, delta), 'spent');
        return { lower: f64(lo), upper: f64(hi) };
      });
    }

    setBudget(budgetEpsilon, budgetDelta = this.budgetDelta) {
      rt.check(M._hush_odometer_set_budget(this.handle, num(budgetEpsilon, 'budgetEpsilon', { min: 0 }),
        num(budgetDelta, 'budgetDelta', { min: 0, max: 1 })), 'setBudget');
    }

    get count() { return M._hush_odometer_count(this.handle) >>> 0; }
    get budgetEpsilon() { return M._hush_odometer_budget_epsilon(this.handle); }
    get budgetDelta() { return M._hush_odometer_budget_delta(this.handle); }

    // The ledger's entries, in charge order.
    entries() {
      const p = this.handle;
      return rt.with((s) => {
        const ev = s.struct('hush_odometer_event'), out = [];
        for (let i = 0; i < this.count; i++) {
          rt.check(M._hush_odometer_entry(p, ev, i), 'entries');
          out.push(readEvent(ev));
        }
        return out;
      });
    }

    // The ledger's bytes (versioned, checksummed).
    save() {
      const p = this.handle;
      return rt.with((s) => {
        const n = M._hush_odometer_save_size(p) >>> 0, buf = s.alloc(n), w = s.sizeOut();
        rt.check(M._hush_odometer_save(p, buf, n, w), 'save');
        return rt.bytes(buf, rt.sizeAt(w));
      });
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

  // hush_pate_report fields, read at the constants table's offsets, under the keys of the CLI's
  // JSON (`hush pate ... --json`): the field names. NaN (does not apply) is null there and here.
  const REPORT_SIZES = ['teachers', 'examples', 'classes', 'answered', 'queries'];
  function readReport(p, fields) {
    const out = {};
    for (const f of fields) {
      const at = rt.at(p, `hush_pate_report_${f}`);
      const v = REPORT_SIZES.includes(f) ? rt.sizeAt(at) : f64(at);
      out[f] = Number.isFinite(v) ? v : null;
    }
    return out;
  }

  // The noise source of a PATE call: the OS, or (reproducibleNoise: true) the seed's sub-stream.
  function noiseRng(s, opts, stream) {
    const rng = s.struct('hush_rng');
    if (opts.seed !== undefined && !opts.reproducibleNoise) {
      throw rt.fail('HUSH_EARG', 'seed makes the noise public: it needs reproducibleNoise: true (the default noise comes from the OS)');
    }
    rt.seedStream(rng, opts.reproducibleNoise ? (opts.seed ?? 1) : undefined, stream, s);
    return rng;
  }
  // The CLI's noise keys: private, noise, and the seed when the noise is reproducible.
  const noiseKeys = (opts) => (opts.reproducibleNoise ? { private: false, noise: 'seed', seed: opts.seed ?? 1 }
    : { private: true, noise: 'os' });

  function pateConfig(s, mech, opts, { conversionDefault = 'classic' } = {}) {
    const cfg = s.struct('hush_pate_config');
    const conv = rt.enumOf('conversion', opts.conversion ?? conversionDefault);
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
    const confident = opts.sigma1 !== undefined;
    const mech = confident ? C.HUSH_PATE_CONFIDENT : C.HUSH_PATE_GNMAX;
    return rt.with((s) => {
      const cfg = pateConfig(s, mech, opts);
      const idx = opts.indices === undefined ? null : toLabels(rt, opts.indices, 'indices');
      const rep = s.struct('hush_pate_report');
      const rng = noiseRng(s, opts, 'pate-ss');
      let rc;
      try {
        rc = M._hush_pate_release_report(rng, rep, s.copy(v), T, E, idx ? s.copy(idx) : 0, idx ? idx.length : 0, cfg, 0);
      } finally {
        M._hush_rng_clear(rng);
      }
      rt.check(rc, 'pate.analyze (smooth sensitivity)');
      return {
        command: 'pate-analyze',
        ...readReport(rep, ['teachers', 'examples', 'queries', 'classes']),
        ...noiseKeys(opts),
        sigma: opts.sigma,
        ...(confident ? { threshold: opts.threshold, sigma1: opts.sigma1 } : {}),
        ...readReport(rep, ['delta']),
        conversion: opts.conversion ?? 'classic',
        ...readReport(rep, ['data_dependent_eps', 'data_independent_eps', 'order', 'beta', 'sigma_ss',
          'smooth_sensitivity', 'release_rdp', 'released_data_dependent_eps']),
      };
    });
  }

  const pate = Object.freeze({
    // opts: {mechanism: 'lnmax' | 'gnmax' | 'confident', noiseEps | sigma (+ threshold, sigma1),
    // classes (default max label + 1), delta (default 1e-5), conversion ('classic', the paper's,
    // or 'improved'; GNMax and Confident-GNMax only), reproducibleNoise + seed}. Returns the
    // report of `hush pate aggregate --json`, key for key: {command, mechanism, teachers,
    // examples, classes, answered, private, noise, seed (reproducible noise only), epsilon
    // (data-independent), data_dependent_eps (null when not defined; publishing it needs smooth
    // sensitivity), delta, conversion (gnmax, confident), labels (Int32Array, -1 where declined)}.
    aggregate(votes, opts = {}) {
      const { v, T, E } = voteMatrix(votes);
      const mech = rt.enumOf('mechanism', opts.mechanism);
      if (mech === C.HUSH_PATE_LNMAX && opts.conversion !== undefined) {
        throw rt.fail('HUSH_EARG', 'conversion applies to the 2018 analysis (gnmax, confident), not lnmax');
      }
      return rt.with((s) => {
        const cfg = pateConfig(s, mech, opts);
        const labels = s.u32Out(E), rep = s.struct('hush_pate_report');
        const rng = noiseRng(s, opts, 'pate');
        let rc;
        try {
          rc = M._hush_pate_aggregate_report(rng, rep, labels, s.copy(v), T, E, cfg, 0);
        } finally {
          M._hush_rng_clear(rng);
        }
        rt.check(rc, 'pate.aggregate');
        return {
          command: 'pate-aggregate', mechanism: opts.mechanism,
          ...readReport(rep, ['teachers', 'examples', 'classes', 'answered']),
          ...noiseKeys(opts),
          ...readReport(rep, ['epsilon', 'data_dependent_eps', 'delta']),
          ...(mech === C.HUSH_PATE_LNMAX ? {} : { conversion: opts.conversion ?? 'classic' }),
          labels: new Int32Array(rt.u32(labels, E)),
        };
      });
    },

    // PySyft 0.2 perform_analysis: opts {noiseEps, delta (default 1e-5), moments (default 8),
    // indices (answered example indices; default every example once)}. Returns the report of
    // `hush pate analyze --json`, key for key: {command, teachers, examples, queries, moments,
    // noise_eps, delta, data_dependent_eps, data_independent_eps}.
    // With smoothSensitivity: true, the 2018 GNMax / Confident-GNMax analysis instead, its
    // data-dependent epsilon released with smooth sensitivity (as `hush pate analyze
    // --smooth-sensitivity`, and with its keys): opts {sigma, threshold + sigma1 (Confident),
    // sigmaSS, beta (default 0.49 / order), order (default: the grid order minimising the
    // data-dependent epsilon), classes, indices (the answered examples), delta, reproducibleNoise +
    // seed (noise: sub-stream "pate-ss"), conversion of the unreleased epsilons ('classic' or
    // 'improved')}.
    analyze(votes, opts = {}) {
      if (opts.smoothSensitivity) return analyzeSS(votes, opts);
      const { v, T, E } = voteMatrix(votes);
      const noiseEps = num(opts.noiseEps, 'noiseEps', { min: 0, open: true });
      return rt.with((s) => {
        const cfg = pateConfig(s, C.HUSH_PATE_LNMAX, opts);
        const idx = opts.indices === undefined ? null : toLabels(rt, opts.indices, 'indices');
        const rep = s.struct('hush_pate_report');
        rt.check(M._hush_pate_analyze_report(rep, s.copy(v), T, E, idx ? s.copy(idx) : 0, idx ? idx.length : 0, cfg, 0),
          'pate.analyze');
        return {
          command: 'pate-analyze',
          ...readReport(rep, ['teachers', 'examples', 'queries']),
          moments: opts.moments ?? 8, noise_eps: noiseEps,
          ...readReport(rep, ['delta', 'data_dependent_eps', 'data_independent_eps']),
        };
      });
    },
  });

  const dp = Object.freeze({ DPSGD, Accountant, Odometer });
  return { DPSGD, Accountant, Odometer, dp, pate };
}
