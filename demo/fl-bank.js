// One bank of the federated demo (demo/fl-bank.html, opened by the coordinator, demo/federated.html).
// Everything it needs is in the URL fragment (task, bank name, one-time enrolment token, shard,
// privacy unit and budget), so nothing of it reaches a server log. It loads German credit, keeps
// its shard of the training part (the coordinator's held-out test rows are in no shard), and takes
// part in the task through the package's own worker (web/worker.js 'federate':
// hush.FederatedClient with its identity and privacy ledger in IndexedDB). The rows never leave
// the worker; the server gets this bank's update only inside the secure sum.
//
// It tells the coordinator tab how it is doing (state, rows, epsilon spent, the global models it
// received) through a BroadcastChannel: tab to tab in this browser, not through the server. It
// holds a Web Lock for its life, so the coordinator learns it is gone even without its last message.
//
// For the browser test: main[data-state] starting | loading | joining | running | done |
// declined | left | error; main[data-epsilon], [data-budget], [data-rounds] (committed rounds it
// contributed to), [data-declined], [data-rows]; #round-rows tr[data-round][data-outcome].
import { createWorker } from '../web/worker-client.js';
import { DATA_URL, bankLock, channelName, eps, pct, readBankFragment, showError, splitCredit, watchCsp } from './fl-common.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const noteCsp = watchCsp(main);

let params;
let channel = null;
// This tab's life, so the coordinator can tell a late message of a closed tab from a reopened one.
const instance = crypto.randomUUID();
let worker = null;
let lastModel = null;
const st = { state: 'starting', rows: null, trainRows: null, validationRows: null, epsilon: 0, contributed: 0, committed: 0, declined: 0, lastRound: 0 };

function setState(state, message) {
  st.state = state;
  main.dataset.state = state;
  if (message !== undefined) $('status').textContent = message;
  $('leave').disabled = !['joining', 'running'].includes(state);
  announce();
}

function announce() {
  if (!channel) return;
  channel.postMessage({
    type: 'bank', name: params.name, part: params.part, instance, privacy: params.privacy, budget: params.budget, ...st,
  });
}

function updateMeter() {
  const meter = $('eps-meter');
  main.dataset.epsilon = String(st.epsilon);
  if (params.privacy === 'none') {
    meter.max = 1;
    meter.value = 0;
    $('eps-text').textContent = 'no budget: privacy none';
    return;
  }
  meter.max = params.budget;
  meter.value = Math.min(st.epsilon, params.budget);
  meter.low = params.budget * 0.6;
  meter.high = params.budget * 0.9;
  meter.optimum = 0;
  $('eps-text').textContent = `ε ${eps(st.epsilon)} spent of ${params.budget}`;
}

function roundRow(round) {
  let tr = $('round-rows').querySelector(`tr[data-round="${round}"]`);
  if (!tr) {
    tr = $('round-rows').insertRow(0);
    tr.dataset.round = String(round);
    for (let i = 0; i < 5; i++) tr.insertCell();
    tr.cells[0].textContent = String(round);
  }
  return tr;
}

function onEvent(e) {
  if (e.event === 'rows') {
    st.rows = e.rows;
    main.dataset.rows = String(e.rows);
    $('b-rows').textContent = e.rows.toLocaleString('en');
    setState('joining', `Connected with ${e.rows} rows; waiting for the next round…`);
  } else if (e.event === 'model') {
    lastModel = { round: e.round, model: e.model };
    channel?.postMessage({ type: 'model', name: params.name, round: e.round, model: e.model });
  } else if (e.event === 'round') {
    st.contributed++;
    st.lastRound = e.round;
    st.trainRows = e.trainRows;
    st.validationRows = e.validationRows;
    st.epsilon = e.epsilon;
    $('b-train').textContent = String(e.trainRows);
    $('b-val').textContent = String(e.validationRows);
    const tr = roundRow(e.round);
    tr.dataset.outcome = 'sent';
    tr.cells[1].textContent = String(e.n);
    tr.cells[2].textContent = pct(e.validationAccuracy);
    tr.cells[3].textContent = params.privacy === 'none' ? '–' : eps(e.epsilon);
    tr.cells[4].textContent = 'update sent (masked)';
    updateMeter();
    setState('running', `Round ${e.round}: trained on ${e.trainRows} rows and sent the masked update.`);
  } else if (e.event === 'declined') {
    st.declined++;
    st.epsilon = e.epsilon;
    main.dataset.declined = String(st.declined);
    const tr = roundRow(e.round);
    tr.dataset.outcome = 'declined';
    tr.cells[3].textContent = eps(e.epsilon);
    tr.cells[4].textContent = 'declined: over budget';
    updateMeter();
    setState('declined', `Round ${e.round} declined: it would pass this bank's budget of ε ${params.budget}. The bank leaves the task.`);
  } else if (e.event === 'result') {
    const tr = roundRow(e.round);
    if (tr.dataset.outcome === 'sent' || !tr.dataset.outcome) {
      tr.dataset.outcome = e.status;
      tr.cells[4].textContent = e.status === 'committed' ? 'committed' : 'aborted';
    }
    if (e.status === 'committed' && tr.cells[1].textContent) {
      st.committed++;
      main.dataset.rounds = String(st.committed);
    }
    announce();
  }
}

