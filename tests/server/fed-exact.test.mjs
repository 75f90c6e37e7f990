// Federated rounds on the real server path (hush-server over loopback, native participants of
// hush-swarm --fedavg): with noise off, every committed global model equals the previous one plus
// server_lr times the plaintext weighted FedAvg of the participants' own clipped local updates,
// coordinate by coordinate, within the quantisation error (participants / scale / total weight,
// + 1e-6 for float32). hush-swarm --verify recomputes each local training apart from
// hush_federated_contribute; --uneven gives the participants different row counts, so an
// unweighted mean would fail (by ~1e-2 against a bound of ~1e-6). tests/c/test_federated.c checks
// the same in process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { needData, dataFile } from '../data.mjs';
import { creditBounds, creditInputSize } from '../../scripts/credit.mjs';
import { tempDir, admin, startServer, run, SWARM } from './helpers.mjs';

const swarm = (args) => run(SWARM, args);

async function exactRounds(t, { n, rounds, lr = 0.1, extra, shardArgs }) {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const arff = readFileSync(dataFile('credit-g.arff'), 'utf8');
  writeFileSync(path.join(dir, 'bounds'), creditBounds(arff));
  admin(['task', 'create', '--db', db, '--name', 'credit', '--kind', 'fedavg', '--model', 'dense:32,relu,dense:16,relu,dense:2',
    '--input-size', String(creditInputSize(arff)), '--classes', '2', '--rounds', String(rounds), '--clients', String(n),
    '--threshold', String(Math.floor(n / 2) + 1), '--lr', String(lr), '--bounds', path.join(dir, 'bounds'), '--seed', '3',
    '--deadline', '30', ...extra]);
  writeFileSync(path.join(dir, 'tokens'), admin(['enroll', '--db', db, '--name', 'bank', '--count', String(n)]).stdout);
  const srv = await startServer(t, db);
  const r = await swarm(['--url', srv.url, '--task', 'credit', '--tokens', path.join(dir, 'tokens'), '--fedavg',
    '--data', dataFile('credit-g.arff'), '--seed', '11', '--verify', '--uneven', '--rounds', String(rounds), '--json',
    '--timeout', '60', ...shardArgs]);
  await srv.stop();
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(admin(['rounds', '--db', db, '--task', 'credit']).stdout);
  assert.equal(rows.filter((x) => x.state === 'committed' && x.survivors === n).length, rounds);
  return r.json;
}

test('IID credit shards of different sizes: each committed model is weighted FedAvg within the quantisation error',
  { skip: needData('credit-g.arff') }, async (t) => {
    const j = await exactRounds(t, { n: 5, rounds: 3, extra: [], shardArgs: [] });
    t.diagnostic(JSON.stringify(j));
    assert.equal(j.verify_ok, true);
    assert.equal(j.verify_rounds, 3);
    assert.ok(j.verify_max_error <= j.verify_bound, JSON.stringify(j));
    // not vacuous: the update is four orders of magnitude above the bound
    assert.ok(j.verify_max_update > 1e4 * j.verify_bound, JSON.stringify(j));
  });

test('label-skewed shards, updates clipped, server lr 0.7: still exact within the bound',
  { skip: needData('credit-g.arff') }, async (t) => {
    const j = await exactRounds(t, { n: 6, rounds: 2, lr: 0.3, extra: ['--clip', '0.02', '--server-lr', '0.7'],
      shardArgs: ['--labels-per-part', '1', '--shard-seed', '5'] });
    t.diagnostic(JSON.stringify(j));
    assert.equal(j.verify_ok, true);
    assert.equal(j.verify_rounds, 2);
    assert.ok(j.verify_max_error <= j.verify_bound, JSON.stringify(j));
    assert.ok(j.verify_max_update > 100 * j.verify_bound, JSON.stringify(j));
  });

test('--freeze-head: the body is weighted FedAvg within the bound, the classifier comes back bit for bit',
  { skip: needData('credit-g.arff') }, async (t) => {
    const j = await exactRounds(t, { n: 4, rounds: 2, lr: 0.3, extra: ['--freeze-head'],
      shardArgs: ['--labels-per-part', '1', '--shard-seed', '5'] });
    t.diagnostic(JSON.stringify(j));
    assert.equal(j.verify_ok, true);
    assert.equal(j.verify_rounds, 2);
    assert.equal(j.verify_frozen, 2 * (16 * 2 + 2)); // dense:16 -> dense:2, both rounds
    assert.ok(j.verify_max_error <= j.verify_bound, JSON.stringify(j));
    assert.ok(j.verify_max_update > 100 * j.verify_bound, JSON.stringify(j));
  });
