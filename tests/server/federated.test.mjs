// Federated learning over hush-server, end to end: the real server with native (`hush fl join`)
// and Node (bin/hush-fl.mjs, hush.FederatedClient) participants on German credit shards.
//   - with noise off, each committed model version is the plaintext weighted FedAvg of the
//     participants' own local steps, within the quantisation error, coordinate by coordinate;
//   - record-level DP with secure aggregation: every participant's cost is in its ledger file
//     before it sends, the final model is the one every participant holds, and it has learnt;
//   - a participant whose budget cannot pay a round declines: the round commits without it and
//     records the decline, and its ledger is unchanged;
//   - a participant whose connection is cut mid-round is counted once per round: every committed
//     round's total weight is exactly the sum of its survivors' training rows;
//   - kill -9 of the server mid-task: the restarted server resumes from the last committed model
//     version (bytes identical) and the task finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, HUSH, tempDir, admin, enroll, status, startServer, until, run } from './helpers.mjs';
import { needData } from '../data.mjs';
import { load, createWorker, HushError } from '../../web/index.js';
import { creditBounds, creditInputSize, arffParts, shuffled } from '../../scripts/credit.mjs';

const HUSH_FL = path.join(ROOT, 'bin/hush-fl.mjs');
const CREDIT = path.join(ROOT, 'data/credit-g.arff');
const skip = needData('credit-g.arff');

function createFedTask(db, dir, name, opts) {
  const text = readFileSync(CREDIT, 'utf8');
  const bounds = path.join(dir, 'credit.bounds');
  writeFileSync(bounds, creditBounds(text));
  const args = ['task', 'create', '--db', db, '--name', name, '--kind', 'fedavg', '--model', 'dense:8,relu,dense:2',
    '--input-size', String(creditInputSize(text)), '--classes', '2', '--bounds', bounds, '--seed', '7'];
  for (const [k, v] of Object.entries(opts)) args.push(`--${k}`, String(v));
  admin(args);
}

// Shard files of the given sizes (disjoint rows, a fixed shuffle) and the held-out rest.
function shards(dir, sizes) {
  const { header, rows } = arffParts(readFileSync(CREDIT, 'utf8'));
  const p = shuffled(rows.length, 3).map((i) => rows[i]);
  let at = 0;
  const files = sizes.map((n, i) => {
    const f = path.join(dir, `bank-${i}.arff`);
    writeFileSync(f, header + p.slice(at, at + n).join('\n') + '\n');
    at += n;
    return f;
  });
  const test = path.join(dir, 'test.arff');
  writeFileSync(test, header + p.slice(at).join('\n') + '\n');
  return { files, test };
}

// `hush fl join` or `node bin/hush-fl.mjs join`.
const flJoin = (kind, args) =>
  kind === 'native' ? run(HUSH, ['fl', 'join', ...args]) : run(process.execPath, [HUSH_FL, 'join', ...args]);

function participant(srv, dir, db, name, data, extra = []) {
  return ['--url', srv.url, '--name', name, '--identity', path.join(dir, `${name}.key`), '--token', enroll(db, name),
    '--task', 'credit', '--data', data, '--timeout', '120', '--json', ...extra];
}

function modelBytes(db, dir, round) {
  const out = path.join(dir, `v${round ?? 'latest'}.model`);
  admin(['model', '--db', db, '--task', 'credit', ...(round === undefined ? [] : ['--round', String(round)]), '--out', out]);
  return new Uint8Array(readFileSync(out));
}

async function rounds(srv) {
  const r = await fetch(`${srv.http}/api/tasks/credit/rounds`);
  assert.equal(r.status, 200);
  return r.json();
}

