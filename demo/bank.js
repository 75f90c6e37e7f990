// demo/bank.html: the bank's view. It reads the server's /api/status (which records, per
// session, who talked to whom, when and how many bytes) once a second, and can run a bank in
// this tab (hush.p2p with direct links) serving a model file.
//
// Machine-readable state for the browser tests:
//   main[data-state]   starting | watching | serving | error
//   main[data-served]  sessions served by the shown bank (from the server's status)
import { load } from '../web/index.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const params = new URLSearchParams(location.hash.slice(1));
let shown = params.get('bank') ?? 'bank';
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;

function cell(tr, text) {
  const td = document.createElement('td');
  td.textContent = text;
  tr.append(td);
}

async function refresh() {
  const st = await (await fetch('/api/status', { cache: 'no-store' })).json();
  const banks = st.banks ?? [];
  $('m-dealer').textContent = st.dealer?.enabled ? `${st.dealer.public_key.slice(0, 16)}…` : 'none';
  $('banks').replaceChildren(...banks.map((b) => {
    const tr = document.createElement('tr');
    for (const t of [b.name, `${b.public_key.slice(0, 12)}…`, b.serving ? 'yes' : 'no', b.direct ? 'yes' : 'no', b.served, b.failed]) cell(tr, String(t));
    return tr;
  }));
  const b = banks.find((x) => x.name === shown);
  $('bank-name').textContent = shown;
  if (!b) {
    $('status').textContent = `No bank called ${shown} has served on this server yet.`;
    return;
  }
  main.dataset.served = String(b.served);
  $('m-served').textContent = String(b.served);
  $('m-rows').textContent = String(b.rows);
  $('m-ms').textContent = b.served ? `${b.ms_per_session.toFixed(1)} ms` : '–';
  $('m-bytes').textContent = b.served ? kb(b.bytes_per_session) : '–';
  if (b.recent.length) {
    $('recent').replaceChildren(...b.recent.map((s) => {
      const tr = document.createElement('tr');
      for (const t of [s.applicant, new Date(s.at * 1000).toLocaleTimeString(), s.rows, s.link, `${s.ms.toFixed(1)} ms`, kb(s.bytes), s.state]) cell(tr, String(t));
      return tr;
    }));
  }
  if (main.dataset.state !== 'serving') {
    main.dataset.state = 'watching';
    const n = (k, w) => `${k} ${w}${k === 1 ? '' : 's'}`;
    $('status').textContent = `${shown} ${b.serving ? 'is serving' : 'is not serving now'}: ${n(b.served, 'session')} served, ${b.failed} failed.`;
  }
}

async function serve(ev) {
  ev.preventDefault();
  $('s-go').disabled = true;
  try {
    const hush = await load();
    const name = $('s-name').value.trim();
    const identity = await hush.net.loadIdentity(name);
    const conn = await hush.p2p.connect(url, { identity, token: $('s-token').value.trim() || undefined, role: 'bank' });
    const model = new Uint8Array(await (await fetch($('s-model').value)).arrayBuffer());
    conn.serve(model, '');
    shown = name;
    main.dataset.state = 'serving';
    $('status').textContent = `Serving as ${name} from this tab${conn.direct ? ', with direct links' : ''}.`;
    const info = () => { $('s-info').textContent = `${conn.stats.served} sessions served here, ${conn.stats.failed} failed.`; };
    conn.addEventListener('done', info);
    conn.addEventListener('failed', info);
    info();
  } catch (e) {
    $('error').hidden = false;
    $('error').textContent = e.message;
    $('s-go').disabled = false;
  }
}

$('serve').addEventListener('submit', serve);
const tick = () => refresh().catch((e) => {
  main.dataset.state = 'error';
  $('error').hidden = false;
  $('error').textContent = `Cannot read the server's status: ${e.message}`;
});
tick();
setInterval(tick, 1000);
