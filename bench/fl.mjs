#!/usr/bin/env node
// `make bench-fl`: federated rounds through hush-server over loopback against the in-process
// round of the same configuration, in one run. For the credit MLP (dense:32,relu,dense:16,relu,
// dense:2, 2,610 parameters) and the Fashion-MNIST MLP (dense:128,relu,dense:10, 101,770), with
// 10, 100 and 1000 participants, native (hush-swarm --fedavg, one process) and Node
// (bench/fl_node.mjs, one process, one wasm instance):
//   network   mean round time over ROUNDS rounds as the server records it (round start to commit:
//             the global model out, every participant's local training, the five secure-
//             aggregation stages, the FedAvg step and the commit), with secure aggregation
//             (authenticated; complete graph up to 100 participants, SecAgg+ with 26 neighbours at
//             1000); of which local training (timed inside the participants' process; it runs one
//             participant after another there, as in process)
//   in-process the same participants, data, terms and initial model (build/bench/fl round):
//             hush_federated_contribute for each, then hush_secagg_run (every message through the
//             wire encoding) and the server step: the peer of the network round; and "no secure
//             aggregation": the same contributions summed in plaintext, then the server step (the
//             floor)
//   bytes     WebSocket payload per participant per round, up and down (ROUNDS rounds, the
//             connection and the initial model amortised), against the plain model (4 bytes per
//             parameter): the expansion
// Every participant holds ROWS rows (shard i mod K of the data, IID) and trains 1 local epoch (batch
// 32, lr 0.1, privacy none), so round time measures protocol and training honestly.
//   FL_QUICK=1          only 10 and 100 participants
//   FL_NODE_MAX=N       largest Node swarm (default 1000; see the table for what did not fit)
//   FL_ROUNDS=R         rounds per network run (default 2)
// `node bench/fl.mjs --quality` (make bench-fl-quality): the quality bars, see quality() below.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { creditBounds, creditInputSize, creditShards } from '../scripts/credit.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = (n) => path.join(ROOT, 'build/native', n);
const FL = path.join(ROOT, 'build/bench/fl');
const DATA = path.join(ROOT, 'data');
const TICK = 100; // USER_HZ

const CREDIT_ARFF = path.join(DATA, 'credit-g.arff');
const FASHION_TRAIN = path.join(DATA, 'fashion/train-images-idx3-ubyte');
const FASHION_TEST = path.join(DATA, 'fashion/t10k-images-idx3-ubyte');

function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`${k}:\\s+(\\d+)`).exec(status) || [0, 0])[1]);
  return { cpu: (Number(f[11]) + Number(f[12])) / TICK, hwm: kb('VmHWM') * 1024 };
}

function admin(args) {
  const r = spawnSync(BIN('hush-server'), args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`hush-server ${args[0]}: ${r.stderr}`);
  return r.stdout;
}

function server(db) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN('hush-server'), ['serve', '--db', db, '--port', '0', '--max-connections', '3000'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) resolve({ p, url: `ws://127.0.0.1:${m[1]}/ws` });
    });
    p.on('exit', (c) => reject(new Error(`hush-server exited ${c}`)));
  });
}

// A child process; resolves with its last stdout line parsed as JSON (or null), code and stderr.
function run(cmd, args, { timeout = 0 } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = timeout ? setTimeout(() => p.kill('SIGKILL'), timeout * 1000) : null;
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      let json = null;
      try { json = JSON.parse(out.trim().split('\n').pop()); } catch {}
      resolve({ code, signal, json, stderr: err, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
    });
  });
}

const MODELS = {
  credit: { spec: 'dense:32,relu,dense:16,relu,dense:2', classes: 2, data: CREDIT_ARFF, rows: 50 },
  fashion: { spec: 'dense:128,relu,dense:10', input: 784, classes: 10, data: FASHION_TRAIN, rows: 60 },
};

function secaggFor(n) {
  // complete graph up to 100 (threshold a majority); SecAgg+ beyond (Bell et al.: degree O(log n))
  return n <= 100 ? { threshold: Math.floor(n / 2) + 1, neighbours: 0 } : { threshold: 14, neighbours: 26 };
}

function taskArgs(m, n, dir) {
  const arff = m.data === CREDIT_ARFF ? readFileSync(CREDIT_ARFF, 'utf8') : null;
  const input = arff ? creditInputSize(arff) : m.input;
  const extra = [];
  if (arff) {
    writeFileSync(path.join(dir, 'bounds'), creditBounds(arff));
    extra.push('--bounds', path.join(dir, 'bounds'));
  }
  const { threshold, neighbours } = secaggFor(n);
  return {
    create: ['--model', m.spec, '--input-size', String(input), '--classes', String(m.classes), '--clients', String(n),
      '--threshold', String(threshold), '--neighbours', String(neighbours), '--lr', '0.1', '--local-epochs', '1',
      '--local-batch', '32', '--seed', '1', ...extra],
    inproc: ['--participants', String(n), '--threshold', String(threshold), '--neighbours', String(neighbours),
      '--lr', '0.1', '--local-epochs', '1', '--local-batch', '32'],
  };
}

