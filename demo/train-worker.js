// Training worker for demo/train.html: owns the Hush WebAssembly instance, the parsed data set and
// the model, so the page's main thread never runs a training step and stays responsive.
//
// Protocol (plain structured-clone messages):
//   page -> worker  {type: 'load', url} | {type: 'load', text, name}
//                   {type: 'train', config: {hidden, activation, optimizer, lr, epochs, batchSize, seed, testFraction}}
//   worker -> page  {type: 'ready', build, context}          once Hush has loaded
//                   {type: 'data', summary}                    after a data set was parsed
//                   {type: 'start', spec, trainRows, testRows}
//                   {type: 'epoch', epoch, loss, trainAccuracy, testAccuracy}
//                   {type: 'done', ..., model: ArrayBuffer}    the saved model, transferred
//                   {type: 'error', stage, code, message}
//                   {type: 'csp', directive, blocked}          a Content-Security-Policy violation here
// The worker URL may carry ?build=simd|baseline to force one Emscripten build.
// Seeding follows the canonical scheme (one seed for split, init and shuffle), so the same
// settings give the same model as `hush train` on the command line.

const context =
  typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope ? 'worker' : 'window';

// Registered before anything else runs, so that a violation inside the Hush glue (say, an eval
// under a CSP without 'unsafe-eval') is reported to the page instead of vanishing in a catch.
self.addEventListener('securitypolicyviolation', (e) => {
  self.postMessage({ type: 'csp', directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI });
});

let hush = null;
let dataset = null;
let datasetName = '';

function fail(stage, err) {
  self.postMessage({
    type: 'error',
    stage,
    code: err && err.code ? String(err.code) : err && err.name ? String(err.name) : 'Error',
    message: err && err.message ? String(err.message) : String(err),
  });
}

async function start() {
  let mod;
  try {
    mod = await import('../web/index.js');
  } catch (err) {
    fail('load', new Error(`could not import web/index.js (${err && err.message ? err.message : err})`));
    return;
  }
  const forced = new URLSearchParams(self.location.search).get('build');
  try {
    hush = await mod.load(forced === 'simd' || forced === 'baseline' ? { simd: forced === 'simd' } : {});
  } catch (err) {
    fail('load', err);
    return;
  }
  self.postMessage({ type: 'ready', build: buildName(hush), context });
}

// Which Emscripten build load() picked, as the package reports it (not re-detected here).
function buildName(h) {
  if (typeof h.simd === 'boolean') return h.simd ? 'simd' : 'baseline';
  return 'unknown';
}

function summarize(ds, name) {
  const counts = new Array(ds.classes).fill(0);
  const labels = ds.y; // a copy per access: read it once
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return {
    name,
    rows: ds.rows,
    dim: ds.dim,
    classes: ds.classes,
    classNames: Array.from(ds.classNames ?? [], String),
    counts,
  };
}

