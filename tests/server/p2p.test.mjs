// Encrypted credit decisions over hush-server (hush/p2p.h): a native bank (`hush mpc serve`), the
// server as dealer, and applicants in native code and in Node (`hush mpc apply`, bin/hush-mpc.mjs)
// over loopback. Every one of the 200 held-out German credit applicants must get exactly the
// plaintext model's decision; a bank pinned with another key, a bank that disconnects
// mid-session and a reused session id must each end with a clear error and no decisions; and a
// tap in the test build of the server shows that nothing it relayed or sent holds an applicant's
// input or a weight of the model, and that its dealer received nothing but handshakes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from '../../web/index.js';
import { needData } from '../node/util.mjs';
import { tempDir, enroll, startServer, admin, until, run, HUSH, SERVER_TEST, ROOT } from './helpers.mjs';

const DATA = path.join(ROOT, 'data/credit-g.arff');
const HUSH_MPC = path.join(ROOT, 'bin/hush-mpc.mjs');
const skip = needData('credit-g.arff');


const native = (sub, args) => run(HUSH, ['mpc', sub, ...args]);
const node = (sub, args) => run(process.execPath, [HUSH_MPC, sub, ...args]);

// A bank as a long-running child; resolves once it says it serves.
function startBank(t, kind, args) {
  const [cmd, argv] = kind === 'native' ? [HUSH, ['mpc', 'serve', ...args]] : [process.execPath, [HUSH_MPC, 'serve', ...args]];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, out, err })));
  t.after(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /"serving":"[^"]+","public_key":"([0-9a-f]{64})"/.exec(out);
      if (m) resolve({ proc, exited, publicKey: m[1], stop: () => { proc.kill('SIGTERM'); return exited; } });
    });
    exited.then(({ code }) => reject(new Error(`bank exited (${code}) before serving: ${err}`)));
  });
}

async function status(srv) {
  return (await fetch(`${srv.http}/api/status`)).json();
}

async function serving(srv, name) {
  await until(async () => (await status(srv)).banks?.some((b) => b.name === name && b.serving), 10000, `bank ${name} serving`);
}

let dir, model, modelBytes;
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(tmpdir(), 'hush-p2p-test-'));
  model = path.join(dir, 'credit.model');
  // the credit model of the README, trained on the training split of seed 1
  const r = await run(HUSH, ['train', '--data', DATA, '--model', 'dense:32,relu,dense:16,relu,dense:2', '--epochs', '10',
    '--lr', '0.003', '--optimizer', 'adam', '--weight-decay', '1', '--seed', '1', '--out', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  modelBytes = readFileSync(model);
});

// One server with the dealer and a native bank for the tests that share them.
async function stack(t, { bin, env, bank = 'native' } = {}) {
  const db = path.join(dir, `hub-${Math.random().toString(36).slice(2)}.db`);
  const tokens = {};
  for (const n of ['bank', 'alice', 'bob', 'carol', 'dave']) tokens[n] = enroll(db, n);
  const srv = await startServer(t, db, ['--dealer', '--identity', path.join(dir, `dealer-${path.basename(db)}.key`)], { bin, env });
  const b = await startBank(t, bank, ['--url', srv.url, '--name', 'bank', '--identity', path.join(dir, `bank-${path.basename(db)}.key`),
    '--token', tokens.bank, '--model', model, '--schema', DATA]);
  await serving(srv, 'bank');
  const ident = (n) => path.join(dir, `${n}-${path.basename(db)}.key`);
  const applicant = (n, extra = []) => ['--url', srv.url, '--name', n, '--identity', ident(n), '--token', tokens[n], '--bank', 'bank',
    '--data', DATA, '--test-split', '--seed', '1', '--check-model', model, '--json', ...extra];
  return { db, srv, bank: b, applicant };
}

