// Encrypted credit decisions from Chromium (Debian's, through playwright-core): the applicant is a
// page (tests/server/page/mpc.html) running the core's hush_p2p in WebAssembly.
//  - against the native bank over the server's relay: all 200 held-out applicants get exactly the
//    plaintext model's decision;
//  - between two tabs over WebRTC data channels (host candidates only, no STUN or TURN), signalled
//    through hush-server with signed offers;
//  - a server that forges one bit of a relayed offer (the test build's fault) is caught: the
//    session ends with the refusal and no decision.
// WebRTC in headless Chromium: by default it hides host addresses behind mDNS names
// (xxxx.local), which only the same browser can resolve. --disable-features=
// WebRtcHideLocalIpsWithMdns makes it gather plain host candidates, as two browsers on one LAN
// would need; the tabs here would also connect without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium, watchPage, CHROMIUM_ARGS } from '../e2e/helpers.mjs';
import { needData } from '../node/util.mjs';
import { tempDir, enroll, startServer, until, HUSH, SERVER_TEST, ROOT } from './helpers.mjs';

const DATA = path.join(ROOT, 'data/credit-g.arff');
const OUT = path.join(ROOT, 'build/test-p2p'); // under the static root: the pages fetch the model
const skip = needData('credit-g.arff');
const RTC_ARGS = [...CHROMIUM_ARGS, '--disable-features=WebRtcHideLocalIpsWithMdns'];

before(() => {
  if (skip) return;
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync(HUSH, ['train', '--data', DATA, '--model', 'dense:32,relu,dense:16,relu,dense:2', '--epochs', '10',
    '--lr', '0.003', '--optimizer', 'adam', '--weight-decay', '1', '--seed', '1', '--out', path.join(OUT, 'credit.model')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(OUT, { recursive: true, force: true }));

function nativeBank(t, srv, db, dir) {
  const p = spawn(HUSH, ['mpc', 'serve', '--url', srv.url, '--name', 'bank', '--identity', path.join(dir, 'bank.key'),
    '--token', enroll(db, 'bank'), '--model', path.join(OUT, 'credit.model')], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => p.kill('SIGKILL'));
  return p;
}

async function serving(srv, name) {
  await until(async () => (await (await fetch(`${srv.http}/api/status`)).json()).banks?.some((b) => b.name === name && b.serving),
    15000, `bank ${name} serving`);
}

function page(srv, params) {
  return `${srv.http}/tests/server/page/mpc.html#${new URLSearchParams(params)}`;
}

async function result(pg, timeout = 240000) {
  await pg.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout });
  const err = await pg.evaluate(() => document.body.dataset.error);
  return err ? { error: err } : JSON.parse(await pg.evaluate(() => document.body.dataset.result));
}

test('200 held-out applicants from Chromium against the native bank: the plaintext decisions', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const srv = await startServer(t, db, ['--static', ROOT, '--dealer']);
  nativeBank(t, srv, db, dir);
  await serving(srv, 'bank');
  const browser = await launchChromium();
  t.after(() => browser.close());
  const pg = await browser.context.newPage();
  const problems = await watchPage(pg);
  await pg.goto(page(srv, { role: 'applicant', name: 'tab-alice', token: enroll(db, 'tab-alice'), bank: 'bank',
    data: '/data/credit-g.arff', check: '/build/test-p2p/credit.model', seed: 1, link: 'direct' }));
  const r = await result(pg);
  assert.equal(r.error, undefined);
  assert.equal(r.applicants, 200);
  assert.equal(r.agreement, 1);
  assert.equal(r.links.relay, 200); // a native bank makes no direct links: the applicant asked, got the relay
  t.diagnostic(`Chromium applicant, native bank: ${r.msPerApplicant.toFixed(2)} ms/applicant, p50 ${r.p50.toFixed(2)} ms, ` +
    `${Math.round(r.bytesPerApplicant)} bytes/applicant`);
  assert.deepEqual({ ...problems }, { console: [], pageErrors: [], requests: [] });
});

