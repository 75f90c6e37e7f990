// Three Chromium pages (Debian's chromium through playwright-core) enrol through web/ and
// complete a secure-sum round on hush-server, which also serves the pages with its CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, watchPage } from '../e2e/helpers.mjs';
import { tempDir, createTask, enroll, startServer, resultOf, plainSum, ROOT } from './helpers.mjs';

test('three browser tabs enrol and complete a round', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'hub.db');
  createTask(db, 'tabs', { dim: 6, clients: 3, threshold: 2, bits: 16, rounds: 1, deadline: 20 });
  const srv = await startServer(t, db, ['--static', ROOT]);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const inputs = [[1, 2, 3, 4, 5, 6], [100, 200, 300, 400, 500, 600], [7, 7, 7, 7, 7, 7]];
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await browser.context.newPage();
    const problems = await watchPage(page);
    const hash = new URLSearchParams({ name: `tab-${i}`, token: enroll(db, `tab-${i}`), task: 'tabs', input: inputs[i].join(',') });
    await page.goto(`${srv.http}/tests/server/page/agg.html#${hash}`);
    pages.push({ page, problems });
  }
  const want = plainSum(inputs, 16);
  for (const { page, problems } of pages) {
    await page.waitForFunction(() => document.body.dataset.result || document.body.dataset.error, null, { timeout: 60000 });
    const err = await page.evaluate(() => document.body.dataset.error);
    assert.equal(err, undefined);
    const r = JSON.parse(await page.evaluate(() => document.body.dataset.result));
    assert.equal(r.round, 1);
    assert.deepEqual(r.sum, want);
    assert.ok(r.sameIdentity, 'the identity persists in IndexedDB');
    const csp = await page.evaluate(() => window.__hushCspViolations);
    assert.deepEqual({ ...problems, csp }, { console: [], pageErrors: [], requests: [], csp: [] });
  }
  assert.deepEqual(resultOf(db, dir, 'tabs', 1), want);
  await srv.stop();
});