function ledgerShow(file) {
  const r = spawnSync(HUSH, ['ledger', 'show', file, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('with noise off each model version is the weighted FedAvg of the local steps (native and Node participants)', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  // Full-batch local steps without a validation split: a participant's local model is one plain
  // gradient step from the global model, which this test recomputes on its own. Shards of
  // different sizes, so an unweighted average would be far off.
  const sizes = [90, 180, 270];
  const { files } = shards(dir, sizes);
  const lr = 0.5;
  createFedTask(db, dir, 'credit', { rounds: 2, clients: 3, threshold: 2, 'local-epochs': 1, 'local-batch': 1024,
    lr, 'validation-fraction': 0, clip: 10, 'max-rows': 1000, deadline: 30 });
  const srv = await startServer(t, db);
  const kinds = ['native', 'node', 'native'];
  const runs = await Promise.all(kinds.map((k, i) => flJoin(k, participant(srv, dir, db, `bank-${i}`, files[i]))));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rounds, 2);
    assert.equal(r.json.privacy, 'none');
    assert.equal(r.json.private, false);
  }
  const hush = await load();
  const data = files.map((f) => hush.data.parse(readFileSync(f), 'arff'));
  // the quantiser of the task (hush/federated.h): bound max_rows * clip over 3 participants, 32 bits
  const q = hush.fl.quantInit({ bits: 32, clients: 3, bound: 1000 * 10 });
  const wsum = sizes.reduce((a, b) => a + b, 0);
  const tol = 3 / (q.scale * wsum) + 1e-5; // rounding of 3 summands, and float summation order
  for (let r = 1; r <= 2; r++) {
    const global = hush.Model.load(modelBytes(db, dir, r - 1));
    const g = global.getParams();
    const want = Float64Array.from(g);
    for (let i = 0; i < 3; i++) {
      const m = hush.Model.load(modelBytes(db, dir, r - 1), { maxBatch: 1024 });
      m.setOptimizer({ optimizer: 'sgd', lr });
      m.step(data[i].x, data[i].y);
      const p = m.getParams();
      for (let j = 0; j < g.length; j++) want[j] += (sizes[i] / wsum) * (p[j] - g[j]);
      m.free();
    }
    const got = hush.Model.load(modelBytes(db, dir, r)).getParams();
    let worst = 0, moved = 0;
    for (let j = 0; j < g.length; j++) {
      worst = Math.max(worst, Math.abs(got[j] - want[j]));
      moved = Math.max(moved, Math.abs(want[j] - g[j]));
    }
    assert.ok(worst <= tol, `round ${r}: |model - plaintext weighted FedAvg| = ${worst} > ${tol}`);
    assert.ok(moved > 100 * tol, `round ${r}: the step (${moved}) is too small for the check to mean anything`);
    global.free();
  }
  for (const d of data) d.free();
});

test('record-level DP with secure aggregation: costs stored before sending, one final model, and it learnt', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const { files, test: testFile } = shards(dir, [200, 200, 200, 200]);
  createFedTask(db, dir, 'credit', { rounds: 3, clients: 4, threshold: 3, 'local-epochs': 2, 'local-batch': 16, lr: 0.2,
    privacy: 'record', clip: 1, 'noise-multiplier': 1.0, deadline: 30 });
  const srv = await startServer(t, db);
  const kinds = ['native', 'node', 'native', 'node'];
  const runs = await Promise.all(kinds.map((k, i) => flJoin(k, participant(srv, dir, db, `bank-${i}`, files[i], [
    '--ledger', path.join(dir, `bank-${i}.ledger`), '--budget-epsilon', '100', '--delta', '1e-5',
    '--out', path.join(dir, `bank-${i}.model`)]))));
  const final = modelBytes(db, dir);
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rounds, 3);
    assert.equal(r.json.private, true);
    assert.equal(r.json.noise, 'os');
    const led = ledgerShow(path.join(dir, `bank-${i}.ledger`));
    assert.equal(led.events, 6, 'two events (DP-SGD and the metrics) per round');
    assert.ok(Math.abs(led.epsilon - r.json.epsilon) <= 1e-9 * Math.max(1, led.epsilon), `${led.epsilon} vs ${r.json.epsilon}`);
    assert.deepEqual(new Uint8Array(readFileSync(path.join(dir, `bank-${i}.model`))), final, `bank-${i} holds the final model`);
  }
  const st = status(db).tasks.find((x) => x.name === 'credit');
  assert.equal(st.committed_rounds, 3);
  assert.equal(st.metrics.privacy, 'record');
  // The final model beats the prior of the training classes' majority on held-out rows.
  const ev = spawnSync(HUSH, ['eval', '--model', path.join(dir, 'bank-0.model'), '--data', testFile, '--json'], { encoding: 'utf8' });
  assert.equal(ev.status, 0, ev.stderr);
  const acc = JSON.parse(ev.stdout).accuracy;
  assert.ok(acc >= 0.62, `test accuracy ${acc}`);
});

