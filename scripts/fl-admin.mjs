// The federated demo's task setup, for `make demo` only (scripts/serve.mjs starts it).
//
// The coordinator page (demo/federated.html) needs a fresh federated task and one enrolment token
// per bank, which only the operator's `hush-server task create` and `hush-server enroll` make.
// The page cannot run them, and hush-server itself gains no admin endpoint: a production
// `hush-server serve` exposes nothing new. Instead this process, which already runs the operator
// commands for the demo, listens on a second loopback port (127.0.0.1, a free port) and:
//   1. writes build/demo/fl-admin-PORT.json (PORT: hush-server's) with that address and a random
//      key; hush-server serves it to the demo's own origin, which other sites cannot read;
//   2. on GET /fl/session?key=K&banks=N&privacy=P&budget=E&rounds=R (the page navigates there:
//      the CSP's connect-src 'self' and form-action 'none' allow no fetch or form post to another
//      port, but a plain navigation is fine) checks the key and the Host header (no DNS
//      rebinding), runs `hush-server task create` and `hush-server enroll --count N --expires 600`
//      against the served database, and redirects back to the coordinator with the session
//      (task, bank names, tokens, shard seed) in the URL fragment, which browsers never send to
//      any server or log.
// Tokens are one-time (spent at a bank's first connection) and expire after 10 minutes; the
// server never sees a row: each bank's tab reads its shard itself. The file is removed on exit.
import { execFile } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { creditBounds, creditInputSize } from './credit.mjs';

const run = promisify(execFile);

// What a round costs and how it trains, per privacy unit (tuned on credit-g with 3-8 banks of
// 80-213 training rows each: without noise a 16-unit network at lr 0.1, 5 local epochs, reaches
// 72-76% test accuracy in 6 rounds (70% is the majority class); record-level DP-SGD at noise 3
// costs each bank about 1.0 epsilon in the first round and 0.3 per round after, so a budget of 3
// pays for about 7 rounds, at about the majority's accuracy; user-level noise 2 costs about 2.5 per
// round whatever the number of banks, published in the task's terms: with 3-8 banks its noise
// outweighs the signal, which is the lesson of user-level privacy with few participants).
export const PRIVACY = {
  none: { localEpochs: 5, noise: 0, budget: null },
  record: { localEpochs: 1, noise: 3, budget: 3 },
  user: { localEpochs: 2, noise: 2, budget: 8 },
};
export const MODEL = 'dense:16,relu,dense:2';
export const DEADLINE = 3;    // seconds per secure-aggregation stage, and to wait for absent banks
export const INTERVAL = 1.5;  // seconds between rounds, so people can watch (and close tabs)
export const TOKEN_SECONDS = 600;
const MAX_SESSIONS = 100;     // per serve.mjs run

function fail(status, message) {
  return Object.assign(new Error(message), { status });
}

// Checked parameters of a session request.
export function sessionParams(q) {
  const int = (k, lo, hi, dflt) => {
    const raw = q.get(k);
    const v = raw === null || raw === '' ? dflt : Number(raw);
    if (!Number.isInteger(v) || v < lo || v > hi) throw fail(400, `${k} must be an integer from ${lo} to ${hi}`);
    return v;
  };
  const banks = int('banks', 3, 8, 3);
  const privacy = q.get('privacy') || 'record';
  if (!Object.hasOwn(PRIVACY, privacy)) throw fail(400, 'privacy must be none, record or user');
  const rounds = int('rounds', 1, 30, 6);
  let budget = null;
  if (PRIVACY[privacy].budget !== null) {
    const raw = q.get('budget');
    budget = raw === null || raw === '' ? PRIVACY[privacy].budget : Number(raw);
    if (!Number.isFinite(budget) || budget < 0.1 || budget > 100) throw fail(400, 'budget must be from 0.1 to 100');
  }
  return { banks, privacy, rounds, budget };
}

// The majority threshold: a round commits with more than half of the banks (secure aggregation
// with the complete graph needs 2 threshold > banks - 1).
export const thresholdFor = (banks) => Math.floor(banks / 2) + 1;

