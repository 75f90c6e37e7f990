// hush-server over real loopback sockets: native and Node participants mixed, committed sums
// equal to the plaintext sum mod 2^k, drop-outs at every secure-aggregation stage, an abort
// below the threshold followed by the next round, and the status document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { load } from '../../web/index.js';
import {
  tempDir, createTask, enroll, status, resultOf, startServer, join, writeInput, plainSum, until,
} from './helpers.mjs';

const hush = await load({ full: true });

function inputsFor(n, dim, bits, salt) {
  return Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => (salt * 31 + i * 977 + j * 131) % 2 ** bits));
}

test('native and Node participants: two committed rounds, sums exact mod 2^k', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  createTask(db, 'mix', { dim: 40, clients: 4, threshold: 3, bits: 20, rounds: 2, deadline: 30 });
  const srv = await startServer(t, db);
  const inputs = inputsFor(4, 40, 20, 1);
  const runs = inputs.map((x, i) => {
    const name = `mix-${i}`;
    const args = ['--url', srv.url, '--name', name, '--identity', path.join(dir, `${name}.key`), '--token',
      enroll(db, name), '--task', 'mix', '--input', writeInput(dir, name, x), '--rounds', '2', '--json', '--timeout', '60'];
    return join(i % 2 ? 'node' : 'native', args);
  });
  const res = await Promise.all(runs);
  for (const r of res) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.rounds, 2);
  }
  const want = plainSum(inputs, 20);
  assert.deepEqual(resultOf(db, dir, 'mix', 1), want);
  assert.deepEqual(resultOf(db, dir, 'mix', 2), want);
  const st = status(db).tasks.find((x) => x.name === 'mix');
  assert.deepEqual(
    { round: st.round, committed_rounds: st.committed_rounds, state: st.state, last_result_round: st.last_result_round },
    { round: 3, committed_rounds: 2, state: 'done', last_result_round: 2 });
  const live = await (await fetch(`${srv.http}/api/status`)).json();
  assert.equal(typeof live.connections, 'number');
  assert.equal(live.version, hush.version);
  await srv.stop();
});

// A WebSocket that closes itself just before sending its `at`-th secure-aggregation frame (type
// 7, SECAGG), once, as a participant whose tab is closed at that stage would; the connection's
// reconnect then uses the same class, which behaves from then on.
function droppingWebSocket(WS, at) {
  let dropped = false;
  return class extends WS {
    #sent = 0;
    send(data) {
      const b = new Uint8Array(data);
      if (!dropped && b[3] === 7 && this.#sent++ >= at) {
        dropped = true;
        this.close();
        return;
      }
      super.send(data);
    }
  };
}

async function nodeParticipants(t, srv, db, task, names, inputs, wsFor) {
  const { WebSocket } = await import('ws');
  const conns = [];
  for (let i = 0; i < names.length; i++) {
    const identity = hush.net.Identity.generate(names[i]);
    const conn = await hush.net.connect(srv.url, { identity, token: enroll(db, names[i]), WebSocket: wsFor(i, WebSocket) });
    t.after(() => conn.close());
    conns.push(conn);
  }
  return conns.map((c, i) => c.aggregate(task, Uint32Array.from(inputs[i])).catch((e) => e));
}

test('drop-outs at every stage over real sockets: the round completes with the survivors', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const n = 10, dim = 25, bits = 24;
  createTask(db, 'drops', { dim, clients: n, threshold: 6, bits, rounds: 1, deadline: 2 });
  const srv = await startServer(t, db);
  const inputs = inputsFor(n, dim, bits, 2);
  const names = inputs.map((_, i) => `drop-${i}`);
  // participant 1 leaves before sharing keys, 3 before its masked input, 5 before consistency,
  // 6 before unmasking: 1 and 3 are excluded from the sum, 5 and 6 included; 6 of 10 remain for
  // the unmasking, the threshold.
  const dropAt = { 1: 1, 3: 2, 5: 3, 6: 4 };
  const waits = await nodeParticipants(t, srv, db, 'drops', names, inputs,
    (i, WS) => (i in dropAt ? droppingWebSocket(WS, dropAt[i]) : WS));
  await until(() => status(db).tasks[0].committed_rounds === 1, 30000, 'the round to commit');
  assert.equal(status(db).tasks[0].last_result_round, 1);
  const included = inputs.filter((_, i) => i !== 1 && i !== 3);
  assert.deepEqual(resultOf(db, dir, 'drops', 1), plainSum(included, bits));
  for (const i of [0, 2, 4, 7, 8, 9]) {
    const r = await waits[i];
    assert.deepEqual(Array.from(r.sum), plainSum(included, bits));
  }
  await srv.stop();
});

test('below the threshold the round aborts cleanly and the next round commits', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const dim = 6, bits = 16;
  createTask(db, 'ab', { dim, clients: 4, threshold: 3, bits, rounds: 1, deadline: 1 });
  const srv = await startServer(t, db);
  const inputs = inputsFor(4, dim, bits, 3);
  const names = inputs.map((_, i) => `ab-${i}`);
  // two of four leave before their masked inputs: 2 < 3 remain
  await nodeParticipants(t, srv, db, 'ab', names, inputs, (i, WS) => (i < 2 ? droppingWebSocket(WS, 2) : WS));
  await until(() => status(db).tasks[0].round === 2, 30000, 'round 1 to abort');
  assert.equal(status(db).tasks[0].committed_rounds, 0);
  // the two that left come back (the connections reconnect by themselves), and round 2 commits
  await until(() => status(db).tasks[0].committed_rounds === 1, 30000, 'round 2 to commit');
  assert.deepEqual(resultOf(db, dir, 'ab', 2), plainSum(inputs, bits));
  await srv.stop();
});

test('pinned identities: a participant refuses a round holding an identity it did not pin', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  createTask(db, 'pin', { dim: 4, clients: 4, threshold: 3, bits: 16, rounds: 1, deadline: 2 });
  const srv = await startServer(t, db);
  const ids = [0, 1, 2, 3].map((i) => hush.net.Identity.generate(`pin-${i}`));
  const inputs = [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3], [4, 4, 4, 4]];
  // pin-0 trusts 0, 1 and 2 only; the operator puts pin-3 in the round, so pin-0 stays out.
  const pins = ids.slice(0, 3).map((id) => ({ name: id.name, publicKey: id.publicKey }));
  const warnings = [];
  const conns = [];
  for (let i = 0; i < 4; i++) {
    const conn = await hush.net.connect(srv.url, { identity: ids[i], token: enroll(db, ids[i].name), pins: i === 0 ? pins : undefined });
    t.after(() => conn.close());
    if (i === 0) conn.addEventListener('warning', (e) => warnings.push(e.detail.error.code));
    conns.push(conn);
  }
  conns.forEach((c, i) => c.aggregate('pin', Uint32Array.from(inputs[i])).catch(() => {}));
  await until(() => status(db).tasks[0].committed_rounds === 1, 30000, 'the round to commit without pin-0');
  assert.deepEqual(resultOf(db, dir, 'pin', 1), plainSum(inputs.slice(1), 16));
  assert.deepEqual(warnings, ['HUSH_ECRYPTO']);
  await srv.stop();
});
