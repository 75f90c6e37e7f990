// Shared by the browser tests: start scripts/serve.mjs (hush-server serving the demo) as a child
// process on a free port, and
// launch Debian's Chromium (never a downloaded browser) with a fresh profile.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.HUSH_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
let servers = 0;
export const URL_LINE = /^Hush demo: (http:\/\/127\.0\.0\.1:(\d+)\/demo\/)$/;

// Resolves to {url, origin, port, db, line, output(), stop()} once the server printed its one line.
// port null: no --port argument (then env.PORT or the default applies).
// Each server gets its own database: one hush-server per database at a time.
export function startServer({ port = 0, env = {} } = {}) {
  const db = path.join(os.tmpdir(), `hush-e2e-${process.pid}-${++servers}.db`);
  const args = [...(port === null ? [] : ['--port', String(port)]), '--db', db];
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/serve.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const stop = () =>
    new Promise((resolve) => {
      const clean = () => {
        for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
        rmSync(`${db}.demo`, { recursive: true, force: true }); // the encrypted-prediction demo's files
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return clean();
      child.once('exit', clean);
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve.mjs printed no URL within 10 s; stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}`));
    }, 10_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const line = stdout.slice(0, nl);
      const m = URL_LINE.exec(line);
      if (!m) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from serve.mjs: ${JSON.stringify(line)}`));
        return;
      }
      resolve({
        db,
        url: m[1],
        origin: new URL(m[1]).origin,
        port: Number(m[2]),
        db,
        line,
        output: () => ({ stdout, stderr }),
        stop,
      });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
}

// A persistent context on a fresh temporary profile; close() also deletes the profile.
export async function launchChromium(options = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (sh scripts/bootstrap.sh); tests never download a browser`);
  }
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'hush-e2e-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      ...options,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Records everything that should never happen on a demo page: console errors (page and
// workers), uncaught exceptions, failed or 4xx/5xx requests, and CSP violations in the document
// (workers report theirs to the page, see web/worker.js and demo/train.js).
export async function watchPage(page) {
  const problems = { console: [], pageErrors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.console.push(`${m.worker() ? 'worker' : 'page'}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.pageErrors.push(String(e && e.stack ? e.stack : e)));
  page.on('requestfailed', (r) => problems.requests.push(`${r.url()}: ${r.failure() && r.failure().errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.requests.push(`${r.url()}: HTTP ${r.status()}`);
  });
  await page.addInitScript(() => {
    window.__hushCspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__hushCspViolations.push(`${e.effectiveDirective || e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return problems;
}