async function run() {
  params = readBankFragment(location.hash);
  main.dataset.name = params.name;
  document.title = `Bank ${params.part + 1} of ${params.parts} · Hush`;
  $('title').textContent = `Bank ${params.part + 1} of ${params.parts}`;
  $('b-name').textContent = params.name;
  $('b-task').textContent = params.task;
  $('b-shard').textContent = `${params.part + 1} of ${params.parts} (IID, seed ${params.seed})`;
  main.dataset.budget = params.budget === null ? '' : String(params.budget);
  $('privacy-text').textContent = {
    none: 'Privacy unit: none. Secure aggregation hides this bank\'s update among the others, but the sum carries no differential-privacy guarantee, so nothing is charged.',
    record: 'Privacy unit: record. This bank trains with DP-SGD, so each round is (ε, δ)-differentially private for every one of its customers\' rows; its validation counts get noise too.',
    user: 'Privacy unit: user (here: the whole bank). The update is clipped and carries this bank\'s share of distributed noise, so each round is (ε, δ)-DP for the bank\'s entire contribution.',
  }[params.privacy];
  updateMeter();
  if (navigator.locks) { // held until the tab goes away; taken before the first message
    await new Promise((held) => navigator.locks.request(bankLock(params.task, params.part), () => {
      held();
      return new Promise(() => {});
    }));
  }
  channel = new BroadcastChannel(channelName(params.task));
  channel.onmessage = (m) => {
    if (m.data && m.data.type === 'ping') {
      announce();
      if (lastModel) channel.postMessage({ type: 'model', name: params.name, ...lastModel });
    }
  };
  addEventListener('pagehide', () => channel?.postMessage({ type: 'bye', name: params.name, part: params.part, instance }));
  setInterval(announce, 2000);

  setState('loading', 'Loading this bank\'s rows…');
  const res = await fetch(DATA_URL);
  if (!res.ok) throw Object.assign(new Error(`${new URL(DATA_URL).pathname} answered HTTP ${res.status}`), { data: true });
  const { train } = splitCredit(await res.text(), params);
  worker = await createWorker({ onCsp: ({ directive, blocked }) => noteCsp('bank worker', directive, blocked) });
  setState('joining', 'Connecting to hush-server…');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const summary = await worker.federate({
    url, name: params.name, token: params.token, task: params.task, data: train, format: 'arff',
    shard: { parts: params.parts, part: params.part, seed: params.seed },
    ledger: params.privacy === 'none' ? undefined : { name: params.name, budgetEpsilon: params.budget, budgetDelta: 1e-5 },
    onEvent,
  });
  if (st.state === 'left') return;
  if (summary.declined) return; // the 'declined' state says why
  setState('done', `The task is finished: this bank contributed to ${summary.contributed} rounds` +
    (params.privacy === 'none' ? '.' : ` and spent ε ${eps(summary.epsilon)} of ${params.budget}.`));
}

$('leave').addEventListener('click', () => {
  if (!worker) return;
  worker.terminate(); // the connection closes: the server counts this bank as dropped or absent
  worker = null;
  setState('left', 'This bank left the task. Reload the tab to rejoin (the identity and ledger are kept).');
  channel?.postMessage({ type: 'bye', name: params.name, part: params.part, instance });
});

run().catch((err) => {
  if (st.state === 'left') return;
  // hush-server's refusal, by its close code (the worker passes hush.net's netCode on)
  const refused = ['HUSH_NET_E_TOKEN', 'HUSH_NET_E_AUTH', 'HUSH_NET_E_REVOKED'].includes(err && err.netCode);
  if (err && err.data) {
    showError($('error'), 'data/credit-g.arff could not be loaded.', [String(err.message), 'Run `sh scripts/bootstrap.sh` and reload.']);
  } else if (refused) {
    showError($('error'), 'hush-server refused this bank\'s enrolment.', [
      String(err.message),
      'The token in this link is one-time and expires after 10 minutes; a bank enrolled in another browser cannot rejoin from here. Create a new task on the coordinator page.',
    ]);
  } else if (params === undefined) {
    showError($('error'), 'This page is opened by the federated coordinator.', [String(err && err.message || err), 'Start from the `Federated learning` demo.']);
  } else {
    showError($('error'), 'This bank stopped.', [String(err && err.message || err)]);
  }
  setState('error', 'Stopped: see the message below.');
});
