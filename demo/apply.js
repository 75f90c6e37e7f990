// demo/apply.html: an applicant. The form comes from the bank's signed description (its ARFF
// header); on submit the answers become one ARFF row, Hush's own ARFF parser one-hot encodes it,
// and hush.p2p runs the two-party prediction with the bank (core/include/hush/p2p.h): over a
// WebRTC data channel when the bank's tab can make one, else over the server's relay. Only this
// tab ever holds the answers or the decision.
//
// The identity: location.hash may carry name and token (tests); otherwise the page keeps one in
// IndexedDB under a name from localStorage, enrolling it the first time with one of the one-time
// tokens `make demo` wrote to build/demo/applicants.json.
//
// Machine-readable state for the browser tests:
//   main[data-state]  starting | ready | applying | done | error
//   #result[data-decision] approve | decline, [data-ms], [data-bytes], [data-link]
import { load } from '../web/index.js';

const $ = (id) => document.getElementById(id);
const main = $('main');
const params = new URLSearchParams(location.hash.slice(1));
const BANK = params.get('bank') ?? 'bank';
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

let hush = null, conn = null, header = '', attrs = [], inputs = 0;

function setState(state, message) {
  main.dataset.state = state;
  if (message !== undefined) $('status').textContent = message;
}

function showError(msg) {
  setState('error', 'Something went wrong.');
  const e = $('error');
  e.hidden = false;
  e.textContent = msg;
}

// ---- the ARFF header: attribute names, nominal values, numeric columns ----

function unquote(s) {
  s = s.trim();
  if ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) {
    return s.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return s;
}

function splitValues(list) {
  const out = [];
  let cur = '', q = null;
  for (const ch of list) {
    if (q) {
      cur += ch;
      if (ch === q) q = null;
    } else if (ch === "'" || ch === '"') {
      q = ch;
      cur += ch;
    } else if (ch === ',') {
      out.push(unquote(cur));
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) out.push(unquote(cur));
  return out;
}

function parseHeader(text) {
  const out = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*@attribute\s+('[^']*'|"[^"]*"|\S+)\s+(.*)$/i.exec(line);
    if (!m) continue;
    const name = unquote(m[1]), type = m[2].trim();
    if (type.startsWith('{')) out.push({ name, values: splitValues(type.slice(1, type.lastIndexOf('}'))) });
    else out.push({ name, numeric: true });
  }
  return out;
}

const DEFAULTS = { duration: 24, credit_amount: 2500, installment_commitment: 3, residence_since: 2, age: 35,
  existing_credits: 1, num_dependents: 1 };
const pretty = (s) => s.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
const isClass = (a, i, all) => a.name.toLowerCase() === 'class' || (i === all.length - 1 && !all.some((x) => x.name.toLowerCase() === 'class'));

function renderForm() {
  const fs = $('fields');
  attrs.forEach((a, i) => {
    if (isClass(a, i, attrs)) return;
    const id = `f-${i}`;
    const div = document.createElement('div');
    div.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = pretty(a.name);
    div.append(label);
    let el;
    if (a.numeric) {
      el = document.createElement('input');
      el.type = 'number';
      el.step = 'any';
      el.required = true;
      el.value = String(DEFAULTS[a.name] ?? 0);
    } else {
      el = document.createElement('select');
      for (const v of a.values) el.append(new Option(v, v));
    }
    el.id = id;
    el.name = a.name;
    div.append(el);
    fs.append(div);
  });
}