test('a participant over budget declines: the round commits without it, records it, and charges nothing', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const { files } = shards(dir, [150, 150, 150, 150]);
  createFedTask(db, dir, 'credit', { rounds: 1, clients: 4, threshold: 3, 'local-epochs': 1, 'local-batch': 16, lr: 0.2,
    privacy: 'record', clip: 1, 'noise-multiplier': 1.0, deadline: 30 });
  // bank-3's ledger is nearly spent: any DP round would exceed it
  const full = path.join(dir, 'bank-3.ledger');
  for (const args of [['create', full, '--budget-epsilon', '1'], ['charge', full, '--epsilon', '0.999', '--event-delta', '0']]) {
    const r = spawnSync(HUSH, ['ledger', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const before = readFileSync(full);
  const srv = await startServer(t, db);
  const runs = await Promise.all([0, 1, 2, 3].map((i) => flJoin(i % 2 ? 'node' : 'native', participant(srv, dir, db,
    `bank-${i}`, files[i], i === 3 ? ['--ledger', full] : []))));
  for (const r of runs.slice(0, 3)) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rounds, 1);
  }
  const d = runs[3];
  assert.equal(d.code, 0, `declining is not a failure: ${d.stderr}`);
  assert.equal(d.json.declined, 1);
  assert.equal(d.json.contributed, 0);
  assert.deepEqual(readFileSync(full), before, 'the declined round was not charged');
  const rs = await rounds(srv);
  const committed = rs.filter((x) => x.state === 'committed');
  assert.equal(committed.length, 1);
  assert.equal(committed[0].participants, 4);
  assert.equal(committed[0].survivors, 3);
  assert.equal(committed[0].declined, 1);
  assert.equal(committed[0].metrics.declined, 1);
});

test('a participant cut off mid-round comes back and is counted once per round', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const sizes = [120, 160, 200, 240];
  const { files } = shards(dir, sizes);
  createFedTask(db, dir, 'credit', { rounds: 3, clients: 4, threshold: 3, 'local-epochs': 1, 'local-batch': 32, lr: 0.2,
    deadline: 3 });
  const srv = await startServer(t, db);
  const hush = await load({ full: true });
  const { WebSocket } = await import('ws');
  // bank-3 runs in this process; its first connection is cut right after the first round's model.
  let cut = false;
  class Flaky extends WebSocket {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (m) => {
        const b = new Uint8Array(m.data);
        if (!cut && b[3] === hush.constants.HUSH_NET_ROUND) {
          cut = true;
          setTimeout(() => this.terminate(), 0);
        }
      });
    }
  }
  const others = [0, 1, 2].map((i) => flJoin(i === 1 ? 'node' : 'native', participant(srv, dir, db, `bank-${i}`, files[i])));
  const identity = await hush.net.loadIdentity('bank-3', { file: path.join(dir, 'bank-3.key') });
  const rows = hush.data.parse(readFileSync(files[3]), 'arff');
  const ledger = await hush.net.openLedger('bank-3', { memory: true, budgetEpsilon: 10 });
  const client = new hush.FederatedClient({ url: srv.url, identity, token: enroll(db, 'bank-3'), task: 'credit', data: rows,
    ledger, WebSocket: Flaky });
  const trainRows = {};
  client.addEventListener('round', (e) => { trainRows['bank-3'] = e.detail.trainRows; });
  const mine = await client.run();
  const res = await Promise.all(others);
  for (const r of res) assert.equal(r.code, 0, r.stderr);
  assert.ok(cut, 'the connection was cut');
  assert.ok(mine.rounds >= 1 && mine.lastRound >= 3, JSON.stringify(mine));
  for (const [i, r] of res.entries()) trainRows[`bank-${i}`] = r.json.train_rows;
  // train rows are fixed per participant: round(rows * 0.8) of the identity's own split
  for (const [i, n] of sizes.entries()) assert.equal(trainRows[`bank-${i}`], n - Math.round(n * 0.2));
  const rs = await rounds(srv);
  const committed = rs.filter((x) => x.state === 'committed');
  assert.equal(committed.length, 3);
  for (const r of committed) {
    assert.ok(r.participants <= 4, `round ${r.round}: ${r.participants} participants`);
    // the weight the server summed is each survivor's training rows, once
    const weights = Object.values(trainRows);
    const possible = new Set();
    for (let mask = 0; mask < 16; mask++) {
      if (popcount(mask) !== r.survivors) continue;
      possible.add(weights.reduce((a, w, i) => a + (mask & (1 << i) ? w : 0), 0));
    }
    assert.ok(possible.has(r.metrics.weight), `round ${r.round}: weight ${r.metrics.weight} is not a sum of ${r.survivors} distinct participants' rows`);
  }
  assert.equal(rs[0].survivors, 3, 'the cut round went on without bank-3');
  rows.free();
  ledger.free();
});

