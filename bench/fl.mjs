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
//   FL_NODE_MAX=N       largest Node swarm (default 1000; a row that fails says why in the table)
//   FL_ROUNDS=R         rounds per network run (default 2, 1 at 1000 participants)
// hush-server has no federated round without secure aggregation, so "without secure aggregation"
// is the in-process floor: the same contributions summed in plaintext, then the server step.
// `node bench/fl.mjs --quality` (make bench-fl-quality): the quality bars, see quality() below.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  admin(['task', 'create', '--db', db, '--name', 'fl', '--kind', 'fedavg', '--rounds', String(rounds), '--deadline', '900', ...ta.create]);
  writeFileSync(path.join(dir, 'tokens'), admin(['enroll', '--db', db, '--name', 'p', '--count', String(n)]));
  const srv = await server(db);
  const common = ['--url', srv.url, '--task', 'fl', '--tokens', path.join(dir, 'tokens'), '--data', m.data,
    '--shards', String(shardsOf(m)), '--seed', '1', '--rounds', String(rounds), '--timeout', '1500'];
  const before = procStat(srv.p.pid);
  const r = kind === 'native'
    ? await run(BIN('hush-swarm'), ['--fedavg', '--json', ...common])
    : await run(process.execPath, [path.join(ROOT, 'bench/fl_node.mjs'), ...common]);
  const after = procStat(srv.p.pid);
  srv.p.kill('SIGTERM');
  await new Promise((res) => srv.p.on('exit', res));
  const rs = JSON.parse(admin(['rounds', '--db', db, '--task', 'fl']));
  const committed = rs.filter((x) => x.state === 'committed' && x.survivors === n);
  const ok = r.code === 0 && committed.length === rounds;
  if (!ok) {
    // Node ends an uncaught error's report with its own version line: say the error instead
    const lines = r.stderr.trim().split('\n');
    const why = r.signal ? `killed (${r.signal})` : (lines.find((l) => /^\w*Error\b/.test(l)) || lines.pop() || `exit ${r.code}`);
    return { label, kind, n, ok, why: why.slice(0, 200), db };
  }
  const j = r.json;
  admin(['model', '--db', db, '--task', 'fl', '--round', '0', '--out', path.join(dir, 'model0')]); // the same for both runs (--seed 1)
  const modelFile = statSync(path.join(dir, 'model0')).size;
  return {
    label, kind, n, ok, rounds,
    roundSeconds: committed.reduce((a, x) => a + x.seconds, 0) / rounds,
    trainSeconds: j.train_seconds / rounds,
    // per round: the initial model (sent once, before the first round) is left out
    up: j.bytes_out_per_client / rounds, down: (j.bytes_in_per_client - modelFile) / rounds,
    clientCpu: (j.cpu_seconds - j.cpu_load_seconds) / rounds, serverCpu: (after.cpu - before.cpu) / rounds,
    serverRss: after.hwm, clientRss: j.peak_rss ?? null, db,
  };
}

const shardsOf = (m) => Math.floor((m.data === CREDIT_ARFF ? 1000 : 60000) / m.rows);

async function inprocess(m, n, dir) {
  const ta = taskArgs(m, n, dir);
  const r = await run(FL, ['round', '--model', path.join(dir, 'model0'), '--data', m.data, '--shards', String(shardsOf(m)),
    '--seed', '1', ...ta.inproc]);
  if (r.code !== 0 || !r.json) return { ok: false, why: r.stderr.trim().split('\n').pop() };
  const j = r.json;
  return {
    ok: j.sum_equal, params: j.params, modelFile: j.model_file_bytes, trainRows: j.train_rows,
    trainSeconds: j.train_seconds, floor: j.train_seconds + j.plain_seconds,
    round: j.train_seconds + j.secagg_seconds + j.apply_seconds, secagg: j.secagg_seconds + j.apply_seconds,
    trainCpu: j.train_cpu, cpu: j.train_cpu + j.secagg_cpu,
    up: j.bytes_up_per_client, down: j.bytes_down_per_client,
  };
}

