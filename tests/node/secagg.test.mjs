// hush.secagg: a whole round driven from JS (bytes in, bytes out) with dropouts gives the plain
// modular sum, so does hush.secagg.run, whose result has the keys and the byte counts of
// `hush secagg sim --json` for the same seed; the authenticated variant with a PKI; the declared
// bounds are enforced; a lying revealer is named; the known-answer files shared with the C tests
// agree; every throw is a HushError with the C status; a freed handle says so; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, builds, load, runCli, tempDir, HushError } from './util.mjs';

function kat(name) {
  const cases = [];
  let cur = null;
  for (const line of readFileSync(join(ROOT, 'tests/vectors/secagg', name), 'utf8').split('\n')) {
    const t = line.trim();
    if (!t) { cur = null; continue; }
    if (t.startsWith('#')) continue;
    const i = t.indexOf('=');
    if (!cur) cases.push(cur = {});
    cur[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return cases;
}
const hex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));

// The protocol by hand: every message through JS. mutate(round, id, bytes) may alter a client's
// message on its way to the server.
function round(hush, cfg, inputs, drop = {}, { keys, mutate } = {}) {
  const server = new hush.secagg.Server({ ...cfg, signPublicKeys: keys?.pks });
  const clients = inputs.map((x, id) => {
    const seed = new Uint8Array(32);
    seed[0] = id;
    seed[1] = 42;
    const c = new hush.secagg.Client({ ...cfg, id, seed, signSecretKey: keys?.sks[id], signPublicKeys: keys?.pks });
    c.setInput(x);
    return c;
  });
  try {
    for (let r = 0; r <= 4; r++) {
      clients.forEach((c, id) => {
        if ((drop[id] ?? 5) <= r || c.round !== r) return;
        let m = c.nextMessage();
        if (m && mutate) m = mutate(r, id, m);
        if (m) {
          try {
            server.receive(m);
          } catch (e) {
            if (!(e instanceof HushError) || e.code !== 'HUSH_ECRYPTO') throw e;
          }
        }
      });
      server.endRound();
      for (let m; (m = server.nextMessage());) clients[m.to].receive(m.bytes);
    }
    return { ...server.result(), faults: server.faults() };
  } finally {
    server.free();
    for (const c of clients) c.free();
  }
}

const session = (s) => new TextEncoder().encode(s.padEnd(16, '.').slice(0, 16));