async function network(label, m, n, kind, rounds, dir) {
  const db = path.join(dir, `${kind}.db`);
  const ta = taskArgs(m, n, dir);
  admin(['task', 'create', '--db', db, '--name', 'fl', '--kind', 'fedavg', '--rounds', String(rounds), '--deadline', '600', ...ta.create]);
  writeFileSync(path.join(dir, 'tokens'), admin(['enroll', '--db', db, '--name', 'p', '--count', String(n)]));
  const shards = String(Math.floor((m.data === CREDIT_ARFF ? 1000 : 60000) / m.rows));
  const common = ['--url', null, '--task', 'fl', '--tokens', path.join(dir, 'tokens'), '--data', m.data, '--shards', shards,
    '--seed', '1', '--rounds', String(rounds), '--timeout', '1200'];
  const srv = await server(db);
  common[1] = srv.url;
  const before = procStat(srv.p.pid);
  const r = kind === 'native'
    ? await run(BIN('hush-swarm'), ['--fedavg', '--json', ...common])
    : await run(process.execPath, ['--max-old-space-size=4096', path.join(ROOT, 'bench/fl_node.mjs'), ...common]);
  const after = procStat(srv.p.pid);
  srv.p.kill('SIGTERM');
  await new Promise((res) => srv.p.on('exit', res));
  const rs = JSON.parse(admin(['rounds', '--db', db, '--task', 'fl']));
  const committed = rs.filter((x) => x.state === 'committed' && x.survivors === n);
  const ok = r.code === 0 && committed.length === rounds;
  if (!ok) {
    const why = r.signal ? `killed (${r.signal})` : (r.stderr.trim().split('\n').pop() || `exit ${r.code}`);
    return { label, kind, n, ok, why: why.slice(0, 200) };
  }
  const j = r.json;
  return {
    label, kind, n, ok, rounds,
    roundSeconds: committed.reduce((a, x) => a + x.seconds, 0) / rounds,
    trainSeconds: j.train_seconds / rounds,
    up: j.bytes_out_per_client / rounds, down: j.bytes_in_per_client / rounds,
    clientCpu: j.cpu_seconds, serverCpu: after.cpu - before.cpu, serverRss: after.hwm,
    validationAccuracy: committed[committed.length - 1].metrics?.validation_accuracy,
    initialModel: path.join(dir, 'model0'),
    db,
  };
}

async function inprocess(m, n, dir, db) {
  admin(['model', '--db', db, '--task', 'fl', '--round', '0', '--out', path.join(dir, 'model0')]);
  const ta = taskArgs(m, n, dir);
  const shards = String(Math.floor((m.data === CREDIT_ARFF ? 1000 : 60000) / m.rows));
  const r = await run(FL, ['round', '--model', path.join(dir, 'model0'), '--data', m.data, '--shards', shards, '--seed', '1', ...ta.inproc]);
  if (r.code !== 0 || !r.json) return { ok: false, why: r.stderr.trim().split('\n').pop() };
  const j = r.json;
  return {
    ok: j.sum_equal, params: j.params, modelFile: j.model_file_bytes, trainRows: j.train_rows,
    trainSeconds: j.train_seconds, plainSeconds: j.plain_seconds, secaggSeconds: j.secagg_seconds + j.apply_seconds,
    round: j.train_seconds + j.secagg_seconds + j.apply_seconds, floor: j.train_seconds + j.plain_seconds,
    up: j.bytes_up_per_client, down: j.bytes_down_per_client,
  };
}

