// hush.mpc: fixed point, sharing, the Party state machine over authenticated channels (a JS
// transport moving records), the C drivers called through the exports, and agreement with the
// native CLI (same seed with reproducible noise: the same numbers and the same JSON keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { builds, needData, load, readText, runCli, tempDir } from './util.mjs';

const RING = 1n << 64n;

for (const b of builds) {
  test(`${b.name}: fixedEncode/fixedDecode, shareSplit/shareReconstruct and the teaching example`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const { mpc } = hush;
    const e = mpc.fixedEncode([2, 5, -1.5, 1 / 65536]);
    assert.deepEqual(Array.from(e), [2n << 16n, 5n << 16n, RING - 3n * (1n << 15n), 1n]);
    assert.deepEqual(Array.from(mpc.fixedDecode(e)), [2, 5, -1.5, 1 / 65536]);
    assert.throws(() => mpc.fixedEncode([2 ** 46]), (err) => err instanceof hush.HushError && err.code === 'HUSH_ERANGE');
    assert.throws(() => mpc.fixedEncode([NaN]), (err) => err.code === 'HUSH_ENUMERIC');
    assert.deepEqual(Array.from(mpc.fixedDecode(mpc.fixedEncode([0.1], 8), 8)), [26 / 256]);
    // alice, bob and charlie share 2 and 5; adding shares locally gives shares of 7
    const x = mpc.shareSplit([2], 3, { seed: 1, reproducibleNoise: true });
    const y = mpc.shareSplit([5], 3);
    const z = x.map((s, i) => BigUint64Array.of((s[0] + y[i][0]) % RING));
    assert.deepEqual(Array.from(mpc.fixedDecode(mpc.shareReconstruct(z))), [7]);
    for (const s of x) assert.notEqual(s[0], 2n << 16n);
    assert.notEqual((x[0][0] + x[1][0]) % RING, 2n << 16n);
    // reproducible only on request; the OS otherwise
    assert.deepEqual(mpc.shareSplit([2], 3, { seed: 1, reproducibleNoise: true }), x);
    assert.notDeepEqual(mpc.shareSplit([2], 3, { seed: 1 }), x);
    assert.throws(() => mpc.shareSplit([1], 1), (err) => err.code === 'HUSH_EARG');
    assert.equal(mpc.sessionId().length, hush.constants.HUSH_MPC_SESSION_BYTES);
  });
}

// Every link of one session as JS channels: parties 0..n-1, the dealer, the client.
function links(hush, roles, session) {
  const { Channel, keypair } = hush.channel;
  const { mpc } = hush;
  const keys = new Map(roles.map((p) => [p.role, keypair()]));
  const ends = new Map(); // `${a}>${b}`: a's end of its link with b
  const pair = (a, b) => {
    const mk = (side, me, peer) => new Channel({ side, session, localRole: me, peerRole: peer,
      secretKey: keys.get(me).secretKey, peerPublicKey: keys.get(peer).publicKey });
    const ca = mk('initiator', a, b), cb = mk('responder', b, a);
    for (let step = 0; step < 3; step++) {
      const [from, to] = step === 1 ? [cb, ca] : [ca, cb];
      assert.equal(to.receive(from.nextMessage()), null);
    }
    ends.set(`${a}>${b}`, ca);
    ends.set(`${b}>${a}`, cb);
  };
  const parties = roles.filter((p) => p.role < mpc.DEALER - 1).map((p) => p.role);
  for (const a of parties) for (const b of parties) if (a < b) pair(a, b);
  for (const p of parties) pair(mpc.DEALER, p), pair(mpc.CLIENT, p);
  for (const p of roles) for (const [k, ch] of ends) if (k.startsWith(`${p.role}>`)) p.attach(ch);
  return ends;
}

