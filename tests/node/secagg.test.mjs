// hush.SecAggClient / SecAggServer: a whole round in JS (bytes in, bytes out) with dropouts gives
// the plain modular sum; the known-answer files shared with the C tests agree; an abort below
// the threshold throws HUSH_ESTATE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, builds, load } from './util.mjs';

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

function round(hush, cfg, inputs, drop) {
  const server = new hush.SecAggServer(cfg);
  const clients = inputs.map((x, id) => {
    const seed = new Uint8Array(32);
    seed[0] = id;
    seed[1] = 42;
    const c = new hush.SecAggClient({ ...cfg, id, seed });
    c.setInput(x);
    return c;
  });
  try {
    for (let r = 0; r <= 4; r++) {
      clients.forEach((c, id) => {
        if ((drop[id] ?? 5) <= r || c.round !== r) return;
        const m = c.nextMessage();
        if (m) server.receive(m);
      });
      server.endRound();
      for (let m; (m = server.nextMessage());) clients[m.to].receive(m.bytes);
    }
    return server.result();
  } finally {
    server.free();
    for (const c of clients) c.free();
  }
}

for (const b of builds) {
  test(`${b.name}: secure aggregation round with dropouts equals the plain sum`, async () => {
    const hush = await load({ simd: b.simd });
    const cfg = { n: 7, threshold: 4, dim: 50, bits: 20, session: new TextEncoder().encode('node-test-sessio') };
    const inputs = Array.from({ length: 7 }, (_, u) => Uint32Array.from({ length: 50 }, (_, i) => (u * 7919 + i * 104729) % (1 << 20)));
    const drop = { 1: 1, 3: 3, 5: 2 };
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
    const plus = round(hush, { n: 12, threshold: 3, dim: 8, neighbours: 4 }, Array.from({ length: 12 }, () => new Uint32Array(8).fill(3)), {});
    assert.deepEqual(Array.from(plus.sum), new Array(8).fill(36));
    // below the threshold: abort, no result
    assert.throws(() => round(hush, cfg, inputs, { 0: 2, 1: 2, 2: 2, 3: 2 }), (e) => e.code === 'HUSH_ESTATE');
  });

  test(`${b.name}: secure-aggregation known answers (shared with C)`, async () => {
    const hush = await load({ simd: b.simd });
    for (const c of kat('prg.kat')) {
      const got = hush.secaggPrgExpand(hex(c.seed), Number(c.dim), Number(c.bits));
      assert.deepEqual(Array.from(got), c.words.split(/\s+/).map(Number), c.name);
    }
    for (const c of kat('wire.kat')) {
      const cl = new hush.SecAggClient({ n: Number(c.n), threshold: Number(c.threshold), dim: Number(c.dim),
        bits: Number(c.bits), id: Number(c.id), session: hex(c.session), seed: hex(c.seed) });
      try {
        assert.deepEqual(Buffer.from(cl.nextMessage()).toString('hex'), c.message, c.name);
        assert.equal(cl.nextMessage(), null);
        // replaying the server side: a truncated message is rejected with the C status
        const srv = new hush.SecAggServer({ n: Number(c.n), threshold: Number(c.threshold), dim: Number(c.dim), session: hex(c.session) });
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
