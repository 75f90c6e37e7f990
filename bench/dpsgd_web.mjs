// DP-SGD step throughput in WebAssembly (a bench, not a test): Hush (web build, SIMD and baseline)
// against TensorFlow.js's wasm backend measured in the same run, on the digits MLP 64-50-50-10.
//
//   node bench/dpsgd_web.mjs [--seconds S]        (after `make web`)
//
// Rows, examples per second on one fixed batch (clip C = 1, noise multiplier 1, SGD):
//   hush plain          model.step (no DP), for the ratio
//   hush DP-SGD         DPSGD.step, fixed batch (per-example clipping via the norm trick + noise)
//   tfjs per-example    the way most TF.js code does it: one tf.variableGrads per example, clip,
//                       sum, add tf.randomNormal noise, update
//   tfjs vectorised     hand-written backprop for the MLP with the ||a|| ||delta|| norm trick, so
//                       clipping costs one extra weighted matmul per layer
// (tf.randomNormal is not a CSPRNG; TF.js rows are a speed reference only.)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const argv = process.argv.slice(2);
const SECONDS = Number(argv[argv.indexOf('--seconds') + 1]) || 1.5;
const log = console.log;
console.log = (...a) => process.stderr.write(a.join(' ') + '\n');
console.warn = console.log;

const { load } = await import(path.join(root, 'web/index.js'));
const tf = require('@tensorflow/tfjs');
const wasmPkg = require('@tensorflow/tfjs-backend-wasm');
wasmPkg.setWasmPaths(path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
await tf.setBackend('wasm');
await tf.ready();

const SIZES = [64, 50, 50, 10];
const LR = 0.01, CLIP = 1, SIGMA = 1;

function data(batch) {
  let s = 12345;
  const r = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const x = new Float32Array(batch * 64).map(() => r());
  const y = new Uint32Array(batch).map(() => Math.floor(r() * 10));
  return { x, y };
}

// examples/second, best of 3 timed windows after a warm-up
function rate(batch, step) {
  for (let i = 0; i < 3; i++) step();
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    let n = 0;
    const t0 = performance.now();
    let t;
    do { step(); n++; } while ((t = performance.now() - t0) < (SECONDS * 1000) / 3);
    best = Math.max(best, (n * batch) / (t / 1000));
  }
  return best;
}

function tfParams() {
  const p = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    p.push(tf.variable(tf.randomUniform([SIZES[l], SIZES[l + 1]], -0.2, 0.2)), tf.variable(tf.zeros([SIZES[l + 1]])));
  }
  return p;
}

function tfForward(p, x) {
  let a = x;
  for (let l = 0; l < p.length; l += 2) {
    a = tf.add(tf.matMul(a, p[l]), p[l + 1]);
    if (l + 2 < p.length) a = tf.relu(a);
  }
  return a;
}

function tfPerExample(batch) {
  const p = tfParams();
  const { x, y } = data(batch);
  const xs = tf.tensor2d(x, [batch, 64]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(y), 'int32'), 10);
  const rows = tf.unstack(xs), labels = tf.unstack(ys);
  return () => tf.tidy(() => {
    let sum = null;
    for (let i = 0; i < batch; i++) {
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels[i].expandDims(0), tfForward(p, rows[i].expandDims(0))));
      const g = p.map((v) => grads[v.name]);
      const norm = tf.sqrt(tf.addN(g.map((t) => tf.sum(tf.square(t)))));
      const scale = tf.minimum(1, tf.div(CLIP, tf.add(norm, 1e-12)));
      const c = g.map((t) => tf.mul(t, scale));
      sum = sum ? sum.map((t, k) => tf.add(t, c[k])) : c;
    }
    p.forEach((v, k) => v.assign(tf.sub(v, tf.mul(LR / batch, tf.add(sum[k], tf.randomNormal(v.shape, 0, SIGMA * CLIP))))));
  });
}

