// TensorFlow.js training-step throughput, the reference side of `make bench`.
//
// Usage: node bench/tfjs_train.mjs --backend wasm|cpu [--seconds S] [--repeats R] [--only NAME]
// Prints one JSON object per line ({"engine":..., "case":..., "eps":...}); anything else on
// stdout (TF.js prints a greeting in Node) is ignored by bench/run.mjs.
//
// Each case is the Hush model rebuilt from raw ops (tf.variable + matMul/conv2d/maxPool),
// trained by tf.train.sgd(LR).minimize on one fixed batch of synthetic data: the same step Hush
// times (forward, backward, plain SGD update), with no tf.layers overhead.
//
// TF.js 4.22's wasm backend has no Conv2DBackpropFilter kernel, so the CNN cannot train there.
// That row is attempted and reported as failing, then timed again with the usual work-around: a
// tf.customGrad convolution whose filter gradient is itself a forward convolution,
//   dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n,oh+kh,ow+kw,ci] * dy[n,oh,ow,co]
//                   = conv2d(x^T as [Ci,H,W,N], dy^T as filter [OH,OW,N,Co])^T,
// checked against the cpu backend's own gradient on a small case before timing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES, LR, parseSpec, timeSteps, parseArgs } from './cases.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const args = parseArgs(process.argv.slice(2), { backend: 'wasm', seconds: 1.0, repeats: 3, warm: 1.0, only: '', round: 1 });

// TF.js logs a hint about tfjs-node through console; keep stdout for our JSON lines.
const log = console.log;
console.log = (...a) => process.stderr.write(a.join(' ') + '\n');
console.warn = console.log;
const tf = require('@tensorflow/tfjs');
const wasmPkg = require('@tensorflow/tfjs-backend-wasm');
wasmPkg.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);

const emit = (o) => log(JSON.stringify(o));

// Deterministic synthetic data (throughput only; values never matter for timing). A tiny LCG so
// this file needs no RNG library; Hush's own rule about hush_rng applies to the library, not to
// TF.js inputs.
function filler(seed) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

// The filter-gradient identity above, as a forward conv. x: [N,H,W,Ci], dy: [N,OH,OW,Co]
// -> [KH,KW,Ci,Co].
function filterGradAsConv(x, dy) {
  const xt = tf.transpose(x, [3, 1, 2, 0]);     // [Ci, H, W, N]
  const f = tf.transpose(dy, [1, 2, 0, 3]);     // [OH, OW, N, Co]
  const g = tf.conv2d(xt, f, 1, 'valid');       // [Ci, KH, KW, Co]
  return tf.transpose(g, [1, 2, 0, 3]);
}

// Valid-padding stride-1 conv2d with the work-around gradient. needDx=false for the first
// layer, whose input is data (TF.js's lazy gradients would skip it too; customGrad cannot).
function customConv(needDx) {
  return tf.customGrad((x, w, save) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'valid'),
      gradFunc: (dy, [sx, sw]) => [
        needDx ? tf.conv2dTranspose(dy, sw, sx.shape, 1, 'valid') : tf.zerosLike(sx),
        filterGradAsConv(sx, dy),
      ],
    };
  });
}

