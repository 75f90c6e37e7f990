// Hostile traffic over real sockets. Each bad input gets a clear refusal (a close code and an
// audit-log entry) while an honest participant completes its rounds on the same server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WebSocket } from 'ws';
import { load } from '../../web/index.js';
import { ROOT, tempDir, createTask, enroll, startServer, admin, status, until, sleep } from './helpers.mjs';

const hush = await load();

// A raw connection: frames in, the close code out.
function raw(url, { protocol = 'hush.v1' } = {}) {
  const ws = new WebSocket(url, protocol);
  ws.binaryType = 'arraybuffer';
  const frames = [];
  let waiter = null;
  ws.on('message', (d) => {
    frames.push(new Uint8Array(d));
    waiter?.();
  });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('error', () => {});
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return {
    ws, closed, opened,
    async frame() {
      while (!frames.length) await new Promise((r) => { waiter = r; });
      return frames.shift();
    },
  };
}

function frame(type, body) {
  const f = new Uint8Array(8 + body.length);
  f.set([0x68, 0x6e, 1, type]);
  new DataView(f.buffer).setUint32(4, body.length, true);
  f.set(body, 8);
  return f;
}

const nameBytes = (s) => Uint8Array.from([s.length, ...Buffer.from(s)]);

function audit(db) {
  return admin(['audit', '--db', db]).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('every hostile input is refused with a close code and an audit entry; an honest round completes', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  createTask(db, 'ok', { dim: 8, clients: 3, threshold: 2, bits: 16, rounds: 3, deadline: 5 });
  createTask(db, 'big', { dim: 1 << 21, clients: 3, threshold: 2, bits: 8, rounds: 2, deadline: 2 });
  const srv = await startServer(t, db, ['--max-message', String(4 << 20), '--max-queue', String(1 << 20)]);

  // The honest participants run three rounds while the rest happens.
  const honest = [];
  for (let i = 0; i < 3; i++) {
    const identity = hush.net.Identity.generate(`good-${i}`);
    const conn = await hush.net.connect(srv.url, { identity, token: enroll(db, `good-${i}`) });
    t.after(() => conn.close());
    honest.push(conn.aggregate('ok', Uint32Array.from({ length: 8 }, (_, j) => i + j), { rounds: 3 }));
  }

  const codes = {};
  const expect = async (label, c, code) => {
    const got = await c.closed;
    codes[label] = got.code;
    assert.equal(got.code, code, `${label}: close code ${got.code} (${got.reason})`);
  };

  // malformed, truncated, text, out of order, not a client message
  let c = raw(srv.url);
  await c.frame();
  c.ws.send(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  await expect('malformed', c, 4000);
  c = raw(srv.url);
  await c.frame();
  const trunc = frame(5, nameBytes('ok'));
  c.ws.send(trunc.slice(0, trunc.length - 1));
  await expect('truncated', c, 4000);
  c = raw(srv.url);
  await c.frame();
  c.ws.send('hello');
  await expect('text frame', c, 4000);
  c = raw(srv.url);
  await c.frame();
  c.ws.send(frame(5, nameBytes('ok')));
  await expect('join before auth', c, 4001);
  // oversized: refused by its announced length (4 MiB limit), and sending on after the close
  c = raw(srv.url);
  await c.frame();
  c.ws.send(new Uint8Array((4 << 20) + 1));
  await expect('oversized', c, 4006);
  try { c.ws.send(new Uint8Array(10)); } catch {}
  // a subprotocol other than hush.v1, and a path other than /ws: the upgrade fails
  const other = raw(srv.url, { protocol: 'chat' });
  await assert.rejects(other.opened);
  const wrongPath = raw(srv.url.replace('/ws', '/other'));
  await assert.rejects(wrongPath.opened);

  // Authentication: record a real AUTH frame, then replay it elsewhere.
  let recorded = null;
  class Recorder extends WebSocket {
    send(d) {
      const b = new Uint8Array(d);
      if (b[3] === 2 && !recorded) recorded = b.slice();
      super.send(d);
    }
  }
  const alice = hush.net.Identity.generate('alice');
  const aliceToken = enroll(db, 'alice');
  const ac = await hush.net.connect(srv.url, { identity: alice, token: aliceToken, WebSocket: Recorder });
  ac.close();
  c = raw(srv.url);
  await c.frame();
  c.ws.send(recorded); // the signature covers the first connection's nonce
  await expect('replayed auth', c, 4002);

  const refusedBy = async (label, identity, token, code) => {
    await assert.rejects(hush.net.connect(srv.url, { identity, token }), (e) => e.netCode && e.netCode.length > 0);
    codes[label] = code;
  };
  await refusedBy('reused token, another key', hush.net.Identity.generate('alice'), aliceToken, 4002);
  await refusedBy('wrong token', hush.net.Identity.generate('bob'), 'ab'.repeat(32), 4003);
  await refusedBy('no token, unknown', hush.net.Identity.generate('carol'), undefined, 4002);
  const dave = enroll(db, 'dave');
  admin(['revoke', '--db', db, '--name', 'alice']);
  await refusedBy('revoked', alice, undefined, 4004);
  // a bad signature: flip a bit of the recorded AUTH's signature on a fresh connection
  c = raw(srv.url);
  await c.frame();
  const bad = recorded.slice();
  bad[bad.length - 1] ^= 1;
  c.ws.send(bad);
  await expect('bad signature', c, 4002);
  // an unknown task
  const dc = await hush.net.connect(srv.url, { identity: hush.net.Identity.generate('dave'), token: dave });
  await assert.rejects(dc.aggregate('nope', new Uint32Array(8)), /unknown task/);

  // A participant that never reads: it joins the big task and stops reading. Round 1's result
  // (8 MiB) fills its socket and the transport's buffer; round 2's frames then wait in the
  // server's queue, over --max-queue, and it is dropped.
  let pausedSocket = null;
  class NeverReads extends WebSocket {
    send(d) {
      super.send(d);
      if (new Uint8Array(d)[3] === 5) { this.pause(); pausedSocket = this; } // after JOIN
    }
  }
  const slow = await hush.net.connect(srv.url, { identity: hush.net.Identity.generate('slow'), token: enroll(db, 'slow'), WebSocket: NeverReads });
  t.after(() => slow.close());
  slow.aggregate('big', new Uint32Array(1 << 21)).catch(() => {});
  const bigOnes = [];
  for (let i = 0; i < 2; i++) {
    const conn = await hush.net.connect(srv.url, { identity: hush.net.Identity.generate(`bulk-${i}`), token: enroll(db, `bulk-${i}`) });
    t.after(() => conn.close());
    bigOnes.push(conn.aggregate('big', new Uint32Array(1 << 21).fill(i + 1), { rounds: 2 }));
  }
  await Promise.all(bigOnes);
  await until(() => audit(db).some((e) => e.event === 'refused' && e.detail.startsWith('4010')), 20000, 'the slow reader to be dropped');
  assert.ok(pausedSocket);

  // The honest rounds all committed meanwhile.
  for (const r of await Promise.all(honest)) assert.equal(r.committed, 3);
  assert.equal(status(db).tasks.find((x) => x.name === 'ok').committed_rounds, 3);

  // Every refusal is in the audit log with its code.
  const refusals = audit(db).filter((e) => e.event === 'refused').map((e) => Number(e.detail.split(' ')[0]));
  for (const code of [4000, 4001, 4002, 4003, 4004, 4005, 4006, 4010]) {
    assert.ok(refusals.includes(code), `audit has a refusal with code ${code}: ${JSON.stringify(codes)}`);
  }
  // and the server still serves
  const st = await (await fetch(`${srv.http}/api/status`)).json();
  assert.ok(st.tasks.length === 2);
  await sleep(10);
  await srv.stop();
});

test('--static-allow serves only the listed prefixes, whatever the encoding', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const srv = await startServer(t, db, ['--static', ROOT, '--static-allow', '/demo/,/web/index.js']);
  const get = async (p) => (await fetch(srv.http + p, { redirect: 'manual' })).status;
  assert.equal(await get('/demo/index.html'), 200);
  assert.equal(await get('/demo'), 301);
  assert.equal(await get('/web/index.js'), 200);
  for (const p of ['/package.json', '/web/net.js', '/webx/', '/demo/%2e%2e/package.json', '/demo/../package.json',
    '/%64emo/../package.json', '/build/native/hush', '/tests/server/helpers.mjs']) {
    assert.equal(await get(p), 404, p);
  }
  // without the list, the same server would serve them
  const open = await startServer(t, path.join(dir, 'open.db'), ['--static', ROOT]);
  assert.equal((await fetch(open.http + '/package.json')).status, 200);
});