for (const b of builds) {
  test(`${b.name}: a secure-aggregation round driven from JS equals the plain sum`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const cfg = { n: 7, threshold: 5, maxCorrupt: 1, dim: 50, bits: 20, session: session('node-test') };
    const inputs = Array.from({ length: 7 }, (_, u) => Uint32Array.from({ length: 50 }, (_, i) => (u * 7919 + i * 104729) % (1 << 20)));
    const drop = { 1: 1, 5: 2 };
    const before = hush.heapInUse();
    const { sum, included } = round(hush, cfg, inputs, drop);
    const want = new Uint32Array(50);
    inputs.forEach((x, u) => {
      if ((drop[u] ?? 5) > 2) for (let i = 0; i < 50; i++) want[i] = (want[i] + x[i]) % (1 << 20);
    });
    assert.deepEqual(Array.from(sum), Array.from(want));
    assert.deepEqual(Array.from(included), [1, 0, 1, 1, 1, 0, 1]);
    assert.equal(hush.heapInUse(), before, 'handles leaked heap memory');
    // SecAgg+ neighbourhoods
    const plus = round(hush, { n: 12, threshold: 4, maxCorrupt: 1, dim: 8, neighbours: 4, session: session('node-plus') },
      Array.from({ length: 12 }, () => new Uint32Array(8).fill(3)));
    assert.deepEqual(Array.from(plus.sum), new Array(8).fill(36));
    // below the threshold: abort, no result
    assert.throws(() => round(hush, cfg, inputs, { 0: 2, 1: 2, 2: 2 }), (e) => e instanceof HushError && e.code === 'HUSH_ESTATE');
    assert.equal(hush.heapInUse(), before, 'an aborted round leaked heap memory');
  });

  test(`${b.name}: authenticated round with a PKI, and a lying revealer is refused and named`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    // identities from a fixed seed: Ed25519 key pairs of the simulation's PKI
    const n = 5;
    const cfg = { n, threshold: 4, maxCorrupt: 1, dim: 6, authenticated: true, session: session('node-auth') };
    const ids = hush.secagg.run({ ...cfg, inputs: Array.from({ length: n }, () => [1, 2, 3, 4, 5, 6]), seed: 9 });
    assert.equal(ids.authenticated, true);
    assert.deepEqual(Array.from(ids.sum), [5, 10, 15, 20, 25, 30]);
    // without the PKI an authenticated client cannot even advertise
    const c = new hush.secagg.Client({ ...cfg, id: 0 });
    assert.throws(() => c.nextMessage(), (e) => e.code === 'HUSH_ESTATE');
    c.free();
    // client 2 corrupts its share of client 0's self-mask seed in round 4
    const inputs = Array.from({ length: n }, (_, u) => Uint32Array.from([u, 1, 2, 3, 4, 5]));
    const r = round(hush, { ...cfg, authenticated: false, session: undefined }, inputs, {}, {
      mutate: (rd, id, m) => {
        if (rd === 4 && id === 2) m[32 + 4 + 5] ^= 1;
        return m;
      },
    });
    assert.equal(r.faults[2], hush.constants.HUSH_SECAGG_FAULT_SHARE);
    assert.deepEqual(Array.from(r.sum), [10, 5, 10, 15, 20, 25]);
  });

  test(`${b.name}: hush.secagg.run has the CLI's keys and, for one seed, its byte counts`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const dir = tempDir();
    const rows = Array.from({ length: 6 }, (_, u) => Array.from({ length: 9 }, (_, i) => (u * 31 + i * 7) % 4096));
    const file = join(dir, 'in.csv');
    writeFileSync(file, rows.map((r) => r.join(',')).join('\n') + '\n');
    const args = ['secagg', 'sim', '--inputs', file, '--threshold', '5', '--max-corrupt', '1', '--bits', '12',
      '--seed', '3', '--drop', '4:1', '--json'];
    const cli = runCli('native', args);
    assert.equal(cli.code, 0, cli.stderr);
    const want = JSON.parse(cli.stdout.trim().split('\n').pop());
    const before = hush.heapInUse();
    const { inputs } = hush.secagg.inputsParse(readFileSync(file, 'utf8'), { bits: 12 });
    const got = hush.secagg.run({ inputs, n: 6, threshold: 5, maxCorrupt: 1, bits: 12, seed: 3, drop: { 1: 4 } });
    assert.equal(hush.heapInUse(), before);
    const { sum, included, ...keys } = got;
    assert.deepEqual(Object.keys(keys).sort(), Object.keys(want).sort());
    assert.deepEqual({ ...keys, ms: 0 }, { ...want, ms: 0 });
    const plain = new Uint32Array(9);
    rows.forEach((r) => r.forEach((v, i) => { plain[i] = (plain[i] + v) % 4096; }));
    assert.deepEqual(Array.from(sum), Array.from(plain));
    assert.deepEqual(Array.from(included), [1, 1, 1, 1, 1, 1]);
    assert.equal(readFileSync(join(dir, 'in.csv'), 'utf8').length > 0, true);
    // an abort throws with the round it happened in
    assert.throws(() => hush.secagg.run({ inputs, n: 6, threshold: 5, maxCorrupt: 1, bits: 12, drop: [2, 2, 5, 5, 5, 5] }),
      (e) => e instanceof HushError && e.code === 'HUSH_ESTATE' && /round 2/.test(e.message));
    assert.equal(hush.heapInUse(), before);
  });

  test(`${b.name}: declared bounds, sessions, freed handles and bad arguments`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const s = hush.secagg;
    // 2t > m + c and t - c >= minHonest (Bonawitz et al.)
    assert.doesNotThrow(() => s.configCheck({ n: 5, threshold: 3, maxCorrupt: 0, dim: 4 }));
    assert.throws(() => s.configCheck({ n: 5, threshold: 3, maxCorrupt: 1, dim: 4 }), (e) => e.code === 'HUSH_ERANGE');
    assert.throws(() => new s.Server({ n: 5, threshold: 3, maxCorrupt: 1, dim: 4 }), (e) => e.code === 'HUSH_ERANGE');
    assert.throws(() => s.configCheck({ n: 5, threshold: 3, dim: 4 }), (e) => e instanceof HushError && e.code === 'HUSH_EARG');
    // SecAgg+ and the PKI need a fresh session
    assert.throws(() => s.configCheck({ n: 12, threshold: 4, maxCorrupt: 1, dim: 4, neighbours: 4 }), (e) => e.code === 'HUSH_EARG');
    const a = s.randomSession();
    const b2 = s.randomSession();
    assert.equal(a.length, hush.constants.HUSH_SECAGG_SESSION_BYTES);
    assert.notDeepEqual(a, b2);
    const nb = s.neighbourhood({ n: 12, threshold: 4, maxCorrupt: 1, dim: 4, neighbours: 4, session: a }, 3);
    assert.equal(nb.length, 5);
    assert.ok(nb.includes(3));
    const mem = s.memory({ n: 100, threshold: 51, maxCorrupt: 0, dim: 1000 });
    assert.ok(mem.server > 100 * 100 * 200 && mem.client > 4000);
    // a freed handle says so, with the C status
    const c = new s.Client({ n: 3, threshold: 2, maxCorrupt: 0, dim: 2, id: 0 });
    c.free();
    assert.equal(c.freed, true);
    assert.throws(() => c.nextMessage(), (e) => e instanceof HushError && e.code === 'HUSH_ESTATE' && /freed/.test(e.message));
    c.free(); // idempotent
    assert.throws(() => new s.Client({ n: 3, threshold: 2, maxCorrupt: 0, dim: 2, id: 0, seed: new Uint8Array(5) }),
      (e) => e.code === 'HUSH_EARG');
    assert.throws(() => s.inputsParse('1,2\n3\n'), (e) => e.code === 'HUSH_EFORMAT' && e.line === 2);
  });

  test(`${b.name}: secure-aggregation known answers (shared with C)`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    for (const c of kat('prg.kat')) {
      const got = hush.secagg.prgExpand(hex(c.seed), Number(c.dim), Number(c.bits));
      assert.deepEqual(Array.from(got), c.words.split(/\s+/).map(Number), c.name);
    }
    for (const c of kat('wire.kat')) {
      const cfg = { n: Number(c.n), threshold: Number(c.threshold), maxCorrupt: Number(c.max_corrupt), dim: Number(c.dim),
        bits: Number(c.bits), session: hex(c.session) };
      const cl = new hush.secagg.Client({ ...cfg, id: Number(c.id), seed: hex(c.seed) });
      try {
        assert.deepEqual(Buffer.from(cl.nextMessage()).toString('hex'), c.message, c.name);
        assert.equal(cl.nextMessage(), null);
        // the server side: a truncated message is refused with the C status, then the real one
        const srv = new hush.secagg.Server(cfg);
        try {
          const m = hex(c.message);
          assert.throws(() => srv.receive(m.subarray(0, m.length - 1)), (e) => e.code === 'HUSH_ETRUNC');
          srv.receive(m);
          assert.throws(() => srv.receive(m), (e) => e.code === 'HUSH_ESTATE');
        } finally {
          srv.free();
        }
      } finally {
        cl.free();
      }
    }
  });
}