test('200 held-out applicants, native and Node, get exactly the plaintext decisions', { skip }, async (t) => {
  const { srv, bank, applicant, db } = await stack(t);
  const nat = await native('apply', applicant('alice'));
  assert.equal(nat.code, 0, nat.stderr);
  assert.equal(nat.json.applicants, 200);
  assert.equal(nat.json.decision_agreement, 1);
  const js = await node('apply', applicant('bob'));
  assert.equal(js.code, 0, js.stderr);
  assert.equal(js.json.applicants, 200);
  assert.equal(js.json.decision_agreement, 1);
  // the same 200 in one session of 200 rows (tens of MB of dealer material, flow-controlled)
  const all = await native('apply', applicant('carol', ['--rows', 'all']));
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.json.sessions, 1);
  assert.equal(all.json.decision_agreement, 1);
  // and ten applicants in flight at once
  const conc = await native('apply', applicant('dave', ['--concurrency', '10', '--limit', '100']));
  assert.equal(conc.code, 0, conc.stderr);
  assert.equal(conc.json.decision_agreement, 1);
  for (const [what, r] of [['native', nat.json], ['node', js.json], ['one session', all.json], ['10 in flight', conc.json]]) {
    t.diagnostic(`${what}: ${r.ms_per_applicant.toFixed(2)} ms/applicant, p50 ${r.latency_ms.p50.toFixed(2)} ms, ` +
      `${Math.round(r.bytes_per_applicant)} bytes/applicant`);
  }
  // the server recorded who talked to whom and how many bytes, per session, nothing else
  const st = await status(srv);
  const b = st.banks.find((x) => x.name === 'bank');
  assert.equal(b.served, 200 + 200 + 1 + 100);
  assert.equal(b.failed, 0);
  assert.match(st.dealer.public_key, /^[0-9a-f]{64}$/);
  await srv.stop();
  const lines = admin(['audit', '--db', db]).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const sessions = lines.filter((l) => l.event === 'p2p-session');
  assert.equal(sessions.length, 501);
  assert.match(sessions[0].detail, /^session [0-9a-f]{32} applicant alice bank bank rows 1 link relay: done; relayed \d+ bytes, signalled 0, dealt \d+, [\d.]+ ms$/);
  await bank.stop();
});

test('a bank pinned with another key is refused; the right key works', { skip }, async (t) => {
  const { applicant, bank } = await stack(t);
  const wrong = 'ab'.repeat(32);
  for (const [kind, f] of [['native', native], ['node', node]]) {
    const r = await f('apply', applicant(kind === 'native' ? 'alice' : 'bob', ['--limit', '3', '--bank-key', wrong]));
    assert.equal(r.code, 1, `${kind}: ${r.stdout}`);
    assert.match(r.stderr, /pinned/);
    assert.equal(r.json, null);
  }
  const ok = await native('apply', applicant('alice', ['--limit', '3', '--bank-key', bank.publicKey]));
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.json.decision_agreement, 1);
});

test('a bank that disconnects mid-session: a clear error and no decisions', { skip }, async (t) => {
  const { applicant, bank, srv } = await stack(t);
  const out = path.join(dir, 'decisions.txt');
  // one session of 200 rows takes long enough to kill the bank in the middle of it
  const pending = native('apply', applicant('alice', ['--rows', 'all', '--out', out]));
  await until(async () => (await status(srv)).banks.find((b) => b.name === 'bank').active > 0, 20000, 'the session started');
  bank.proc.kill('SIGKILL');
  const r = await pending;
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /bank disconnected mid-session/);
  assert.match(r.stderr, /no decision was output/);
  assert.equal(existsSync(out), false);
});

test('a reused session id is refused by the bank and the applicant', { skip }, async (t) => {
  // the test build of the server issues the previous session's id again when told to
  const { applicant } = await stack(t, { bin: SERVER_TEST, env: { HUSH_SERVER_P2P_FAULT: 'reuse-session' } });
  const first = await native('apply', applicant('alice', ['--limit', '1']));
  assert.equal(first.code, 0, first.stderr);
  const again = await native('apply', applicant('alice', ['--limit', '1']));
  assert.equal(again.code, 1, again.stdout);
  assert.match(again.stderr, /replay refused|used before/);
});

// ---- the tap ----

// Records of the tap: u8 direction (0 in, 1 out) | u8 type | u64 conn | u32 length | frame.
function readTap(file) {
  const b = readFileSync(file);
  const frames = [];
  for (let o = 0; o + 14 <= b.length;) {
    const len = b.readUInt32LE(o + 10);
    frames.push({ out: b[o] === 1, type: b[o + 1], conn: b.readBigUInt64LE(o + 2), bytes: b.subarray(o + 14, o + 14 + len) });
    o += 14 + len;
  }
  return frames;
}