function popcount(x) {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

test('kill -9 mid-task: the restarted server resumes from the last committed version and finishes', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const { files } = shards(dir, [150, 150, 150]);
  createFedTask(db, dir, 'credit', { rounds: 4, clients: 3, threshold: 2, 'local-epochs': 3, 'local-batch': 8, lr: 0.1,
    deadline: 5 });
  let srv = await startServer(t, db);
  const port = srv.port;
  const runs = [0, 1, 2].map((i) => flJoin(i === 1 ? 'node' : 'native', participant(srv, dir, db, `bank-${i}`, files[i],
    ['--out', path.join(dir, `bank-${i}.model`)])));
  await until(() => status(db).tasks[0].committed_rounds >= 1, 60000, 'round 1');
  await srv.kill9();
  const v = status(db).tasks[0].model_version;
  assert.ok(v >= 1 && v < 4, `killed after version ${v}`);
  const kept = modelBytes(db, dir, v);
  srv = await startServer(t, db, [], { port });
  assert.deepEqual(modelBytes(db, dir, v), kept, 'the committed version survived byte for byte');
  const res = await Promise.all(runs);
  for (const r of res) assert.equal(r.code, 0, r.stderr);
  const st = status(db).tasks[0];
  assert.equal(st.committed_rounds, 4);
  assert.equal(st.state, 'done');
  const final = modelBytes(db, dir);
  for (let i = 0; i < 3; i++) assert.deepEqual(new Uint8Array(readFileSync(path.join(dir, `bank-${i}.model`))), final);
  assert.deepEqual(modelBytes(db, dir, v), kept);
  assert.ok(existsSync(path.join(dir, 'bank-0.model')));
});

test('a refused participant says why, in the page and through a worker (netCode)', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const { files } = shards(dir, [150]);
  createFedTask(db, dir, 'credit', { rounds: 1, clients: 2, threshold: 2, 'local-epochs': 1, 'local-batch': 16, lr: 0.2,
    deadline: 30 });
  enroll(db, 'bank-x'); // a real token exists; this participant guesses another
  const srv = await startServer(t, db);
  const wrong = '00'.repeat(32);
  const refusedForToken = (e) => e instanceof HushError && e.netCode === 'HUSH_NET_E_TOKEN';
  const hush = await load({ full: true });
  const identity = await hush.net.loadIdentity('bank-x', { file: path.join(dir, 'page.key') });
  const data = hush.data.parse(readFileSync(files[0]), 'arff');
  t.after(() => data.free());
  const client = new hush.FederatedClient({ url: srv.url, identity, token: wrong, task: 'credit', data });
  await assert.rejects(client.run(), refusedForToken);
  const w = await createWorker({ full: true });
  t.after(() => w.terminate());
  await assert.rejects(w.federate({ url: srv.url, name: 'bank-x', identityFile: path.join(dir, 'worker.key'), token: wrong,
    task: 'credit', data: readFileSync(files[0], 'utf8'), format: 'arff' }), refusedForToken);
});
