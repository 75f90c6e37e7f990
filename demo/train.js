// Main thread of demo/train.html: form, status, chart and results. All Hush work happens in the
// package's own worker (web/worker.js, through createWorker): the training driver every other
// caller uses, DP-SGD included. This file never loads WebAssembly, so the page stays responsive.
//
// Machine-readable state for the browser test lives in data attributes:
//   main[data-state]        starting | loading-data | ready | training | done | error
//   main[data-build]        the Emscripten build the worker loaded (simd | baseline)
//   #results[data-test-accuracy], [data-train-accuracy], [data-examples-per-second],
//   #results[data-trained-in]  'worker' when the training code ran in a WorkerGlobalScope
//   main[data-csp-violations]  Content-Security-Policy violations seen in the page or the worker

import { TrainingChart } from './chart.js';
import { createWorker } from '../web/worker-client.js';

const DATA_URL = new URL('../data/credit-g.arff', import.meta.url).href;

const $ = (id) => document.getElementById(id);
const main = $('main');
const statusEl = $('status');
const errorEl = $('error');
const form = $('config');
const fields = $('config-fields');
const trainBtn = $('train');
const stopBtn = $('stop');
const downloadBtn = $('download');
const results = $('results');
const chart = new TrainingChart($('chart'));

let worker = null;
let summary = null;
let build = 'unknown';
let lastData = { url: DATA_URL }; // what to reload into a fresh worker after Stop
let modelBytes = null;
let modelName = 'hush-model.hush';
let downloadUrl = null;
let run = null; // { epochs, startedAt }
let ready = false; // the current worker has loaded Hush
let dataText = null; // the loaded ARFF, sent with each training request
let workerContext = 'unknown';
let cspViolations = 0;
main.dataset.cspViolations = '0';

// The page runs under a strict CSP (no 'unsafe-eval', no inline code). A violation is a bug in
// the demo or in the package, so make it loud: console error plus a counter the test reads.
function noteCsp(where, directive, blocked) {
  cspViolations++;
  main.dataset.cspViolations = String(cspViolations);
  console.error(`Content-Security-Policy violation in the ${where}: ${directive} blocked ${blocked || '(inline)'}`);
}
document.addEventListener('securitypolicyviolation', (e) =>
  noteCsp('page', e.effectiveDirective || e.violatedDirective, e.blockedURI),
);

const pct = (v) => `${(v * 100).toFixed(1)}%`;

function setState(state, message) {
  main.dataset.state = state;
  if (message !== undefined) statusEl.textContent = message;
  const busy = state === 'training' || state === 'starting' || state === 'loading-data';
  fields.disabled = state === 'training';
  $('file').disabled = busy;
  trainBtn.disabled = state !== 'ready' && state !== 'done';
  stopBtn.disabled = state !== 'training';
}

