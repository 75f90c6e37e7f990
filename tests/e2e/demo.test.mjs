// The training demo end to end in Debian's Chromium: landing page -> training page -> train the
// default model with a fixed seed in a Web Worker under a CSP without 'unsafe-eval' -> check the
// accuracy bar, the confusion matrix, the downloaded model file, and that nothing on the page
// complained. Leaves a screenshot in build/e2e/demo.png.
//
// Needs: data/credit-g.arff (sh scripts/bootstrap.sh), build/web/ (make wasm), /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, startServer, launchChromium, watchPage } from './helpers.mjs';

const SEED = 1;
const ACCURACY_BAR = 0.73; // German credit: 70% is the majority class
const TRAIN_TIMEOUT = 120_000;
const SCREENSHOT = path.join(ROOT, 'build/e2e/demo.png');

const PREREQUISITES = [
  ['data/credit-g.arff', 'sh scripts/bootstrap.sh'],
  ['web/index.js', 'the web/ package'],
  ['build/web/hush.mjs', 'make wasm'],
  ['build/web/hush.wasm', 'make wasm'],
];

let server;
let browser;
before(async () => {
  const missing = PREREQUISITES.filter(([f]) => !existsSync(path.join(ROOT, f)));
  assert.deepEqual(missing, [], `missing ${missing.map(([f, how]) => `${f} (${how})`).join(', ')}`);
  server = await startServer();
  browser = await launchChromium();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// Waits until main[data-state] is one of `states`; an 'error' state fails with the page's message.
async function waitForState(page, states, timeout) {
  await page.waitForFunction(
    (wanted) => {
      const s = document.querySelector('main').dataset.state;
      return wanted.includes(s) || s === 'error';
    },
    states,
    { timeout, polling: 100 },
  );
  const state = await page.locator('main').getAttribute('data-state');
  if (state === 'error' && !states.includes('error')) {
    const msg = await page.locator('#error').innerText().catch(() => '');
    assert.fail(`demo reported an error: ${await page.locator('#status').innerText()} ${msg}`);
  }
  return state;
}

// Reads a model file (core/src/io/modelfile.h, format v1).
function parseModelFile(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const layers = [];
  const n = dv.getUint32(28, true);
  for (let i = 0; i < n; i++) {
    const o = 32 + 16 * i;
    layers.push([0, 4, 8, 12].map((k) => dv.getUint32(o + k, true)));
  }
  return {
    magic: buf.subarray(0, 8).toString('latin1'),
    version: dv.getUint32(8, true),
    input: [16, 20, 24].map((o) => dv.getUint32(o, true)),
    layers,
    params: Number(dv.getBigUint64(32 + 16 * n, true)),
  };
}

// Trains with the page's defaults and SEED on an open training page; returns what the page
// reports plus the downloaded model file, after checking everything the page shows.
async function trainAndCheck(page) {
  await waitForState(page, ['ready'], 60_000);
  assert.equal(await page.locator('#sum-rows').innerText(), '1,000');
  assert.equal(await page.locator('#sum-classes').innerText(), 'good 700 · bad 300');
  const dim = Number(await page.locator('#sum-dim').innerText());
  assert.ok(dim > 20, `one-hot encoded dimension ${dim}`);

  await page.getByLabel('Seed').fill(String(SEED));
  const epochs = Number(await page.getByLabel('Epochs').inputValue());
  const hidden = (await page.getByLabel('Hidden layer sizes').inputValue()).split(',').map(Number);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForState(page, ['training', 'done'], 10_000);
  // The main thread stays responsive while the worker trains.
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  assert.ok(Date.now() - t0 < 2000, 'main thread blocked during training');
  await waitForState(page, ['done'], TRAIN_TIMEOUT);

  const results = page.locator('#results');
  const acc = Number(await results.getAttribute('data-test-accuracy'));
  assert.ok(acc >= ACCURACY_BAR, `test accuracy ${acc} < ${ACCURACY_BAR}`);
  assert.equal(await page.locator('#m-test').innerText(), `${(acc * 100).toFixed(1)}%`);
  assert.ok(Number(await results.getAttribute('data-train-accuracy')) > 0.7);
  assert.ok(Number(await results.getAttribute('data-examples-per-second')) > 0);
  assert.match(await page.locator('#m-speed').innerText(), /^[\d,]+ examples\/s$/);

  // Trained in a worker: the training code saw a WorkerGlobalScope, and the page runs the
  // package's own worker (web/worker.js), not a copy of the pipeline.
  assert.equal(await results.getAttribute('data-trained-in'), 'worker');
  assert.ok(page.workers().some((w) => new URL(w.url()).pathname === '/web/worker.js'), 'no web/worker.js worker');

  // One table row per epoch (the chart draws the same points).
  const rows = page.locator('#epoch-rows tr');
  assert.equal(await rows.count(), epochs);
  assert.equal(await rows.last().locator('td').first().textContent(), String(epochs));

  // Confusion matrix: 2x2 over the 200 test rows, its diagonal matching the accuracy.
  const cells = await page
    .locator('#confusion td.cell')
    .evaluateAll((tds) => tds.map((td) => parseInt(td.firstChild.textContent, 10)));
  assert.equal(cells.length, 4);
  const total = cells.reduce((a, b) => a + b, 0);
  assert.equal(total, 200);
  assert.ok(Math.abs((cells[0] + cells[3]) / total - acc) < 1e-6, `diagonal ${cells} vs accuracy ${acc}`);

  // The downloaded model is a well-formed Hush model file of the trained architecture.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download model' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.hush$/);
  const bytes = await readFile(await download.path());
  const mf = parseModelFile(bytes);
  assert.equal(mf.magic, 'HUSHMDL\0');
  assert.equal(mf.version, 1);
  assert.deepEqual(mf.input, [dim, 1, 1]);
  const expectLayers = [...hidden.flatMap((u) => [[1, u, 0, 0], [4, 0, 0, 0]]), [1, 2, 0, 0]];
  assert.deepEqual(mf.layers, expectLayers);
  let fanIn = dim;
  let params = 0;
  for (const u of [...hidden, 2]) {
    params += fanIn * u + u;
    fanIn = u;
  }
  assert.equal(mf.params, params);
  // The model carries its input standardisation (flags bit 0: shift and scale per feature; bits
  // 1-2: 1, the training split's statistics), so the downloaded file takes raw rows.
  assert.equal(bytes.readUInt32LE(12), 1 | (1 << 1));
  assert.equal(bytes.length, 72 + 16 * mf.layers.length + 4 * params + 8 * dim);
  return { acc, bytes, build: await page.locator('main').getAttribute('data-build') };
}

// Nothing complained: no CSP violation (document or worker), console error, exception or bad request.
async function assertQuiet(page, problems) {
  assert.deepEqual(await page.evaluate(() => window.__hushCspViolations), []);
  assert.equal(await page.locator('main').getAttribute('data-csp-violations'), '0');
  assert.deepEqual(problems.console, []);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.requests, []);
}

let simdRun = null;

test('trains the default credit model in a Web Worker to >= 73% test accuracy', { timeout: 240_000 }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);

  // The printed URL is the landing page; the training page is one link away.
  const landing = await page.goto(server.url);
  assert.equal(landing.status(), 200);
  const csp = landing.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
  await page.getByRole('link', { name: 'Train a credit model in your browser' }).click();
  await page.waitForURL('**/demo/train.html');
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Train a credit model in your browser');

  simdRun = await trainAndCheck(page);
  // Chromium has wasm SIMD, so load() must have picked the SIMD build.
  assert.equal(simdRun.build, 'simd');

  await mkdir(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await assertQuiet(page, problems);
  await page.close();
});

