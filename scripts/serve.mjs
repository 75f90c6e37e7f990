#!/usr/bin/env node
// Static file server for the Hush demos: serves the repository root on 127.0.0.1 with no
// dependencies, so `make demo` works on a fresh checkout and the browser test runs against exactly
// what a user gets.
//
// Every response carries a strict Content-Security-Policy without 'unsafe-eval' (WebAssembly only
// needs 'wasm-unsafe-eval'); the browser test relies on it to prove that neither the demo nor the
// Emscripten glue evaluates strings as code. Paths are confined to the root: no "..", no symlink
// escapes, no dot-files (.git, .deps), no directory listings.
//
//   node scripts/serve.mjs [--port N]      (or PORT=N; default 8080, a free port if that is busy)
// Prints exactly one line once listening: "Hush demo: http://127.0.0.1:PORT/demo/".

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
const DEFAULT_PORT = 8080;

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.arff': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
};

function parsePort(argv, env) {
  let raw = env.PORT;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' && i + 1 < argv.length) raw = argv[++i];
    else if (a.startsWith('--port=')) raw = a.slice('--port='.length);
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/serve.mjs [--port N]   (env PORT; default 8080)\n');
      process.exit(0);
    } else {
      process.stderr.write(`serve: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`serve: bad port ${raw}\n`);
    process.exit(2);
  }
  return n;
}

function baseHeaders() {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    // A development server: always serve what is on disk right now (fresh builds, fresh data).
    'Cache-Control': 'no-store',
  };
}

function sendText(res, req, status, text, extra = {}) {
  const body = Buffer.from(text + '\n');
  res.writeHead(status, {
    ...baseHeaders(),
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function isInside(root, p) {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

// Maps a URL path to a file under root, or null. Decoding happens once, before any check, so
// "%2e%2e" and "..%2f" are seen as what they are.
async function resolveFile(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400 };
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || (s.startsWith('.') && s !== ''))) return { status: 404 };
  let file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (!isInside(root, file)) return { status: 404 };
  let st;
  try {
    st = await stat(file);
  } catch {
    return { status: 404 };
  }
  if (st.isDirectory()) {
    if (!decoded.endsWith('/')) return { status: 301, location: urlPath + '/' };
    file = path.join(file, 'index.html');
    try {
      st = await stat(file);
    } catch {
      return { status: 404 };
    }
  }
  if (!st.isFile()) return { status: 404 };
  let real;
  try {
    real = await realpath(file);
  } catch {
    return { status: 404 };
  }
  if (!isInside(root, real)) return { status: 404 };
  return { status: 200, file: real, size: st.size };
}

export function makeHandler(root) {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, req, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    let url;
    try {
      url = new URL(req.url, 'http://localhost');
    } catch {
      sendText(res, req, 400, 'bad request');
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(302, { ...baseHeaders(), Location: '/demo/', 'Content-Length': 0 });
      res.end();
      return;
    }
    const r = await resolveFile(root, url.pathname);
    if (r.status === 301) {
      res.writeHead(301, { ...baseHeaders(), Location: r.location + url.search, 'Content-Length': 0 });
      res.end();
      return;
    }
    if (r.status !== 200) {
      sendText(res, req, r.status, r.status === 404 ? `not found: ${url.pathname}` : 'bad request');
      return;
    }
    const type = MIME[path.extname(r.file).toLowerCase()] || 'application/octet-stream';
    res.writeHead(200, { ...baseHeaders(), 'Content-Type': type, 'Content-Length': r.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(r.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address().port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

async function main() {
  const root = await realpath(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const wanted = parsePort(process.argv.slice(2), process.env);
  const server = createServer(makeHandler(root));
  let port;
  try {
    port = await listen(server, wanted);
  } catch (err) {
    if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
    process.stderr.write(`serve: port ${wanted} unavailable (${err.code}), using a free port\n`);
    port = await listen(server, 0);
  }
  process.stdout.write(`Hush demo: http://${HOST}:${port}/demo/\n`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`serve: ${err.message}\n`);
    process.exit(1);
  });
}
