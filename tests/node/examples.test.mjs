// The README's 15-line JS example (examples/quickstart.mjs, written by the lead) must run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './util.mjs';

const example = join(ROOT, 'examples/quickstart.mjs');

test('examples/quickstart.mjs runs', { skip: !existsSync(example) && 'examples/quickstart.mjs not written yet' }, () => {
  const r = spawnSync(process.execPath, [example], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 0, 'the example printed nothing');
});
