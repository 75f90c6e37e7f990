#!/usr/bin/env node
// `make bench-mpc-net`: encrypted credit decisions over a real network stack, next to the
// in-process figure of the same model from the same run.
//   in-process:  `hush mpc predict` (2 parties + dealer + client in one process, every link an
//                authenticated channel, one applicant per session)
//   networked:   hush-server --dealer, a native bank (`hush mpc serve`) and native applicants
//                (`hush mpc apply`) over loopback, one applicant per session, with 1, 10 and 100
//                sessions in flight against the one bank; and one Node applicant (wasm) in flight
// For each: decisions per second, latency percentiles per session, bytes per applicant (the
// applicant's own frames; and all of a session's traffic as the server counted it: relayed,
// signalled, dealt), and whether every decision equals the plaintext model's. CrypTen's published
// two-party logistic regression takes 61 ms per inference. JSON in build/bench/mpc_net.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = (n) => path.join(ROOT, 'build/native', n);
const DATA = path.join(ROOT, 'data/credit-g.arff');
const CRYPTEN_MS = 61;

function run(cmd, args) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => {
      let json = null;
      try { json = JSON.parse(out.trim().split('\n').pop()); } catch {}
      resolve({ code, json, err });
    });
  });
}

function waitLine(proc, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) resolve(m);
    });
    proc.on('exit', (c) => reject(new Error(`exited ${c} before ${re}`)));
  });
}

const admin = (args) => {
  const r = spawnSync(BIN('hush-server'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-mpc-net-'));
  const procs = [];
  try {
    const model = path.join(dir, 'credit.model');
    let r = spawnSync(BIN('hush'), ['train', '--data', DATA, '--model', 'dense:32,relu,dense:16,relu,dense:2', '--epochs', '10', '--lr',
      '0.003', '--optimizer', 'adam', '--weight-decay', '1', '--seed', '1', '--out', model], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const inproc = await run(BIN('hush'), ['mpc', 'predict', '--model', model, '--data', DATA, '--json']);
    if (inproc.code !== 0) throw new Error(inproc.err);
    const db = path.join(dir, 'hub.db');
    const tokens = Object.fromEntries(['bank', 'a1', 'a10', 'a100', 'node'].map((n) => [n, admin(['enroll', '--db', db, '--name', n])]));
    const srv = spawn(BIN('hush-server'), ['serve', '--db', db, '--port', '0', '--dealer'], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(srv);
    const port = (await waitLine(srv, /listening on port (\d+)/))[1];
    const url = `ws://127.0.0.1:${port}/ws`;
    const bank = spawn(BIN('hush'), ['mpc', 'serve', '--url', url, '--name', 'bank', '--identity', path.join(dir, 'bank.key'), '--token',
      tokens.bank, '--model', model], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(bank);
    await waitLine(bank, /"serving"/);
    const status = async () => (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()).banks.find((b) => b.name === 'bank');
    const rows = [];
    const applyRun = async (label, cmd, args) => {
      const before = await status();
      const res = await run(cmd, args);
      if (res.code !== 0) throw new Error(`${label}: ${res.err}`);
      const after = await status();
      const served = after.served - before.served;
      const serverBytes = (after.bytes_per_session * after.served - before.bytes_per_session * before.served) / served;
      rows.push({ label, ...res.json, server_bytes_per_applicant: serverBytes / res.json.rows_per_session });
    };
    const common = (n) => ['--url', url, '--name', n, '--identity', path.join(dir, `${n}.key`), '--token', tokens[n], '--bank', 'bank',
      '--data', DATA, '--check-model', model, '--json'];
    await applyRun('native, 1 in flight', BIN('hush'), ['mpc', 'apply', ...common('a1'), '--concurrency', '1']);
    await applyRun('native, 10 in flight', BIN('hush'), ['mpc', 'apply', ...common('a10'), '--concurrency', '10']);
    await applyRun('native, 100 in flight', BIN('hush'), ['mpc', 'apply', ...common('a100'), '--concurrency', '100']);
    await applyRun('Node (wasm), 1 in flight', process.execPath, [path.join(ROOT, 'bin/hush-mpc.mjs'), 'apply', ...common('node'), '--concurrency', '1', '--limit', '300']);
    const ip = inproc.json;
    console.log(`Encrypted credit decisions, German credit MLP 63-32-16-2 (${ip.rows} applicants, one per session), loopback:\n`);
    console.log('| run | decisions/s | latency p50 / p90 / p99 (ms) | ms per applicant | bytes/applicant (own / all links) | agree |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| in-process (hush mpc predict) | ${(1e3 / ip.ms_per_prediction).toFixed(0)} | - | ${ip.ms_per_prediction.toFixed(2)} | - / ${Math.round(ip.bytes_per_prediction)} | ${ip.decision_agreement.toFixed(3)} |`);
    for (const x of rows) {
      console.log(`| ${x.label} | ${x.decisions_per_second.toFixed(0)} | ${x.latency_ms.p50.toFixed(1)} / ${x.latency_ms.p90.toFixed(1)} / ${x.latency_ms.p99.toFixed(1)} | ` +
        `${x.ms_per_applicant.toFixed(2)} | ${Math.round(x.bytes_per_applicant)} / ${Math.round(x.server_bytes_per_applicant)} | ${x.decision_agreement.toFixed(3)} |`);
    }
    console.log(`\nCrypTen's published two-party logistic regression: ${CRYPTEN_MS} ms per inference; here the median latency of one ` +
      `networked session is ${rows[0].latency_ms.p50.toFixed(1)} ms (${(CRYPTEN_MS / rows[0].latency_ms.p50).toFixed(1)}x less).`);
    mkdirSync(path.join(ROOT, 'build/bench'), { recursive: true });
    writeFileSync(path.join(ROOT, 'build/bench/mpc_net.json'), JSON.stringify({ in_process: ip, networked: rows }, null, 1));
  } finally {
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench-mpc-net: ${e.message}\n`);
  process.exit(1);
});
