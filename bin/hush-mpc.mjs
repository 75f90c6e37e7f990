#!/usr/bin/env node
// hush-mpc: the bank and the applicant of encrypted predictions over hush-server, in JavaScript,
// with the flags of the native `hush mpc serve` and `hush mpc apply`:
//   node bin/hush-mpc.mjs serve --url URL --name BANK --identity KEYFILE [--token T] --model MODEL
//        [--schema FILE.arff] [--max-sessions N] [--max-rows N] [--sessions N] [--timeout S]
//   node bin/hush-mpc.mjs apply --url URL --name NAME --identity KEYFILE [--token T] --bank BANK
//        --data FILE [--rows N|all] [--concurrency C] [--test-split --seed S] [--limit N]
//        [--check-model MODEL] [--bank-key HEX] [--dealer-key HEX] [--out FILE] [--timeout S] [--json]
// The protocol is the core's (web/p2p.js over the wasm build); Node has no WebRTC, so sessions use
// the server's relay. Exit status 2 for bad arguments, 1 for a failure, with one "hush-mpc: ..."
// line on stderr; with --json the last line of apply is the same JSON as the native command's.
import { readFile, writeFile } from 'node:fs/promises';
import { load } from '../web/index.js';
import { cli } from './args.mjs';

const { fail, parse, uint } = cli('hush-mpc', ['json', 'test-split']);
const SERVE_OPTIONS = ['url', 'name', 'identity', 'token', 'model', 'schema', 'max-sessions', 'max-rows', 'sessions', 'timeout',
  'json'];
const APPLY_OPTIONS = ['url', 'name', 'identity', 'token', 'bank', 'data', 'format', 'rows', 'concurrency', 'test-split', 'seed',
  'test-fraction', 'limit', 'check-model', 'bank-key', 'dealer-key', 'out', 'timeout', 'json', 'link'];

// The header of an ARFF file (everything before @data): the form an applicant fills.
function arffHeader(text) {
  const m = /^@data/im.exec(text);
  return m ? text.slice(0, m.index) : text;
}

const pct = (v, q) => (v.length ? v[Math.min(v.length - 1, Math.round(q * (v.length - 1)))] : 0);

async function serve(hush, o) {
  for (const k of ['url', 'name', 'identity', 'model']) if (!o[k]) fail(`serve needs --${k}`, 2);
  const want = uint(o, 'sessions', 0);
  const model = await readFile(o.model).catch((e) => fail(`cannot read '${o.model}': ${e.code}`));
  const schema = o.schema ? arffHeader(await readFile(o.schema, 'latin1').catch((e) => fail(`cannot read '${o.schema}': ${e.code}`))) : '';
  const identity = await hush.net.loadIdentity(o.name, { file: o.identity });
  const t0 = performance.now();
  const bank = await hush.p2p.connect(o.url, {
    identity, token: o.token, role: 'bank', direct: false,
    maxSessions: uint(o, 'max-sessions', 256, 1, 4096), maxRows: uint(o, 'max-rows', 256, 1, 4096),
  });
  const report = () => JSON.stringify({ command: 'mpc serve', name: o.name, sessions: bank.stats.served, failed: bank.stats.failed,
    rows: bank.stats.rows, bytes_per_session: bank.stats.served ? bank.stats.bytes / bank.stats.served : 0,
    seconds: (performance.now() - t0) / 1e3, connects: bank.connects });
  bank.serve(new Uint8Array(model), schema);
  console.log(JSON.stringify({ serving: o.name, public_key: Buffer.from(identity.publicKey).toString('hex'), connects: bank.connects }));
  await new Promise((resolve) => {
    const stop = () => resolve();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (o.timeout) setTimeout(stop, Number(o.timeout) * 1000);
    bank.addEventListener('done', () => { if (want && bank.stats.served >= want) stop(); });
    bank.addEventListener('failed', (e) => { if (!o.json) process.stderr.write(`hush-mpc: session with ${e.detail.peer} failed: ${e.detail.text}\n`); });
    bank.addEventListener('close', stop);
  });
  console.log(report());
  bank.close();
}

