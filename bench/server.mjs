#!/usr/bin/env node
// `make bench-server`: secure aggregation through hush-server over loopback against the
// in-process round of the same configuration (`hush secagg sim --authenticated`: hush-server's
// rounds always sign the keys with the enrolled identities), in one run:
//   100 participants x 100k values, 10% leaving before their masked input (complete graph)
//   1000 participants x 10k values (SecAgg+, 26 neighbours)
// For each: wall time of the in-process round and of the network round end to end (from the
// first connection to every participant holding the result), their ratio, the server's CPU
// seconds and peak RSS, and bytes per participant. Then the memory an idle authenticated
// connection costs the server. Participants are native (hush-swarm, one process, one loop).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = (n) => path.join(ROOT, 'build/native', n);
const PAGE = 4096;
const TICK = 100; // USER_HZ

function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpu = (Number(f[11]) + Number(f[12])) / TICK; // utime, stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`${k}:\\s+(\\d+)`).exec(status) || [0, 0])[1]);
  return { cpu, rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

function server(db) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN('hush-server'), ['serve', '--db', db, '--port', '0', '--max-connections', '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) resolve({ p, url: `ws://127.0.0.1:${m[1]}/ws` });
    });
    p.on('exit', (c) => reject(new Error(`hush-server exited ${c}`)));
  });
}

function run(bin, args) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out, seconds: Number(process.hrtime.bigint() - t0) / 1e9, p }));
  });
}

const admin = (args) => {
  const r = spawnSync(BIN('hush-server'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};

async function config({ label, n, dim, threshold, neighbours, bits, dropEvery }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-server-'));
  try {
    const drops = dropEvery ? Array.from({ length: Math.ceil(n / dropEvery) }, (_, k) => `2:${k * dropEvery}`).join(',') : '';
    const simArgs = ['secagg', 'sim', '--clients', n, '--dim', dim, '--seed', '1', '--threshold', threshold, '--bits', bits,
      '--neighbours', neighbours, '--authenticated', '--json', ...(drops ? ['--drop', drops] : [])].map(String);
    const sim = await run(BIN('hush'), simArgs);
    if (sim.code !== 0) throw new Error(`hush secagg sim failed: ${sim.out}`);
    const simJson = JSON.parse(sim.out.trim().split('\n').pop());

    const db = path.join(dir, 'hub.db');
    admin(['task', 'create', '--db', db, '--name', 'b', '--kind', 'sum', '--dim', String(dim), '--clients', String(n),
      '--threshold', String(threshold), '--neighbours', String(neighbours), '--bits', String(bits), '--rounds', '1', '--deadline', '60']);
    writeFileSync(path.join(dir, 'tokens'), admin(['enroll', '--db', db, '--name', 'p', '--count', String(n)]));
    const srv = await server(db);
    const before = procStat(srv.p.pid);
    const swarmArgs = ['--url', srv.url, '--task', 'b', '--tokens', path.join(dir, 'tokens'), '--json', '--timeout', '300',
      ...(dropEvery ? ['--drop-every', String(dropEvery), '--drop-stage', '2'] : [])];
    const sw = await run(BIN('hush-swarm'), swarmArgs);
    const after = procStat(srv.p.pid);
    srv.p.kill('SIGTERM');
    const js = JSON.parse(sw.out.trim().split('\n').pop());
    const rounds = JSON.parse(admin(['rounds', '--db', db, '--task', 'b']));
    const ok = rounds.length === 1 && rounds[0].state === 'committed';
    return {
      label, ok, survivors: rounds[0]?.survivors, simSeconds: sim.seconds, netSeconds: js.seconds,
      ratio: js.seconds / sim.seconds, serverCpu: after.cpu - before.cpu, clientCpu: js.cpu_seconds,
      peakRss: after.hwm, up: js.bytes_out_per_client, down: js.bytes_in_per_client,
      simUp: simJson.bytes_up_per_client, simDown: simJson.bytes_down_per_client,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function idle(n) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-bench-idle-'));
  try {
    const db = path.join(dir, 'hub.db');
    writeFileSync(path.join(dir, 'tokens'), admin(['enroll', '--db', db, '--name', 'i', '--count', String(n)]));
    const srv = await server(db);
    await new Promise((r) => setTimeout(r, 300));
    const base = procStat(srv.p.pid).rss;
    const sw = spawn(BIN('hush-swarm'), ['--url', srv.url, '--tokens', path.join(dir, 'tokens'), '--idle', '30', '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let ready = 0;
    await new Promise((resolve) => sw.stdout.on('data', (d) => {
      ready += String(d).split('\n').filter((l) => l === 'ready').length;
      if (ready >= n) resolve();
    }));
    await new Promise((r) => setTimeout(r, 500));
    const held = procStat(srv.p.pid).rss;
    sw.kill('SIGTERM');
    srv.p.kill('SIGTERM');
    return { n, perConnection: (held - base) / n };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
const kb = (b) => (b / 1024).toFixed(1);
const rows = [];
rows.push(await config({ label: '100 x 100k, 10% drop (complete graph)', n: 100, dim: 100000, threshold: 51, neighbours: 0, bits: 24, dropEvery: 10 }));
rows.push(await config({ label: '1000 x 10k (SecAgg+, 26 neighbours)', n: 1000, dim: 10000, threshold: 14, neighbours: 26, bits: 24, dropEvery: 0 }));
console.log('| round | in-process s | network s | network / in-process | server CPU s | participants CPU s | server peak RSS MB | up / down KB per participant (in-process) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label}${r.ok ? '' : ' (FAILED)'} | ${r.simSeconds.toFixed(2)} | ${r.netSeconds.toFixed(2)} | ${r.ratio.toFixed(2)}x | ` +
    `${r.serverCpu.toFixed(2)} | ${r.clientCpu.toFixed(2)} | ${mb(r.peakRss)} | ${kb(r.up)} / ${kb(r.down)} (${kb(r.simUp)} / ${kb(r.simDown)}) |`);
}
const id = await idle(1000);
console.log(`\nidle authenticated connections: ${id.n} held at ${kb(id.perConnection)} KB each (server RSS growth / connections)`);
writeFileSync(path.join(ROOT, 'build/bench-server.json'), JSON.stringify({ rows, idle: id }, null, 1));
if (rows.some((r) => !r.ok)) process.exit(1);