function showError(title, lines) {
  errorEl.replaceChildren();
  const strong = document.createElement('p');
  const b = document.createElement('strong');
  b.textContent = title;
  strong.append(b);
  errorEl.append(strong);
  for (const line of lines) {
    const p = document.createElement('p');
    // Backticked fragments become <code>, built as nodes so no markup is ever parsed from text.
    line.split(/(`[^`]+`)/).forEach((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
        const c = document.createElement('code');
        c.textContent = part.slice(1, -1);
        p.append(c);
      } else if (part) {
        p.append(document.createTextNode(part));
      }
    });
    errorEl.append(p);
  }
  errorEl.hidden = false;
}

function clearError() {
  errorEl.hidden = true;
  errorEl.replaceChildren();
}

// ---- settings ----

function readConfig() {
  let ok = true;
  const check = (el, valid) => {
    el.setAttribute('aria-invalid', valid ? 'false' : 'true');
    if (!valid) ok = false;
  };
  const hiddenText = $('hidden').value.trim();
  const hidden = hiddenText === '' ? [] : hiddenText.split(/\s*,\s*/).map(Number);
  check($('hidden'), hidden.length <= 8 && hidden.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096));
  const num = (id, lo, hi, integer) => {
    const el = $(id);
    const v = Number(el.value);
    check(el, el.value.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v)));
    return v;
  };
  const cfg = {
    hidden,
    activation: $('activation').value,
    optimizer: $('optimizer').value,
    lr: num('lr', 1e-6, 10, false),
    epochs: num('epochs', 1, 1000, true),
    batchSize: num('batch', 1, 4096, true),
    seed: num('seed', 0, 4294967295, true),
    testFraction: num('test-fraction', 0.05, 0.5, false),
    dp: $('dp').checked,
    epsilon: num('epsilon', 0.1, 100, false),
  };
  return ok ? cfg : null;
}

function specFor(cfg) {
  const k = summary ? summary.classes : 2;
  return [...cfg.hidden.flatMap((u) => [`dense:${u}`, cfg.activation]), `dense:${k}`].join(',');
}

function updateSpec() {
  const cfg = readConfig();
  $('spec').textContent = cfg
    ? `model: ${specFor(cfg)} · ${cfg.optimizer}, lr ${cfg.lr}, batch ${cfg.batchSize}, ${cfg.epochs} epochs, seed ${cfg.seed}`
    : 'Some settings are out of range; they are outlined in red.';
}

// ---- worker ----

// The package's own worker (web/worker.js) through its client: the same training driver as
// `hush train` and hush.train, DP-SGD included. ?build=simd|baseline forces one Emscripten build.
async function startWorker() {
  ready = false;
  const forced = new URLSearchParams(location.search).get('build');
  const opts = { onCsp: ({ directive, blocked }) => noteCsp('training worker', directive, blocked) };
  if (forced === 'simd' || forced === 'baseline') opts.simd = forced === 'simd';
  setState('starting', 'Loading the Hush WebAssembly core in a Web Worker…');
  const w = await createWorker(opts);
  worker = w;
  try {
    const info = await w.info();
    if (w !== worker) return;
    ready = true;
    build = info.simd ? 'simd' : 'baseline';
    main.dataset.build = build;
    main.dataset.workerContext = info.context;
    workerContext = info.context;
    await loadData(lastData);
  } catch (err) {
    if (w !== worker) return;
    onError({ stage: 'load', code: err && err.code ? String(err.code) : 'Error', message: String(err && err.message || err) });
  }
}

async function loadData(what) {
  lastData = what;
  summary = null;
  setState('loading-data', `Loading ${what.name || 'data/credit-g.arff'}…`);
  const w = worker;
  let text = what.text, name = what.name;
  try {
    if (text === undefined) {
      const res = await fetch(what.url);
      if (!res.ok) {
        onError({ stage: 'data', code: `HTTP_${res.status}`, message: `${new URL(what.url).pathname} answered HTTP ${res.status}` });
        return;
      }
      text = await res.text();
      name = new URL(what.url).pathname.replace(/^\//, '');
    }
    const s = await w.describe({ data: text, format: 'arff' });
    if (w !== worker) return;
    dataText = text;
    onData({ ...s, name });
  } catch (err) {
    if (w !== worker) return;
    onError({ stage: 'data', code: err && err.code ? String(err.code) : 'Error', message: String(err && err.message || err) });
  }
}

function onData(s) {
  summary = s;
  clearError();
  $('sum-source').textContent = s.name;
  $('sum-rows').textContent = s.rows.toLocaleString('en');
  $('sum-dim').textContent = String(s.dim);
  $('sum-classes').textContent = s.classNames.map((n, i) => `${n} ${s.counts[i]}`).join(' · ');
  const top = Math.max(...s.counts);
  $('sum-baseline').textContent = `${s.classNames[s.counts.indexOf(top)]}, ${pct(top / s.rows)}`;
  updateSpec();
  setState('ready', `Ready: ${s.rows} rows loaded. Running on the ${build} build in a Web Worker.`);
}

function onError(msg) {
  if (msg.stage === 'data' && msg.code && msg.code.startsWith('HTTP_404')) {
    setState('error', 'Not ready: the data set is missing.');
    showError('data/credit-g.arff was not found on the server.', [
      'It is extracted from Debian\'s `weka` package by `sh scripts/bootstrap.sh` (or `make bootstrap`); run it, then reload this page.',
      'You can also choose an ARFF file of your own above.',
    ]);
    $('file').disabled = false;
    return;
  }
  const where = { load: 'Loading the Hush WebAssembly core failed.', data: 'The data set could not be read.', train: 'Training failed.' }[msg.stage] || 'Something went wrong.';
  const lines = [`${msg.code}: ${msg.message}`];
  if (msg.stage === 'load') lines.push('Build it with `make wasm` and reload this page.');
  showError(where, lines);
  if (msg.stage === 'train' && summary) {
    setState('ready', 'Training failed; adjust the settings and try again.');
  } else {
    setState('error', 'Not ready: see the message below.');
    $('file').disabled = false;
  }
}

// ---- training ----

function resetResults() {
  for (const id of ['m-test', 'm-train', 'm-speed', 'm-where']) $(id).textContent = '–';
  for (const k of ['testAccuracy', 'trainAccuracy', 'examplesPerSecond', 'trainedIn']) delete results.dataset[k];
  results.dataset.state = 'none';
  const tb = document.createElement('tbody');
  const tr = tb.insertRow();
  tr.insertCell().textContent = 'Training…';
  $('confusion').replaceChildren($('confusion').caption, tb);
  downloadBtn.disabled = true;
  $('download-info').textContent = '';
  modelBytes = null;
}

function startTraining(ev) {
  ev.preventDefault();
  const cfg = readConfig();
  if (!cfg || !summary) {
    updateSpec();
    return;
  }
  clearError();
  resetResults();
  $('epoch-rows').replaceChildren();
  const majority = Math.max(...summary.counts) / summary.rows;
  chart.reset(cfg.epochs, majority);
  $('progress').max = cfg.epochs;
  $('progress').value = 0;
  $('progress-text').textContent = `Epoch 0 of ${cfg.epochs}`;
  run = { epochs: cfg.epochs, startedAt: performance.now(), dp: cfg.dp };
  modelName = `${(summary.name.split('/').pop() || 'data').replace(/\.[^.]*$/, '')}-seed${cfg.seed}${cfg.dp ? '-dp' : ''}.hush`;
  setState('training', `Training ${specFor(cfg)}${cfg.dp ? ` with DP-SGD at ε ${cfg.epsilon}` : ''} on ${summary.rows} rows…`);
  const w = worker;
  // The canonical `hush train` order from one seed; the model standardises (or, with DP,
  // privately scales) its own input, so the downloaded file takes raw rows.
  w.train({
    data: dataText, format: 'arff', spec: specFor(cfg), epochs: cfg.epochs, batchSize: cfg.batchSize, lr: cfg.lr,
    optimizer: cfg.optimizer, seed: cfg.seed, testFraction: cfg.testFraction, evaluate: 'epoch', confusion: true,
    ...(cfg.dp ? { dp: { targetEpsilon: cfg.epsilon } } : {}),
    onEpoch: (m) => {
      if (w === worker) onEpoch(m);
    },
  }).then(
    (r) => {
      if (w === worker) onDone(r);
    },
    (err) => {
      if (w === worker) onError({ stage: 'train', code: err && err.code ? String(err.code) : 'Error', message: String(err && err.message || err) });
    },
  );
}

const lossText = (m) => (m.loss === null || m.loss === undefined ? 'withheld' : m.loss.toFixed(4));
const accText = (v) => (v === null || v === undefined ? 'withheld' : pct(v));

function onEpoch(m) {
  chart.push(m);
  const row = $('epoch-rows').insertRow();
  for (const v of [String(m.epoch), lossText(m), accText(m.trainAccuracy), pct(m.testAccuracy)]) row.insertCell().textContent = v;
  $('chart').setAttribute(
    'aria-label',
    `Chart of loss and accuracy per epoch. Epoch ${m.epoch} of ${run.epochs}: loss ${lossText(m)}, ` +
      `train accuracy ${accText(m.trainAccuracy)}, test accuracy ${pct(m.testAccuracy)}.`,
  );
  // Per-epoch numbers go to the progress line, not the live status region, so a screen reader
  // hears "training" and "done" rather than every epoch.
  $('progress').value = m.epoch;
  const spent = m.epsilon !== undefined ? `, ε ${m.epsilon.toFixed(2)}` : `, loss ${lossText(m)}`;
  $('progress-text').textContent = `Epoch ${m.epoch} of ${run.epochs}${spent}, test accuracy ${pct(m.testAccuracy)}`;
}

function renderConfusion(names, counts) {
  const k = names.length;
  const table = $('confusion');
  const thead = document.createElement('thead');
  const hr = thead.insertRow();
  const corner = document.createElement('th');
  corner.textContent = 'actual \\ predicted';
  hr.append(corner);
  for (const n of names) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = n;
    hr.append(th);
  }
  const tbody = document.createElement('tbody');
  for (let a = 0; a < k; a++) {
    const tr = tbody.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = names[a];
    tr.append(th);
    const rowTotal = counts.slice(a * k, a * k + k).reduce((s, v) => s + v, 0);
    for (let p = 0; p < k; p++) {
      const n = counts[a * k + p];
      const share = rowTotal ? n / rowTotal : 0;
      const td = tr.insertCell();
      td.className = `cell${a === p ? ' correct' : ''}`;
      td.style.setProperty('--share', share.toFixed(3));
      td.textContent = String(n);
      const small = document.createElement('span');
      small.className = 'pct';
      small.textContent = `${pct(share)} of ${names[a]}`;
      td.append(small);
    }
  }
  table.replaceChildren(table.caption, thead, tbody);
}

function onDone(m) {
  const eps = Math.round(m.examplesPerSecond);
  $('m-test').textContent = pct(m.testAccuracy);
  $('m-train').textContent = accText(m.trainAccuracy);
  $('m-privacy').textContent = m.privacy.dp
    ? `ε ${m.privacy.epsilon.toFixed(2)} at δ ${m.privacy.delta} (${m.privacy.steps} DP-SGD steps; scaling ε ${m.privacy.scalingEpsilon.toFixed(2)} alone)`
    : 'none';
  $('m-speed').textContent = `${eps.toLocaleString('en')} examples/s`;
  const small = document.createElement('small');
  small.textContent = build === 'simd' ? 'WebAssembly SIMD build' : `WebAssembly ${build} build`;
  $('m-where').replaceChildren(workerContext === 'worker' ? 'Web Worker' : 'main thread', small);
  renderConfusion(m.classNames, m.confusion);

  results.dataset.testAccuracy = String(m.testAccuracy);
  if (m.trainAccuracy !== null) results.dataset.trainAccuracy = String(m.trainAccuracy);
  results.dataset.examplesPerSecond = String(eps);
  results.dataset.trainedIn = workerContext;
  if (m.privacy.dp) results.dataset.epsilon = String(m.privacy.epsilon);
  results.dataset.state = 'done';

  modelBytes = m.model;
  downloadBtn.disabled = false;
  $('download-info').textContent =
    `${modelName} · ${m.params.toLocaleString('en')} parameters · ${modelBytes.length.toLocaleString('en')} bytes`;
  const secs = ((performance.now() - run.startedAt) / 1000).toFixed(1);
  setState('done', `Done in ${secs} s: test accuracy ${pct(m.testAccuracy)} on ${m.testRows} held-out rows.`);
}

function stopTraining() {
  if (!worker) return;
  // Terminating is the only way to interrupt a running training; a fresh worker reloads the data.
  // The old worker's last answers (its rejected promises included) must not touch the page.
  const old = worker;
  worker = null;
  old.terminate();
  const done = $('epoch-rows').rows.length;
  run = null;
  resetResults();
  $('confusion').tBodies[0].rows[0].cells[0].textContent = 'Stopped.';
  $('progress-text').textContent = `Stopped after ${done} of ${$('progress').max} epochs.`;
  spawn();
  statusEl.textContent = 'Stopped. Restarting the worker…';
}

function spawn() {
  startWorker().catch((err) => onError({ stage: 'load', code: 'Error', message: String(err && err.message || err) }));
}

function download() {
  if (!modelBytes) return;
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([modelBytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = downloadUrl;
  a.download = modelName;
  document.body.append(a);
  a.click();
  a.remove();
}

function onFile() {
  const file = $('file').files[0];
  if (!file) return;
  file.text().then(
    (text) => {
      clearError();
      if (!worker || !ready) {
        const old = worker;
        worker = null;
        if (old) old.terminate();
        lastData = { text, name: file.name };
        spawn();
      } else {
        loadData({ text, name: file.name });
      }
    },
    (err) => showError('Could not read the file.', [String(err.message || err)]),
  );
}

form.addEventListener('submit', startTraining);
form.addEventListener('input', updateSpec);
stopBtn.addEventListener('click', stopTraining);
downloadBtn.addEventListener('click', download);
$('file').addEventListener('change', onFile);
updateSpec();
spawn();