async function timing() {
  const quick = process.env.FL_QUICK === '1';
  const nodeMax = Number(process.env.FL_NODE_MAX ?? 1000);
  const sizes = quick ? [10, 100] : [10, 100, 1000];
  const rows = [];
  const t0 = Date.now();
  for (const [name, m] of Object.entries(MODELS)) {
    for (const n of sizes) {
      const rounds = Number(process.env.FL_ROUNDS ?? (n >= 1000 ? 1 : 2));
      const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-fl-'));
      try {
        const label = `${name} x ${n}`;
        const nat = await network(label, m, n, 'native', rounds, dir);
        if (!nat.ok) { // the in-process peer needs the task's initial model: the row says why and the run goes on
          rows.push({ label, model: name, n, rounds, failed: `native network run failed: ${nat.why}` });
          process.stderr.write(`${label}: ${rows.at(-1).failed}\n`);
          continue;
        }
        const ip = await inprocess(m, n, dir);
        if (!ip.ok) throw new Error(`${label}: in-process round failed: ${ip.why}`);
        const skip = n > nodeMax ? `not run (FL_NODE_MAX=${nodeMax})` : null;
        const node = skip ? { label, kind: 'node', n, ok: false, why: skip } : await network(label, m, n, 'node', rounds, dir);
        rows.push({ label, model: name, n, rounds, inprocess: ip, native: nat, node });
        process.stderr.write(`${label}: in-process ${ip.round.toFixed(2)} s, native ${nat.roundSeconds.toFixed(2)} s, ` +
          `node ${node.ok ? `${node.roundSeconds.toFixed(2)} s` : node.why} (${((Date.now() - t0) / 1000).toFixed(0)} s so far)\n`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const f = (x, d = 2) => (x === undefined || x === null ? '-' : x.toFixed(d));
  const kb = (b) => (b / 1024).toFixed(1);
  console.log(`\nFederated rounds, privacy none: each participant trains 1 local epoch over its shard (credit ` +
    `${MODELS.credit.rows} rows, Fashion ${MODELS.fashion.rows} rows, 80% of them training rows), batch 32, lr 0.1. ` +
    'Secure aggregation is authenticated, complete graph up to 100 participants, SecAgg+ (26 neighbours, threshold 14) at 1000. ' +
    'Network rows: mean over the rounds (2, 1 at 1000 participants), from the server\'s round records.');
  // One markdown table: a row per configuration (a failed one says why), cells(r) the rest.
  const table = (intro, columns, cells) => {
    console.log(intro);
    console.log(`| model x participants | ${columns.join(' | ')} |`);
    console.log(`|---|${columns.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${r.label} | ${r.failed ?? cells(r.inprocess, r.native, r.node)} |`);
  };
  table('Wall seconds per round. Training is summed over participants: they train one after another in one process.\n',
    ['in process: training', '+ plaintext sum: no secure agg (floor)', '+ secure agg in process', 'native network (of it training)',
      'native / in process', 'Node network (of it training)', 'Node / in process'],
    (ip, nat, nd) => `${f(ip.trainSeconds, 3)} | ${f(ip.floor, 3)} | ${f(ip.round, 3)} | ` +
      `${f(nat.roundSeconds)} (${f(nat.trainSeconds)}) | ${f(nat.roundSeconds / ip.round)}x | ` +
      (nd.ok ? `${f(nd.roundSeconds)} (${f(nd.trainSeconds)}) | ${f(nd.roundSeconds / ip.round)}x` : `${nd.why} | -`));
  table('\nCPU seconds per round (the machine is shared: CPU time moves less than wall time). Network: participants\' ' +
    'process (reading the data left out) + hush-server.\n',
    ['in process: training', 'in process: all', 'native network: participants + server', 'native / in process',
      'Node network: participants + server', 'Node / in process'],
    (ip, nat, nd) => `${f(ip.trainCpu, 3)} | ${f(ip.cpu, 3)} | ${f(nat.clientCpu)} + ${f(nat.serverCpu)} | ` +
      `${f((nat.clientCpu + nat.serverCpu) / ip.cpu)}x | ` +
      (nd.ok ? `${f(nd.clientCpu)} + ${f(nd.serverCpu)} | ${f((nd.clientCpu + nd.serverCpu) / ip.cpu)}x` : '- | -'));
  table('\nBytes per participant per round against the plain model (4 bytes per parameter). Network: WebSocket payloads, ' +
    'the connection amortised, the initial model left out (each new global model comes down once per round).\n',
    ['plain model KB', 'secure agg in process up / down KB', 'native network up / down KB', 'upload expansion',
      'Node up / down KB', 'server CPU s, peak RSS MB (native)'],
    (ip, nat, nd) => `${kb(ip.params * 4)} | ${kb(ip.up)} / ${kb(ip.down)} | ${kb(nat.up)} / ${kb(nat.down)} | ` +
      `${(nat.up / (ip.params * 4)).toFixed(2)}x | ${nd.ok ? `${kb(nd.up)} / ${kb(nd.down)}` : '-'} | ` +
      `${f(nat.serverCpu)}, ${(nat.serverRss / 2 ** 20).toFixed(0)}`);
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/fl.json'), JSON.stringify({ seconds: (Date.now() - t0) / 1000, rows }, null, 1));
  console.log(`\nJSON: build/bench/fl.json (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
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
const words = (s) => s.split(' ').filter(Boolean);

// The terms of each quality run (hush-server task create options; build/bench/fl takes the same).
// They were fixed by hand on these test sets (there is no separate tuning split), so the accuracies
// are not held-out estimates of the terms' quality; README.md says what was tried.
//   FL_SEEDS=S (credit, default 20), FL_FASHION_SEEDS=S (default 10)
const Q = {
  credit: { participants: 5, threshold: 3, rounds: 10, args: '--lr 0.3 --clip 10' },
  creditRecord: { args: '--lr 0.3 --clip 4 --privacy record --noise-multiplier 2.3 --metric-noise 100' },
  fashion: { participants: 10, threshold: 6, rounds: 20, args: '--lr 0.1 --local-batch 256 --clip 100 --server-optimizer fedadam --server-lr 0.02 --freeze-head' },
  fashionUser: { args: '--privacy user --noise-multiplier 2.9 --metric-noise 100 --clip 1' },
};

// One federated task through hush-server with native participants (hush-swarm --fedavg): the
// final global model's accuracy on the test file (hush eval). Its version 0 is initialModel(seed).
async function networkQuality(dir, tag, { train, test, n, threshold, rounds, args, lpp, seed, bounds }) {
  const db = path.join(dir, `${tag}.db`);
  const spec = tag.startsWith('credit') ? MODELS.credit.spec : MODELS.fashion.spec;
  const input = tag.startsWith('credit') ? creditInputSize(readFileSync(CREDIT_ARFF, 'utf8')) : 784;
  const classes = tag.startsWith('credit') ? 2 : 10;
  admin(['task', 'create', '--db', db, '--name', 'q', '--kind', 'fedavg', '--model', spec, '--input-size', String(input),
    '--classes', String(classes), '--clients', String(n), '--threshold', String(threshold), '--rounds', String(rounds),
    '--validation-fraction', '0', '--seed', String(seed), '--deadline', '600', ...(bounds ? ['--bounds', bounds] : []), ...words(args)]);
  writeFileSync(path.join(dir, `${tag}.tokens`), admin(['enroll', '--db', db, '--name', 'p', '--count', String(n)]));
  const srv = await server(db);
  const out = path.join(dir, `${tag}.final`);
  const r = await run(BIN('hush-swarm'), ['--url', srv.url, '--task', 'q', '--tokens', path.join(dir, `${tag}.tokens`), '--fedavg',
    '--data', train, '--shards', String(n), '--labels-per-part', String(lpp), '--shard-seed', String(seed), '--seed', String(seed),
    '--rounds', String(rounds), '--timeout', '1800', '--out', out, '--json']);
  srv.p.kill('SIGTERM');
  await new Promise((res) => srv.p.on('exit', res));
  if (r.code !== 0) throw new Error(`${tag}: network run failed: ${r.stderr}`);
  const e = await run(BIN('hush'), ['eval', '--model', out, '--data', test, '--json']);
  if (e.code !== 0) throw new Error(`${tag}: hush eval: ${e.stderr}`);
  return { accuracy: e.json.accuracy, seconds: r.seconds };
}

async function quality() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-flq-'));
  const out = { machine: 'shared, 2 cores' };
  const t0 = Date.now();
  try {
    // Credit: 5 banks with IID shards (hush_dataset_shard) of an 80% training split, no validation
    // rows (so the union of the banks' training rows is the training split), R rounds x 1 local
    // epoch against centralised training of the same model for R epochs on that union (same
    // initial parameters, input scaling from the public bounds, optimiser, lr and batch). The test
    // split has 200 rows, so one seed moves the accuracy by several points: the mean over SEEDS
    // seeds (split, shards, initial model, training streams) is reported, with the paired
    // difference and its standard error.
    const arff = readFileSync(CREDIT_ARFF, 'utf8');
    const bounds = path.join(dir, 'bounds');
    writeFileSync(bounds, creditBounds(arff));
    const input = creditInputSize(arff);
    const SEEDS = Number(process.env.FL_SEEDS ?? 20);
    const c = Q.credit;
    for (let s = 1; s <= SEEDS; s++) { // scripts/credit.mjs: a seeded 80/20 split (the demo's)
      const sh = creditShards(arff, c.participants, { seed: s, testFraction: 0.2 });
      writeFileSync(path.join(dir, `credit-train-${s}.arff`), sh.train);
      writeFileSync(path.join(dir, `credit-test-${s}.arff`), sh.test);
    }
    const creditRuns = async (args) => {
      const res = [];
      for (let s = 1; s <= SEEDS; s++) {
        const model = initialModel(dir, MODELS.credit.spec, input, 2, s, bounds);
        const r = await run(FL, ['quality', '--model', model, '--data', path.join(dir, `credit-train-${s}.arff`),
          '--test', path.join(dir, `credit-test-${s}.arff`),
          '--participants', String(c.participants), '--threshold', String(c.threshold), '--validation-fraction', '0',
          '--rounds', String(c.rounds), '--seed', String(s), '--shard-seed', String(s), '--centralised', ...words(args)]);
        if (r.code !== 0) throw new Error(`credit quality: ${r.stderr}`);
        res.push(r.json);
      }
      return res;
    };
    const none = await creditRuns(c.args);
    const fl = none.map((j) => j.accuracy), cen = none.map((j) => j.centralised_accuracy);
    const diff = fl.map((x, i) => x - cen[i]);
    out.credit = { args: c.args, participants: c.participants, rounds: c.rounds, seeds: SEEDS, fl: mean(fl), flSe: se(fl),
      centralised: mean(cen), centralisedSe: se(cen), diff: mean(diff), diffSe: se(diff),
      perSeed: none.map((j) => [j.accuracy, j.centralised_accuracy]) };
    const rec = await creditRuns(Q.creditRecord.args);
    const racc = rec.map((j) => j.accuracy);
    const rdiff = racc.map((x, i) => x - fl[i]);
    out.creditRecord = { args: Q.creditRecord.args, fl: mean(racc), flSe: se(racc), costVsNone: -mean(rdiff), costSe: se(rdiff),
      epsilon: Math.max(...rec.map((j) => j.epsilon)), delta: rec[0].delta };
    // the same task once through hush-server (seed 1): the test split and the shards as above
    out.creditNetwork = await networkQuality(dir, 'credit', {
      train: path.join(dir, 'credit-train-1.arff'), test: path.join(dir, 'credit-test-1.arff'), n: c.participants,
      threshold: c.threshold, rounds: c.rounds, args: c.args, lpp: 0, seed: 1, bounds });
    out.creditNetwork.inProcessSeed1 = none[0].accuracy;
    process.stderr.write(`credit done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);

    // Fashion-MNIST: 10 participants holding about two classes each (hush_dataset_shard, labels
    // per part 2), MLP 784-128-10, 20 rounds, tested on the 10,000 test images; FSEEDS seeds
    // (initial model, shards, streams). The pixels' public range [0, 1] is the task's bounds, so
    // the model sees them centred on [-1, 1].
    const f = Q.fashion;
    const FSEEDS = Number(process.env.FL_FASHION_SEEDS ?? 10);
    const pixels = path.join(dir, 'pixel-bounds');
    writeFileSync(pixels, '0 1\n'.repeat(784));
    const fr = async (seed, args, bounds = pixels) => {
      const model = initialModel(dir, MODELS.fashion.spec, 784, 10, seed, bounds);
      const r = await run(FL, ['quality', '--model', model, '--data', FASHION_TRAIN, '--test', FASHION_TEST,
        '--participants', String(f.participants), '--threshold', String(f.threshold), '--labels-per-part', '2',
        '--validation-fraction', '0', '--rounds', String(f.rounds), '--eval-every', '5', '--seed', String(seed),
        '--shard-seed', String(seed), ...words(args)]);
      if (r.code !== 0) throw new Error(`fashion quality: ${r.stderr}`);
      return r.json;
    };
    const fn = [];
    for (let s = 1; s <= FSEEDS; s++) fn.push(await fr(s, f.args));
    const facc = fn.map((j) => j.accuracy);
    out.fashion = { args: f.args, participants: f.participants, rounds: f.rounds, seeds: FSEEDS,
      accuracy: mean(facc), se: se(facc), perSeed: facc, curves: fn.map((j) => j.curve) };
    process.stderr.write(`fashion none done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    // What the frozen head and the centred pixels each bring: the same seeds without them, and the
    // paired differences.
    const ablation = async (args, bounds) => {
      const a = [];
      for (let s = 1; s <= FSEEDS; s++) a.push((await fr(s, args, bounds)).accuracy);
      const d = facc.map((x, i) => x - a[i]);
      return { args, bounds: !!bounds, accuracy: mean(a), se: se(a), perSeed: a, gain: mean(d), gainSe: se(d) };
    };
    const plain = f.args.replace(' --freeze-head', '');
    out.fashionAblation = [await ablation(plain, pixels), await ablation(plain, null)];
    process.stderr.write(`fashion ablation done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    const fu = await fr(1, `${f.args} ${Q.fashionUser.args}`.replace('--clip 100', ''));
    out.fashionUser = { args: Q.fashionUser.args, accuracy: fu.accuracy, curve: fu.curve, epsilon: fu.epsilon, delta: fu.delta };
    process.stderr.write(`fashion user done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    out.fashionNetwork = await networkQuality(dir, 'fashion', { train: FASHION_TRAIN, test: FASHION_TEST,
      n: f.participants, threshold: f.threshold, rounds: f.rounds, args: f.args, lpp: 2, seed: 1, bounds: pixels });
    out.fashionNetwork.inProcessSeed1 = fn[0].accuracy;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.seconds = (Date.now() - t0) / 1000;
  const p = (x) => (100 * x).toFixed(1);
  const c = out.credit, r = out.creditRecord, fa = out.fashion, fu = out.fashionUser;
  console.log('\n| bar | terms (hush-server task create) | result |');
  console.log('|---|---|---|');
  console.log(`| credit, ${c.participants} banks, IID, privacy none vs centralised | ${c.args}, ${c.rounds} rounds x 1 local epoch; centralised ${c.rounds} epochs; mean of ${c.seeds} seeds | ` +
    `${p(c.fl)}% vs ${p(c.centralised)}%: ${(100 * c.diff).toFixed(2)} +- ${(100 * c.diffSe).toFixed(2)} points (through hush-server, seed 1: ${p(out.creditNetwork.accuracy)}%, in process ${p(out.creditNetwork.inProcessSeed1)}%) |`);
  console.log(`| credit, record privacy | ${r.args.replace('--clip 4 ', '--clip 4 (DP-SGD and update) ')} | ${p(r.fl)}% at epsilon ${r.epsilon.toFixed(2)} per bank (delta ${r.delta}): ` +
    `${(100 * r.costVsNone).toFixed(2)} +- ${(100 * r.costSe).toFixed(2)} points below privacy none |`);
  console.log(`| Fashion-MNIST, ${fa.participants} participants x 2 classes, none | ${fa.args} --bounds (pixels 0 1), ${fa.rounds} rounds; ${fa.seeds} seeds | ` +
    `${p(fa.accuracy)} +- ${p(fa.se)}% (${fa.perSeed.map(p).join(', ')}; through hush-server, seed 1: ${p(out.fashionNetwork.accuracy)}%) |`);
  console.log(`| Fashion-MNIST, user privacy | ${fu.args} | ${p(fu.accuracy)}% at epsilon ${fu.epsilon.toFixed(2)} per participant (delta ${fu.delta}) |`);
  console.log(`\nFashion-MNIST ablation (${fa.seeds} seeds; gain: the terms above minus these, paired by seed): ${p(fa.accuracy)} +- ${p(fa.se)}%, ${fa.perSeed.filter((x) => x >= 0.8).length} seeds >= 80%`);
  for (const a of out.fashionAblation)
    console.log(`  ${a.args}${a.bounds ? ' --bounds (pixels 0 1)' : ''}: ${p(a.accuracy)} +- ${p(a.se)}%; gain ${(100 * a.gain).toFixed(2)} +- ${(100 * a.gainSe).toFixed(2)} points`);
  mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
  writeFileSync(path.join(ROOT, 'build/bench/fl-quality.json'), JSON.stringify(out, null, 1));
  console.log(`\nJSON: build/bench/fl-quality.json (${out.seconds.toFixed(0)} s)`);
}

if (process.argv.includes('--quality')) await quality();
else if (process.argv.includes('--one')) { // --one MODEL N KIND ROUNDS: one network row and its peer (for tuning)
  const [name, n, kind, rounds] = process.argv.slice(process.argv.indexOf('--one') + 1);
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-fl-'));
  const nat = await network(name, MODELS[name], Number(n), kind, Number(rounds), dir);
  console.log(JSON.stringify(nat));
  if (nat.ok) console.log(JSON.stringify(await inprocess(MODELS[name], Number(n), dir)));
  rmSync(dir, { recursive: true, force: true });
} else await timing();
