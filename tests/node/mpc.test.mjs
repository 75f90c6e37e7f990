// hush.mpc: fixed point, sharing, the Party state machine over bytes, encrypted prediction in
// JS against plaintext, and against the native CLI (same seed, same numbers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { builds, dataFile, needData, load, readText, runCli, tempDir } from './util.mjs';

const RING = 1n << 64n;

for (const b of builds) {
  test(`${b.name}: encode/decode, share/reconstruct and the teaching example`, async () => {
    const hush = await load({ simd: b.simd });
    const { mpc } = hush;
    const e = mpc.encode([2, 5, -1.5, 1 / 65536]);
    assert.deepEqual(Array.from(e), [2n << 16n, 5n << 16n, RING - 3n * (1n << 15n), 1n]);
    assert.deepEqual(Array.from(mpc.decode(e)), [2, 5, -1.5, 1 / 65536]);
    assert.throws(() => mpc.encode([2 ** 46]), (err) => err.code === 'HUSH_ERANGE');
    assert.throws(() => mpc.encode([NaN]), (err) => err.code === 'HUSH_ENUMERIC');
    assert.deepEqual(Array.from(mpc.decode(mpc.encode([0.1], 8), 8)), [26 / 256]);
    // alice, bob and charlie share 2 and 5; adding shares locally gives shares of 7
    const x = mpc.share([2], 3, { seed: 1 });
    const y = mpc.share([5], 3, { seed: 2 });
    const z = x.map((s, i) => BigUint64Array.of((s[0] + y[i][0]) % RING));
    assert.deepEqual(Array.from(mpc.decode(mpc.reconstruct(z))), [7]);
    // no single share and no pair is the secret
    for (const s of x) assert.notEqual(s[0], 2n << 16n);
    assert.notEqual((x[0][0] + x[1][0]) % RING, 2n << 16n);
    // same seed, same shares; different seed, different shares
    assert.deepEqual(mpc.share([2], 3, { seed: 1 }), x);
    assert.notDeepEqual(mpc.share([2], 3, { seed: 3 }), x);
    assert.throws(() => mpc.share([1], 1), (err) => err.code === 'HUSH_EARG');
  });
}

test('Party: bytes in, bytes out; malformed and out-of-order messages are rejected', async () => {
  const hush = await load();
  const { mpc } = hush;
  const model = hush.Model.create('dense:4,relu,dense:2', { inputSize: 3, seed: 3 });
  const heap0 = hush.heapInUse();
  const sm = mpc.shareModel(model, 2, { seed: 4 });
  const common = { parties: 2, session: 5 };
  const client = new mpc.Party({ ...common, role: 'client', model: sm.public, seed: 1 });
  const dealer = new mpc.Party({ ...common, role: 'dealer', model: sm.public, seed: 2 });
  const p = [0, 1].map((i) => new mpc.Party({ ...common, role: i, model: sm.shares[i] }));
  try {
    assert.equal(client.state, 'wait-input');
    assert.equal(p[1].state, 'wait-input');
    client.setInput([0.5, -1, 2]);
    const in0 = client.nextMessage();
    const in1 = client.nextMessage();
    assert.deepEqual(mpc.Party.route(in1), { kind: 'input', from: hush.constants.HUSH_MPC_ROLE_CLIENT, to: 1, seq: 0 });
    for (let n = 0; n < in1.length; n++) {
      assert.throws(() => p[1].receive(in1.subarray(0, n)), (e) => e.code === 'HUSH_ETRUNC' || e.code === 'HUSH_EFORMAT');
    }
    const forged = in1.slice();
    forged[12] ^= 1; // session
    assert.throws(() => p[1].receive(forged), (e) => e.code === 'HUSH_ESTATE');
    forged.set(in1);
    forged[5] = hush.constants.HUSH_MPC_MSG_OPEN; // forged kind
    assert.throws(() => p[1].receive(forged), (e) => e.code === 'HUSH_ESTATE');
    forged.set(in1);
    forged[4] = 9; // version
    assert.throws(() => p[1].receive(forged), (e) => e.code === 'HUSH_EVERSION');
    assert.throws(() => p[0].receive(in1), (e) => e.code === 'HUSH_ESTATE'); // addressed to party 1
    assert.equal(p[1].state, 'wait-input');
    p[0].receive(in0);
    p[1].receive(in1);
    assert.throws(() => p[1].receive(in1), (e) => e.code === 'HUSH_ESTATE'); // duplicate
    assert.equal(p[0].state, 'wait-dealer');
    const stats = mpc.run(p, dealer, client);
    assert.ok(stats.rounds > 0 && stats.bytes > 0);
    const { logits, decisions } = client.result(2);
    const plain = model.forward([[0.5, -1, 2]]);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(logits[j] - plain[j]) < 1e-3, `${logits} vs ${plain}`);
    assert.equal(decisions[0], plain[1] > plain[0] ? 1 : 0);
  } finally {
    [client, dealer, ...p].forEach((x) => x.free());
    sm.shares.forEach((m) => m.free());
    sm.public.free();
  }
  assert.equal(hush.heapInUse(), heap0, 'the wasm heap leaked');
  model.free();
});