// Starts the admin listener; resolves with { url, file, close() }.
export async function startFlAdmin({ root, server, db, port }) {
  const dir = path.join(root, 'build/demo');
  const arff = path.join(root, 'data/credit-g.arff');
  const boundsFile = path.join(dir, 'credit-bounds.txt');
  const key = randomBytes(32);
  const keyHex = key.toString('hex');
  const demo = `http://127.0.0.1:${port}/demo/federated.html`;
  let sessions = 0;

  async function createSession(p) {
    if (!existsSync(arff)) throw fail(503, 'data/credit-g.arff is missing: run sh scripts/bootstrap.sh');
    if (++sessions > MAX_SESSIONS) throw fail(429, `more than ${MAX_SESSIONS} sessions: restart make demo`);
    const text = readFileSync(arff, 'utf8');
    if (!existsSync(boundsFile)) writeFileSync(boundsFile, creditBounds(text));
    const task = `fl-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const cfg = PRIVACY[p.privacy];
    const threshold = thresholdFor(p.banks);
    const args = ['task', 'create', '--db', db, '--name', task, '--kind', 'fedavg', '--model', MODEL,
      '--input-size', String(creditInputSize(text)), '--classes', '2', '--rounds', String(p.rounds),
      '--clients', String(p.banks), '--threshold', String(threshold), '--local-epochs', String(cfg.localEpochs),
      '--local-batch', '16', '--lr', '0.1', '--privacy', p.privacy, '--bounds', boundsFile,
      '--deadline', String(DEADLINE), '--interval', String(INTERVAL)];
    if (cfg.noise) args.push('--noise-multiplier', String(cfg.noise));
    await run(server, args);
    const { stdout } = await run(server, ['enroll', '--db', db, '--name', `${task}-bank`, '--count', String(p.banks),
      '--expires', String(TOKEN_SECONDS)]);
    const banks = stdout.trim().split('\n').map((line) => {
      const [name, token] = line.split(' ');
      return { name, token };
    });
    if (banks.length !== p.banks || banks.some((b) => !/^[0-9a-f]{64}$/.test(b.token || ''))) {
      throw fail(500, 'hush-server enroll printed something unexpected');
    }
    return {
      v: 1, task, privacy: p.privacy, rounds: p.rounds, budget: p.budget, threshold, deadline: DEADLINE,
      interval: INTERVAL, seed: randomBytes(4).readUInt32LE(0), testFraction: 0.2,
      expires: Math.floor(Date.now() / 1000) + TOKEN_SECONDS, banks,
    };
  }

  const admin = http.createServer(async (req, res) => {
    const back = (fragment) => {
      res.writeHead(303, { location: `${demo}#${fragment}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end();
    };
    try {
      const host = req.headers.host || '';
      const here = admin.address().port;
      if (host !== `127.0.0.1:${here}` && host !== `localhost:${here}`) throw fail(421, 'wrong host');
      const url = new URL(req.url, `http://127.0.0.1:${here}`);
      if (req.method !== 'GET' || url.pathname !== '/fl/session') throw fail(404, 'not found');
      const given = Buffer.from(url.searchParams.get('key') || '', 'utf8');
      if (given.length !== keyHex.length || !timingSafeEqual(given, Buffer.from(keyHex, 'utf8'))) {
        throw fail(403, 'wrong key: reload the coordinator page served by make demo');
      }
      const session = await createSession(sessionParams(url.searchParams));
      back(`s=${Buffer.from(JSON.stringify(session)).toString('base64url')}`);
    } catch (err) {
      const status = err.status || 500;
      const message = err.status ? err.message : `could not create the task: ${(err.stderr || err.message || '').trim()}`;
      if (status === 421 || status === 404) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${message}\n`);
      } else {
        back(`error=${encodeURIComponent(message)}`);
      }
    }
  });
  await new Promise((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${admin.address().port}/fl/session`;
  const file = path.join(dir, `fl-admin-${port}.json`);
  writeFileSync(file, `${JSON.stringify({ url, key: keyHex })}\n`, { mode: 0o600 });
  return {
    url,
    file,
    close() {
      rmSync(file, { force: true });
      admin.close();
    },
  };
}