function tfVectorised(batch) {
  const p = tfParams();
  const { x, y } = data(batch);
  const xs = tf.tensor2d(x, [batch, 64]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(y), 'int32'), 10);
  return () => tf.tidy(() => {
    const acts = [xs], pre = [];
    let a = xs;
    for (let l = 0; l < p.length; l += 2) {
      const z = tf.add(tf.matMul(a, p[l]), p[l + 1]);
      pre.push(z);
      a = l + 2 < p.length ? tf.relu(z) : z;
      if (l + 2 < p.length) acts.push(a);
    }
    let delta = tf.sub(tf.softmax(a), ys);           // (B, 10), per-example unscaled
    const deltas = [];
    for (let l = p.length / 2 - 1; l >= 0; l--) {
      deltas[l] = delta;
      if (l > 0) delta = tf.mul(tf.matMul(delta, p[2 * l], false, true), tf.step(pre[l - 1]));
    }
    // ||g_i||^2 = sum_l (||a_i||^2 + 1) ||delta_i||^2
    let sq = null;
    for (let l = 0; l < deltas.length; l++) {
      const t = tf.mul(tf.add(tf.sum(tf.square(acts[l]), 1), 1), tf.sum(tf.square(deltas[l]), 1));
      sq = sq ? tf.add(sq, t) : t;
    }
    const w = tf.div(tf.minimum(1, tf.div(CLIP, tf.add(tf.sqrt(sq), 1e-12))), batch).expandDims(1);
    for (let l = 0; l < deltas.length; l++) {
      const wd = tf.mul(deltas[l], w);
      const gw = tf.matMul(acts[l], wd, true, false), gb = tf.sum(wd, 0);
      p[2 * l].assign(tf.sub(p[2 * l], tf.mul(LR, tf.add(gw, tf.randomNormal(gw.shape, 0, (SIGMA * CLIP) / batch)))));
      p[2 * l + 1].assign(tf.sub(p[2 * l + 1], tf.mul(LR, tf.add(gb, tf.randomNormal(gb.shape, 0, (SIGMA * CLIP) / batch)))));
    }
  });
}

const rows = [];
for (const batch of [32, 256]) {
  const { x, y } = data(batch);
  for (const simd of [true, false]) {
    const hush = await load({ simd });
    const m = hush.Model.create('dense:50,relu,dense:50,relu,dense:10', { inputSize: 64, maxBatch: batch, seed: 1, lr: LR });
    const plain = rate(batch, () => m.step(x, y));
    const dp = new hush.DPSGD(m, { samplingRate: batch / 1438, sampling: 'shuffle', l2NormClip: CLIP, noiseMultiplier: SIGMA, lr: LR });
    const priv = rate(batch, () => dp.step(x, y));
    dp.free();
    m.free();
    rows.push([`hush-${simd ? 'simd' : 'base'} plain`, batch, plain], [`hush-${simd ? 'simd' : 'base'} DP-SGD`, batch, priv]);
  }
  rows.push(['tfjs-wasm per-example', batch, rate(batch, tfPerExample(batch))]);
  rows.push(['tfjs-wasm vectorised', batch, rate(batch, tfVectorised(batch))]);
}
log('DP-SGD step throughput, digits MLP 64-50-50-10 (examples/s, same run)');
log(`${'engine'.padEnd(24)} ${'batch'.padStart(5)} ${'ex/s'.padStart(12)}   vs per-example   vs vectorised`);
for (const [name, batch, eps] of rows) {
  const pe = rows.find((r) => r[0] === 'tfjs-wasm per-example' && r[1] === batch)[2];
  const ve = rows.find((r) => r[0] === 'tfjs-wasm vectorised' && r[1] === batch)[2];
  log(`${name.padEnd(24)} ${String(batch).padStart(5)} ${eps.toFixed(0).padStart(12)}   ${(eps / pe).toFixed(1).padStart(10)}x   ${(eps / ve).toFixed(1).padStart(10)}x`);
}
