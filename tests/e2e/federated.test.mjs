// The federated demo end to end in Debian's Chromium, as a person would run it: home page ->
// coordinator -> 3 banks with record-level privacy -> "Open the banks" (three real tabs, each its
// own shard, each the package's own worker) -> rounds commit on hush-server -> one tab is closed
// in the middle of the task -> the task goes on with the two banks left and finishes.
//
// What it checks against sources other than the page itself:
//   - the coordinator's per-round numbers (validation accuracy, participants, traffic) are the
//     server's own, as the test reads them from /api/status and /api/tasks/NAME/rounds;
//   - the test accuracy the coordinator shows for a model version is that version's accuracy on
//     the held-out rows, computed here from `hush-server model` and the session's split;
//   - a bank's epsilon meter is what its privacy ledger in IndexedDB says, read independently;
//   - after the tab closes, a later round commits with 2 participants (or aborts and the next
//     one commits), and the coordinator shows it.
// Screenshots: build/e2e/federated-coordinator.png and build/e2e/federated-bank.png.
//
// Needs: data/credit-g.arff, build/web/ (make wasm), build/native/hush-server, /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startServer, launchChromium, watchPage } from './helpers.mjs';
import { creditShards } from '../../scripts/credit.mjs';

const run = promisify(execFile);
const SHOTS = path.join(ROOT, 'build/e2e');
const BANKS = 3;
const ROUNDS = 6;
const BUDGET = 3;

const PREREQUISITES = [
  ['data/credit-g.arff', 'sh scripts/bootstrap.sh'],
  ['build/web/hush.mjs', 'make wasm'],
  ['build/native/hush-server', 'make native'],
];

let server;
let browser;
before(async () => {
  const missing = PREREQUISITES.filter(([f]) => !existsSync(path.join(ROOT, f)));
  assert.deepEqual(missing, [], `missing ${missing.map(([f, how]) => `${f} (${how})`).join(', ')}`);
  server = await startServer();
  browser = await launchChromium();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(p) {
  const res = await fetch(new URL(p, server.origin));
  assert.equal(res.status, 200, p);
  return res.json();
}

// Retries fn until it returns without throwing (the page polls the server on its own clock).
async function eventually(fn, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await sleep(250);
    }
  }
}

// Waits for main[data-state] in `states`; 'error' fails with the page's message.
async function waitForState(page, states, timeout) {
  await page.waitForFunction(
    (wanted) => {
      const s = document.querySelector('main').dataset.state;
      return wanted.includes(s) || s === 'error';
    },
    states,
    { timeout, polling: 100 },
  );
  const state = await page.locator('main').getAttribute('data-state');
  if (state === 'error') assert.fail(`${page.url().split('#')[0]} reported an error: ${await page.locator('#status').innerText()} ${await page.locator('#error').innerText()}`);
  return state;
}