async function apply(hush, o) {
  for (const k of ['url', 'name', 'identity', 'bank', 'data']) if (!o[k]) fail(`apply needs --${k}`, 2);
  if (o.link && o.link !== 'relay') fail('--link: Node applicants use the relay (direct links are WebRTC, in the browser)', 2);
  const concurrency = uint(o, 'concurrency', 1, 1, 1024);
  const text = await readFile(o.data, 'latin1').catch((e) => fail(`cannot read '${o.data}': ${e.code}`));
  const format = o.format ?? (/\.arff$/i.test(o.data) ? 'arff' : 'csv');
  let all = format === 'arff' ? hush.data.parseArff(text) : hush.data.parseCsv(text);
  let ds = all;
  if (o['test-split']) {
    const tf = o['test-fraction'] === undefined ? 0.2 : Number(o['test-fraction']);
    const [train, test] = all.split({ testFraction: tf, seed: uint(o, 'seed', 1, 0, Number.MAX_SAFE_INTEGER) });
    train.free();
    ds = test;
  }
  const dim = ds.dim;
  let n = ds.rows;
  const limit = uint(o, 'limit', 0);
  if (limit && limit < n) n = limit;
  const x = ds.x.subarray(0, n * dim), labels = ds.y.subarray(0, n);
  const per = o.rows === 'all' ? n : uint(o, 'rows', 1, 1, 4096);
  if (per > 4096) fail(`--rows all: ${n} rows is more than one session takes (4096)`);
  let want = null;
  if (o['check-model']) {
    const m = hush.Model.load(await readFile(o['check-model']).catch((e) => fail(`cannot read '${o['check-model']}': ${e.code}`)));
    if (m.inputSize !== dim) fail(`--check-model: the model takes ${m.inputSize} inputs, the data has ${dim}`);
    want = m.predict(x);
    m.free();
  }
  const identity = await hush.net.loadIdentity(o.name, { file: o.identity });
  const pins = o['bank-key'] ? [{ name: o.bank, publicKey: o['bank-key'] }] : [];
  let timer;
  if (o.timeout) timer = setTimeout(() => fail(`timed out after ${o.timeout} s`), Number(o.timeout) * 1000);
  const conn = await hush.p2p.connect(o.url, { identity, token: o.token, pins, dealerKey: o['dealer-key'], direct: false,
    maxSessions: concurrency, maxRows: 4096 }).catch((e) => fail(e.message));
  const dec = new Uint32Array(n);
  const lat = [];
  let bytes = 0, sessions = 0;
  try {
    await conn.describe(o.bank);
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const first = next, r = Math.min(per, n - first);
        next += r;
        const res = await conn.apply(o.bank, x.subarray(first * dim, (first + r) * dim), { rows: r, link: 'relay' });
        dec.set(res.decisions, first);
        lat.push(res.ms);
        bytes += res.bytes;
        sessions++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const secs = (performance.now() - t0) / 1e3;
    lat.sort((a, b) => a - b);
    let approved = 0, agree = 0, correct = 0;
    for (let i = 0; i < n; i++) {
      approved += dec[i] === 0;
      if (want) agree += dec[i] === want[i];
      correct += dec[i] === labels[i];
    }
    if (o.out) await writeFile(o.out, Array.from(dec).join('\n') + '\n');
    const out = {
      command: 'mpc apply', bank: o.bank, applicants: n, sessions, rows_per_session: per, concurrency, link: 'relay',
      seconds: secs, ms_per_applicant: (1e3 * secs) / n, decisions_per_second: n / secs,
      latency_ms: { p50: pct(lat, 0.5), p90: pct(lat, 0.9), p99: pct(lat, 0.99), max: pct(lat, 1) },
      bytes_per_applicant: bytes / n, approved,
    };
    if (want) out.decision_agreement = agree / n;
    out.encrypted_accuracy = correct / n;
    out.private = true;
    if (o.json) console.log(JSON.stringify(out));
    else console.log(`${n} applicants in ${sessions} sessions: ${out.ms_per_applicant.toFixed(3)} ms and ${Math.round(out.bytes_per_applicant)} bytes per applicant, ${approved} approved` +
      (want ? `, decisions agree with the plaintext model on ${out.decision_agreement.toFixed(4)}` : ''));
  } catch (e) {
    fail(`${e.message}; no decision was output for that session`);
  } finally {
    clearTimeout(timer);
    dec.fill(0);
    conn.close();
    all.free();
    if (ds !== all) ds.free();
  }
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== 'serve' && cmd !== 'apply') fail('usage: hush-mpc serve|apply --url URL --name NAME --identity KEYFILE ...', 2);
  const o = parse(rest, cmd === 'serve' ? SERVE_OPTIONS : APPLY_OPTIONS);
  const hush = await load({ full: true });
  if (cmd === 'serve') await serve(hush, o);
  else await apply(hush, o);
  // give the socket's close a moment, then leave even if something holds the loop
  setTimeout(() => process.exit(0), 100).unref();
}

main().catch((e) => fail(e.message));
