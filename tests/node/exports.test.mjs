// The types (web/index.d.ts) and the runtime say the same thing: the package's value exports, and
// the members of the lean and the full instance, are read from the .d.ts and compared with what
// web/index.js really exports and load() really returns, name by name and kind by kind. A name
// added on one side only fails here (tests/types checks the .d.ts against a typed program).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as pkg from '../../web/index.js';
import { load } from './util.mjs';

const dts = readFileSync(new URL('../../web/index.d.ts', import.meta.url), 'utf8');

// The body of `export interface NAME ... { ... }` at top level (members are indented two spaces).
function members(name) {
  const m = dts.match(new RegExp(`^export interface ${name}\\b[^{]*\\{\\n([\\s\\S]*?)^\\}`, 'm'));
  assert.ok(m, `interface ${name} in index.d.ts`);
  const out = new Map();
  for (const line of m[1].split('\n')) {
    const prop = line.match(/^ {2}readonly (\w+)\s*:\s*(.*?);?$/);
    const fn = line.match(/^ {2}(\w+)\s*\(/);
    if (prop) out.set(prop[1], prop[2].startsWith('never') ? 'never' : prop[2].startsWith('typeof ') ? 'function' : 'value');
    else if (fn) out.set(fn[1], 'function');
  }
  return out;
}

test('the package exports exactly the values index.d.ts declares', () => {
  const declared = new Set([...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]));
  assert.match(dts, /^export default load;$/m);
  declared.add('default');
  assert.deepEqual(Object.keys(pkg).sort(), [...declared].sort());
  assert.equal(pkg.default, pkg.load);
  for (const name of ['load', 'simdSupported', 'createWorker', 'HushError', 'HushParseError']) {
    assert.equal(typeof pkg[name], 'function', name);
  }
  // the classes are types only: their values live on an instance, each with its own heap
  for (const name of ['Model', 'Dataset', 'DPSGD', 'Accountant', 'Odometer', 'FederatedClient']) {
    assert.equal(name in pkg, false, `${name} is not a package value`);
  }
});

function checkInstance(hush, declared) {
  const actual = new Set(Object.keys(hush));
  assert.deepEqual([...actual].sort(), [...declared.keys()].sort(), 'instance members = the .d.ts members');
  for (const [name, kind] of declared) {
    if (kind === 'never') {
      assert.throws(() => hush[name], (e) => e instanceof pkg.HushError && e.code === 'HUSH_EUNSUPPORTED', name);
    } else if (kind === 'function') {
      assert.equal(typeof hush[name], 'function', name);
    } else {
      assert.notEqual(hush[name], undefined, name);
    }
  }
  assert.ok(Object.isFrozen(hush));
}

test('the lean instance has exactly HushCommon and Hush, the full module names throw HUSH_EUNSUPPORTED', async () => {
  const hush = await load();
  assert.equal(hush.full, false);
  checkInstance(hush, new Map([...members('HushCommon'), ...members('Hush')]));
});

test('the full instance has exactly HushCommon and HushFull', async () => {
  const hush = await load({ full: true });
  assert.equal(hush.full, true);
  checkInstance(hush, new Map([...members('HushCommon'), ...members('HushFull')]));
  assert.equal(hush.federated.Client, hush.FederatedClient);
  assert.equal(hush.nn.Model, hush.Model);
  assert.equal(hush.dp.DPSGD, hush.DPSGD);
});
