// The `hush` command line: the JSON contract of `train`, `eval` on raw files (the model carries its
// input standardisation), k-fold cross-validation, and one clear line plus the documented exit code
// (2 bad arguments, 1 bad file) for each kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HUSH = 'build/native/hush';
const dir = mkdtempSync(join(tmpdir(), 'hush-cli-'));
const CREDIT = ['--data', 'data/credit-g.arff', '--model', 'dense:8,relu,dense:2', '--epochs', '3', '--lr', '0.01',
  '--optimizer', 'adam', '--seed', '3'];

function run(args) {
  const r = spawnSync(HUSH, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(args) {
  const lines = execFileSync(HUSH, [...args, '--json'], { encoding: 'utf8' }).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

test('train --json reports the documented fields', () => {
  const r = json(['train', ...CREDIT]);
  for (const k of ['train_accuracy', 'test_accuracy', 'final_loss', 'examples_per_second', 'seed']) {
    assert.equal(typeof r[k], 'number', k);
  }
  assert.equal(r.seed, 3);
  assert.equal(r.train_rows + r.test_rows, 1000);
  assert.equal(r.params, 63 * 8 + 8 + 8 * 2 + 2);
  assert.ok(r.test_accuracy > 0.6 && r.test_accuracy <= 1);
  assert.ok(r.examples_per_second > 0);
});

test('eval on the raw ARFF reproduces the accuracies train reported', () => {
  const model = join(dir, 'credit.model');
  const t = json(['train', ...CREDIT, '--out', model]);
  // Evaluated on all 1000 raw rows, the accuracy is the row-weighted mix of train and test.
  const e = json(['eval', '--model', model, '--data', 'data/credit-g.arff']);
  assert.equal(e.rows, 1000);
  const mixed = (t.train_accuracy * t.train_rows + t.test_accuracy * t.test_rows) / 1000;
  assert.ok(Math.abs(e.accuracy - mixed) < 1e-6, `eval ${e.accuracy} vs ${mixed}`);
  // The file carries the input norm: flags bit 0, and 2 x 63 floats more than the parameters; bits
  // 1-2 say where it came from (1: the training split's exact statistics, a non-private run).
  const bytes = readFileSync(model);
  assert.equal(bytes.readUInt32LE(12), 1 | (1 << 1));
  assert.equal(bytes.length, 72 + 16 * 3 + 4 * t.params + 8 * 63);
});

test('--cv 5 tests every row once and reports the mean over folds', () => {
  const r = json(['train', ...CREDIT, '--cv', '5']);
  assert.equal(r.cv_folds, 5);
  assert.equal(r.cv_test_rows, 1000);
  assert.equal(r.test_rows, 200);
  const mean = r.fold_test_accuracies.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(mean - r.test_accuracy) < 1e-6);
  // The same seed gives the same folds and the same models.
  assert.deepEqual(json(['train', ...CREDIT, '--cv', '5']).fold_test_accuracies, r.fold_test_accuracies);
});

test('weight decay changes training and is validated', () => {
  const a = json(['train', ...CREDIT]);
  const b = json(['train', ...CREDIT, '--weight-decay', '1']);
  assert.notEqual(a.final_loss, b.final_loss);
  assert.equal(run(['train', ...CREDIT, '--weight-decay', '-1']).code, 2);
  // lr * wd >= 1 would flip every weight's sign each step.
  const r = run(['train', ...CREDIT, '--weight-decay', '1000']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hush: optimizer: .*HUSH_ERANGE/);
});

test('bad arguments exit 2 with one line', () => {
  const BASE = ['--data', 'data/credit-g.arff', '--model', 'dense:2'];
  const cases = [
    [[], /usage/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['train', '--model', 'dense:2'], /needs --data FILE and --model SPEC/],
    [['train', ...BASE, '--optimizer', 'rmsprop'], /unknown --optimizer 'rmsprop'/],
    [['train', ...BASE, '--lr', 'fast'], /--lr must be a number/],
    [['train', ...BASE, '--epochs', '0'], /--epochs must be an integer/],
    [['train', ...BASE, '--cv', '1'], /--cv needs at least 2 folds/],
    [['train', ...BASE, '--cv', '5', '--out', join(dir, 'x')], /cannot be combined with --out/],
    [['train', ...CREDIT, '--seed', '1'], /given twice/],
    [['train', '--data', 'data/iris.csv', '--model', 'dense:3,softplus'], /--model 'dense:3,softplus': malformed input at offset 8/],
    [['train', '--data', 'data/iris.csv', '--model', 'dense:3', '--format', 'xml'], /unknown --format 'xml'/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} -> ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, re);
    if (args.length) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('bad files exit 1 and say where and why', () => {
  const arff = join(dir, 'bad.arff');
  writeFileSync(arff, '@relation r\n@attribute a numeric\n@attribute class {x,y}\n@data\n1,x\n2\n');
  let r = run(['train', '--data', arff, '--model', 'dense:2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.arff:6: .*HUSH_EFORMAT/);

  const model = join(dir, 'm.model');
  execFileSync(HUSH, ['train', '--data', 'data/iris.csv', '--model', 'dense:3', '--epochs', '1', '--out', model]);
  const good = readFileSync(model);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 40] ^= 1;
  writeFileSync(join(dir, 'flip.model'), flipped);
  writeFileSync(join(dir, 'short.model'), good.subarray(0, 50));
  const v2 = Buffer.from(good);
  v2.writeUInt32LE(2, 8);
  writeFileSync(join(dir, 'v2.model'), v2);
  for (const [file, code] of [['flip.model', 'HUSH_ECHECKSUM'], ['short.model', 'HUSH_ETRUNC'], ['v2.model', 'HUSH_EVERSION']]) {
    r = run(['eval', '--model', join(dir, file), '--data', 'data/iris.csv']);
    assert.equal(r.code, 1, file);
    assert.match(r.stderr, new RegExp(`${file}: .*${code}`));
  }
  // A model for iris (4 features) cannot evaluate digits (64).
  r = run(['eval', '--model', model, '--data', 'data/digits.csv']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /has 64 features but the model expects 4/);
});