test('Party: records over JS channels; forged, replayed and misrouted records are refused', async () => {
  const hush = await load({ full: true });
  const { mpc } = hush;
  const model = hush.Model.create('dense:4,relu,dense:2', { inputSize: 3, seed: 3 });
  const heap0 = hush.heapInUse();
  const shares = mpc.modelShare(model, 2);
  const pub = mpc.modelPublic(model);
  const session = mpc.sessionId();
  const guard = new mpc.Guard(4);
  const common = { parties: 2, session, output: 'logits', classes: 2 };
  const client = new mpc.Party({ ...common, role: 'client', model: pub });
  const dealer = new mpc.Party({ ...common, role: 'dealer', model: pub, guard });
  const p = [0, 1].map((i) => new mpc.Party({ ...common, role: i, model: shares[i] }));
  // a session id is used once per guard
  assert.throws(() => new mpc.Party({ ...common, role: 'dealer', model: pub, guard }), (e) => e.code === 'HUSH_ESTATE');
  const roles = [...p, dealer, client];
  let ends;
  try {
    assert.equal(client.state, 'link');
    ends = links(hush, roles, session);
    assert.throws(() => ends.get(`${mpc.CLIENT}>0`).free(), (e) => e.code === 'HUSH_ESTATE'); // lent to the client
    assert.equal(client.state, 'wait-input');
    client.setInput([0.5, -1, 2]);
    const in0 = client.nextMessage();
    const in1 = client.nextMessage();
    assert.equal(in0.to, 0);
    assert.equal(in1.to, 1);
    const tampered = in1.record.slice();
    tampered[40] ^= 1;
    assert.throws(() => p[1].receive('client', tampered), (e) => e.code === 'HUSH_ECRYPTO');
    assert.throws(() => p[1].receive('dealer', in1.record), (e) => e.code === 'HUSH_ECRYPTO'); // not the dealer's key
    assert.throws(() => p[0].receive('client', in1.record), (e) => e.code === 'HUSH_ESTATE' || e.code === 'HUSH_ECRYPTO');
    assert.equal(p[1].state, 'wait-input');
    p[0].receive('client', in0.record);
    p[1].receive('client', in1.record);
    assert.throws(() => p[1].receive('client', in1.record), (e) => e.code === 'HUSH_ESTATE'); // replayed
    // the rest, as a transport would: hold what a role refuses as "not yet"
    const queue = [];
    for (let round = 0; round < 10000 && !roles.every((r) => r.done); round++) {
      for (const r of roles) {
        for (let m = r.nextMessage(); m; m = r.nextMessage()) {
          assert.notEqual(m.to, mpc.DEALER, 'nothing is ever sent to the dealer');
          queue.push({ from: r.role, ...m });
        }
      }
      for (let i = 0; i < queue.length; i++) {
        const m = queue[i];
        const dst = roles.find((r) => r.role === m.to);
        try {
          dst.receive(m.from, m.record);
          queue.splice(i--, 1);
        } catch (e) {
          if (e.code !== 'HUSH_ESTATE') throw e;
        }
      }
    }
    assert.ok(roles.every((r) => r.done));
    const { logits, decisions } = client.result();
    const plain = model.forward([[0.5, -1, 2]]);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(logits[j] - plain[j]) < 1e-3, `${logits} vs ${plain}`);
    assert.equal(decisions[0], plain[1] > plain[0] ? 1 : 0);
  } finally {
    roles.forEach((x) => x.free());
    if (ends) for (const ch of ends.values()) ch.free();
    shares.forEach((m) => m.free());
    pub.free();
    guard.free();
  }
  assert.throws(() => client.state, (e) => e instanceof hush.HushError && e.code === 'HUSH_ESTATE');
  assert.equal(hush.heapInUse(), heap0, 'the wasm heap leaked');
  model.free();
});

test('the C drivers through the exports: run, predictRun (decisions only by default), trainRun', async () => {
  const hush = await load({ full: true });
  const { mpc } = hush;
  const model = hush.Model.create('dense:4,relu,dense:2', { inputSize: 3, seed: 5 });
  const heap0 = hush.heapInUse();
  const x = [[1, 2, 3], [-1, 0.5, 2], [0, 0, 1], [3, -2, 0.5]];
  const plain = model.predict(x);
  const shares = mpc.modelShare(model, 2);
  const pub = mpc.modelPublic(model);
  const session = mpc.sessionId();
  const roles = [
    new mpc.Party({ role: 0, model: shares[0], session }), new mpc.Party({ role: 1, model: shares[1], session }),
    new mpc.Party({ role: 'dealer', model: pub, session }), new mpc.Party({ role: 'client', model: pub, session }),
  ];
  try {
    roles[3].setInput(x[0]);
    const st = mpc.run(roles);
    assert.ok(st.bytes > st.handshake_bytes && st.handshake_bytes > 0 && st.sessions === 1 && st.rounds > 0);
    assert.equal(st.private, true);
    assert.equal(roles[3].result().decisions[0], plain[0]);
    assert.throws(() => roles[3].result().logits.length, TypeError); // no logits unless opted in
  } finally {
    roles.forEach((r) => r.free());
    shares.forEach((m) => m.free());
    pub.free();
  }
  const r = mpc.predictRun(model, x, { batch: 3 });
  assert.deepEqual(Array.from(r.decisions), Array.from(plain));
  assert.equal(r.logits, undefined);
  assert.equal(r.sessions, 2);
  assert.equal(r.noise, 'os');
  const rl = mpc.predictRun(model, x, { output: 'logits' });
  const fw = model.forward(x);
  for (let i = 0; i < fw.length; i++) assert.ok(Math.abs(rl.logits[i] - fw[i]) < 1e-3);
  const lin = hush.Model.create('dense:2', { inputSize: 3, seed: 6 });
  const ts = mpc.trainRun(lin, x, [0, 1, 1, 0], { epochs: 2, batch: 2, lr: 0.1 });
  assert.ok(ts.truncations > 0 && ts.truncation_failure_probability === 0);
  lin.free();
  assert.equal(hush.heapInUse(), heap0, 'the wasm heap leaked');
  model.free();
});