// The model file's parameters and input standardisation (core/src/io/modelfile.h).
function parseModel(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = dv.getUint32(12, true), inN = dv.getUint32(16, true) * dv.getUint32(20, true) * dv.getUint32(24, true);
  const L = dv.getUint32(28, true), P = Number(dv.getBigUint64(32 + 16 * L, true));
  const params = new Float32Array(P), shift = new Float32Array(inN), scale = new Float32Array(inN);
  for (let i = 0; i < P; i++) params[i] = dv.getFloat32(40 + 16 * L + 4 * i, true);
  if (flags & 1) {
    for (let i = 0; i < inN; i++) shift[i] = dv.getFloat32(40 + 16 * L + 4 * P + 4 * i, true);
    for (let i = 0; i < inN; i++) scale[i] = dv.getFloat32(40 + 16 * L + 4 * P + 4 * inN + 4 * i, true);
  }
  return { params, shift, scale, inN };
}

const fixed = (v) => BigInt.asUintN(64, BigInt(Math.round(v * 65536)));
// At least five bytes that are neither 0 nor 0xff: no header or counter makes it by chance.
const dense = (b) => b.filter((x) => x !== 0 && x !== 0xff).length >= 5;

test('the server relays and deals nothing that reconstructs an input or a weight', { skip }, async (t) => {
  const tap = path.join(tempDir(t), 'tap.bin');
  const { applicant, srv } = await stack(t, { bin: SERVER_TEST, env: { HUSH_SERVER_TAP: tap } });
  const r = await node('apply', applicant('bob', ['--limit', '20']));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.decision_agreement, 1);
  await srv.stop();
  const frames = readTap(tap);
  const outBytes = Buffer.concat(frames.filter((f) => f.out).map((f) => f.bytes));
  const inBytes = Buffer.concat(frames.filter((f) => !f.out).map((f) => f.bytes));
  assert.ok(outBytes.length > 20 * 100000, `the tap saw ${outBytes.length} bytes`);
  // what the applicant holds: her raw rows; what the parties compute on: the standardised rows
  // and the weights in fixed point; the weights as the bank's file has them
  const hush = await load();
  const ds = hush.data.parseArff(readFileSync(DATA, 'latin1'));
  const [train, test] = ds.split({ testFraction: 0.2, seed: 1 });
  const x = test.x.subarray(0, 20 * test.dim);
  const m = parseModel(modelBytes);
  const patterns = [];
  const f32pair = (a, b) => { const v = Buffer.alloc(8); v.writeFloatLE(a, 0); v.writeFloatLE(b, 4); return v; };
  const fixpair = (a, b) => { const v = Buffer.alloc(16); v.writeBigUInt64LE(fixed(a), 0); v.writeBigUInt64LE(fixed(b), 8); return v; };
  for (let i = 0; i + 1 < x.length; i++) {
    patterns.push(f32pair(x[i], x[i + 1]));
    const j = i % m.inN, k = (i + 1) % m.inN;
    patterns.push(fixpair((x[i] - m.shift[j]) * m.scale[j], (x[i + 1] - m.shift[k]) * m.scale[k]));
  }
  for (let i = 0; i + 1 < m.params.length; i++) {
    patterns.push(f32pair(m.params[i], m.params[i + 1]));
    patterns.push(fixpair(m.params[i], m.params[i + 1]));
  }
  const used = patterns.filter(dense);
  assert.ok(used.length > 2000, `${used.length} patterns`);
  // the search works: the bank's model file holds its weights as float32 pairs
  assert.ok(modelBytes.includes(f32pair(m.params[0], m.params[1])));
  const hits = used.filter((p) => outBytes.includes(p) || inBytes.includes(p));
  assert.equal(hits.length, 0, `${hits.length} input or weight patterns in the server's frames`);
  // the dealer received, per session, one handshake message from each party and nothing else
  const dealerIn = frames.filter((f) => !f.out && f.type === 21);
  const perSession = new Map();
  for (const f of dealerIn) {
    const sid = f.bytes.subarray(8, 24).toString('hex');
    perSession.set(sid, (perSession.get(sid) ?? 0) + 1);
    assert.ok(f.bytes.length <= 8 + 17 + 104, `a ${f.bytes.length}-byte frame to the dealer`);
  }
  assert.equal(perSession.size, 20);
  assert.ok([...perSession.values()].every((n) => n === 2));
  train.free(), test.free(), ds.free();
});
