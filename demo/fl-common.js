// Shared by the federated demo's coordinator (federated.js) and bank tabs (fl-bank.js): the session
// the coordinator got from scripts/fl-admin.mjs, the bank links, the data split, and small DOM
// helpers. Nothing here talks to the server.
import { creditShards } from '../scripts/credit.mjs';

export const DATA_URL = new URL('../data/credit-g.arff', import.meta.url).href;

// Held-out test rows for the coordinator, and the rest, which the banks shard among themselves
// (web/worker.js's federate op, Dataset.shard with the session's seed): no test row is in any
// bank's shard, and every bank cuts the same partition.
export function splitCredit(text, session) {
  const { train, test } = creditShards(text, 1, { seed: session.seed, testFraction: session.testFraction });
  return { train, test };
}

// The coordinator's session (#s=base64url(JSON)) or an error from the admin (#error=...).
export function readSessionFragment(hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  if (q.has('error')) return { error: q.get('error') };
  const s = q.get('s');
  if (!s) return {};
  try {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const session = JSON.parse(json);
    if (session.v !== 1 || !Array.isArray(session.banks)) throw new Error('unknown session format');
    return { session };
  } catch (err) {
    return { error: `the session in this link is damaged (${err.message}); create a new task` };
  }
}

// A bank tab's address: everything it needs in the fragment, which is never sent to a server.
export function bankUrl(session, part) {
  const b = session.banks[part];
  const q = new URLSearchParams({
    task: session.task, name: b.name, token: b.token, part: String(part), parts: String(session.banks.length),
    privacy: session.privacy, seed: String(session.seed), tf: String(session.testFraction),
  });
  if (session.budget !== null && session.budget !== undefined) q.set('budget', String(session.budget));
  return new URL(`fl-bank.html#${q}`, import.meta.url).href;
}

// The bank's parameters from its fragment; throws on anything malformed.
export function readBankFragment(hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const name = /^[A-Za-z0-9._-]{1,64}$/;
  const int = (k, lo, hi) => {
    const v = Number(q.get(k));
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${k} is missing or out of range`);
    return v;
  };
  const p = {
    task: q.get('task') || '', name: q.get('name') || '', token: q.get('token') || '',
    part: int('part', 0, 7), parts: int('parts', 3, 8), seed: int('seed', 0, 0xffffffff),
    privacy: q.get('privacy') || '', testFraction: Number(q.get('tf')),
    budget: q.has('budget') ? Number(q.get('budget')) : null,
  };
  if (!name.test(p.task) || !name.test(p.name)) throw new Error('the task or bank name is malformed');
  if (!/^[0-9a-f]{64}$/.test(p.token)) throw new Error('the enrolment token is malformed');
  if (p.part >= p.parts) throw new Error('part must be below parts');
  if (!['none', 'record', 'user'].includes(p.privacy)) throw new Error('unknown privacy unit');
  if (!(p.testFraction > 0 && p.testFraction < 1)) throw new Error('tf is out of range');
  if (p.privacy !== 'none' && !(p.budget > 0)) throw new Error('a private task needs a budget');
  return p;
}

// The coordinator and the banks are tabs of one browser on one origin: they talk through a
// BroadcastChannel, never through the server.
export const channelName = (task) => `hush-fl:${task}`;
// A Web Lock each bank tab holds for its life: the coordinator is granted it once the tab is gone
// (closed or crashed), even when the tab's last 'bye' message never arrives.
export const bankLock = (task, part) => `hush-fl:${task}:bank-${part}`;

export const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');
export const eps = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');
export const kb = (v) => (Number.isFinite(v) ? `${(v / 1024).toFixed(1)} KB` : '–');

// Text with `code` fragments as nodes: no markup is ever parsed from strings.
export function richText(el, line) {
  line.split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
      const c = document.createElement('code');
      c.textContent = part.slice(1, -1);
      el.append(c);
    } else if (part) {
      el.append(document.createTextNode(part));
    }
  });
}

export function showError(el, title, lines = []) {
  el.replaceChildren();
  const p = document.createElement('p');
  const b = document.createElement('strong');
  b.textContent = title;
  p.append(b);
  el.append(p);
  for (const line of lines) {
    const q = document.createElement('p');
    richText(q, line);
    el.append(q);
  }
  el.hidden = false;
}

// Content-Security-Policy violations (page or worker) are bugs: counted where the test reads
// them, and loud in the console.
export function watchCsp(main) {
  let n = 0;
  main.dataset.cspViolations = '0';
  const note = (where, directive, blocked) => {
    n++;
    main.dataset.cspViolations = String(n);
    console.error(`Content-Security-Policy violation in the ${where}: ${directive} blocked ${blocked || '(inline)'}`);
  };
  document.addEventListener('securitypolicyviolation', (e) => note('page', e.effectiveDirective || e.violatedDirective, e.blockedURI));
  return note;
}
