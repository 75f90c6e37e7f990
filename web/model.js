// hush.Model: a JS handle over the C hush_model (core/include/hush/nn.h), one per wasm instance.
//
// Methods mirror C in camelCase: forward, step, predict, evaluate, save, load, free. fit() runs
// hush_model_fit_epoch with the canonical "shuffle" stream and yields to the event loop between
// epochs. Inputs are copied into the heap for the call and zeroed and freed afterwards; the model
// and its optimiser have the lifecycle of every handle (web/runtime.js).
import { CELL, Handle, toFloat32, toLabels } from './runtime.js';

// For the package's own classes (hush.train): wraps a C hush_model pointer the caller owns.
export const ADOPT = Symbol('hush.Model.adopt');
// For the package's own classes (DPSGD.fit): model[LOCK]() makes the model busy as fit() does
// (changes refused, free() deferred) and returns the function that ends it.
export const LOCK = Symbol('hush.Model.lock');
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
  const token = Symbol('hush.Model');
  // The cell holds the model (ptr) and its optimiser (optim).
  function release(ptr, cell) {
    if (cell.optim) M._hush_optim_free(cell.optim);
    cell.optim = 0;
    M._hush_model_free(ptr);
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

  class Model extends Handle {
    #opt = { optimizer: 'sgd', lr: 0.01, weightDecay: 0 };
    #busy = 0;
    #pendingFree = false;

    // Use Model.create or Model.load.
    constructor(t, modelPtr) {
      if (t !== token) throw rt.fail('HUSH_EARG', 'use Model.create() or Model.load()');
      super(rt, 'model', modelPtr, release);
      this[CELL].optim = 0;
    }

    // spec: "dense:32,relu,dense:2" or "conv:8:3,relu,maxpool,dense:10".
    // opts: {inputShape: [c,h,w] | {c,h,w}, or inputSize}, maxBatch (default 32), seed (number or
    // bigint; omitted = OS randomness), optimizer/lr (used by step(); fit() takes its own).
    static create(spec, opts = {}) {
      if (typeof spec !== 'string') throw rt.fail('HUSH_EARG', 'spec must be a string');
      const [c, h, w] = shapeOf(opts).map((v, i) => rt.uint(v, ['channels', 'height', 'width'][i]));
      const maxBatch = rt.uint(opts.maxBatch ?? 32, 'maxBatch');
      let model = null;
      rt.with((s) => {
        const out = s.ptrOut();
        const errPos = s.sizeOut();
        const rc = M._hush_wasm_model_create(out, s.string(spec), c, h, w, maxBatch, errPos);
        if (rc !== 0) {
          const e = rt.error(rc, `model spec '${spec}'`);
          e.offset = rt.sizeAt(errPos);
          throw e;
        }
        model = new Model(token, rt.ptrAt(out));
        try {
          const rng = s.struct('hush_rng');
          rt.seedStream(rng, opts.seed, C.HUSH_TRAIN_STREAM_INIT, s);
          const st = M._hush_model_init_params(model.handle, rng);
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
      const maxBatch = rt.uint(opts.maxBatch ?? 32, 'maxBatch');
      return rt.with((s) => {
        const out = s.ptrOut();
        const rc = M._hush_model_load(out, s.copy(bytes), bytes.length, maxBatch, 0);
        if (rc !== 0) throw rt.error(rc, 'model file');
        return new Model(token, rt.ptrAt(out));
      });
    }

    get #ptr() { return super.handle; }
    get #cell() { return this[CELL]; }
    // Calls that change parameters or optimiser state are refused while fit() runs; read-only
    // ones (forward, predict, evaluate, save, getParams) are fine, e.g. from onEpoch, because
    // no C call is in flight between epochs and they leave training state untouched.
    #idle() {
      if (this.#busy) throw rt.fail('HUSH_ESTATE', 'model is busy in fit()');
      return this.#ptr;
    }

    // The C hush_model pointer, for other classes of this package (DPSGD); refused during fit().
    get handle() { return this.#idle(); }

    [LOCK]() {
      this.#idle();
      this.#busy++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        this.#busy--;
        if (!this.#busy && this.#pendingFree) this.free();
      };
    }
    get paramCount() { return M._hush_model_param_count(this.#ptr) >>> 0; }
    get inputSize() { return M._hush_model_input_size(this.#ptr) >>> 0; }
    get outputSize() { return M._hush_model_output_size(this.#ptr) >>> 0; }
    get maxBatch() { return M._hush_model_max_batch(this.#ptr) >>> 0; }
    get inputShape() {
      const p = this.#ptr;
      return rt.with((s) => {
        const out = s.u32Out(3);
        M._hush_wasm_model_input_shape(p, out);
        const [c, h, w] = rt.u32(out, 3);
        return { c, h, w };
      });
    }
    get spec() {
      const p = this.#ptr;
      return rt.with((s) => {
        // hush_model_spec_format sets the size it needs (the NUL included) with HUSH_ERANGE.
        const written = s.sizeOut();
        const rc = M._hush_wasm_model_spec(p, 0, 0, written);
        if (rc !== C.HUSH_ERANGE) rt.check(rc, 'spec');
        const cap = rt.sizeAt(written) + 1;
        const out = s.alloc(cap);
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
      const kind = rt.enumOf('optimizer', optimizer);
      rt.num(lr, 'lr', { min: 0 });
      rt.num(weightDecay, 'weightDecay', { min: 0 });
      const optim = rt.with((s) => {
        const out = s.ptrOut();
        rt.check(M._hush_wasm_optim_create(out, kind, lr, weightDecay, M._hush_model_param_count(p)), 'optimizer');
        return rt.ptrAt(out);
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
      const tag = rt.enumOf('inputScaling', norm.scaling ?? 'custom', 'scaling');
      rt.with((s) => rt.check(M._hush_model_set_input_norm(p, s.copy(shift), s.copy(scale), shift.length), 'setInputNorm'));
      rt.check(M._hush_model_set_input_scaling(p, tag), 'setInputNorm');
    }

    // Where the input norm came from, as recorded in the model file: 'custom' (set by hand, or
    // none), 'standardize' (the training split's exact statistics: not private), 'bounds' (public
    // bounds) or 'dp' (a differentially private estimate).
    get inputScaling() {
      return rt.enumName('inputScaling', M._hush_model_input_scaling(this.#ptr) >>> 0) ?? 'custom';
    }

    // {shift, scale, scaling} (scaling as inputScaling) or null when the model has none.
    get inputNorm() {
      const p = this.#ptr;
      const n = this.inputSize;
      return rt.with((s) => {
        const shift = s.f32Out(n);
        const scale = s.f32Out(n);
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
        const loss = s.f32Out();
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
      rt.uint(epochs, 'epochs');
      rt.uint(batchSize, 'batchSize');
      this.#idle();
      this.setOptimizer({
        optimizer: opts.optimizer ?? this.#opt.optimizer,
        lr: opts.lr ?? this.#opt.lr,
        weightDecay: opts.weightDecay ?? this.#opt.weightDecay,
      });
      const s = rt.scope();
      const history = [];
      let rng = 0;
      const unlock = this[LOCK]();
      try {
        const [xp, yp, rows] = this.#inputs(s, x, y, true);
        const perm = s.u32Out(rows);
        rng = s.struct('hush_rng');
        const loss = s.f32Out();
        rt.seedStream(rng, opts.seed, C.HUSH_TRAIN_STREAM_SHUFFLE, s);
        for (let epoch = 1; epoch <= epochs; epoch++) {
          if (this.#pendingFree) break;
          const rc = M._hush_model_fit_epoch(this.#cell.ptr, rng, this.#cell.optim, perm, loss, xp, yp, rows, batchSize);
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
        unlock();
      }
    }

    // Logits, rows x outputSize, computed in chunks of maxBatch.
    forward(x) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, , rows] = this.#inputs(s, x, undefined, false);
        const outN = this.outputSize, inN = this.inputSize, mb = this.maxBatch;
        const logits = s.f32Out(rows * outN);
        const F32 = Float32Array.BYTES_PER_ELEMENT;
        for (let r = 0; r < rows; r += mb) {
          const b = Math.min(mb, rows - r);
          rt.check(M._hush_model_forward(p, logits + F32 * r * outN, b * outN, xp + F32 * r * inN, b), 'forward');
        }
        return rt.f32(logits, rows * outN).slice();
      });
    }

    // Argmax labels.
    predict(x) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, , rows] = this.#inputs(s, x, undefined, false);
        const out = s.u32Out(rows);
        rt.check(M._hush_model_predict(p, out, xp, rows), 'predict');
        return rt.u32(out, rows).slice();
      });
    }

    // Mean loss and accuracy over (x, y) or a Dataset.
    evaluate(x, y) {
      const p = this.#ptr;
      return rt.with((s) => {
        const [xp, yp, rows] = this.#inputs(s, x, y, true);
        const loss = s.f32Out();
        const acc = s.f32Out();
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
        const written = s.sizeOut();
        rt.check(M._hush_model_save(p, buf, size, written), 'save');
        return rt.bytes(buf, rt.sizeAt(written));
      });
    }

    // Frees the C model and optimiser (parameters are freed by C). Idempotent; during fit() the
    // model is freed when the current epoch ends.
    free() {
      if (this.#busy) {
        this.#pendingFree = true;
        return;
      }
      super.free();
    }
  }
  Model[ADOPT] = (ptr) => new Model(token, ptr);
  return Model;
}