test('encrypted prediction: JS predictEval equals the native CLI (same seed, reproducible noise)', { skip: needData('iris.csv') }, async () => {
  const dir = tempDir();
  const mfile = join(dir, 'iris.model');
  const tr = runCli('native', ['train', '--data', 'data/iris.csv', '--model', 'dense:8,relu,dense:3', '--epochs', '30',
    '--lr', '0.05', '--seed', '1', '--out', mfile, '--json']);
  assert.equal(tr.code, 0, tr.stderr);
  const cli = runCli('native', ['mpc', 'predict', '--model', mfile, '--data', 'data/iris.csv', '--seed', '7', '--batch', '5',
    '--logits', '--reproducible-noise', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /nothing in this run is private/);
  const c = JSON.parse(cli.stdout.trim().split('\n').pop());
  const hush = await load({ full: true });
  const model = hush.Model.load(new Uint8Array(readFileSync(mfile)));
  const ds = hush.data.parseCsv(readText('iris.csv'));
  try {
    const j = hush.mpc.predictEval(model, ds.x, ds.y, { seed: 7, batch: 5, output: 'logits', reproducibleNoise: true });
    assert.equal(c.rows, 150);
    assert.ok(j.max_abs_logit_error < 1e-3, `max logit error ${j.max_abs_logit_error}`);
    assert.ok(j.decision_agreement >= 0.99);
    assert.equal(j.private, false);
    // one core, one answer: the same keys and the same numbers as the CLI
    const { ms_per_prediction: _m, seconds: _s, ...rest } = c;
    assert.deepEqual(Object.keys(j).sort(), Object.keys(rest).sort());
    for (const [k, v] of Object.entries(rest)) {
      if (typeof v === 'number') assert.equal(Number(j[k].toPrecision(6)), Number(v.toPrecision(6)), k);
      else assert.equal(j[k], v, k);
    }
    // without reproducible noise the CLI says so
    const os = runCli('native', ['mpc', 'predict', '--model', mfile, '--data', 'data/iris.csv', '--json']);
    const o = JSON.parse(os.stdout.trim().split('\n').pop());
    assert.equal(o.private, true);
    assert.equal(o.noise, 'os');
    assert.equal(o.output, 'decision');
    assert.equal(o.max_abs_logit_error, undefined);
    assert.equal(os.stderr, '');
  } finally {
    model.free();
    ds.free();
  }
});

test('hush mpc train: logistic regression on shares tracks plaintext; truncation never fails', { skip: needData('credit-g.arff') }, () => {
  const r = runCli('native', ['mpc', 'train', '--data', 'data/credit-g.arff', '--model', 'dense:2', '--epochs', '2',
    '--lr', '0.1', '--seed', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.ok(Math.abs(j.test_accuracy - j.plaintext_test_accuracy) <= 0.015, r.stdout);
  assert.ok(j.plaintext_test_accuracy > 0.7);
  assert.ok(j.truncations > 1000);
  assert.equal(j.truncation_failure_probability, 0);
  assert.equal(j.private, true);
  assert.equal(j.noise, 'os');
  const bad = runCli('native', ['mpc', 'train', '--data', 'data/credit-g.arff', '--model', 'dense:2,relu', '--epochs', '1']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^hush: /);
});
