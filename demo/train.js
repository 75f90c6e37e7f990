// Main thread of demo/train.html: form, status, chart and results. All Hush work happens in
// train-worker.js; this file never loads WebAssembly, so the page stays responsive while training.
//
// Machine-readable state for the browser test lives in data attributes:
//   main[data-state]        starting | loading-data | ready | training | done | error
//   main[data-build]        the Emscripten build the worker loaded (simd | baseline)
//   #results[data-test-accuracy], [data-train-accuracy], [data-examples-per-second],
//   #results[data-trained-in]  'worker' when the training code ran in a WorkerGlobalScope
//   main[data-csp-violations]  Content-Security-Policy violations seen in the page or the worker

import { TrainingChart } from './chart.js';

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

function startWorker() {
  ready = false;
  // ?build=simd|baseline forces one Emscripten build (to compare them); default: the package picks.
  const url = new URL('./train-worker.js', import.meta.url);
  const forced = new URLSearchParams(location.search).get('build');
  if (forced === 'simd' || forced === 'baseline') url.searchParams.set('build', forced);
  const w = new Worker(url, { type: 'module' });
  worker = w;
  // After Stop, a terminated worker's last messages must not touch the page.
  w.addEventListener('message', (ev) => {
    if (w === worker) onMessage(ev.data);
  });
  w.addEventListener('error', (ev) => {
    ev.preventDefault();
    if (w !== worker) return;
    ready = false;
    setState('error', 'The training worker stopped with an error.');
    showError('The training worker could not run.', [
      ev.message ? String(ev.message) : 'The worker script failed to load.',
      'Build the WebAssembly package with `make wasm` and reload this page.',
    ]);
  });
  setState('starting', 'Loading the Hush WebAssembly core in a Web Worker…');
}

function loadData(what) {
  lastData = what;
  summary = null;
  setState('loading-data', `Loading ${what.name || 'data/credit-g.arff'}…`);
  worker.postMessage({ type: 'load', ...what });
}

function onMessage(msg) {
  switch (msg.type) {
    case 'ready':
      ready = true;
      build = msg.build;
      main.dataset.build = build;
      main.dataset.workerContext = msg.context;
      loadData(lastData);
      break;
    case 'data':
      onData(msg.summary);
      break;
    case 'start':
      statusEl.textContent = `Training ${msg.spec} on ${msg.trainRows} rows, testing on ${msg.testRows}…`;
      break;
    case 'epoch':
      onEpoch(msg);
      break;
    case 'done':
      onDone(msg);
      break;
    case 'error':
      onError(msg);
      break;
    case 'csp':
      noteCsp('training worker', msg.directive, msg.blocked);
      break;
    default:
      break;
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
  run = { epochs: cfg.epochs, startedAt: performance.now() };
  modelName = `${(summary.name.split('/').pop() || 'data').replace(/\.[^.]*$/, '')}-seed${cfg.seed}.hush`;
  setState('training', `Training ${specFor(cfg)}…`);
  worker.postMessage({ type: 'train', config: cfg });
}

function onEpoch(m) {
  chart.push(m);
  const row = $('epoch-rows').insertRow();
  for (const v of [String(m.epoch), m.loss.toFixed(4), pct(m.trainAccuracy), pct(m.testAccuracy)]) row.insertCell().textContent = v;
  $('chart').setAttribute(
    'aria-label',
    `Chart of loss and accuracy per epoch. Epoch ${m.epoch} of ${run.epochs}: loss ${m.loss.toFixed(3)}, ` +
      `train accuracy ${pct(m.trainAccuracy)}, test accuracy ${pct(m.testAccuracy)}.`,
  );
  // Per-epoch numbers go to the progress line, not the live status region, so a screen reader
  // hears "training" and "done" rather than every epoch.
  $('progress').value = m.epoch;
  $('progress-text').textContent = `Epoch ${m.epoch} of ${run.epochs}: loss ${m.loss.toFixed(4)}, test accuracy ${pct(m.testAccuracy)}`;
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
  $('m-train').textContent = pct(m.trainAccuracy);
  $('m-speed').textContent = `${eps.toLocaleString('en')} examples/s`;
  const small = document.createElement('small');
  small.textContent = build === 'simd' ? 'WebAssembly SIMD build' : `WebAssembly ${build} build`;
  $('m-where').replaceChildren(m.context === 'worker' ? 'Web Worker' : 'main thread', small);
  renderConfusion(m.classNames, m.confusion);

  results.dataset.testAccuracy = String(m.testAccuracy);
  results.dataset.trainAccuracy = String(m.trainAccuracy);
  results.dataset.examplesPerSecond = String(eps);
  results.dataset.trainedIn = m.context;
  results.dataset.state = 'done';

  modelBytes = new Uint8Array(m.model);
  downloadBtn.disabled = false;
  $('download-info').textContent =
    `${modelName} · ${m.params.toLocaleString('en')} parameters · ${modelBytes.length.toLocaleString('en')} bytes`;
  const secs = ((performance.now() - run.startedAt) / 1000).toFixed(1);
  setState('done', `Done in ${secs} s: test accuracy ${pct(m.testAccuracy)} on ${m.testRows} held-out rows.`);
}

function stopTraining() {
  if (!worker) return;
  // Terminating is the only way to interrupt a running fit; a fresh worker reloads the data.
  worker.terminate();
  const done = $('epoch-rows').rows.length;
  run = null;
  resetResults();
  $('confusion').tBodies[0].rows[0].cells[0].textContent = 'Stopped.';
  $('progress-text').textContent = `Stopped after ${done} of ${$('progress').max} epochs.`;
  startWorker();
  statusEl.textContent = 'Stopped. Restarting the worker…';
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
        if (worker) worker.terminate();
        lastData = { text, name: file.name };
        startWorker();
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
startWorker();
