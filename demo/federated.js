// The federated demo's coordinator (demo/federated.html).
//
// 1. Create the task: the form navigates to the loopback admin of scripts/serve.mjs (see
//    scripts/fl-admin.mjs), which runs `hush-server task create` and `hush-server enroll` and
//    sends the browser back here with the session (task, bank names, one-time tokens, shard
//    seed) in the URL fragment.
// 2. Open the banks: one tab per bank (demo/fl-bank.html), its parameters in its own fragment.
// 3. Watch: this tab polls hush-server's /api/status and /api/tasks/NAME/rounds (what the server
//    recorded: sums, counts, traffic), evaluates each global model version on held-out test rows
//    that no bank holds (with the package's own worker), and shows the banks' privacy budgets as
//    the bank tabs report them through a BroadcastChannel (inside this browser, not via the server).
//
// For the browser test: main[data-state] starting | setup | session | running | done | stalled |
// error; main[data-task], [data-committed]; #round-rows tr[data-round][data-state]
// [data-participants][data-survivors][data-declined][data-dropped][data-validation-accuracy]
// [data-test-accuracy][data-bytes-in][data-bytes-out]; #bank-rows tr[data-bank][data-tab]
// [data-epsilon][data-budget]; #m-val[data-value]; #m-test[data-value], [data-version].
import { TrainingChart } from './chart.js';
import { createWorker } from '../web/worker-client.js';
import {
  DATA_URL, bankLock, bankUrl, channelName, eps, kb, pct, readSessionFragment, showError, splitCredit, watchCsp,
} from './fl-common.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const noteCsp = watchCsp(main);
const POLL_MS = 750;
const DEFAULT_BUDGET = { record: 3, user: 8 };

let admin = null;
let session = null;
let worker = null;
let testText = null;
let baseline = null;
let testRows = 0;
const banks = new Map();      // name -> what its tab last reported
const watching = new Set();   // bank tab instances whose lock this page waits for
const gone = new Set();       // bank tab instances that are closed (their lock came to this page)
const models = new Map();     // MODEL round tag -> model file bytes (first copy)
const tested = new Map();     // model version (committed round, 0 initial) -> {accuracy, loss}
let evaluating = false;
let rounds = [];
let task = null;
let polling = null;
let doneAt = 0;

const chart = new TrainingChart($('chart'), {
  xKey: 'version', xMin: 0, xLabel: 'committed rounds (global model version)', lossKey: 'validationLoss',
  lossTitle: 'Validation loss (securely aggregated)',
  accuracy: [['validationAccuracy', '--c-train', '#0072b2'], ['testAccuracy', '--c-test', '#009e73']],
});

function setState(state, message) {
  main.dataset.state = state;
  if (message !== undefined) $('status').textContent = message;
}

// ---- 1. the form ----

function readForm() {
  let ok = true;
  const num = (id, lo, hi, integer) => {
    const el = $(id);
    const v = Number(el.value);
    const good = el.disabled || (el.value.trim() !== '' && Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v)));
    el.setAttribute('aria-invalid', good ? 'false' : 'true');
    if (!good) ok = false;
    return v;
  };
  const privacy = $('privacy').value;
  const cfg = { banks: num('banks', 3, 8, true), privacy, budget: privacy === 'none' ? null : num('budget', 0.1, 100, false), rounds: num('rounds', 1, 30, true) };
  return ok ? cfg : null;
}

function updateSpec() {
  $('budget').disabled = $('privacy').value === 'none';
  const cfg = readForm();
  if (!cfg) {
    $('spec').textContent = 'Some settings are out of range; they are outlined in red.';
    return;
  }
  const thr = Math.floor(cfg.banks / 2) + 1;
  $('spec').textContent = `model: dense:16,relu,dense:2 over 63 inputs · ${cfg.banks} banks, a round needs ${thr} · ` +
    `privacy ${cfg.privacy}${cfg.budget === null ? '' : `, budget ε ${cfg.budget} per bank`} · ${cfg.rounds} rounds`;
}

function create(ev) {
  ev.preventDefault();
  const cfg = readForm();
  if (!cfg || !admin) return;
  const q = new URLSearchParams({ key: admin.key, banks: String(cfg.banks), privacy: cfg.privacy, rounds: String(cfg.rounds) });
  if (cfg.budget !== null) q.set('budget', String(cfg.budget));
  setState('starting', 'Creating the task on hush-server…');
  $('create').disabled = true;
  // A navigation, not a fetch: the CSP allows connections to this origin only.
  location.assign(`${admin.url}?${q}`);
}