function build(c, { workaround = false } = {}) {
  const rnd = filler(12345);
  const layers = parseSpec(c.spec);
  const [C, H, W] = c.shape;
  let shape = c.kind === 'cnn' ? [H, W, C] : [C * H * W];
  const vars = [];
  const ops = [];
  let first = true;
  const uni = (n, lim) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * lim);
  for (const L of layers) {
    if (L.kind === 'dense') {
      const fin = shape.reduce((a, b) => a * b, 1);
      const w = tf.variable(tf.tensor2d(uni(fin * L.units, Math.sqrt(6 / fin)), [fin, L.units]));
      const b = tf.variable(tf.zeros([L.units]));
      vars.push(w, b);
      const flat = shape.length > 1;
      ops.push((x) => tf.add(tf.matMul(flat ? tf.reshape(x, [x.shape[0], fin]) : x, w), b));
      shape = [L.units];
    } else if (L.kind === 'conv') {
      if (L.padding !== 'valid') throw new Error('bench: only valid padding is wired');
      const [h, wd, ci] = shape;
      const fin = L.kernel * L.kernel * ci;
      const w = tf.variable(tf.tensor4d(uni(fin * L.filters, Math.sqrt(6 / fin)), [L.kernel, L.kernel, ci, L.filters]));
      const b = tf.variable(tf.zeros([L.filters]));
      vars.push(w, b);
      const conv = workaround ? customConv(!first) : (x, ww) => tf.conv2d(x, ww, 1, 'valid');
      ops.push((x) => tf.add(conv(x, w), b));
      shape = [h - L.kernel + 1, wd - L.kernel + 1, L.filters];
    } else if (L.kind === 'maxpool') {
      ops.push((x) => tf.maxPool(x, 2, 2, 'valid'));
      shape = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]];
    } else if (L.kind === 'relu') {
      ops.push((x) => tf.relu(x));
    } else if (L.kind === 'tanh') {
      ops.push((x) => tf.tanh(x));
    } else {
      ops.push((x) => tf.sigmoid(x));
    }
    if (L.kind === 'dense' || L.kind === 'conv') first = false;
  }
  const classes = shape[0];
  const B = c.batch;
  const xs = c.kind === 'cnn' ? tf.tensor4d(uni(B * C * H * W, 1).map(Math.abs), [B, H, W, C])
                              : tf.tensor2d(uni(B * C * H * W, 1).map(Math.abs), [B, C * H * W]);
  const labels = Int32Array.from({ length: B }, () => Math.floor(rnd() * classes));
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
  const forward = (x) => ops.reduce((a, f) => f(a), x);
  const loss = () => tf.losses.softmaxCrossEntropy(ys, forward(xs));
  const opt = tf.train.sgd(LR);
  return {
    vars, xs, ys, forward, loss, classes,
    step: () => opt.minimize(loss, false, vars),
    sync: () => vars[0].dataSync(),
    dispose: () => { tf.dispose([...vars, xs, ys]); opt.dispose(); },
  };
}

// Gradient of the CNN's loss on the active backend, as plain arrays.
function cnnGrads(c, workaround) {
  const m = build(c, { workaround });
  const { grads } = tf.variableGrads(m.loss, m.vars);
  const out = m.vars.map((v) => Array.from(grads[v.name].dataSync()));
  tf.dispose(Object.values(grads));
  m.dispose();
  return out;
}

async function checkWorkaround(c) {
  // A small case (batch 3) so the check is quick; same layers and shapes otherwise.
  const small = { ...c, batch: 3 };
  await tf.setBackend('cpu');
  const ref = cnnGrads(small, false);
  await tf.setBackend('wasm');
  const got = cnnGrads(small, true);
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    for (let j = 0; j < ref[i].length; j++) {
      maxErr = Math.max(maxErr, Math.abs(ref[i][j] - got[i][j]));
      maxRef = Math.max(maxRef, Math.abs(ref[i][j]));
    }
  }
  return { maxAbsErr: maxErr, maxAbsGrad: maxRef, ok: maxErr <= 1e-4 * Math.max(1, maxRef) };
}

async function main() {
  const backend = args.backend;
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} unavailable`);
  await tf.ready();
  const engine = `tfjs-${backend}`;
  const opts = { seconds: args.seconds, repeats: args.repeats, warmSeconds: args.warm };
  for (const c of CASES) {
    if (args.only && !args.only.split(',').includes(c.name)) continue;
    const variants = [{ workaround: false }];
    if (backend === 'wasm' && c.kind === 'cnn') variants.push({ workaround: true });
    // The cpu backend's conv backprop is plain JS (seconds per step at batch 64): time it with
    // single steps and only in the first round, or it alone would take minutes.
    const slow = backend === 'cpu' && c.kind === 'cnn';
    for (const v of variants) {
      const eng = v.workaround ? `${engine}-customgrad` : engine;
      const rec = { engine: eng, case: c.name, batch: c.batch };
      if (slow && args.round > 1) { emit({ ...rec, skipped: 'slow case, timed in round 1 only' }); continue; }
      let m;
      try {
        if (v.workaround) {
          rec.gradCheck = await checkWorkaround(c);
          await tf.setBackend(backend);
          if (!rec.gradCheck.ok) throw new Error(`customGrad conv gradient differs from cpu: ${JSON.stringify(rec.gradCheck)}`);
        }
        m = build(c, v);
        const before = tf.memory().numTensors;
        const t = timeSteps(m.step, c.batch, slow ? { ...opts, sync: m.sync, minSteps: 1, minWarm: 1, warmSeconds: 0, seconds: 0 }
          : { ...opts, sync: m.sync });
        const leaked = tf.memory().numTensors - before;
        Object.assign(rec, { eps: t.median, rates: t.rates, steps: t.steps, leakedTensors: leaked });
      } catch (e) {
        rec.error = String(e && e.message ? e.message : e).split('\n')[0];
      } finally {
        if (m) m.dispose();
      }
      emit(rec);
    }
  }
}

main().catch((e) => { process.stderr.write(`tfjs_train: ${e.stack || e}\n`); process.exit(1); });
