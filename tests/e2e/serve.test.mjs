// scripts/serve.mjs (hush-server serving the demo): the one-line URL, the port fallback, MIME types the browser insists on
// (application/wasm for streaming compilation, JavaScript for module scripts), the strict CSP,
// and confinement to the repository root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, startServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

// Raw GET without URL normalisation (fetch would resolve "/../" before sending it).
function rawGet(port, rawPath, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('prints exactly one line with the demo URL', async () => {
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.output().stdout, `${server.line}\n`);
  assert.ok(server.port > 0);
});

test('serves files with the right MIME types and a strict CSP', async () => {
  const cases = [
    ['/demo/', 'text/html'],
    ['/demo/train.html', 'text/html'],
    ['/demo/train.js', 'text/javascript'],
    ['/web/worker.js', 'text/javascript'],
    ['/demo/style.css', 'text/css'],
    ['/demo/favicon.svg', 'image/svg+xml'],
    ['/scripts/credit.mjs', 'text/javascript'],
    ['/api/status', 'application/json'],
    ['/data/credit-g.arff', 'text/plain'],
  ];
  for (const [p, type] of cases) {
    const r = await fetch(server.origin + p);
    assert.equal(r.status, 200, p);
    assert.ok(r.headers.get('content-type').startsWith(type), `${p}: ${r.headers.get('content-type')}`);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/, p);
    assert.match(csp, /worker-src 'self'/, p);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/, p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    await r.arrayBuffer();
  }
});

test('serves .wasm as application/wasm when the build exists', async (t) => {
  const r = await fetch(`${server.origin}/build/web/hush.wasm`, { method: 'HEAD' });
  if (r.status === 404) {
    t.skip('build/web/hush.wasm not built (make wasm)');
    return;
  }
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/wasm');
  const m = await fetch(`${server.origin}/build/web/hush.mjs`, { method: 'HEAD' });
  assert.ok(m.headers.get('content-type').startsWith('text/javascript'));
});

test('stays inside the repository root and hides dot-files', async () => {
  for (const p of [
    '/../../../../etc/passwd',
    '/demo/../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/..%2f..%2fetc%2fpasswd',
    '/demo/%2e%2e%2f%2e%2e%2fetc/passwd',
    '/.git/config',
    '/.deps/',
    '/demo/..%5c..%5cetc%5cpasswd',
    '/nonexistent.html',
  ]) {
    const r = await rawGet(server.port, p);
    assert.ok(r.status === 404 || r.status === 400, `${p} -> ${r.status}`);
    assert.doesNotMatch(r.body.toString(), /root:/, p);
  }
  // A NUL in a URL: libwebsockets refuses it while parsing the request line, by closing.
  const nul = await rawGet(server.port, '/a%00b').catch((e) => ({ status: e.code }));
  assert.ok(nul.status === 400 || nul.status === 'ECONNRESET', `NUL -> ${nul.status}`);
  assert.equal((await rawGet(server.port, '/demo/index.html', 'POST')).status, 405);
  const head = await rawGet(server.port, '/demo/index.html', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers['content-length']) > 0);
});

test('serves only what the pages load: never the demo keys, database or model, nor the rest of the repository', async () => {
  // files that exist (so a 404 means refused, not missing)
  const probe = path.join(ROOT, 'build/demo-private/probe.key');
  mkdirSync(path.dirname(probe), { recursive: true });
  writeFileSync(probe, 'secret');
  try {
    for (const p of ['/build/demo-private/probe.key', '/package.json', '/build/native/hush-server', '/scripts/serve.mjs',
      '/core/include/hush.h', '/tests/e2e/helpers.mjs']) {
      assert.equal((await rawGet(server.port, p)).status, 404, p);
    }
  } finally {
    rmSync(probe, { force: true });
  }
  for (const p of ['/demo/index.html', '/web/index.js', '/data/credit-g.arff', '/scripts/credit.mjs']) {
    assert.equal((await rawGet(server.port, p, 'HEAD')).status, 200, p);
  }
});

test('redirects / and directories without a slash to the demo', async () => {
  const root = await fetch(server.origin + '/', { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/demo/');
  const dir = await fetch(server.origin + '/demo', { redirect: 'manual' });
  assert.equal(dir.status, 301);
  assert.equal(dir.headers.get('location'), '/demo/');
});

test('falls back to a free port when the requested one is busy', async () => {
  const blocker = net.createServer();
  await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = blocker.address().port;
  const s = await startServer({ port: busy });
  try {
    assert.notEqual(s.port, busy);
    const r = await fetch(s.origin + '/demo/');
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  } finally {
    await s.stop();
    blocker.close();
  }
});

test('takes the port from PORT when --port is absent', async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const free = probe.address().port;
  await new Promise((r) => probe.close(r));
  const s = await startServer({ port: null, env: { PORT: String(free) } });
  try {
    assert.equal(s.port, free);
  } finally {
    await s.stop();
  }
});