async function timing() {
  const quick = process.env.FL_QUICK === '1';
  const nodeMax = Number(process.env.FL_NODE_MAX ?? 1000);
  const rounds = Number(process.env.FL_ROUNDS ?? 2);
  const sizes = quick ? [10, 100] : [10, 100, 1000];
  const rows = [];
  for (const [name, m] of Object.entries(MODELS)) {
    for (const n of sizes) {
      const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-fl-'));
      try {
        const label = `${name} x ${n}`;
        const nat = await network(label, m, n, 'native', rounds, dir);
        if (!nat.ok) throw new Error(`${label}: native network run failed: ${nat.why}`);
        const ip = await inprocess(m, n, dir, nat.db);
        const node = n <= nodeMax ? await network(label, m, n, 'node', rounds, dir)
          : { label, kind: 'node', n, ok: false, why: `not run (FL_NODE_MAX=${nodeMax})` };
        rows.push({ label, model: name, n, inprocess: ip, native: nat, node });
        process.stderr.write(`${label}: in-process ${ip.round.toFixed(2)} s, native ${nat.roundSeconds.toFixed(2)} s, node ${node.ok ? `${node.roundSeconds.toFixed(2)} s` : node.why}\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const f = (x, d = 2) => (x === undefined || x === null ? '-' : x.toFixed(d));
  const kb = (b) => (b / 1024).toFixed(1);
  console.log(`\nFederated rounds: ${rounds} network rounds per row (mean shown); each participant trains 1 local epoch over ` +
    `its shard (credit ${MODELS.credit.rows} rows, Fashion ${MODELS.fashion.rows} rows, 80% training), batch 32, privacy none.`);
  console.log('Seconds per round. "training" is the sum over participants (they train one after another in one process).\n');
  console.log('| model x participants | in-process: training | no secure agg (floor) | secure agg in process | native network (training) | native / in-process | Node network (training) | Node / in-process |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ip = r.inprocess, nat = r.native, nd = r.node;
    const nodeCells = nd.ok ? `${f(nd.roundSeconds)} (${f(nd.trainSeconds)}) | ${f(nd.roundSeconds / ip.round)}x` : `${nd.why} | -`;
    console.log(`| ${r.label} | ${f(ip.trainSeconds, 3)} | ${f(ip.floor, 3)} | ${f(ip.round, 3)} | ` +
      `${f(nat.roundSeconds)} (${f(nat.trainSeconds)}) | ${f(nat.roundSeconds / ip.round)}x | ${nodeCells} |`);
  }
  console.log('\nBytes per participant per round (WebSocket payloads; network runs amortise the connection and the initial model)');
  console.log('against the plain model, 4 bytes per parameter.\n');
  console.log('| model x participants | plain model KB | secure agg in process up / down KB | native up / down KB | upload expansion | Node up / down KB | server CPU s (native run) | server peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const ip = r.inprocess, nat = r.native, nd = r.node;
    const plain = ip.params * 4;
    console.log(`| ${r.label} | ${kb(plain)} | ${kb(ip.up)} / ${kb(ip.down)} | ${kb(nat.up)} / ${kb(nat.down)} | ` +
      `${(nat.up / plain).toFixed(2)}x | ${nd.ok ? `${kb(nd.up)} / ${kb(nd.down)}` : '-'} | ${f(nat.serverCpu)} | ${(nat.serverRss / 2 ** 20).toFixed(0)} |`);
  }
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/fl.json'), JSON.stringify({ rounds, rows }, null, 1));
  console.log('\nJSON: build/bench/fl.json');
  if (rows.some((r) => !r.inprocess.ok)) process.exit(1);
}

// ---- quality bars ----

function initialModel(dir, spec, input, classes, seed, bounds) {
  const db = path.join(dir, `init-${seed}-${classes}.db`);
  rmSync(db, { force: true });
  admin(['task', 'create', '--db', db, '--name', 'q', '--kind', 'fedavg', '--model', spec, '--input-size', String(input),
    '--classes', String(classes), '--clients', '2', '--threshold', '2', '--seed', String(seed),
    ...(bounds ? ['--bounds', bounds] : [])]);
  const out = path.join(dir, `init-${seed}-${classes}.model`);
  admin(['model', '--db', db, '--task', 'q', '--round', '0', '--out', out]);
  return out;
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const se = (a) => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1) / a.length);

async function quality() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-flq-'));
  const out = {};
  try {
    // Credit: 5 banks, IID shards of the 80% training split (the split and shards per seed), no
    // validation rows (so the union of the banks' training rows is the training split), 10
    // rounds x 1 local epoch against centralised training for 10 epochs (same model, initial
    // parameters, input scaling from the public bounds, SGD lr and batch). The test split has 200
    // rows, so one seed moves accuracy by +-3 points: the mean over SEEDS paired seeds is reported.
    const arff = readFileSync(CREDIT_ARFF, 'utf8');
    writeFileSync(path.join(dir, 'bounds'), creditBounds(arff));
    const input = creditInputSize(arff);
    const SEEDS = Number(process.env.FL_SEEDS ?? 20);
    const credit = { rounds: 10, lr: 0.5, clip: 10 };
    const creditRuns = async (extra) => {
      const res = [];
      for (let s = 1; s <= SEEDS; s++) {
        const model = initialModel(dir, MODELS.credit.spec, input, 2, s, path.join(dir, 'bounds'));
        const r = await run(FL, ['quality', '--model', model, '--data', CREDIT_ARFF, '--test-fraction', '0.2', '--participants', '5',
          '--threshold', '3', '--validation-fraction', '0', '--rounds', String(credit.rounds), '--lr', String(credit.lr),
          '--clip', String(credit.clip), '--seed', String(s), '--shard-seed', String(s), '--centralised', ...extra]);
        if (r.code !== 0) throw new Error(`credit quality: ${r.stderr}`);
        res.push(r.json);
      }
      return res;
    };
    const none = await creditRuns([]);
    const fl = none.map((j) => j.accuracy), cen = none.map((j) => j.centralised_accuracy);
    const diff = fl.map((x, i) => x - cen[i]);
    out.credit = { config: { ...credit, participants: 5, seeds: SEEDS, batch: 32, localEpochs: 1 }, fl: mean(fl), centralised: mean(cen),
      diff: mean(diff), diffSe: se(diff), perSeed: none.map((j) => [j.accuracy, j.centralised_accuracy]) };
    // record privacy: DP-SGD in each bank, noise multiplier chosen so that 10 rounds cost at most
    // epsilon 3 (delta 1e-5) per bank; validation metrics off (no validation rows), their noise high
    const rec = await creditRuns(['--privacy', 'record', '--noise-multiplier', process.env.FL_RECORD_Z ?? '1.1', '--metric-noise', '100',
      '--clip', '1']);
    out.creditRecord = { noiseMultiplier: Number(process.env.FL_RECORD_Z ?? 1.1), clip: 1, epsilon: Math.max(...rec.map((j) => j.epsilon)),
      delta: rec[0].delta, fl: mean(rec.map((j) => j.accuracy)), se: se(rec.map((j) => j.accuracy)) };

    // Fashion-MNIST: 10 participants holding about two classes each (hush_dataset_shard, labels
    // per part 2), MLP 784-128-10, 20 rounds, tested on the 10,000 test images.
    const fashion = (process.env.FL_FASHION ?? '--lr 0.05 --clip 100 --server-optimizer fedadam --server-lr 0.01').split(' ');
    const fmodel = initialModel(dir, MODELS.fashion.spec, 784, 10, 1, null);
    const fr = async (extra) => {
      const r = await run(FL, ['quality', '--model', fmodel, '--data', FASHION_TRAIN, '--test', FASHION_TEST, '--participants', '10',
        '--threshold', '6', '--labels-per-part', '2', '--validation-fraction', '0', '--rounds', '20', '--eval-every', '5', '--seed', '1',
        ...extra]);
      if (r.code !== 0) throw new Error(`fashion quality: ${r.stderr}`);
      return r.json;
    };
    out.fashion = { config: fashion.join(' '), ...(await fr(fashion)) };
    const userArgs = (process.env.FL_USER ?? '--privacy user --noise-multiplier 1 --clip 1').split(' ');
    out.fashionUser = { config: userArgs.join(' '), ...(await fr([...fashion, ...userArgs])) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const p = (x) => (100 * x).toFixed(1);
  console.log('\n| bar | configuration | result |');
  console.log('|---|---|---|');
  const c = out.credit;
  console.log(`| credit, 5 banks IID, privacy none | ${c.config.rounds} rounds x 1 epoch, lr ${c.config.lr}, clip ${c.config.clip}, ${c.config.seeds} seeds | ` +
    `FL ${p(c.fl)}% vs centralised ${p(c.centralised)}% (${c.config.rounds} epochs): ${(100 * c.diff).toFixed(2)} +- ${(100 * c.diffSe).toFixed(2)} points |`);
  const r = out.creditRecord;
  console.log(`| credit, record privacy | DP-SGD z ${r.noiseMultiplier}, clip ${r.clip} | ${p(r.fl)}% at epsilon ${r.epsilon.toFixed(2)} per bank (delta ${r.delta}); cost ${(100 * (c.fl - r.fl)).toFixed(1)} points |`);
  console.log(`| Fashion, 10 participants x 2 classes, none | ${out.fashion.config} | ${p(out.fashion.accuracy)}% after 20 rounds |`);
  console.log(`| Fashion, user privacy | ${out.fashionUser.config} | ${p(out.fashionUser.accuracy)}% at epsilon ${out.fashionUser.epsilon.toFixed(2)} per participant |`);
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/fl-quality.json'), JSON.stringify(out, null, 1));
  console.log('\nJSON: build/bench/fl-quality.json');
}

if (process.argv.includes('--quality')) await quality();
else await timing();