test('two Chromium tabs over a WebRTC data channel, signalled through the server', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const srv = await startServer(t, db, ['--static', ROOT, '--dealer']);
  const browser = await launchChromium({ args: RTC_ARGS });
  t.after(() => browser.close());
  const bankTab = await browser.context.newPage();
  const bankProblems = await watchPage(bankTab);
  await bankTab.goto(page(srv, { role: 'bank', name: 'tabbank', token: enroll(db, 'tabbank'), model: '/build/test-p2p/credit.model', direct: 1 }));
  await bankTab.waitForFunction(() => document.body.dataset.serving || document.body.dataset.error, null, { timeout: 30000 });
  await serving(srv, 'tabbank');
  const appTab = await browser.context.newPage();
  await appTab.goto(page(srv, { role: 'applicant', name: 'tab-bob', token: enroll(db, 'tab-bob'), bank: 'tabbank',
    data: '/data/credit-g.arff', check: '/build/test-p2p/credit.model', seed: 1, limit: 40, link: 'direct' }));
  const r = await result(appTab);
  assert.equal(r.error, undefined);
  assert.equal(r.agreement, 1);
  assert.equal(r.links.direct, 40, `links: ${JSON.stringify(r.links)}`);
  t.diagnostic(`two tabs over WebRTC: ${r.msPerApplicant.toFixed(2)} ms/applicant, p50 ${r.p50.toFixed(2)} ms, ` +
    `${Math.round(r.bytesPerApplicant)} bytes/applicant`);
  // the bank tab's last DONE may come a moment after the applicant's
  await bankTab.waitForFunction(() => JSON.parse(document.body.dataset.served ?? '{"served":0}').served >= 40, null, { timeout: 10000 });
  const served = JSON.parse(await bankTab.evaluate(() => document.body.dataset.served));
  assert.equal(served.links.direct, 40);
  // the server saw the sessions (names, bytes, the link) but relayed nothing of them
  await until(async () => (await (await fetch(`${srv.http}/api/status`)).json()).banks.find((x) => x.name === 'tabbank').served === 40,
    10000, 'the server recorded 40 sessions');
  const st = await (await fetch(`${srv.http}/api/status`)).json();
  const b = st.banks.find((x) => x.name === 'tabbank');
  assert.ok(b.recent.length > 0 && b.recent.every((s) => s.link === 'direct' && s.state === 'done'));
  assert.deepEqual({ ...bankProblems }, { console: [], pageErrors: [], requests: [] });
});

test('an offer forged by the server is refused: the session ends without a decision', { skip }, async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  const srv = await startServer(t, db, ['--static', ROOT, '--dealer'], { bin: SERVER_TEST, env: { HUSH_SERVER_P2P_FAULT: 'forge-signal' } });
  const browser = await launchChromium({ args: RTC_ARGS });
  t.after(() => browser.close());
  const bankTab = await browser.context.newPage();
  await bankTab.goto(page(srv, { role: 'bank', name: 'tabbank', token: enroll(db, 'tabbank'), model: '/build/test-p2p/credit.model', direct: 1 }));
  await serving(srv, 'tabbank');
  const appTab = await browser.context.newPage();
  await appTab.goto(page(srv, { role: 'applicant', name: 'tab-eve', token: enroll(db, 'tab-eve'), bank: 'tabbank',
    data: '/data/credit-g.arff', check: '/build/test-p2p/credit.model', limit: 1, link: 'direct' }));
  const r = await result(appTab, 60000);
  assert.match(r.error ?? '', /signalling message not signed by the peer/);
  assert.equal(await bankTab.evaluate(() => document.body.dataset.served), undefined);
  assert.match(await bankTab.evaluate(() => document.body.dataset.failedText), /not signed by the peer/);
});