test('the baseline build trains the same model, bit for bit', { timeout: 240_000 }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);
  await page.goto(new URL('train.html?build=baseline', server.url).href);
  const run = await trainAndCheck(page);
  assert.equal(run.build, 'baseline');
  if (simdRun) {
    assert.equal(run.acc, simdRun.acc);
    assert.ok(run.bytes.equals(simdRun.bytes), 'SIMD and baseline builds saved different model files');
  }
  await assertQuiet(page, problems);
  await page.close();
});

test('DP-SGD in the worker: epsilon within the target, training accuracy withheld, private scaling', { timeout: 240_000 }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);
  await page.goto(new URL('train.html', server.url).href);
  await waitForState(page, ['ready'], 60_000);
  await page.getByLabel('Differential privacy (DP-SGD)').check();
  await page.getByLabel('Target ε (δ = 10⁻⁵)').fill('3');
  await page.getByLabel('Epochs').fill('5');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForState(page, ['done'], TRAIN_TIMEOUT);
  const results = page.locator('#results');
  const eps = Number(await results.getAttribute('data-epsilon'));
  assert.ok(eps > 2.9 && eps <= 3, `epsilon ${eps}`);
  assert.equal(await results.getAttribute('data-train-accuracy'), null);
  assert.equal(await page.locator('#m-train').innerText(), 'withheld');
  assert.match(await page.locator('#m-privacy').innerText(), /^ε 3\.00 at δ 0\.00001/);
  assert.equal(await page.locator('#epoch-rows tr').count(), 5);
  assert.equal(await page.locator('#epoch-rows tr').first().locator('td').nth(1).textContent(), 'withheld');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download model' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /-dp\.hush$/);
  const bytes = await readFile(await download.path());
  assert.equal(bytes.readUInt32LE(12), 1 | (3 << 1)); // the norm is a DP estimate, not the training statistics
  await assertQuiet(page, problems);
  await page.close();
});