async function loadData(msg) {
  let text = msg.text;
  let name = msg.name;
  if (text === undefined) {
    let res;
    try {
      res = await fetch(msg.url);
    } catch (err) {
      fail('data', new Error(`could not fetch ${msg.url}: ${err.message}`));
      return;
    }
    if (!res.ok) {
      fail('data', Object.assign(new Error(`${new URL(msg.url).pathname} answered HTTP ${res.status}`), { code: `HTTP_${res.status}` }));
      return;
    }
    text = await res.text();
    name = new URL(msg.url).pathname.replace(/^\//, '');
  }
  let ds;
  try {
    ds = hush.data.parseArff(text);
  } catch (err) {
    fail('data', err);
    return;
  }
  if (dataset) dataset.free();
  dataset = ds;
  datasetName = name;
  self.postMessage({ type: 'data', summary: summarize(ds, name) });
}

function modelSpec(hidden, activation, classes) {
  return [...hidden.flatMap((u) => [`dense:${u}`, activation]), `dense:${classes}`].join(',');
}

async function train(cfg) {
  if (!dataset) {
    fail('train', new Error('no data set loaded'));
    return;
  }
  const spec = modelSpec(cfg.hidden, cfg.activation, dataset.classes);
  let train = null;
  let test = null;
  let model = null;
  let probe = null;
  try {
    // The canonical `hush train` order: split -> create (max batch = batch size) -> init ->
    // input norm from the training statistics -> optimiser -> epochs, all from one seed. The
    // model standardises its own input, so the downloaded file takes raw rows.
    [train, test] = dataset.split({ testFraction: cfg.testFraction, seed: cfg.seed });
    const norm = train.normStats();
    model = hush.Model.create(spec, { inputSize: train.dim, maxBatch: cfg.batchSize, seed: cfg.seed });
    model.setInputNorm(norm);
    // The model refuses every call while fit() runs, onEpoch included, so per-epoch accuracy is
    // measured on a copy of the parameters in a second model of the same shape.
    probe = hush.Model.create(spec, { inputSize: train.dim, maxBatch: 256, seed: cfg.seed });
    probe.setInputNorm(norm);
    self.postMessage({
      type: 'start', spec, trainRows: train.rows, testRows: test.rows, params: model.paramCount, dataset: datasetName,
    });

    // examples/s counts training time only: not the per-epoch evaluation for the chart, and not
    // the pause fit() takes between epochs to yield (a setTimeout(0), which browsers clamp to
    // 4 ms once nested, longer than an epoch of this data set). resumeAt marks when the next
    // epoch starts: our own zero-delay timer, queued before fit() queues its own, fires just
    // before fit() resumes; if fit() resumes sooner, the next onEpoch finds resumeAt unchanged.
    let trainMs = 0;
    let resumeAt = performance.now();
    let last = null;
    await model.fit(train, {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      lr: cfg.lr,
      optimizer: cfg.optimizer,
      seed: cfg.seed,
      onEpoch: ({ epoch, loss }) => {
        trainMs += performance.now() - resumeAt;
        probe.setParams(model.getParams());
        const tr = probe.evaluate(train);
        const te = probe.evaluate(test);
        last = { epoch, loss, trainAccuracy: tr.accuracy, testAccuracy: te.accuracy, testLoss: te.loss };
        self.postMessage({ type: 'epoch', ...last });
        const end = performance.now();
        resumeAt = end;
        setTimeout(() => {
          if (resumeAt === end) resumeAt = performance.now();
        }, 0);
      },
    });

    const final = model.evaluate(test);
    const trainFinal = model.evaluate(train);
    const predicted = model.predict(test);
    const labels = test.y;
    const k = dataset.classes;
    const confusion = new Array(k * k).fill(0);
    for (let i = 0; i < labels.length; i++) confusion[labels[i] * k + predicted[i]]++;
    const copy = model.save().slice().buffer; // its own buffer, never wasm memory, so it can be transferred
    self.postMessage(
      {
        type: 'done',
        spec,
        epochs: cfg.epochs,
        seed: cfg.seed,
        testAccuracy: final.accuracy,
        testLoss: final.loss,
        trainAccuracy: trainFinal.accuracy,
        finalLoss: last ? last.loss : NaN,
        examplesPerSecond: trainMs > 0 ? (train.rows * cfg.epochs * 1000) / trainMs : 0,
        trainMs,
        params: model.paramCount,
        trainRows: train.rows,
        testRows: test.rows,
        classNames: Array.from(dataset.classNames ?? [], String),
        confusion,
        context,
        model: copy,
      },
      [copy],
    );
  } catch (err) {
    fail('train', err);
  } finally {
    if (probe) probe.free();
    if (model) model.free();
    if (train) train.free();
    if (test) test.free();
  }
}

// Messages are handled one at a time: a 'train' that arrives while loading waits its turn.
let queue = start();
self.addEventListener('message', (ev) => {
  const msg = ev.data;
  queue = queue.then(() => {
    if (!hush) return undefined;
    if (msg.type === 'load') return loadData(msg);
    if (msg.type === 'train') return train(msg.config);
    return undefined;
  });
});
