// Shared by the hush-server integration tests: each test starts its own hush-server on a free
// loopback port with a temporary database, and drives it with native (`hush agg join`,
// hush-swarm) and Node (hush.net) participants.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER = path.join(ROOT, 'build/native/hush-server');
export const SERVER_TEST = path.join(ROOT, 'build/native/hush-server-test');
export const HUSH = path.join(ROOT, 'build/native/hush');
export const SWARM = path.join(ROOT, 'build/native/hush-swarm');
export const HUSH_AGG = path.join(ROOT, 'bin/hush-agg.mjs');

export function tempDir(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hush-server-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Runs a hush-server subcommand synchronously; throws with its stderr on failure.
export function admin(args, { bin = SERVER, ok = true } = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (ok && r.status !== 0) throw new Error(`hush-server ${args.join(' ')}: ${r.stderr}`);
  return r;
}

export function createTask(db, name, opts) {
  const args = ['task', 'create', '--db', db, '--name', name, '--kind', 'sum'];
  for (const [k, v] of Object.entries(opts)) args.push(`--${k}`, String(v));
  admin(args);
}

export function enroll(db, name) {
  return admin(['enroll', '--db', db, '--name', name]).stdout.trim();
}

export function status(db) {
  return JSON.parse(admin(['status', '--db', db, '--json']).stdout);
}

export function resultOf(db, dir, task, round) {
  const out = path.join(dir, `r-${task}-${round}.csv`);
  admin(['result', '--db', db, '--task', task, '--round', String(round), '--out', out]);
  return readFileSync(out, 'utf8').trim().split(',').map(Number);
}

// Starts `hush-server serve`; resolves once it listens. { url, port, proc, stop(), kill9() }.
export function startServer(t, db, extra = [], { bin = SERVER, env = {}, port = 0 } = {}) {
  const proc = spawn(bin, ['serve', '--db', db, '--port', String(port), ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  const server = new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) {
        const port = Number(m[1]);
        const scheme = extra.includes('--tls-cert') ? 'wss' : 'ws';
        resolve({
          port, proc, exited,
          url: `${scheme}://127.0.0.1:${port}/ws`,
          http: `${scheme === 'wss' ? 'https' : 'http'}://127.0.0.1:${port}`,
          stderr: () => stderr,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return exited;
          },
          async kill9() {
            proc.kill('SIGKILL');
            return exited;
          },
        });
      }
    });
    exited.then(({ code, signal }) => reject(new Error(`hush-server exited (${code ?? signal}) before listening: ${stderr}`)));
  });
  t.after(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  return server;
}

// A command as a child process; resolves with { code, json (its last stdout line, or null),
// stdout, stderr }.
export function run(cmd, args, { env = {} } = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    // 'close', not 'exit': 'exit' may come before the last stdout chunk, and with it the JSON line.
    p.on('close', (code) => {
      let json = null;
      try { json = JSON.parse(out.trim().split('\n').pop()); } catch {}
      resolve({ code, json, stdout: out, stderr: err });
    });
  });
}

// `hush agg join` (native) or `node bin/hush-agg.mjs join` as a child process.
export const join = (kind, args) =>
  kind === 'native' ? run(HUSH, ['agg', 'join', ...args]) : run(process.execPath, [HUSH_AGG, 'join', ...args]);

export function writeInput(dir, name, values) {
  const f = path.join(dir, `${name}.csv`);
  writeFileSync(f, values.join(',') + '\n');
  return f;
}

// The plaintext sum mod 2^bits of the given input vectors.
export function plainSum(inputs, bits) {
  const dim = inputs[0].length;
  const mod = 2 ** bits;
  const s = new Array(dim).fill(0);
  for (const x of inputs) for (let j = 0; j < dim; j++) s[j] = (s[j] + x[j]) % mod;
  return s;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(cond, ms = 30000, what = 'condition') {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
