// The data-presence rule (tests/data.mjs): a missing data/ file skips locally and fails under CI.
// Exercised on a file that never exists, in child processes so the environment is the one a suite
// would see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dataRequired } from '../data.mjs';

const probe = "import('./tests/data.mjs').then((d) => console.log(JSON.stringify(d.needData('no-such-file'))))";
function run(env) {
  const clean = { ...process.env };
  delete clean.CI;
  delete clean.HUSH_REQUIRE_DATA;
  return spawnSync(process.execPath, ['-e', probe], { env: { ...clean, ...env }, encoding: 'utf8' });
}

test('dataRequired follows CI and HUSH_REQUIRE_DATA', () => {
  assert.equal(dataRequired({}), false);
  assert.equal(dataRequired({ CI: 'true' }), true);
  assert.equal(dataRequired({ CI: '1' }), true);
  assert.equal(dataRequired({ CI: 'false' }), false);
  assert.equal(dataRequired({ HUSH_REQUIRE_DATA: '1' }), true);
  assert.equal(dataRequired({ CI: 'true', HUSH_REQUIRE_DATA: '0' }), false);
});

test('a missing file skips locally, with the reason', () => {
  const r = run({});
  assert.equal(r.status, 0, r.stderr);
  assert.match(JSON.parse(r.stdout), /data\/no-such-file missing/);
});

test('under CI=true or HUSH_REQUIRE_DATA=1 a missing file is an error', () => {
  for (const env of [{ CI: 'true' }, { HUSH_REQUIRE_DATA: '1' }]) {
    const r = run(env);
    assert.notEqual(r.status, 0, `${JSON.stringify(env)}: ${r.stdout}`);
    assert.match(r.stderr, /data\/no-such-file missing, and CI\/HUSH_REQUIRE_DATA requires data\//);
  }
});
