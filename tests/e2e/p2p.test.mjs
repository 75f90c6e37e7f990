// The encrypted-prediction demo end to end in Debian's Chromium: `make demo`'s scripts/serve.mjs
// starts hush-server as the dealer and a native bank serving a credit model trained at start; the
// landing page's card opens the applicant page, whose form comes from the bank's signed
// description; an applicant (the first one of the German credit data) applies; the decision must
// be the plaintext model's. Then the bank's page shows the session served and its cost, and no
// input. Screenshots: build/e2e/apply.png, build/e2e/bank.png.
//
// Needs: data/credit-g.arff, build/web/ (make wasm), build/native/ (make native), /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage } from './helpers.mjs';
import { load } from '../../web/index.js';
import { needData } from '../node/util.mjs';

const skip = needData('credit-g.arff');
const SHOTS = path.join(ROOT, 'build/e2e');
// The first applicant of the data set, as the form shows it.
const FIRST = {
  checking_status: '<0', duration: '6', credit_history: 'critical/other existing credit', purpose: 'radio/tv',
  credit_amount: '1169', savings_status: 'no known savings', employment: '>=7', installment_commitment: '4',
  personal_status: 'male single', other_parties: 'none', residence_since: '4', property_magnitude: 'real estate', age: '67',
  other_payment_plans: 'none', housing: 'own', existing_credits: '2', job: 'skilled', num_dependents: '1', own_telephone: 'yes',
  foreign_worker: 'yes',
};

let server, browser;
before(async () => {
  if (skip) return;
  server = await startServer();
  browser = await launchChromium();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('apply from the landing page: the decision is the plaintext model\'s; the bank sees the session, not the input', { skip }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);
  await page.goto(server.url);
  const card = page.locator('#apply-link');
  assert.equal(await card.getAttribute('href'), 'apply.html');
  // an applicant identity enrolled for this run (make demo hands out tokens through a file)
  const db = server.db;
  const token = spawnSync(path.join(ROOT, 'build/native/hush-server'), ['enroll', '--db', db, '--name', 'e2e-applicant'], { encoding: 'utf8' }).stdout.trim();
  // the card's page, with the identity in the hash (make demo's page takes a token from a file)
  await page.goto(`${server.origin}/demo/${await card.getAttribute('href')}#name=e2e-applicant&token=${token}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('main').dataset.state), null, { timeout: 60000 });
  assert.equal(await page.locator('main').getAttribute('data-state'), 'ready', await page.locator('#error').innerText());
  // the form: every German credit attribute but the class, with its allowed values
  const labels = await page.locator('#fields label').allInnerTexts();
  assert.equal(labels.length, 20);
  assert.ok(labels.includes('Checking status') && labels.includes('Credit amount') && labels.includes('Foreign worker'));
  for (const [name, value] of Object.entries(FIRST)) {
    const el = page.locator(`[name="${name}"]`);
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
  await page.getByRole('button', { name: 'Apply, encrypted' }).click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('main').dataset.state), null, { timeout: 60000 });
  assert.equal(await page.locator('main').getAttribute('data-state'), 'done', await page.locator('#error').innerText());
  const result = page.locator('#result');
  const decision = await result.getAttribute('data-decision');
  // the plaintext model (the bank's file, which the applicant never has) on the same row
  const hush = await load();
  const header = (await readFile(path.join(ROOT, 'data/credit-g.arff'), 'latin1')).split(/^@data/im)[0];
  const row = Object.values(FIRST).map((v) => (/^[\d.]+$/.test(v) ? v : `'${v}'`)).join(',');
  const ds = hush.data.parseArff(`${header}@data\n${row},good\n`);
  const model = hush.Model.load(await readFile(`${db}.demo/credit.model`));
  const want = model.predict(ds.x)[0] === 0 ? 'approve' : 'decline';
  assert.equal(decision, want);
  assert.ok(Number(await result.getAttribute('data-ms')) > 0);
  assert.ok(Number(await result.getAttribute('data-bytes')) > 10000);
  assert.match(await page.locator('#saw-server').innerText(), /Not your answers/);
  await page.screenshot({ path: path.join(SHOTS, 'apply.png'), fullPage: true });
  const csp = await page.evaluate(() => window.__hushCspViolations);
  assert.deepEqual({ ...problems, csp }, { console: [], pageErrors: [], requests: [], csp: [] });

  // the bank's view
  const bank = await browser.context.newPage();
  const bankProblems = await watchPage(bank);
  await bank.goto(`${server.origin}/demo/bank.html`);
  await bank.waitForFunction(() => Number(document.querySelector('main').dataset.served) >= 1, null, { timeout: 20000 });
  const recent = await bank.locator('#recent').innerText();
  assert.match(recent, /e2e-applicant/);
  assert.match(recent, /done/);
  const text = await bank.locator('main').innerText();
  for (const v of ['1169', 'critical/other existing credit', 'male single']) assert.ok(!text.includes(v), `the bank page shows ${v}`);
  await bank.screenshot({ path: path.join(SHOTS, 'bank.png'), fullPage: true });
  const bcsp = await bank.evaluate(() => window.__hushCspViolations);
  assert.deepEqual({ ...bankProblems, csp: bcsp }, { console: [], pageErrors: [], requests: [], csp: [] });
  ds.free();
  model.free();
});