test('encrypted prediction: JS agrees with plaintext and with the native CLI (same seed)', { skip: needData('iris.csv') }, async () => {
  const dir = tempDir();
  const mfile = join(dir, 'iris.model');
  const tr = runCli('native', ['train', '--data', 'data/iris.csv', '--model', 'dense:8,relu,dense:3', '--epochs', '30',
    '--lr', '0.05', '--seed', '1', '--out', mfile, '--json']);
  assert.equal(tr.code, 0, tr.stderr);
  const cli = runCli('native', ['mpc', 'predict', '--model', mfile, '--data', 'data/iris.csv', '--seed', '7', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const r = JSON.parse(cli.stdout.trim().split('\n').pop());
  const hush = await load();
  const model = hush.Model.load(new Uint8Array(readFileSync(mfile)));
  const ds = hush.data.parseCsv(readText('iris.csv'));
  try {
    const x = ds.x;
    const enc = hush.mpc.predict(model, x, { seed: 7 });
    const plain = model.forward(x);
    const pd = model.predict(x);
    let maxe = 0, agree = 0;
    for (let i = 0; i < plain.length; i++) maxe = Math.max(maxe, Math.abs(enc.logits[i] - plain[i]));
    for (let i = 0; i < ds.rows; i++) agree += enc.decisions[i] === pd[i] ? 1 : 0;
    assert.equal(r.rows, 150);
    assert.ok(maxe < 1e-3, `max logit error ${maxe}`);
    assert.ok(agree / ds.rows >= 0.995, `agreement ${agree}`);
    // one core, one answer: the same shares, masks and results as the native run
    assert.equal(Number(maxe.toPrecision(9)), r.max_abs_logit_error);
    assert.equal(agree / ds.rows, r.decision_agreement);
    assert.equal(enc.bytes / enc.rows, r.bytes_per_prediction);
  } finally {
    model.free();
    ds.free();
  }
});

test('hush mpc train: logistic regression on shares tracks plaintext', { skip: needData('credit-g.arff') }, () => {
  const r = runCli('native', ['mpc', 'train', '--data', 'data/credit-g.arff', '--model', 'dense:2', '--epochs', '2',
    '--lr', '0.1', '--seed', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.ok(Math.abs(j.test_accuracy - j.plaintext_test_accuracy) <= 0.015, r.stdout);
  assert.ok(j.plaintext_test_accuracy > 0.7);
  const bad = runCli('native', ['mpc', 'train', '--data', 'data/credit-g.arff', '--model', 'dense:2,relu', '--epochs', '1']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^hush: /);
});
