// The training-throughput cases shared by every engine in `make bench`.
//
// One table, so Hush (native, Emscripten, WASI) and TensorFlow.js always time the same model at
// the same batch. `spec` is Hush's model spec; the TF.js builder in tfjs_train.mjs reads the same
// string, so a change here changes every engine at once. The credit input width is what Hush's
// ARFF parser makes of credit-g.arff: 7 numeric columns + one column per declared nominal value
// of the other 13 attributes (56) = 63.
export const LR = 0.01;

export const CASES = [
  { name: 'digits-mlp-b32', label: 'digits MLP 64-50-50-10, b32', kind: 'mlp',
    spec: 'dense:50,relu,dense:50,relu,dense:10', shape: [64, 1, 1], batch: 32, target: 5 },
  { name: 'digits-mlp-b256', label: 'digits MLP 64-50-50-10, b256', kind: 'mlp',
    spec: 'dense:50,relu,dense:50,relu,dense:10', shape: [64, 1, 1], batch: 256, target: 5 },
  { name: 'credit-mlp-b32', label: 'credit MLP 63-32-16-2, b32', kind: 'mlp',
    spec: 'dense:32,relu,dense:16,relu,dense:2', shape: [63, 1, 1], batch: 32, target: 5 },
  { name: 'fashion-mlp-b128', label: 'Fashion MLP 784-128-10, b128', kind: 'mlp',
    spec: 'dense:128,relu,dense:10', shape: [784, 1, 1], batch: 128, target: 5 },
  { name: 'cnn-b64', label: 'CNN 28x28 c16k5-c32k5-d10, b64', kind: 'cnn',
    spec: 'conv:16:5,relu,maxpool,conv:32:5,relu,maxpool,dense:10', shape: [1, 28, 28], batch: 64, target: 2 },
];

// "NAME=SPEC@CxHxW/B" — the argument form bench/train_native.c takes (native, emcc and WASI).
export function caseArg(c) {
  return `${c.name}=${c.spec}@${c.shape.join('x')}/${c.batch}`;
}

export function parseSpec(spec) {
  return spec.split(',').map((tok) => {
    const p = tok.split(':');
    switch (p[0]) {
      case 'dense': return { kind: 'dense', units: +p[1] };
      case 'conv': return { kind: 'conv', filters: +p[1], kernel: +p[2], padding: p[3] === 'same' ? 'same' : 'valid' };
      case 'maxpool': return { kind: 'maxpool' };
      case 'relu': case 'tanh': case 'sigmoid': return { kind: p[0] };
      default: throw new Error(`unknown layer ${tok}`);
    }
  });
}

// Median of a numeric array (the bench reports the median of its repeats).
export function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// Runs `step` repeatedly: warm-up for warmSeconds (at least minWarm steps), then `repeats` timed runs,
// each of max(minSteps, steps fitting ~seconds); returns examples/second per repeat.
// `sync` is called before each clock read so asynchronous backends cannot hide work.
export function timeSteps(step, batch, { seconds = 1.0, repeats = 3, warmSeconds = 0.3, minSteps = 3, minWarm = 2, sync = () => {} } = {}) {
  const now = () => Number(process.hrtime.bigint()) / 1e9;
  let t0 = now();
  let n = 0;
  do { step(); n++; } while (n < minWarm || now() - t0 < warmSeconds);
  sync();
  const per = (now() - t0) / n;
  const steps = Math.max(minSteps, Math.ceil(seconds / Math.max(per, 1e-9)));
  const rates = [];
  for (let r = 0; r < repeats; r++) {
    sync();
    t0 = now();
    for (let i = 0; i < steps; i++) step();
    sync();
    rates.push((steps * batch) / (now() - t0));
  }
  return { rates, steps, median: median(rates) };
}

export function parseArgs(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const k = a.slice(2);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) { o[k] = true; continue; }
    o[k] = typeof defaults[k] === 'number' ? Number(v) : v;
    i++;
  }
  return o;
}
