// hush.Model: a JS handle over the C hush_model (core/include/hush/nn.h), one per wasm instance.
//
// Methods mirror C in camelCase: forward, step, predict, evaluate, save, load, free. fit() runs
// hush_model_fit_epoch with the canonical "shuffle" stream and yields to the event loop between
// epochs. Inputs are copied into the heap for the call and zeroed and freed afterwards; the model
// and its optimiser are freed by free(), with a FinalizationRegistry as a safety net only.
import { toFloat32, toLabels } from './runtime.js';

const OPTIMIZERS = { sgd: 'HUSH_OPTIM_SGD', momentum: 'HUSH_OPTIM_MOMENTUM', adam: 'HUSH_OPTIM_ADAM' };
// For the package's own classes (hush.train): wraps a C hush_model pointer the caller owns.
export const ADOPT = Symbol('hush.Model.adopt');
// Yield to the event loop between epochs without setTimeout's 4 ms clamp in browsers.
export const tick = typeof setImmediate === 'function' ? () => new Promise((resolve) => setImmediate(resolve)) :
  typeof MessageChannel === 'function' ? () => new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
    ch.port2.postMessage(0);
  }) : () => new Promise((resolve) => setTimeout(resolve, 0));

export function defineModel(rt, { isDataset }) {
  const M = rt.M;
  const C = rt.C;
  // The held value is the mutable cell of C pointers, never the Model itself.
  const registry = new FinalizationRegistry((cell) => freeCell(cell));

  function freeCell(cell) {
    if (cell.optim) M._hush_optim_free(cell.optim);
    if (cell.model) M._hush_model_free(cell.model);
    cell.optim = 0;
    cell.model = 0;
  }

  function optimKind(name) {
    const key = OPTIMIZERS[name];
    if (!key) throw rt.fail('HUSH_EARG', `unknown optimizer '${name}' (sgd, momentum or adam)`);
    return C[key];
  }

  function shapeOf(opts) {
    const s = opts.inputShape;
    if (s !== undefined) {
      const [c, h, w] = Array.isArray(s) ? s : [s.c, s.h, s.w];
      return [c, h ?? 1, w ?? 1];
    }
    if (opts.inputSize !== undefined) return [opts.inputSize, 1, 1];
    throw rt.fail('HUSH_EARG', 'Model.create needs inputShape [c, h, w] or inputSize');
  }

  function u32Arg(v, what) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
    }
    return v;
  }

  class Model {
    #cell;
    #opt = { optimizer: 'sgd', lr: 0.01, weightDecay: 0 };
    #busy = false;
    #pendingFree = false;

    // Use Model.create or Model.load.
    constructor(token, modelPtr) {
      if (token !== registry) throw new TypeError('use Model.create() or Model.load()');
      this.#cell = { model: modelPtr, optim: 0 };
      registry.register(this, this.#cell, this);
    }

    // spec: "dense:32,relu,dense:2" or "conv:8:3,relu,maxpool,dense:10".
    // opts: {inputShape: [c,h,w] | {c,h,w}, or inputSize}, maxBatch (default 32), seed (number or
    // bigint; omitted = OS randomness), optimizer/lr (used by step(); fit() takes its own).
    static create(spec, opts = {}) {
      if (typeof spec !== 'string') throw rt.fail('HUSH_EARG', 'spec must be a string');
      const [c, h, w] = shapeOf(opts).map((v, i) => u32Arg(v, ['channels', 'height', 'width'][i]));
      const maxBatch = u32Arg(opts.maxBatch ?? 32, 'maxBatch');
      let model = null;
      rt.with((s) => {
        const out = s.alloc(4);
        const errPos = s.alloc(4);
        const rc = M._hush_wasm_model_create(out, s.string(spec), c, h, w, maxBatch, errPos);
        if (rc !== 0) {
          const e = rt.error(rc, `model spec '${spec}'`);
          e.offset = rt.u32At(errPos);
          throw e;
        }
        model = new Model(registry, rt.u32At(out));
        try {
          const rng = s.alloc(C.sizeof_hush_rng);
          rt.seedStream(rng, opts.seed, C.HUSH_TRAIN_STREAM_INIT, s);
          const st = M._hush_model_init_params(model.#cell.model, rng);
          M._hush_rng_clear(rng);
          rt.check(st, 'init');
        } catch (e) {
          model.free();
          throw e;
        }
      });
      if (opts.optimizer !== undefined || opts.lr !== undefined) model.setOptimizer(opts);
      return model;
    }

    // Model file bytes (as written by save() or `hush train --out`).
    static load(bytes, opts = {}) {
      if (!(bytes instanceof Uint8Array)) throw rt.fail('HUSH_EARG', 'Model.load needs a Uint8Array');
      const maxBatch = u32Arg(opts.maxBatch ?? 32, 'maxBatch');
      return rt.with((s) => {
        const out = s.alloc(4);
        const rc = M._hush_model_load(out, s.copy(bytes), bytes.length, maxBatch, 0);
        if (rc !== 0) throw rt.error(rc, 'model file');
        return new Model(registry, rt.u32At(out));
      });
    }

    get #ptr() {
      if (!this.#cell.model) throw rt.fail('HUSH_ESTATE', 'model has been freed');
      return this.#cell.model;
    }
    // Calls that change parameters or optimiser state are refused while fit() runs; read-only
    // ones (forward, predict, evaluate, save, getParams) are fine, e.g. from onEpoch, because
    // no C call is in flight between epochs and they leave training state untouched.
    #idle() {
      if (this.#busy) throw rt.fail('HUSH_ESTATE', 'model is busy in fit()');
      return this.#ptr;
    }

    get freed() { return !this.#cell.model; }
    // The C hush_model pointer, for other classes of this package (DPSGD); refused during fit().
    get handle() { return this.#idle(); }
    get paramCount() { return M._hush_model_param_count(this.#ptr) >>> 0; }
    get inputSize() { return M._hush_model_input_size(this.#ptr) >>> 0; }
    get outputSize() { return M._hush_model_output_size(this.#ptr) >>> 0; }
    get maxBatch() { return M._hush_model_max_batch(this.#ptr) >>> 0; }
    get inputShape() {
      const p = this.#ptr;
      return rt.with((s) => {
        const out = s.alloc(12);
        M._hush_wasm_model_input_shape(p, out);
        const [c, h, w] = rt.u32(out, 3);
        return { c, h, w };
      });
    }
    get spec() {
      const p = this.#ptr;
      return rt.with((s) => {
        const cap = 64 + 32 * C.HUSH_MODEL_MAX_LAYERS;
        const out = s.alloc(cap);
        const written = s.alloc(4);
        rt.check(M._hush_wasm_model_spec(p, out, cap, written), 'spec');
        return rt.cstring(out);
      });
    }

    // A copy of the flat parameter block.
    getParams() {
      const p = this.#ptr;
      return rt.f32(M._hush_model_params(p), this.paramCount).slice();
    }
    setParams(params) {
      const p = this.#idle();
      const v = toFloat32(rt, params, 'params');
      if (v.length !== this.paramCount) {
        throw rt.fail('HUSH_ESHAPE', `params has ${v.length} values, the model has ${this.paramCount}`);
      }
      rt.f32(M._hush_model_params(p), v.length).set(v);
    }

    // Optimiser used by step(): {optimizer: 'sgd'|'momentum'|'adam', lr, weightDecay}. Resets
    // its state. weightDecay is decoupled (AdamW-style; L2 regularisation for sgd), default 0.
    setOptimizer({ optimizer = this.#opt.optimizer, lr = this.#opt.lr, weightDecay = this.#opt.weightDecay } = {}) {
      const p = this.#idle();
      const kind = optimKind(optimizer);
      if (typeof lr !== 'number' || !(lr >= 0)) throw rt.fail('HUSH_EARG', 'lr must be a non-negative number');
      if (typeof weightDecay !== 'number' || !(weightDecay >= 0)) {
        throw rt.fail('HUSH_EARG', 'weightDecay must be a non-negative number');
      }
      const optim = rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_wasm_optim_create(out, kind, lr, weightDecay, M._hush_model_param_count(p)), 'optimizer');
        return rt.u32At(out);
      });
      if (this.#cell.optim) M._hush_optim_free(this.#cell.optim);
      this.#cell.optim = optim;
      this.#opt = { optimizer, lr, weightDecay };
    }

    // Input standardisation carried by the model (and its saved file): each feature j becomes
    // (x[j] - shift[j]) * scale[j] before every pass, missing (NaN) -> 0. null removes it.
    // norm.scaling (optional: 'standardize', 'bounds' or 'dp') records where it came from in the
    // model file; Dataset.normStats() sets 'standardize'.
    setInputNorm(norm) {
      const p = this.#idle();
      if (norm === null) {
        rt.check(M._hush_model_set_input_norm(p, 0, 0, 0), 'setInputNorm');
        return;
      }
      const shift = toFloat32(rt, norm && norm.shift, 'shift');
      const scale = toFloat32(rt, norm && norm.scale, 'scale');
      if (shift.length !== this.inputSize || scale.length !== this.inputSize) {
        throw rt.fail('HUSH_ESHAPE', `shift and scale need ${this.inputSize} values each`);
      }
      const tags = { standardize: C.HUSH_INPUT_SCALING_STATS, bounds: C.HUSH_INPUT_SCALING_BOUNDS, dp: C.HUSH_INPUT_SCALING_DP, custom: C.HUSH_INPUT_SCALING_CUSTOM };
      const tag = tags[norm.scaling ?? 'custom'];
      if (tag === undefined) throw rt.fail('HUSH_EARG', `unknown scaling '${norm.scaling}' (standardize, bounds, dp or custom)`);
      rt.with((s) => rt.check(M._hush_model_set_input_norm(p, s.copy(shift), s.copy(scale), shift.length), 'setInputNorm'));
      rt.check(M._hush_model_set_input_scaling(p, tag), 'setInputNorm');
    }

    // Where the input norm came from, as recorded in the model file: 'custom' (set by hand, or
    // none), 'standardize' (the training split's exact statistics: not private), 'bounds' (public
    // bounds) or 'dp' (a differentially private estimate).
    get inputScaling() {
      const v = M._hush_model_input_scaling(this.#ptr) >>> 0;
      return { [C.HUSH_INPUT_SCALING_STATS]: 'standardize', [C.HUSH_INPUT_SCALING_BOUNDS]: 'bounds',
        [C.HUSH_INPUT_SCALING_DP]: 'dp' }[v] ?? 'custom';
    }

    // {shift, scale, scaling} (scaling as inputScaling) or null when the model has none.
    get inputNorm() {
      const p = this.#ptr;
      const n = this.inputSize;
      return rt.with((s) => {
        const shift = s.alloc(4 * n);
        const scale = s.alloc(4 * n);
        const rc = M._hush_model_input_norm(p, shift, scale, n);
        if (rc === C.HUSH_ESTATE) return null;
        rt.check(rc, 'inputNorm');
        return { shift: rt.f32(shift, n).slice(), scale: rt.f32(scale, n).slice(), scaling: this.inputScaling };
      });
    }

    #rows(x, what = 'x') {
      const n = this.inputSize;
      if (x.length % n !== 0) {
        throw rt.fail('HUSH_ESHAPE', `${what} has ${x.length} values, not a multiple of the input size ${n}`);
      }
      return x.length / n;
    }

    // Inputs as (heap x ptr, heap y ptr, rows): a Dataset is used in place, arrays are copied.
    #inputs(s, x, y, needLabels) {
      if (isDataset(x)) {
        const d = x.handle;
        if ((M._hush_dataset_dim(d) >>> 0) !== this.inputSize) {
          throw rt.fail('HUSH_ESHAPE', `data set has ${M._hush_dataset_dim(d) >>> 0} features, the model expects ${this.inputSize}`);
        }
        return [M._hush_dataset_x(d), M._hush_dataset_labels(d), M._hush_dataset_rows(d) >>> 0];
      }
      const xv = toFloat32(rt, x);
      const rows = this.#rows(xv);
      let yp = 0;
      if (needLabels) {
        const yv = toLabels(rt, y);
        if (yv.length !== rows) throw rt.fail('HUSH_ESHAPE', `x has ${rows} rows but y has ${yv.length} labels`);
        yp = s.copy(yv);
      }
      return [s.copy(xv), yp, rows];
    }

    // One optimiser step on one batch (at most maxBatch rows); returns the batch loss.
    step(xBatch, yBatch) {
      const p = this.#idle();
      if (!this.#cell.optim) this.setOptimizer();
      return rt.with((s) => {
        const [xp, yp, rows] = this.#inputs(s, xBatch, yBatch, true);
        const loss = s.alloc(4);
        rt.check(M._hush_model_step(p, this.#cell.optim, loss, xp, yp, rows), 'step');
        return rt.f32At(loss);
      });
    }

    // Trains for `epochs` over (x, y) or a Dataset, with a fresh optimiser, in the order drawn
    // from the canonical "shuffle" stream of `seed`. Resolves to [{epoch, loss}].
    async fit(x, y, opts) {
      if (isDataset(x)) [y, opts] = [undefined, y];
      opts = opts || {};
      const { epochs = 10, batchSize = 32, onEpoch } = opts;
      u32Arg(epochs, 'epochs');
      u32Arg(batchSize, 'batchSize');
      this.#idle();
      this.setOptimizer({
        optimizer: opts.optimizer ?? this.#opt.optimizer,
        lr: opts.lr ?? this.#opt.lr,
        weightDecay: opts.weightDecay ?? this.#opt.weightDecay,
      });
      const s = rt.scope();
      const history = [];
      let rng = 0;
      this.#busy = true;
      try {
        const [xp, yp, rows] = this.#inputs(s, x, y, true);
        const perm = s.alloc(4 * rows);
        rng = s.alloc(C.sizeof_hush_rng);
        const loss = s.alloc(4);
        rt.seedStream(rng, opts.seed, C.HUSH_TRAIN_STREAM_SHUFFLE, s);
        for (let epoch = 1; epoch <= epochs; epoch++) {
          if (this.#pendingFree) break;
          const rc = M._hush_model_fit_epoch(this.#cell.model, rng, this.#cell.optim, perm, loss, xp, yp, rows, batchSize);
          if (rc !== 0) throw rt.error(rc, `fit epoch ${epoch}`);
          const entry = { epoch, loss: rt.f32At(loss) };
          history.push(entry);
          if (onEpoch) await onEpoch(entry);
          await tick();
        }
        if (this.#pendingFree) throw rt.fail('HUSH_ESTATE', 'model was freed during fit()');
        return history;
      } finally {
        if (rng) M._hush_rng_clear(rng);
        s.release();
        this.#busy = false;
        if (this.#pendingFree) this.free();
      }
    }

    // Logits, rows x outputSize, computed in chunks of maxBatch.
    forward(x) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, , rows] = this.#inputs(s, x, undefined, false);
        const outN = this.outputSize, inN = this.inputSize, mb = this.maxBatch;
        const logits = s.alloc(4 * rows * outN);
        for (let r = 0; r < rows; r += mb) {
          const b = Math.min(mb, rows - r);
          rt.check(M._hush_model_forward(p, logits + 4 * r * outN, b * outN, xp + 4 * r * inN, b), 'forward');
        }
        return rt.f32(logits, rows * outN).slice();
      });
    }

    // Argmax labels.
    predict(x) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, , rows] = this.#inputs(s, x, undefined, false);
        const out = s.alloc(4 * rows);
        rt.check(M._hush_model_predict(p, out, xp, rows), 'predict');
        return rt.u32(out, rows).slice();
      });
    }

    // Mean loss and accuracy over (x, y) or a Dataset.
    evaluate(x, y) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, yp, rows] = this.#inputs(s, x, y, true);
        const loss = s.alloc(4);
        const acc = s.alloc(4);
        rt.check(M._hush_model_evaluate(p, loss, acc, xp, yp, rows), 'evaluate');
        return { loss: rt.f32At(loss), accuracy: rt.f32At(acc) };
      });
    }

    // The model file: the same bytes as the native build writes.
    save() {
      const p = this.#ptr;
      return rt.with((s) => {
        const size = M._hush_model_save_size(p) >>> 0;
        const buf = s.alloc(size);
        const written = s.alloc(4);
        rt.check(M._hush_model_save(p, buf, size, written), 'save');
        return rt.u8.slice(buf, buf + rt.u32At(written));
      });
    }

    // Frees the C model and optimiser (parameters are freed by C). Idempotent; during fit() the
    // model is freed when the current epoch ends.
    free() {
      if (this.#busy) {
        this.#pendingFree = true;
        return;
      }
      registry.unregister(this);
      freeCell(this.#cell);
    }
  }
  Model[ADOPT] = (ptr) => new Model(registry, ptr);
  return Model;
}
