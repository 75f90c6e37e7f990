#!/usr/bin/env node
// `make demo`: runs hush-server, which serves the demo pages (with their strict
// Content-Security-Policy and the confinement rules of server/files.h) next to the WebSocket
// endpoint and /api/status, on a database under build/demo-private/.
//
//   node scripts/serve.mjs [--port N] [--db FILE]   (or PORT=N; default 8080, a free port if that is
//   busy; the database defaults to build/demo-private/hub.db)
// Prints exactly one line once listening: "Hush demo: http://127.0.0.1:PORT/demo/".
//
// The encrypted-prediction demo (demo/apply.html, demo/bank.html) needs three roles: the server
// is also the MPC dealer (serve --dealer, its identity in build/demo-private/), a native bank
// (`hush mpc serve`) serves a credit model trained here at start (`hush train --seed 1`, a few
// milliseconds), and applicants enrol with one-time tokens written to applicants.json. The demo
// directory is build/demo/ for the default database, FILE.demo/ beside any other.
//
// The federated demo's coordinator creates its task and the banks' enrolment tokens through a
// second, loopback-only listener of this process (scripts/fl-admin.mjs explains why and how):
// hush-server itself has no admin endpoint.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFlAdmin } from './fl-admin.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = path.join(ROOT, 'build/native/hush-server');
const DEFAULT_PORT = 8080;
// What the pages may fetch (hush-server --static-allow): everything else under the repository,
// build/demo-private/ above all, answers 404.
const PUBLIC = '/demo/,/web/,/build/web/,/data/,/build/demo/,/scripts/credit.mjs';

function parseArgs(argv, env) {
  let raw = env.PORT;
  let db = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--db' && i + 1 < argv.length) db = argv[++i];
    else if (a === '--port' && i + 1 < argv.length) raw = argv[++i];
    else if (a.startsWith('--port=')) raw = a.slice('--port='.length);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/serve.mjs [--port N] [--db FILE]   (env PORT; default 8080)\n');
      process.exit(0);
    } else {
      process.stderr.write(`serve: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (raw === undefined || raw === '') return { port: DEFAULT_PORT, db };
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`serve: bad port ${raw}\n`);
    process.exit(2);
  }
  return { port: n, db };
}

// Starts hush-server on `port`; resolves with { child, port } once it listens, or null if it
// could not listen there.
function start(db, port, privDir) {
  return new Promise((resolve) => {
    const child = spawn(SERVER, ['serve', '--db', db, '--port', String(port), '--static', ROOT, '--static-allow', PUBLIC,
      '--dealer', '--identity', path.join(privDir, 'dealer.key')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) {
        child.stdout.removeAllListeners('data');
        child.stderr.removeAllListeners('data');
        child.stderr.pipe(process.stderr);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', () => resolve(err.includes('cannot listen') ? null : { failed: err }));
  });
}

async function main() {
  if (!existsSync(SERVER)) {
    process.stderr.write('serve: build/native/hush-server is missing (make native)\n');
    process.exit(1);
  }
  const { port: wanted, db: given } = parseArgs(process.argv.slice(2), process.env);
  // Secrets (the database, the dealer's and the bank's keys, the bank's model) live outside
  // everything --static-allow serves; the page-readable files (applicants' tokens) beside them
  // under build/demo/, or both in FILE.demo/ for another database.
  const privDir = given ? `${given}.demo` : path.join(ROOT, 'build/demo-private');
  const demoDir = given ? privDir : path.join(ROOT, 'build/demo');
  for (const d of [privDir, demoDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const db = given || path.join(privDir, 'hub.db');
  let s = await start(db, wanted, privDir);
  if (s === null && wanted !== 0) {
    process.stderr.write(`serve: port ${wanted} unavailable, using a free port\n`);
    s = await start(db, 0, privDir);
  }
  if (!s || s.failed !== undefined) {
    process.stderr.write(`serve: hush-server did not start: ${s?.failed ?? 'no free port'}`);
    process.exit(1);
  }
  const bank = await startBank(db, demoDir, privDir, s.port);
  let admin = null;
  try {
    admin = await startFlAdmin({ root: ROOT, server: SERVER, db, port: s.port });
  } catch (err) {
    process.stderr.write(`serve: the federated demo cannot create tasks: ${err.message}\n`);
  }
  process.on('exit', () => admin?.close());
  // The handlers go in before the line is printed: whoever reads it may stop us at once, and a
  // SIGTERM without them would leave hush-server (and the bank) running.
  const stop = () => {
    bank?.kill('SIGTERM');
    s.child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  s.child.on('exit', (code, signal) => {
    bank?.kill('SIGTERM');
    process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1));
  });
  process.stdout.write(`Hush demo: http://127.0.0.1:${s.port}/demo/\n`);
}

// ---- the encrypted-prediction demo's bank and applicants ----

const HUSH = path.join(ROOT, 'build/native/hush');
const DATA = path.join(ROOT, 'data/credit-g.arff');

function enroll(db, args) {
  const r = spawnSync(SERVER, ['enroll', '--db', db, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`enroll: ${r.stderr}`);
  return r.stdout.trim();
}

// The native bank, serving a credit model trained here; resolves with its process once it serves
// (or null, with a note on stderr, when the CLI or the data set is missing).
async function startBank(db, demoDir, privDir, port) {
  if (!existsSync(HUSH) || !existsSync(DATA)) {
    process.stderr.write('serve: no build/native/hush or data/credit-g.arff: the encrypted-prediction demo has no bank\n');
    return null;
  }
  const model = path.join(privDir, 'credit.model'); // the bank's: never served
  if (!existsSync(model)) {
    const r = spawnSync(HUSH, ['train', '--data', DATA, '--model', 'dense:32,relu,dense:16,relu,dense:2', '--epochs', '10',
      '--lr', '0.003', '--optimizer', 'adam', '--weight-decay', '1', '--seed', '1', '--out', model], { encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(`serve: training the demo's credit model failed: ${r.stderr}`);
      return null;
    }
  }
  // one-time tokens for fresh applicant names (the page keeps its identity in IndexedDB)
  const run = Math.random().toString(36).slice(2, 8);
  const applicants = enroll(db, ['--name', `applicant-${run}`, '--count', '16']).split('\n')
    .map((l) => l.split(' ')).map(([name, token]) => ({ name, token }));
  writeFileSync(path.join(demoDir, 'applicants.json'), JSON.stringify({ bank: 'bank', applicants }, null, 1));
  const child = spawn(HUSH, ['mpc', 'serve', '--url', `ws://127.0.0.1:${port}/ws`, '--name', 'bank',
    '--identity', path.join(privDir, 'bank.key'), '--token', enroll(db, ['--name', 'bank']), '--model', model, '--schema', DATA],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(resolve, 5000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"serving"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  child.stdout.resume();
  return child;
}

main().catch((err) => {
  process.stderr.write(`serve: ${err.message}\n`);
  process.exit(1);
});