async function findAdmin() {
  try {
    const res = await fetch(`/build/demo/fl-admin-${location.port || (location.protocol === 'https:' ? '443' : '80')}.json`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const a = await res.json();
    if (typeof a.url !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+\/fl\/session$/.test(a.url) || typeof a.key !== 'string') {
      throw new Error('malformed');
    }
    admin = a;
    $('create').disabled = false;
  } catch {
    $('create-hint').textContent = 'Creating tasks needs the demo server: run `make demo` (scripts/serve.mjs) and open the page it prints.';
  }
}

// ---- 2. the banks ----

const tabName = (i) => `hush-bank-${session.task}-${i}`;

function bankOpen(b) {
  return b && !['left', 'error', 'closed', 'done', 'declined'].includes(b.state);
}

function openBanks() {
  let blocked = false;
  session.banks.forEach((b, i) => {
    if (bankOpen(banks.get(b.name))) return; // a running bank's tab is not reloaded
    const w = window.open(bankUrl(session, i), tabName(i));
    if (!w) blocked = true;
    else banks.set(b.name, { ...(banks.get(b.name) || {}), state: 'opening', part: i });
  });
  $('popup-hint').hidden = !blocked;
  renderBanks();
}

function renderBanks() {
  const body = $('bank-rows');
  session.banks.forEach((b, i) => {
    let tr = body.querySelector(`tr[data-bank="${b.name}"]`);
    if (!tr) {
      tr = body.insertRow();
      tr.dataset.bank = b.name;
      for (let k = 0; k < 5; k++) tr.insertCell();
      const a = document.createElement('a');
      a.href = bankUrl(session, i);
      a.target = tabName(i);
      a.textContent = `Bank ${i + 1}`;
      a.title = b.name;
      tr.cells[0].append(a);
      const meter = document.createElement('meter');
      meter.min = 0;
      meter.optimum = 0;
      const span = document.createElement('span');
      span.className = 'meter-text';
      const wrap = document.createElement('div');
      wrap.className = 'meter-line';
      wrap.append(meter, span);
      tr.cells[4].append(wrap);
    }
    const r = banks.get(b.name) || { state: 'not opened' };
    tr.dataset.tab = r.state;
    tr.cells[1].textContent = {
      'not opened': 'not opened', opening: 'opening…', starting: 'starting…', loading: 'loading rows…',
      joining: 'waiting for a round', running: 'taking part', done: 'finished', declined: 'left: budget spent',
      left: 'left the task', closed: 'tab closed', error: 'stopped (error)',
    }[r.state] || r.state;
    tr.cells[2].textContent = r.rows ? String(r.rows) : '–';
    tr.cells[3].textContent = r.contributed !== undefined ? `${r.contributed}${r.declined ? `, declined ${r.declined}` : ''}` : '–';
    const meter = tr.cells[4].querySelector('meter');
    const text = tr.cells[4].querySelector('.meter-text');
    if (session.privacy === 'none') {
      meter.max = 1;
      meter.value = 0;
      text.textContent = 'none';
      tr.dataset.epsilon = '0';
    } else {
      const e = Number.isFinite(r.epsilon) ? r.epsilon : 0;
      meter.max = session.budget;
      meter.low = session.budget * 0.6;
      meter.high = session.budget * 0.9;
      meter.value = Math.min(e, session.budget);
      text.textContent = `${eps(e)} of ${session.budget}`;
      tr.dataset.epsilon = String(e);
      tr.dataset.budget = String(session.budget);
    }
  });
}

function tabClosed(name) {
  const b = banks.get(name) || {};
  banks.set(name, { ...b, state: ['done', 'declined', 'error', 'left'].includes(b.state) ? b.state : 'closed' });
}

// The 'bye' a closing tab sends may never arrive (a crash, or a tab torn down first): its lock
// (fl-common.js bankLock) comes to this page once the tab is gone, whatever the timing.
function watchTab(d) {
  if (!navigator.locks || typeof d.instance !== 'string' || !Number.isInteger(d.part) || watching.has(d.instance)) return;
  watching.add(d.instance);
  navigator.locks.request(bankLock(session.task, d.part), () => {
    gone.add(d.instance);
    if (banks.get(d.name)?.instance !== d.instance) return; // the bank's tab was reopened since
    tabClosed(d.name);
    renderBanks();
  });
}

function onChannel(m) {
  const d = m.data;
  if (!d || typeof d.name !== 'string' || !session.banks.some((b) => b.name === d.name)) return;
  if (d.type === 'bank') {
    if (gone.has(d.instance)) return; // a closed tab's message, delivered late
    banks.set(d.name, { ...d, seen: Date.now() });
    watchTab(d);
  } else if (d.type === 'bye') {
    tabClosed(d.name);
  } else if (d.type === 'model' && d.model instanceof Uint8Array && Number.isInteger(d.round)) {
    if (!models.has(d.round)) models.set(d.round, d.model);
    evaluateModels();
  }
  renderBanks();
}

// ---- 3. the rounds ----

// The committed rounds, oldest first: version k of the global model is the result of the k-th.
const committed = () => rounds.filter((r) => r.state === 'committed').map((r) => r.round);

// A MODEL frame tagged `tag` (the round it was sent for) carries the newest version when it was
// sent: the last round committed before `tag`. Known once attempt tag - 1 has ended here.
function versionOf(tag) {
  if (tag === 1) return 0;
  const prev = rounds.filter((r) => r.round === tag - 1);
  if (!prev.length || prev.some((r) => r.state === 'running')) return null;
  const c = committed().filter((r) => r < tag);
  return c.length ? c[c.length - 1] : 0;
}

async function evaluateModels() {
  if (evaluating || !worker || !testText) return;
  evaluating = true;
  try {
    for (const [tag, model] of models) {
      const v = versionOf(tag);
      if (v === null || tested.has(v)) continue;
      const r = await worker.evaluate({ model, data: testText, format: 'arff' });
      tested.set(v, r);
    }
  } catch (err) {
    console.error('evaluating a global model failed:', err);
  } finally {
    evaluating = false;
  }
  render();
}

function dropped(r) {
  if (r.state === 'committed') return r.participants - r.survivors - r.declined;
  const m = /(\d+) of (\d+) participants left/.exec(r.detail || '');
  return m ? Number(m[2]) - Number(m[1]) - r.declined : null;
}

function render() {
  if (!task) return;
  const c = committed();
  main.dataset.committed = String(c.length);
  $('m-task').textContent = `${task.name} (${task.state})`;
  $('m-committed').textContent = `${task.committed_rounds} of ${task.rounds}`;
  const mv = $('m-val');
  const va = task.metrics ? task.metrics.validation_accuracy : null;
  mv.textContent = va === null || va === undefined ? '–' : `${pct(va)} (round ${task.model_version})`;
  if (Number.isFinite(va)) mv.dataset.value = String(va);
  const versions = [0, ...c];
  const last = versions.filter((v) => tested.has(v)).pop();
  const mt = $('m-test');
  if (last !== undefined) {
    mt.textContent = `${pct(tested.get(last).accuracy)} (version ${last})`;
    mt.dataset.value = String(tested.get(last).accuracy);
    mt.dataset.version = String(last);
  }
  let bin = 0, bout = 0;
  for (const r of rounds) {
    bin += r.bytes_in || 0;
    bout += r.bytes_out || 0;
  }
  $('m-bytes').textContent = `${kb(bin)} in / ${kb(bout)} out`;

  // Rounds table: newest first.
  const body = $('round-rows');
  body.replaceChildren();
  for (const r of [...rounds].reverse()) {
    const tr = body.insertRow();
    const m = r.metrics || {};
    const drop = dropped(r);
    Object.assign(tr.dataset, {
      round: String(r.round), state: r.state, participants: String(r.participants), survivors: String(r.survivors),
      declined: String(r.declined), dropped: drop === null ? '' : String(drop),
    });
    if (Number.isFinite(m.validation_accuracy)) tr.dataset.validationAccuracy = String(m.validation_accuracy);
    if (r.state === 'committed' && tested.has(r.round)) tr.dataset.testAccuracy = String(tested.get(r.round).accuracy);
    if (r.bytes_in !== null && r.bytes_in !== undefined) {
      tr.dataset.bytesIn = String(r.bytes_in);
      tr.dataset.bytesOut = String(r.bytes_out);
    }
    const cells = [
      String(r.round), r.state === 'running' ? 'running…' : r.state, `${r.participants} of ${task.clients}`,
      r.state === 'committed' ? String(r.survivors) : '–', String(r.declined), drop === null ? '–' : String(drop),
      pct(m.validation_accuracy), tr.dataset.testAccuracy ? pct(Number(tr.dataset.testAccuracy)) : '–',
      r.bytes_in === null || r.bytes_in === undefined ? '–' : `${kb(r.bytes_in)} / ${kb(r.bytes_out)}`,
      r.state === 'running' ? '–' : r.seconds.toFixed(2),
    ];
    for (const v of cells) tr.insertCell().textContent = v;
    if (r.detail) tr.title = r.detail;
    if (r.state === 'aborted') tr.className = 'aborted';
  }

  // Chart: one point per model version k (the k-th committed round made it): its test
  // accuracy, and the validation accuracy and loss the next committed round measured on it.
  const points = versions.map((v, k) => {
    const next = c[k] !== undefined ? rounds.find((r) => r.round === c[k] && r.state === 'committed') : null;
    const nm = next && next.metrics ? next.metrics : {};
    return {
      version: k, testAccuracy: tested.has(v) ? tested.get(v).accuracy : null,
      validationAccuracy: nm.validation_accuracy ?? null, validationLoss: nm.validation_loss ?? null,
    };
  });
  chart.setPoints(Math.max(task.rounds, 1), points, baseline);
  const lastPoint = points[points.length - 1];
  $('chart').setAttribute('aria-label', `Accuracy per global model version. ${c.length} rounds committed; ` +
    `latest test accuracy ${lastPoint && Number.isFinite(lastPoint.testAccuracy) ? pct(lastPoint.testAccuracy) : 'not yet measured'}.`);

  renderServerView();
}

function renderServerView() {
  const ended = rounds.filter((r) => r.state !== 'running');
  const r = ended.filter((x) => x.state === 'committed').pop() || ended.pop();
  const dl = $('server-sums');
  dl.replaceChildren();
  const row = (k, v) => {
    const div = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = v;
    div.append(dt, dd);
    dl.append(div);
  };
  if (!r) {
    row('Rounds', 'none ended yet');
  } else {
    const m = r.metrics || {};
    row(`Round ${r.round}`, r.state);
    row('Banks in the round (the server knows which)', String(r.participants));
    row('Banks whose input is in the sum', r.state === 'committed' ? String(r.survivors) : '–');
    row('Declined (over budget)', String(r.declined));
    if (r.state === 'committed' && m.privacy === 'user') {
      // USER: each bank weighs 1 and reports its accuracy (noised) and a 1 (noised), so the
      // server sums banks, not rows
      row('Sum of weights (1 per bank)', Number.isFinite(m.weight) ? m.weight.toFixed(0) : '–');
      row('Banks counted in the metrics (a noisy sum of 1s)', Number.isFinite(m.validation_rows) ? m.validation_rows.toFixed(1) : '–');
      row('Sum of the banks\' noisy accuracies ÷ that count', pct(m.validation_accuracy));
    } else if (r.state === 'committed') {
      row('Sum of training rows (weight)', Number.isFinite(m.weight) ? m.weight.toFixed(0) : '–');
      row(m.privacy === 'record' ? 'Sum of validation rows (noisy)' : 'Sum of validation rows',
        Number.isFinite(m.validation_rows) ? m.validation_rows.toFixed(1) : '–');
      row('Correct validation predictions ÷ rows, both summed', pct(m.validation_accuracy));
    }
    if (r.state === 'committed') {
      row('Validation loss (summed)', Number.isFinite(m.validation_loss) ? m.validation_loss.toFixed(4) : 'withheld: privacy');
      row('Norm of the averaged update', Number.isFinite(m.update_norm) ? m.update_norm.toFixed(4) : '–');
      row('New global model', `version ${r.round}`);
    } else {
      row('Why', r.detail || '–');
    }
    row('Traffic of the round', r.bytes_in === null || r.bytes_in === undefined ? '–' : `${kb(r.bytes_in)} in, ${kb(r.bytes_out)} out`);
  }
  $('server-record').textContent = r ? JSON.stringify(r, null, 2) : '';
  $('server-terms').textContent = JSON.stringify({ terms: task.terms, clients: task.clients, threshold: task.threshold,
    rounds: task.rounds, deadline: task.deadline, interval: task.interval, model: task.model }, null, 2);
}

async function poll() {
  try {
    const [sr, rr] = await Promise.all([
      fetch('/api/status', { cache: 'no-store' }),
      fetch(`/api/tasks/${encodeURIComponent(session.task)}/rounds`, { cache: 'no-store' }),
    ]);
    if (!sr.ok || !rr.ok) throw new Error(`hush-server answered HTTP ${sr.ok ? rr.status : sr.status}`);
    const status = await sr.json();
    const t = status.tasks.find((x) => x.name === session.task);
    if (!t) {
      stopPolling();
      showError($('error'), `hush-server has no task ${session.task}.`, ['The demo server was restarted with another database; create a new task.']);
      setState('error', 'The task is gone.');
      return;
    }
    task = t;
    rounds = await rr.json();
    evaluateModels();
    render();
    const c = committed().length;
    const running = rounds.some((r) => r.state === 'running');
    const alive = session.banks.filter((b) => bankOpen(banks.get(b.name))).length;
    if (t.state === 'done') {
      const finalVersion = committed().pop() ?? 0;
      if (!doneAt) doneAt = Date.now();
      const acc = tested.get(finalVersion);
      setState('done', `Done: ${c} rounds committed.` + (acc ? ` The final global model scores ${pct(acc.accuracy)} on ${testRows} held-out rows.` : ''));
      if (acc || Date.now() - doneAt > 10_000) stopPolling();
    } else if (!running && c < t.rounds && alive < t.threshold && session.banks.every((b) => banks.has(b.name))) {
      const spent = session.banks.filter((b) => banks.get(b.name).state === 'declined').length;
      setState('stalled', `Round ${t.round} cannot start: ${alive} bank${alive === 1 ? ' is' : 's are'} still taking part and a round needs ${t.threshold}. ` +
        (spent && session.banks.length - spent < t.threshold
          ? `${spent} bank${spent === 1 ? ' has spent its' : 's have spent their'} privacy budget: the task stops here.`
          : 'Reopen banks from the table to continue.'));
    } else if (running || c > 0) {
      const r = rounds[rounds.length - 1];
      setState('running', running ? `Round ${r.round} is running with ${r.participants} banks…` :
        `Round ${r.round} ${r.state}; the next starts in ${t.interval} s (or ${t.deadline} s if a bank is missing).`);
    } else if (banks.size) {
      setState('running', 'Waiting for the banks to join the first round…');
    }
  } catch (err) {
    $('status').textContent = `Cannot reach hush-server: ${err.message}. Retrying…`;
  }
}

function stopPolling() {
  clearInterval(polling);
  polling = null;
}

async function startSession() {
  $('setup').hidden = true;
  for (const id of ['session', 'progress', 'server-view']) $(id).hidden = false;
  main.dataset.task = session.task;
  // Under a privacy unit the banks send no loss (only noisy counts): no loss panel then.
  if (session.privacy !== 'none') {
    chart.opts.lossKey = null;
    document.querySelector('.legend .k-loss').hidden = true;
  }
  const when = new Date(session.expires * 1000).toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit' });
  $('session-text').textContent = `Task ${session.task}: ${session.banks.length} banks, a round needs ${session.threshold}; ` +
    `privacy ${session.privacy}${session.budget === null ? '' : ` with a budget of ε ${session.budget} per bank`}; ` +
    `${session.rounds} rounds, ${session.interval} s apart. Each bank link carries a one-time enrolment token ` +
    `(valid until ${when}); once a bank has joined, its identity stays in this browser.` +
    (session.privacy === 'user' ? ' User-level noise must hide a whole bank in the sum of a few banks: expect it to ' +
      'outweigh their updates and their accuracies (this unit pays off with hundreds of participants).' : '');
  setState('session', 'Open the banks: each tab joins the task with its own shard.');
  renderBanks();
  const channel = new BroadcastChannel(channelName(session.task));
  channel.onmessage = onChannel;
  channel.postMessage({ type: 'ping' }); // tabs already open (a reload of this page) report back
  $('open-banks').addEventListener('click', openBanks);
  polling = setInterval(poll, POLL_MS);
  poll();
  // The held-out test rows, and a worker to score each global model version on them.
  try {
    const res = await fetch(DATA_URL);
    if (!res.ok) throw new Error(`${new URL(DATA_URL).pathname} answered HTTP ${res.status}`);
    const split = splitCredit(await res.text(), session);
    const w = await createWorker({ onCsp: ({ directive, blocked }) => noteCsp('evaluation worker', directive, blocked) });
    const d = await w.describe({ data: split.test, format: 'arff' });
    testRows = d.rows;
    baseline = Math.max(...d.counts) / d.rows;
    testText = split.test;
    worker = w;
    evaluateModels();
  } catch (err) {
    showError($('error'), 'The test rows could not be loaded.', [String(err.message || err), 'Run `sh scripts/bootstrap.sh` and reload.']);
  }
}

async function init() {
  $('privacy').addEventListener('change', () => {
    const p = $('privacy').value;
    if (DEFAULT_BUDGET[p]) $('budget').value = String(DEFAULT_BUDGET[p]);
    updateSpec();
  });
  $('config').addEventListener('input', updateSpec);
  $('config').addEventListener('submit', create);
  updateSpec();
  const frag = readSessionFragment(location.hash);
  if (frag.session) {
    session = frag.session;
    await startSession();
    return;
  }
  setState('setup', 'Choose the banks and the privacy unit, then create the task.');
  if (frag.error) showError($('error'), 'The task could not be created.', [frag.error]);
  await findAdmin();
}

init().catch((err) => {
  showError($('error'), 'Something went wrong.', [String(err && err.message || err)]);
  setState('error', 'Stopped: see the message below.');
});
