// kill -9 at the worst moments: mid-round, inside the commit transaction, and right after it.
// After a restart every committed round is intact (integrity check, byte-identical results), the
// interrupted round is rerun with a fresh session, and the participants reconnect and finish by
// themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WebSocket } from 'ws';
import { load } from '../../web/index.js';
import {
  tempDir, createTask, enroll, status, resultOf, startServer, admin, plainSum, until, sleep, SERVER_TEST,
} from './helpers.mjs';

const hush = await load({ full: true });

function rounds(db, task) {
  return JSON.parse(admin(['rounds', '--db', db, '--task', task]).stdout);
}

function checkIntegrity(db) {
  assert.deepEqual(JSON.parse(admin(['check', '--db', db]).stdout), { integrity: 'ok' });
}

// Participants that keep going across server restarts (their connections reconnect).
async function participants(t, url, db, task, n, dim, bits, { WebSocketFor = () => WebSocket } = {}) {
  const inputs = Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => (i * 1009 + j * 17 + 3) % 2 ** bits));
  const results = [];
  for (let i = 0; i < n; i++) {
    const name = `${task}-${i}`;
    const identity = hush.net.Identity.generate(name);
    const conn = await hush.net.connect(url, { identity, token: enroll(db, name), WebSocket: WebSocketFor(i) });
    t.after(() => conn.close());
    results.push(conn.aggregate(task, Uint32Array.from(inputs[i]), { rounds: 2 }));
  }
  return { inputs, results };
}

test('kill -9 mid-round: the round is rerun with a fresh session, clients continue by themselves', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  createTask(db, 'k9', { dim: 12, clients: 3, threshold: 2, bits: 16, rounds: 2, deadline: 60 });
  let srv = await startServer(t, db);
  const port = srv.port;
  // Participant 0 stalls its first round (stays connected, sends no masked input), so the round
  // is still running when the server dies.
  let stalled = false;
  class Staller extends WebSocket {
    #n = 0;
    send(d) {
      if (!stalled && new Uint8Array(d)[3] === 7 && this.#n++ >= 2) return;
      super.send(d);
    }
  }
  const { inputs, results } = await participants(t, srv.url, db, 'k9', 3, 12, 16, { WebSocketFor: (i) => (i === 0 ? Staller : WebSocket) });
  await until(() => rounds(db, 'k9').some((r) => r.state === 'running'), 10000, 'round 1 to start');
  await sleep(300);
  const ex = await srv.kill9();
  assert.equal(ex.signal, 'SIGKILL');
  stalled = true;
  checkIntegrity(db);
  assert.equal(status(db).tasks[0].committed_rounds, 0);
  srv = await startServer(t, db, [], { port });
  const done = await Promise.all(results);
  for (const r of done) assert.equal(r.committed, 2);
  const want = plainSum(inputs, 16);
  assert.deepEqual(resultOf(db, dir, 'k9', 1), want);
  assert.deepEqual(resultOf(db, dir, 'k9', 2), want);
  const r = rounds(db, 'k9');
  const r1 = r.filter((x) => x.round === 1);
  assert.deepEqual(r1.map((x) => x.state), ['abandoned', 'committed']);
  assert.notEqual(r1[0].session, r1[1].session);
  assert.equal(new Set(r.map((x) => x.session)).size, r.length, 'no session is ever reused');
  await srv.stop();
  checkIntegrity(db);
});

for (const fault of ['commit', 'committed']) {
  test(`kill -9 ${fault === 'commit' ? 'inside the commit transaction' : 'right after the commit'}: nothing committed is lost`, async (t) => {
    const dir = tempDir(t);
    const db = path.join(dir, 'hub.db');
    createTask(db, 'kc', { dim: 9, clients: 3, threshold: 2, bits: 20, rounds: 2, deadline: 30 });
    let srv = await startServer(t, db, [], { bin: SERVER_TEST, env: { HUSH_SERVER_FAULT: fault } });
    const port = srv.port;
    const { inputs, results } = await participants(t, srv.url, db, 'kc', 3, 9, 20);
    const ex = await srv.exited;
    assert.equal(ex.signal, 'SIGKILL', 'the fault point killed the server');
    checkIntegrity(db);
    const want = plainSum(inputs, 20);
    const st = status(db).tasks[0];
    let before = null;
    if (fault === 'commit') {
      assert.equal(st.committed_rounds, 0, 'a transaction cut short commits nothing');
    } else {
      assert.equal(st.committed_rounds, 1);
      before = resultOf(db, dir, 'kc', 1);
      assert.deepEqual(before, want);
    }
    srv = await startServer(t, db, [], { port });
    for (const r of await Promise.all(results)) assert.ok(r.committed >= 1);
    await until(() => status(db).tasks[0].committed_rounds === 2, 30000, 'both rounds to commit');
    assert.deepEqual(resultOf(db, dir, 'kc', 1), want);
    assert.deepEqual(resultOf(db, dir, 'kc', 2), want);
    if (before) assert.deepEqual(resultOf(db, dir, 'kc', 1), before, 'byte-identical after the restart');
    assert.equal(new Set(rounds(db, 'kc').map((x) => x.session)).size, rounds(db, 'kc').length);
    await srv.stop();
    checkIntegrity(db);
  });
}
