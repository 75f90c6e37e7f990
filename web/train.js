// hush.train(): the training workflow of the C driver (core/include/hush/train.h), which `hush
// train` calls too, so one seed gives the CLI's model bytes. JS only fills the config, calls the
// driver epoch by epoch (hush_train_epoch) so it can report progress and yield to the page between
// epochs, and reads the results. The pipeline itself (parse with digits scaling, the named random
// streams, input scaling, DP-SGD calibration and accounting) is C's.
//
// DP runs: the noise and sampling come from the OS unless reproducibleNoise is set (then from
// `seed`: NOT private, for tests); training loss and accuracy are withheld (null); the input
// scaling is public bounds, a DP estimate (its cost is in epsilon) or none.
import { ADOPT, tick } from './model.js';
import { HushError } from './errors.js';

const now = () => (globalThis.performance ? performance.now() : Date.now());

const isGzip = (b) => b instanceof Uint8Array && b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

// gzip'ed bytes (digits.csv.gz as sklearn ships it) through the platform's DecompressionStream.
export async function gunzip(bytes) {
  if (typeof DecompressionStream !== 'function') {
    throw new HushError('HUSH_EUNSUPPORTED', 'this platform has no DecompressionStream for gzip data');
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function asBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

async function inflate(v) {
  const b = asBytes(v);
  return isGzip(b) ? gunzip(b) : b;
}

export function defineTrain(rt, Model, data) {
  const M = rt.M;
  const C = rt.C;

  const num = (v, what, min = 0) => rt.num(v, what, { min });
  const uint = (v, what, min = 0) => rt.uint(v, what, { min });

  // A Dataset is used as is (not freed); anything else is parsed in C and owned here.
  async function dataset(input, format) {
    if (data.isDataset(input)) return { ds: input, owned: false };
    if (input && typeof input === 'object' && 'images' in input && 'labels' in input) {
      return { ds: data.parse({ images: await inflate(input.images), labels: await inflate(input.labels) }, 'idx'), owned: true };
    }
    if (format === undefined) throw rt.fail('HUSH_EARG', 'train needs format (arff, csv, digits or idx) for raw data');
    return { ds: data.parse(typeof input === 'string' ? input : await inflate(input), format), owned: true };
  }

  // Bounds: the text of a bounds file, or [[lo, hi], ...] per numeric column.
  function boundsOf(b) {
    if (typeof b === 'string' || b instanceof Uint8Array) {
      const bytes = typeof b === 'string' ? new TextEncoder().encode(b) : b;
      return rt.with((s) => {
        const count = s.sizeOut();
        const err = s.struct('hush_parse_error');
        const text = s.copy(bytes);
        let rc = M._hush_train_bounds_parse(0, 0, count, text, bytes.length, err);
        if (rc !== 0) throw rt.parseError(rc, 'bounds', err);
        const n = rt.sizeAt(count);
        const out = s.f64Out(2 * n); // n (lo, hi) pairs
        rc = M._hush_train_bounds_parse(out, n, count, text, bytes.length, err);
        if (rc !== 0) throw rt.parseError(rc, 'bounds', err);
        return rt.f64(out, 2 * n).slice();
      });
    }
    if (!Array.isArray(b)) throw rt.fail('HUSH_EARG', 'bounds must be bounds-file text or [[lo, hi], ...]');
    return Float64Array.from(b.flatMap((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw rt.fail('HUSH_EARG', 'each bound is [lo, hi]');
      return p;
    }));
  }

  // Writes a hush_train_config at cfg (hush_train_config_init, then the caller's settings).
  function writeConfig(s, cfg, o, format) {
    const off = (f) => rt.at(cfg, `hush_train_config_${f}`);
    const dpo = (f) => rt.at(off('dpsgd'), `hush_dpsgd_config_${f}`);
    rt.check(M._hush_train_config_init(cfg, rt.enumOf('optimizer', o.optimizer ?? 'sgd'), num(o.lr ?? 0.01, 'lr')), 'train config');
    const u32 = (p, v) => rt.setU32(p, v);
    const f64 = (p, v) => rt.setF64(p, v);
    u32(off('format'), format);
    u32(off('epochs'), uint(o.epochs ?? 10, 'epochs', 1));
    u32(off('batch'), uint(o.batchSize ?? 32, 'batchSize', 1));
    if (o.maxBatch !== undefined) u32(off('max_batch'), uint(o.maxBatch, 'maxBatch', 1));
    f64(off('weight_decay'), num(o.weightDecay ?? 0, 'weightDecay'));
    f64(off('test_fraction'), num(o.testFraction ?? 0.2, 'testFraction'));
    let scaling = o.scaling ?? (o.standardize === undefined ? (o.bounds !== undefined ? 'bounds' : 'auto') : o.standardize ? 'standardize' : 'none');
    u32(off('scaling'), rt.enumOf('scaling', scaling));
    if (o.bounds !== undefined) {
      const b = boundsOf(o.bounds);
      rt.setPtr(off('bounds'), s.copy(b.length ? b : new Float64Array(1)));
      rt.setSize(off('n_bounds'), b.length / 2);
    }
    if (o.scalingNoise !== undefined) f64(off('scaling_noise'), num(o.scalingNoise, 'scalingNoise'));
    const dp = o.dp === true ? {} : o.dp;
    if (o.reproducibleNoise && !dp) throw rt.fail('HUSH_EARG', 'reproducibleNoise applies to DP runs (dp: {...})');
    if (o.secureNoise && !dp) throw rt.fail('HUSH_EARG', 'secureNoise applies to DP runs (dp: {...})');
    if (!dp) return;
    if (typeof dp !== 'object') throw rt.fail('HUSH_EARG', 'dp must be true or {l2NormClip, noiseMultiplier | targetEpsilon, ...}');
    if (dp.noiseMultiplier !== undefined && dp.targetEpsilon !== undefined) {
      throw rt.fail('HUSH_EARG', 'give either noiseMultiplier or targetEpsilon, not both');
    }
    if (o.reproducibleNoise && o.seed === undefined) throw rt.fail('HUSH_EARG', 'reproducibleNoise needs a seed (the noise comes from it)');
    const sampling = rt.enumOf('sampling', dp.sampling ?? 'poisson');
    rt.check(M._hush_dpsgd_config_init(off('dpsgd'), sampling, sampling === C.HUSH_DPSGD_POISSON ? 1 : 0,
      num(dp.l2NormClip ?? 1, 'l2NormClip'), num(dp.noiseMultiplier ?? 1, 'noiseMultiplier')), 'dp config');
    u32(dpo('num_microbatches'), uint(dp.microbatches ?? 0, 'microbatches'));
    f64(dpo('delta'), num(dp.delta ?? 1e-5, 'delta'));
    u32(dpo('noise'), o.secureNoise ? C.HUSH_DPSGD_NOISE_SECURE : C.HUSH_DPSGD_NOISE_FAST);
    u32(off('dp'), 1);
    if (dp.targetEpsilon !== undefined) f64(off('target_epsilon'), num(dp.targetEpsilon, 'targetEpsilon'));
    u32(off('noise_source'), o.reproducibleNoise ? C.HUSH_TRAIN_NOISE_SEED : C.HUSH_TRAIN_NOISE_OS);
  }

  function readPrivacy(ptr) {
    const f = (n) => rt.at(ptr, `hush_train_privacy_${n}`);
    const u32 = (n) => rt.u32At(f(n));
    const f64 = (n) => rt.f64At(f(n));
    const scaling = rt.enumName('scaling', u32('scaling'));
    if (!u32('dp')) return { dp: false, private: false, scaling };
    const epsilon = f64('epsilon');
    const seeded = u32('noise_source') === C.HUSH_TRAIN_NOISE_SEED;
    return {
      dp: true, private: !seeded && Number.isFinite(epsilon), noise: seeded ? 'seed' : 'os',
      secureNoise: u32('noise') === C.HUSH_DPSGD_NOISE_SECURE,
      sampling: u32('sampling') === C.HUSH_DPSGD_POISSON ? 'poisson' : 'shuffle',
      samplingRate: f64('sampling_rate'), noiseMultiplier: f64('noise_multiplier'), l2NormClip: f64('l2_norm_clip'),
      delta: f64('delta'), steps: rt.u64At(f('steps')), runs: u32('runs'),
      plannedSteps: rt.u64At(f('planned_steps')), plannedEpsilon: f64('planned_epsilon'),
      epsilon, scaling, scalingNoiseMultiplier: f64('scaling_noise'), scalingEpsilon: f64('scaling_epsilon'),
    };
  }

  // k x k counts of (true label, predicted label) over the handle's test split.
  function confusion(t, model, classes, s) {
    const test = M._hush_train_dataset(t, C.HUSH_TRAIN_SPLIT_TEST);
    const rows = M._hush_dataset_rows(test) >>> 0;
    const counts = new Array(classes * classes).fill(0);
    if (!rows) return counts;
    const pred = s.u32Out(rows);
    rt.check(M._hush_model_predict(model, pred, M._hush_dataset_x(test), rows), 'predict');
    const p = rt.u32(pred, rows).slice(), y = rt.u32(M._hush_dataset_labels(test), rows).slice();
    for (let i = 0; i < rows; i++) counts[y[i] * classes + p[i]]++;
    return counts;
  }

  return async function train(opts) {
    const o = opts || {};
    const { data: input, testData, format, spec, onEpoch } = o;
    if (typeof spec !== 'string') throw rt.fail('HUSH_EARG', 'train needs spec (a model spec string)');
    const owned = [];
    const s = rt.scope();
    let t = 0, master = 0, model = null;
    try {
      const all = await dataset(input, format);
      if (all.owned) owned.push(all.ds);
      let test = null;
      if (testData !== undefined) {
        const d = await dataset(testData, format);
        if (d.owned) owned.push(d.ds);
        test = d.ds;
      }
      const fmt = format === undefined ? 0 : data.formatOf(format);
      const cfg = s.struct('hush_train_config');
      writeConfig(s, cfg, o, fmt);
      const parts = rt.seedParts(o.seed);
      if (parts) {
        master = s.struct('hush_rng');
        rt.check(M._hush_wasm_rng_seed(master, parts[0], parts[1]), 'seed');
      }
      const out = s.ptrOut(), errPos = s.sizeOut();
      const rc = M._hush_wasm_train_create(out, master, cfg, s.string(spec), all.ds.handle, test ? test.handle : 0, errPos);
      if (master) M._hush_rng_clear(master);
      if (rc !== 0) {
        const e = rt.error(rc, rc === C.HUSH_EFORMAT ? `model spec '${spec}'` : 'train');
        if (rc === C.HUSH_EFORMAT) e.offset = rt.sizeAt(errPos);
        throw e;
      }
      t = rt.ptrAt(out);
      const dp = !!o.dp;
      const epochs = o.epochs ?? 10;
      const status = s.struct('hush_train_status');
      const lossOut = s.f32Out(), accOut = s.f32Out(), eps = s.f64Out();
      const evaluate = (split) => {
        rt.check(M._hush_train_evaluate(t, lossOut, accOut, split), 'evaluate');
        return { loss: rt.f32At(lossOut), accuracy: rt.f32At(accOut) };
      };
      const epsilon = () => {
        rt.check(M._hush_train_epsilon(t, eps), 'epsilon');
        return rt.f64At(eps);
      };
      const history = [];
      let ms = 0;
      for (let epoch = 1; epoch <= epochs; epoch++) {
        const t0 = now();
        rt.check(M._hush_train_epoch(t, status), `epoch ${epoch}`);
        ms += now() - t0;
        const loss = rt.f32At(rt.at(status, 'hush_train_status_loss'));
        const entry = { epoch, loss: dp ? null : loss };
        if (dp) {
          entry.steps = M._hush_wasm_train_steps(t);
          if (onEpoch) entry.epsilon = epsilon();
        }
        if (o.evaluate === 'epoch') {
          const te = evaluate(C.HUSH_TRAIN_SPLIT_TEST);
          entry.testAccuracy = te.accuracy;
          entry.testLoss = te.loss;
          if (!dp) entry.trainAccuracy = evaluate(C.HUSH_TRAIN_SPLIT_TRAIN).accuracy;
        }
        history.push(entry);
        if (onEpoch) await onEpoch(entry);
        await tick();
      }
      const te = evaluate(C.HUSH_TRAIN_SPLIT_TEST);
      const tr = dp ? null : evaluate(C.HUSH_TRAIN_SPLIT_TRAIN);
      const report = s.struct('hush_train_privacy');
      rt.check(M._hush_train_privacy_report(t, report), 'privacy');
      const privacy = readPrivacy(report);
      const trainSet = M._hush_train_dataset(t, C.HUSH_TRAIN_SPLIT_TRAIN);
      const testSet = M._hush_train_dataset(t, C.HUSH_TRAIN_SPLIT_TEST);
      const trainRows = M._hush_dataset_rows(trainSet) >>> 0, testRows = M._hush_dataset_rows(testSet) >>> 0;
      const classes = M._hush_dataset_classes(trainSet) >>> 0;
      const modelPtr = M._hush_train_model(t);
      const matrix = o.confusion ? confusion(t, modelPtr, classes, s) : undefined;
      rt.check(M._hush_train_detach_model(t, out), 'model');
      model = Model[ADOPT](rt.ptrAt(out));
      const seconds = ms / 1000;
      const result = {
        model, history, epochs, batch: o.batchSize ?? 32, params: model.paramCount, trainRows, testRows,
        finalLoss: dp ? null : history[history.length - 1].loss,
        trainAccuracy: dp ? null : tr.accuracy, trainMetrics: dp ? 'withheld' : 'exact',
        testAccuracy: te.accuracy, testLoss: te.loss,
        examplesPerSecond: seconds > 0 ? (trainRows * epochs) / seconds : 0, seconds,
        scaling: privacy.scaling, private: privacy.private, privacy,
      };
      if (o.seed !== undefined) result.seed = o.seed;
      if (matrix) {
        result.confusion = matrix;
        result.classNames = all.ds.classNames;
      }
      model = null;
      return result;
    } finally {
      if (t) M._hush_train_free(t);
      if (model) model.free();
      s.release();
      for (const d of owned) d.free();
    }
  };
}