const quote = (v) => `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

// The answers as one ARFF row, one-hot encoded by Hush's own parser (the class is a placeholder).
function features() {
  const row = attrs.map((a, i) => {
    if (isClass(a, i, attrs)) return quote(a.values[0]);
    const el = $(`f-${i}`);
    if (a.numeric) {
      const v = Number(el.value);
      if (el.value === '' || !Number.isFinite(v)) throw new Error(`${pretty(a.name)} must be a number`);
      el.setAttribute('aria-invalid', 'false');
      return String(v);
    }
    return quote(el.value);
  }).join(',');
  const ds = hush.data.parseArff(`${header}\n@data\n${row}\n`);
  try {
    if (ds.dim !== inputs) throw new Error(`the form gives ${ds.dim} inputs, the model takes ${inputs}`);
    return ds.x;
  } finally {
    ds.free();
  }
}

// ---- identity ----

async function identity() {
  if (params.get('name')) return { id: await hush.net.loadIdentity(params.get('name')), token: params.get('token') };
  const known = localStorage.getItem('hush-demo-applicant');
  if (known) return { id: await hush.net.loadIdentity(known), token: null };
  const r = await fetch('../build/demo/applicants.json', { cache: 'no-store' });
  if (!r.ok) throw new Error('no enrolment token: start the demo with `make demo`');
  const used = new Set(JSON.parse(localStorage.getItem('hush-demo-used') ?? '[]'));
  const free = (await r.json()).applicants.filter((a) => !used.has(a.name));
  if (!free.length) throw new Error('every demo enrolment token has been used: restart `make demo`');
  used.add(free[0].name);
  localStorage.setItem('hush-demo-used', JSON.stringify([...used]));
  return { id: await hush.net.loadIdentity(free[0].name), token: free[0].token, demo: true };
}

// ---- run ----

async function start() {
  hush = await load();
  setState('starting', 'Connecting to the server…');
  const { id, token, demo } = await identity();
  conn = await hush.p2p.connect(url, { identity: id, token });
  if (demo) localStorage.setItem('hush-demo-applicant', id.name);
  $('me').textContent = id.name;
  setState('starting', `Asking for ${BANK}'s description…`);
  const desc = await conn.describe(BANK);
  header = desc.schema;
  attrs = parseHeader(header);
  const pub = hush.Model.load(desc.model);
  inputs = pub.inputSize;
  pub.free();
  const status = await (await fetch('/api/status', { cache: 'no-store' })).json();
  const b = status.banks?.find((x) => x.name === BANK);
  $('bank-name').textContent = BANK;
  $('bank-key').textContent = b ? `${b.public_key.slice(0, 16)}…` : '–';
  $('bank-inputs').textContent = String(inputs);
  $('bank-direct').textContent = desc.direct && conn.direct ? 'yes' : 'no: the server relays';
  main.dataset.dealerKey = status.dealer?.public_key ?? '';
  if (!attrs.length) throw new Error(`${BANK} published no input schema`);
  renderForm();
  $('fields').disabled = false;
  $('submit').disabled = false;
  setState('ready', 'Fill in the form and apply. Your answers stay in this tab.');
}

async function apply(ev) {
  ev.preventDefault();
  let x;
  try {
    x = features();
  } catch (e) {
    showError(e.message);
    return;
  }
  $('error').hidden = true;
  $('submit').disabled = true;
  setState('applying', 'Computing the decision on secret shares with the bank…');
  try {
    const link = params.get('link') ?? (conn.direct && conn.description(BANK)?.direct ? 'direct' : 'relay');
    const r = await conn.apply(BANK, x, { link });
    x.fill(0);
    const approve = r.decisions[0] === 0; // class 0 is "good" in the German credit data
    const res = $('result');
    res.dataset.state = 'done';
    res.dataset.decision = approve ? 'approve' : 'decline';
    res.dataset.ms = r.ms.toFixed(1);
    res.dataset.bytes = String(r.bytes);
    res.dataset.link = r.link;
    $('r-decision').textContent = approve ? 'Approve' : 'Decline';
    $('r-ms').textContent = `${r.ms.toFixed(1)} ms`;
    $('r-bytes').textContent = `${(r.bytes / 1024).toFixed(0)} KB`;
    $('r-link').textContent = r.link === 'direct' ? 'WebRTC, direct' : 'relayed by the server';
    await whoSawWhat(r, approve);
    setState('done', `Done: ${approve ? 'approved' : 'declined'}. Only this tab knows.`);
  } catch (e) {
    showError(`${e.message}. No decision was shown: nothing partial is kept.`);
  } finally {
    $('submit').disabled = false;
  }
}

function list(id, items) {
  const ul = $(id);
  ul.replaceChildren(...items.map((t) => {
    const li = document.createElement('li');
    li.textContent = t;
    return li;
  }));
}

async function whoSawWhat(r, approve) {
  let srv = null;
  try {
    const st = await (await fetch('/api/status', { cache: 'no-store' })).json();
    srv = st.banks?.find((b) => b.name === BANK)?.recent?.find((s) => s.applicant === conn.name) ?? null;
  } catch {}
  list('saw-you', [
    'Your answers, in the clear: they never left this tab.',
    `The decision: ${approve ? 'approve' : 'decline'}, reconstructed here from two shares.`,
    `The session: ${r.session.slice(0, 12)}…, ${r.rows} row, ${(r.ms).toFixed(1)} ms.`,
  ]);
  list('saw-bank', [
    'Its model, in the clear; to you it published the architecture and input scaling only.',
    `From you: ${(r.bytes / 1024).toFixed(0)} KB of shares and masked values, each uniformly random on its own.`,
    `That ${conn.name} applied, when, and the size of the exchange. Not your answers, not the decision.`,
  ]);
  list('saw-server', [
    `Who: ${conn.name} and ${BANK}; when; the link: ${r.link}.`,
    srv ? `How much: ${(srv.bytes / 1024).toFixed(0)} KB relayed, signalled and dealt (its audit log has the line).` : 'How much: the bytes it relayed and dealt (its audit log).',
    'As dealer it sent correlated randomness and received only two handshake messages.',
    'Not your answers, not the decision, not the model\'s weights: it has no key for the records it relays.',
  ]);
}

$('form').addEventListener('submit', apply);
start().catch((e) => showError(e.message));
