// A thousand concurrent authenticated loopback participants complete a SecAgg+ round, and a
// round over TLS (wss://) with a self-signed certificate made here by openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, createTask, enroll, admin, resultOf, startServer, join, writeInput, plainSum, status, run, SWARM } from './helpers.mjs';

const swarm = (args) => run(SWARM, args);

test('1000 concurrent authenticated participants complete a SecAgg+ round', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const n = 1000, dim = 64, bits = 24;
  // SecAgg+: each participant shares with 26 neighbours (Bell et al. take O(log n)).
  createTask(db, 'k', { dim, clients: n, threshold: 14, neighbours: 26, bits, rounds: 1, deadline: 30 });
  const tokens = admin(['enroll', '--db', db, '--name', 'p', '--count', String(n)]).stdout;
  writeFileSync(path.join(dir, 'tokens'), tokens);
  const srv = await startServer(t, db);
  const r = await swarm(['--url', srv.url, '--task', 'k', '--tokens', path.join(dir, 'tokens'), '--json', '--timeout', '120']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.finished, n);
  assert.equal(r.json.committed_min, 1);
  // participant i of the token file contributes (7 i + 13 j + 1) mod 2^bits (tests/server/swarm.c)
  const rounds = JSON.parse(admin(['rounds', '--db', db, '--task', 'k']).stdout);
  assert.equal(rounds.length, 1);
  assert.equal(rounds[0].survivors, n);
  const inputs = Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => (7 * i + 13 * j + 1) % 2 ** bits));
  assert.deepEqual(resultOf(db, dir, 'k', 1), plainSum(inputs, bits));
  await srv.stop();
});

test('wss:// with a self-signed certificate: a round over TLS', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  const o = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  { encoding: 'utf8' });
  assert.equal(o.status, 0, o.stderr);
  createTask(db, 'tls', { dim: 10, clients: 3, threshold: 2, bits: 16, rounds: 1, deadline: 10 });
  const srv = await startServer(t, db, ['--tls-cert', cert, '--tls-key', key]);
  assert.match(srv.url, /^wss:/);
  const inputs = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], [5, 5, 5, 5, 5, 5, 5, 5, 5, 5]];
  const runs = inputs.map((x, i) => join('native', ['--url', srv.url, '--name', `t${i}`, '--identity', path.join(dir, `t${i}.key`),
    '--token', enroll(db, `t${i}`), '--task', 'tls', '--input', writeInput(dir, `t${i}`, x), '--ca', cert, '--json', '--timeout', '60']));
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(resultOf(db, dir, 'tls', 1), plainSum(inputs, 16));
  // a client that does not trust the certificate is refused by TLS and never enrols
  const untrusting = await join('native', ['--url', srv.url, '--name', 'mallory', '--identity', path.join(dir, 'm.key'),
    '--token', enroll(db, 'mallory'), '--task', 'tls', '--input', writeInput(dir, 'm', inputs[0]), '--json', '--timeout', '3']);
  assert.notEqual(untrusting.code, 0);
  assert.equal(status(db).tasks[0].committed_rounds, 1);
  const https = spawnSync('curl', ['-s', '--cacert', cert, `${srv.http}/api/status`], { encoding: 'utf8' });
  if (https.status === 0) assert.equal(JSON.parse(https.stdout).tasks[0].name, 'tls');
  readFileSync(cert);
  await srv.stop();
});