test('Stop interrupts a long run and the page recovers', { timeout: 120_000 }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);
  await page.goto(new URL('train.html', server.url).href);
  await waitForState(page, ['ready'], 60_000);
  // Batch size 1 makes each epoch 800 steps, so 1000 epochs take far longer than the test needs
  // to press Stop (a default-size epoch of credit-g takes about 2 ms).
  await page.getByLabel('Epochs').fill('1000');
  await page.getByLabel('Batch size').fill('1');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.locator('#epoch-rows tr').nth(2).waitFor({ state: 'attached', timeout: 30_000 });
  assert.equal(await page.locator('main').getAttribute('data-state'), 'training');
  await page.getByRole('button', { name: 'Stop' }).click();
  await waitForState(page, ['ready'], 60_000);
  const kept = await page.locator('#epoch-rows tr').count();
  assert.ok(kept >= 3 && kept < 1000, `${kept} epochs`);
  assert.match(await page.locator('#progress-text').innerText(), /^Stopped after \d+ of 1000 epochs\.$/);
  assert.equal(await page.locator('#results').getAttribute('data-test-accuracy'), null);
  // The fresh worker trains normally.
  await page.getByLabel('Epochs').fill('2');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await waitForState(page, ['done'], TRAIN_TIMEOUT);
  assert.equal(await page.locator('#epoch-rows tr').count(), 2);
  await assertQuiet(page, problems);
  await page.close();
});

test('says clearly when the data set is missing', { timeout: 60_000 }, async () => {
  const page = await browser.context.newPage();
  const problems = await watchPage(page);
  await page.route('**/data/credit-g.arff', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(new URL('train.html', server.url).href);
  await waitForState(page, ['error'], 60_000);
  const alert = page.getByRole('alert');
  await assert.doesNotReject(alert.waitFor({ state: 'visible', timeout: 5000 }));
  assert.match(await alert.innerText(), /credit-g\.arff was not found/);
  assert.match(await alert.innerText(), /scripts\/bootstrap\.sh/);
  assert.equal(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled(), true);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(await page.evaluate(() => window.__hushCspViolations), []);
  await page.close();
});