// The session the admin put in the coordinator's fragment (scripts/fl-admin.mjs).
function sessionOf(page) {
  const s = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('s');
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

// Test accuracy of global model `version` on the session's held-out rows, computed here: the
// model from the server's own database (`hush-server model`), the rows from the same split.
async function testAccuracy(hush, session, task, version) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hush-fl-e2e-'));
  try {
    const out = path.join(dir, 'model.hush');
    await run(path.join(ROOT, 'build/native/hush-server'), ['model', '--db', server.db, '--task', task, '--round', String(version), '--out', out]);
    const text = await readFile(path.join(ROOT, 'data/credit-g.arff'), 'utf8');
    const { test } = creditShards(text, 1, { seed: session.seed, testFraction: session.testFraction });
    const model = hush.Model.load(new Uint8Array(await readFile(out)));
    const ds = hush.data.parse(test, 'arff');
    try {
      return model.evaluate(ds).accuracy;
    } finally {
      ds.free();
      model.free();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// A bank's meter against its ledger in IndexedDB, read in its own tab with the package (the
// worker saves the ledger before each round's update leaves): equal when no round charged the
// ledger between the two readings, so it retries then.
async function meterMatchesLedger(bank) {
  return eventually(async () => {
    const r = await bank.evaluate(async () => {
      const main = document.querySelector('main');
      const before = main.dataset.epsilon;
      const { load } = await import('/web/index.js');
      const hush = await load();
      const ledger = await hush.net.openLedger(main.dataset.name);
      try {
        return {
          before, after: main.dataset.epsilon, ledger: ledger.odometer.spent().upper, budget: ledger.odometer.budgetEpsilon,
          count: ledger.odometer.count, meter: document.getElementById('eps-meter').value, max: document.getElementById('eps-meter').max,
        };
      } finally {
        ledger.free();
      }
    });
    assert.equal(r.before, r.after, 'a round was charged meanwhile');
    assert.ok(Math.abs(Number(r.after) - r.ledger) < 1e-9, `meter ε ${r.after}, ledger ε ${r.ledger}`);
    return r;
  }, 15_000);
}

test('three bank tabs train German credit on hush-server; a closed tab drops out and the task goes on', { timeout: 180_000 }, async (t) => {
  const { context } = browser;
  const page = await context.newPage();
  const problems = await watchPage(page);
  const popups = [];
  const bankProblems = [];
  context.on('page', (p) => {
    if (p === page) return;
    popups.push(p);
    p.on('console', (m) => { if (m.type() === 'error') bankProblems.push(`console: ${m.text()}`); });
    p.on('pageerror', (e) => bankProblems.push(`pageerror: ${e}`));
  });

  // Home page -> the coordinator, through the card.
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Federated learning' }).click();
  await page.waitForURL('**/demo/federated.html');
  await waitForState(page, ['setup'], 30_000);
  await page.waitForFunction(() => !document.getElementById('create').disabled, null, { timeout: 10_000 });
  await page.getByLabel('Banks', { exact: true }).fill(String(BANKS));
  await page.getByLabel('Privacy unit').selectOption('record');
  await page.getByLabel('Budget ε per bank').fill(String(BUDGET));
  await page.getByLabel('Rounds', { exact: true }).fill(String(ROUNDS));
  await page.getByRole('button', { name: 'Create the task' }).click();
  await page.waitForURL(/federated\.html#s=/);
  await waitForState(page, ['session'], 30_000);
  const session = sessionOf(page);
  const task = session.task;
  assert.equal(await page.locator('main').getAttribute('data-task'), task);
  assert.equal(session.banks.length, BANKS);
  assert.equal(session.threshold, 2);

  // The task on the server is what the form asked for; the tokens are in no server response.
  const created = (await api('/api/status')).tasks.find((t) => t.name === task);
  assert.ok(created, `no task ${task} in /api/status`);
  assert.deepEqual([created.clients, created.threshold, created.rounds, created.terms.privacy], [BANKS, 2, ROUNDS, 'record']);
  assert.ok(created.interval > 0);

  // One click opens the three bank tabs.
  await page.getByRole('button', { name: 'Open the banks' }).click();
  await eventually(() => assert.equal(popups.length, BANKS, `${popups.length} tabs opened`));
  for (const p of popups) await p.waitForURL(/fl-bank\.html#/);
  const byPart = new Map();
  for (const p of popups) byPart.set(Number(new URLSearchParams(new URL(p.url()).hash.slice(1)).get('part')), p);
  assert.deepEqual([...byPart.keys()].sort(), [0, 1, 2]);
  const banks = [0, 1, 2].map((i) => byPart.get(i));
  for (const b of banks) await waitForState(b, ['joining', 'running'], 60_000);
  // Each bank holds a different shard of the training rows (800 rows: the test fifth is in none).
  const rows = await Promise.all(banks.map((b) => b.locator('main').getAttribute('data-rows')));
  assert.equal(rows.map(Number).reduce((a, b) => a + b, 0), 800);
  for (const b of banks) assert.ok(b.workers().some((w) => new URL(w.url()).pathname === '/web/worker.js'), 'no web/worker.js in a bank');

  // Two rounds commit with all three banks.
  await page.waitForFunction(() => Number(document.querySelector('main').dataset.committed) >= 2, null, { timeout: 60_000, polling: 200 });

  // The coordinator's numbers are the server's.
  await eventually(async () => {
    const attempts = await api(`/api/tasks/${task}/rounds`);
    const done = attempts.filter((r) => r.state === 'committed');
    assert.ok(done.length >= 2);
    for (const r of done) {
      const tr = page.locator(`#round-rows tr[data-round="${r.round}"]`);
      assert.equal(await tr.getAttribute('data-state'), 'committed');
      assert.equal(await tr.getAttribute('data-participants'), String(r.participants));
      assert.equal(await tr.getAttribute('data-survivors'), String(r.survivors));
      assert.equal(await tr.getAttribute('data-validation-accuracy'), String(r.metrics.validation_accuracy));
      assert.equal(await tr.getAttribute('data-bytes-in'), String(r.bytes_in));
      assert.equal(await tr.getAttribute('data-bytes-out'), String(r.bytes_out));
      assert.ok(r.bytes_in > 0 && r.bytes_out > 0);
      assert.equal(r.metrics.privacy, 'record');
    }
    const status = (await api('/api/status')).tasks.find((t) => t.name === task);
    assert.equal(await page.locator('#m-val').getAttribute('data-value'), String(status.metrics.validation_accuracy));
    assert.equal(await page.locator('#m-committed').innerText(), `${status.committed_rounds} of ${ROUNDS}`);
  });
  const firstRounds = (await api(`/api/tasks/${task}/rounds`)).filter((r) => r.state === 'committed');
  assert.equal(firstRounds[0].participants, BANKS);

  // A bank's meter is its ledger, and the coordinator shows the same number for it.
  const m = await meterMatchesLedger(banks[0]);
  assert.ok(m.ledger > 0 && m.ledger <= BUDGET, `ε ${m.ledger}`);
  assert.equal(m.budget, BUDGET);
  assert.equal(Number(m.max), BUDGET);
  assert.ok(Math.abs(Number(m.meter) - m.ledger) < 1e-9);
  assert.ok(m.count >= 4, `${m.count} ledger events for 2 rounds (DP-SGD and metrics each)`);
  await eventually(async () => {
    const row = page.locator(`#bank-rows tr[data-bank="${session.banks[0].name}"]`);
    assert.equal(await row.getAttribute('data-epsilon'), await banks[0].locator('main').getAttribute('data-epsilon'));
    assert.equal(await row.getAttribute('data-budget'), String(BUDGET));
  });

  // Close the third bank's tab in the middle of a round.
  const cut = await eventually(async () => {
    const r = (await api(`/api/tasks/${task}/rounds`)).find((a) => a.state === 'running');
    assert.ok(r && r.participants === BANKS, 'no round running with all banks');
    return r.round;
  }, 30_000);
  await banks[2].close();
  await eventually(async () => {
    const row = page.locator(`#bank-rows tr[data-bank="${session.banks[2].name}"]`);
    assert.equal(await row.getAttribute('data-tab'), 'closed');
  });

  // That round finishes without the bank (or aborts, or had all it needed from it already), and
  // the coordinator shows how; a later round commits with the two banks left.
  const cutRound = await eventually(async () => {
    const r = (await api(`/api/tasks/${task}/rounds`)).find((a) => a.round === cut);
    assert.notEqual(r.state, 'running');
    return r;
  }, 30_000);
  t.diagnostic(`round ${cut}, cut mid-round: ${cutRound.state}, ${cutRound.survivors} of ${cutRound.participants} summed`);
  await eventually(async () => {
    const tr = page.locator(`#round-rows tr[data-round="${cut}"]`);
    assert.equal(await tr.getAttribute('data-state'), cutRound.state);
    if (cutRound.state === 'committed') {
      assert.equal(await tr.getAttribute('data-dropped'), String(cutRound.participants - cutRound.survivors));
    }
  });
  const later = await eventually(async () => {
    const attempts = await api(`/api/tasks/${task}/rounds`);
    const r = attempts.find((a) => a.round > cut && a.state === 'committed' && a.participants === 2);
    assert.ok(r, `no round after ${cut} committed with 2 banks: ${JSON.stringify(attempts.map((a) => [a.round, a.state, a.participants, a.survivors]))}`);
    return r;
  }, 60_000);
  assert.equal(later.survivors, 2);
  await eventually(async () => {
    const tr = page.locator(`#round-rows tr[data-round="${later.round}"]`);
    assert.equal(await tr.getAttribute('data-participants'), '2');
    assert.equal(await tr.getAttribute('data-state'), 'committed');
  });

  // The task finishes with the two banks, within their budgets.
  await waitForState(page, ['done'], 90_000);
  for (const b of banks.slice(0, 2)) await waitForState(b, ['done'], 30_000);
  const status = (await api('/api/status')).tasks.find((t) => t.name === task);
  assert.equal(status.state, 'done');
  assert.equal(status.committed_rounds, ROUNDS);
  const final = await meterMatchesLedger(banks[0]);
  assert.ok(final.ledger <= BUDGET && final.ledger > m.ledger, `final ε ${final.ledger}`);

  // The test accuracy the coordinator shows for each committed version is that model's
  // accuracy on the held-out rows, computed here independently.
  const { load } = await import('../../web/index.js');
  const hush = await load();
  const committedRounds = (await api(`/api/tasks/${task}/rounds`)).filter((r) => r.state === 'committed').map((r) => r.round);
  const finalVersion = committedRounds[committedRounds.length - 1];
  await eventually(async () => assert.equal(await page.locator('#m-test').getAttribute('data-version'), String(finalVersion)), 15_000);
  for (const v of [committedRounds[0], finalVersion]) {
    const shown = Number(await page.locator(`#round-rows tr[data-round="${v}"]`).getAttribute('data-test-accuracy'));
    assert.equal(shown, await testAccuracy(hush, session, task, v), `version ${v}`);
  }
  const acc = Number(await page.locator('#m-test').getAttribute('data-value'));
  assert.ok(acc >= 0.55, `final test accuracy ${acc}`); // record-level DP at ε 3 on 200-row banks: near the 70% majority

  // "What the server saw" lists sums only, from the last committed round.
  const last = (await api(`/api/tasks/${task}/rounds`)).filter((r) => r.state === 'committed').pop();
  assert.deepEqual(JSON.parse(await page.locator('#server-record').textContent()), last);
  const sums = await page.locator('#server-sums').innerText();
  assert.match(sums, new RegExp(`Sum of training rows \\(weight\\)\\s+${last.metrics.weight}`));

  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'federated-coordinator.png'), fullPage: true });
  await banks[0].screenshot({ path: path.join(SHOTS, 'federated-bank.png'), fullPage: true });

  // Nothing complained, in the coordinator or the banks.
  assert.deepEqual(await page.evaluate(() => window.__hushCspViolations), []);
  assert.equal(await page.locator('main').getAttribute('data-csp-violations'), '0');
  for (const b of banks.slice(0, 2)) assert.equal(await b.locator('main').getAttribute('data-csp-violations'), '0');
  assert.deepEqual(problems.console, []);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.requests, []);
  assert.deepEqual(bankProblems, []);
});

// Raw request with a chosen Host header (fetch would not send one).
function rawGet(url, host) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: host ? { host } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the task setup listener wants the key and its own Host, and creates nothing otherwise', async () => {
  const admin = await api(`/build/demo/fl-admin-${server.port}.json`);
  assert.match(admin.url, /^http:\/\/127\.0\.0\.1:\d+\/fl\/session$/);
  const before = (await api('/api/status')).tasks.length;
  const wrongKey = await rawGet(`${admin.url}?key=${'0'.repeat(64)}&banks=3`);
  assert.equal(wrongKey.status, 303);
  assert.match(wrongKey.location, /federated\.html#error=wrong%20key/);
  const rebound = await rawGet(`${admin.url}?key=${admin.key}&banks=3`, `evil.example:${new URL(admin.url).port}`);
  assert.equal(rebound.status, 421);
  const badBanks = await rawGet(`${admin.url}?key=${admin.key}&banks=9`);
  assert.match(badBanks.location, /#error=banks%20must%20be/);
  assert.equal((await api('/api/status')).tasks.length, before);
  // hush-server itself has no such endpoint.
  const res = await fetch(new URL('/fl/session', server.origin));
  assert.equal(res.status, 404);
});
