#!/usr/bin/env node
// Many Node participants of one hush-server federated task in a single process (one wasm
// instance, one WebSocket each), for `make bench-fl`: the JavaScript counterpart of
// hush-swarm --fedavg, with the same data (participant i holds shard i mod K of the file,
// hush.Dataset.shard) and the same seeded streams (seed + i).
//   node bench/fl_node.mjs --url URL --task TASK --tokens FILE --data FILE [--format F]
//        [--shards K] [--labels-per-part L] [--shard-seed S] [--seed S] [--rounds R] [--timeout S]
// Each participant is a hush.net Connection running the round handler of hush.FederatedClient
// (split once, charge, contribute) without a ledger (privacy none), so local training can be
// timed apart from the protocol. Prints one JSON line like hush-swarm's: seconds, train_seconds
// (sum over participants), bytes per participant (WebSocket payloads), cpu_seconds (the process's,
// cpu_load_seconds of it before the first connection), peak RSS.
import { readFile } from 'node:fs/promises';
import { WebSocket as WsSocket } from 'ws';
import { load } from '../web/index.js';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const url = opt('url'), task = opt('task'), tokensFile = opt('tokens'), dataFile = opt('data');
if (!url || !task || !tokensFile || !dataFile) {
  console.error('usage: fl_node.mjs --url URL --task TASK --tokens FILE --data FILE [...]');
  process.exit(2);
}
const rounds = Number(opt('rounds', 1)), timeout = Number(opt('timeout', 300));
const labelsPerPart = Number(opt('labels-per-part', 0)), shardSeed = Number(opt('shard-seed', 1));
const seed = opt('seed') === undefined ? undefined : BigInt(opt('seed'));

const hush = await load({ full: true }); // hush.net and the federated client are in the full module
const lines = (await readFile(tokensFile, 'utf8')).split('\n').map((l) => l.trim().split(/\s+/)).filter((l) => l.length === 2);
const n = lines.length;
const shards = Number(opt('shards', n));

async function loadData(path, format) {
  const f = format ?? hush.data.guessFormat(path);
  if (f === 'idx') {
    return hush.data.parse({ images: await readFile(path), labels: await readFile(path.replace('images-idx3', 'labels-idx1')) }, 'idx');
  }
  return hush.data.parse(new Uint8Array(await readFile(path)), f);
}
const data = await loadData(dataFile, opt('format'));
const cpuLoad = process.cpuUsage(); // loading wasm and the data, apart from the rounds

// WebSocket payload bytes, both ways, per participant (as hush-swarm counts them)
const bytes = { in: 0, out: 0 };
class Counting extends WsSocket {
  constructor(...a) {
    super(...a);
    this.on('message', (d) => { bytes.in += d.byteLength ?? d.length; });
  }
  send(d, ...rest) {
    bytes.out += d.byteLength;
    return super.send(d, ...rest);
  }
}

let trainSeconds = 0, trainMax = 0, contributions = 0, finished = 0, failed = 0, committedMin = Infinity, committedMax = 0;
const t0 = performance.now();
const timer = setTimeout(() => {
  console.error(`fl_node: timed out after ${timeout} s (${finished} of ${n} finished)`);
  process.exit(1);
}, timeout * 1000);

function participant(i, conn) {
  const shard = data.shard(shards, i % shards, { labelsPerPart, seed: shardSeed });
  let train = null, validation = null, committed = 0;
  return new Promise((resolve) => {
    const done = (ok) => {
      if (!ok) failed++;
      finished++;
      committedMin = Math.min(committedMin, committed);
      committedMax = Math.max(committedMax, committed);
      conn.close();
      train?.free();
      validation?.free();
      shard.free();
      resolve();
    };
    conn.addEventListener('failed', (e) => {
      console.error(`participant ${i}: ${e.detail.error.message}`);
      done(false);
    });
    conn.addEventListener('result', (e) => {
      if (e.detail.status === 'committed') committed++;
      if (committed >= rounds || e.detail.finished) done(committed >= rounds);
    });
    conn.federate(task, (round, ops) => {
      if (!train) [train, validation] = ops.split(shard);
      ops.charge(null, train.rows);
      const s = performance.now();
      ops.contribute(train, validation, seed === undefined ? undefined : seed + BigInt(i));
      const dt = (performance.now() - s) / 1000;
      trainSeconds += dt;
      trainMax = Math.max(trainMax, dt);
      contributions++;
    });
  });
}

// Connect in waves (the server admits a bounded number of unauthenticated connections).
const conns = [];
const WAVE = 100;
for (let k = 0; k < n; k += WAVE) {
  const wave = lines.slice(k, k + WAVE).map(([name, token]) =>
    hush.net.connect(url, { identity: hush.net.Identity.generate(name), token, WebSocket: Counting }));
  conns.push(...(await Promise.all(wave)));
}
await Promise.all(conns.map((c, i) => participant(i, c)));
clearTimeout(timer);
const cpu = process.cpuUsage();
data.free();
console.log(JSON.stringify({
  train_seconds: +trainSeconds.toFixed(3), train_max: +trainMax.toFixed(4), contributions,
  cpu_load_seconds: +((cpuLoad.user + cpuLoad.system) / 1e6).toFixed(3),
  participants: n, finished: finished - failed, cpu_seconds: +((cpu.user + cpu.system) / 1e6).toFixed(3),
  committed_min: committedMin, committed_max: committedMax, seconds: +((performance.now() - t0) / 1000).toFixed(3),
  bytes_in_per_client: Math.round(bytes.in / n), bytes_out_per_client: Math.round(bytes.out / n),
  peak_rss: process.resourceUsage().maxRSS * 1024, status: failed ? 1 : 0,
}));
process.exit(failed ? 1 : 0);
