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

// ---- DP runs (issue 11): secret noise, no exact statistics, preprocessing in epsilon ----

const DIGITS_DP = ['--data', 'data/digits.csv', '--model', 'dense:16,relu,dense:10', '--epochs', '2', '--lr', '0.1',
  '--seed', '5', '--dp', '--noise-multiplier', '1.1'];

function trainTo(args, file) {
  const r = run(['train', ...args, '--out', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()), bytes: readFileSync(file), stderr: r.stderr };
}

test('train --dp: two runs with one seed differ; only --reproducible-noise repeats, with a warning', () => {
  const a = trainTo(DIGITS_DP, join(dir, 'a.model')), b = trainTo(DIGITS_DP, join(dir, 'b.model'));
  assert.equal(a.bytes.length, b.bytes.length);
  assert.ok(!a.bytes.equals(b.bytes), 'two DP runs with the same --seed gave the same model');
  assert.equal(a.json.private, true);
  assert.equal(a.json.noise, 'os');
  assert.equal(a.json.seed, 5);
  assert.equal(a.stderr, '');
  const c = trainTo([...DIGITS_DP, '--reproducible-noise'], join(dir, 'c.model'));
  const d = trainTo([...DIGITS_DP, '--reproducible-noise'], join(dir, 'd.model'));
  assert.ok(c.bytes.equals(d.bytes));
  assert.equal(c.json.private, false);
  assert.equal(c.json.noise, 'seed');
  assert.match(c.stderr, /^hush: warning: --reproducible-noise: .*NOT private/);
  // what a DP run does not print: training loss and accuracy (exact statistics)
  for (const k of ['final_loss', 'train_accuracy']) assert.equal(k in a.json, false, k);
  assert.equal(a.json.train_metrics, 'withheld');
  // without --seed nothing is reproducible, and no seed is reported
  const e = trainTo(DIGITS_DP.filter((v, i, all) => v !== '--seed' && all[i - 1] !== '--seed'), join(dir, 'e.model'));
  assert.equal('seed' in e.json, false);
  let r = run(['train', ...DIGITS_DP.filter((v, i, all) => v !== '--seed' && all[i - 1] !== '--seed'), '--reproducible-noise']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--reproducible-noise needs --seed/);
  r = run(['train', '--data', 'data/iris.csv', '--model', 'dense:3', '--reproducible-noise']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /need --dp/);
});

// A CSV whose row 0 has `value` in its second column, the rest fixed.
function csvWith(value) {
  const rows = [];
  let s = 7;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < 300; i++) {
    const a = (100 * next()).toFixed(2), b = i === 0 ? value : (1000 + 2000 * next()).toFixed(1);
    rows.push(`${a},${b},${(next() * 2 - 1).toFixed(3)},${i % 2}`);
  }
  return rows.join('\n') + '\n';
}

test('the model of a DP run carries no exact training statistic (one changed record)', () => {
  const file = (v) => {
    const f = join(dir, `rec-${v}.csv`);
    writeFileSync(f, csvWith(v));
    return f;
  };
  const args = (f) => ['--data', f, '--model', 'dense:4,relu,dense:2', '--epochs', '1', '--seed', '2', '--test-fraction', '0'];
  const dim = 3, norm = (b) => b.subarray(b.length - 32 - 8 * dim, b.length - 32);
  // The attack on what `train --dp` used to ship: the exact training mean of column 1, stored in the
  // model, moves by (x0' - x0) / n, which gives the changed value away.
  const p0 = trainTo(args(file(1500)), join(dir, 'p0.model')), p1 = trainTo(args(file(2900)), join(dir, 'p1.model'));
  const mean = (b) => norm(b).readFloatLE(4);
  assert.ok(Math.abs((mean(p1.bytes) - mean(p0.bytes)) * 300 - 1400) < 0.5, 'exact statistics give the record away');
  // DP runs (the same noise, to compare): the stored scaling does not move at all, and it says it is a DP estimate.
  const q0 = trainTo([...args(file(1500)), '--dp', '--reproducible-noise'], join(dir, 'q0.model'));
  const q1 = trainTo([...args(file(2900)), '--dp', '--reproducible-noise'], join(dir, 'q1.model'));
  assert.ok(norm(q0.bytes).equals(norm(q1.bytes)), 'the DP model stores a statistic that moved with one record');
  assert.equal(q0.bytes.readUInt32LE(12), 1 | (3 << 1));
  assert.equal(q0.json.scaling, 'dp');
  assert.ok(q0.json.scaling_epsilon > 0 && q0.json.scaling_noise_multiplier === 8);
  // and its epsilon includes that preprocessing
  const n0 = trainTo([...args(file(1500)), '--dp', '--scaling', 'none'], join(dir, 'n0.model'));
  assert.ok(q0.json.epsilon > n0.json.epsilon, `${q0.json.epsilon} vs ${n0.json.epsilon}`);
  assert.equal(n0.json.scaling_epsilon, 0);
});

test('--dp refuses exact standardisation; --bounds applies public bounds; --cv composes', () => {
  const credit = ['--data', 'data/credit-g.arff', '--model', 'dense:8,relu,dense:2', '--epochs', '2', '--lr', '0.1', '--seed', '1', '--dp'];
  let r = run(['train', ...credit, '--scaling', 'standardize']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /exact means and deviations would be stored/);
  const bounds = join(dir, 'credit.bounds');
  writeFileSync(bounds, '# public ranges of the 7 numeric attributes\nduration 4 72\ncredit_amount 250 18424\n' +
    'installment_commitment 1 4\nresidence_since 1 4\nage 18 75\nexisting_credits 1 4\nnum_dependents 1 2\n');
  const b = trainTo([...credit, '--bounds', bounds], join(dir, 'bounds.model'));
  assert.equal(b.json.scaling, 'bounds');
  assert.equal(b.json.scaling_epsilon, 0);
  assert.equal(b.bytes.readUInt32LE(12), 1 | (2 << 1));
  writeFileSync(bounds, 'duration 4 72\n');
  r = run(['train', ...credit, '--bounds', bounds]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /has 1 ranges but .* has 7 numeric columns/);
  writeFileSync(bounds, 'duration 72 4\n');
  r = run(['train', ...credit, '--bounds', bounds]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `hush: ${bounds}: line 1: lo must be below hi (HUSH_EFORMAT)\n`);
  const one = json(['train', ...credit, '--noise-multiplier', '1.5']);
  const cv = json(['train', ...credit, '--noise-multiplier', '1.5', '--cv', '4']);
  assert.equal(cv.runs, 4);
  assert.ok(cv.epsilon > one.epsilon, `4 folds ${cv.epsilon} vs one run ${one.epsilon}`);
  const target = json(['train', ...credit, '--target-epsilon', '2', '--cv', '4']);
  assert.ok(target.epsilon <= 2 && target.epsilon > 1.98, `${target.epsilon}`);
});

test('a gzip-compressed data file is named as such, in one line', async () => {
  const { gzipSync } = await import('node:zlib');
  const gz = join(dir, 'digits.csv.gz');
  writeFileSync(gz, gzipSync(readFileSync('data/digits.csv')));
  const r = run(['train', '--data', gz, '--model', 'dense:10']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `hush: ${gz}: the file is gzip-compressed: decompress it first (gunzip) (HUSH_EFORMAT)\n`);
});

test('train --dp --ledger charges each training before its first step and refuses one over budget', () => {
  const led = join(dir, 'train.ledger');
  const fresh = join(dir, 'fresh.ledger');
  const base = CREDIT.filter((a, i) => a !== '--epochs' && CREDIT[i - 1] !== '--epochs');
  const dp = [...base, '--dp', '--noise-multiplier', '1.1', '--scaling', 'none'];
  const r = json(['train', ...dp, '--epochs', '3', '--ledger', led, '--budget-epsilon', '4']);
  // exactly the run's planned DP-SGD event: what `hush ledger spend` prices on an empty ledger
  assert.equal(json(['ledger', 'show', led]).events, 1);
  assert.equal(run(['ledger', 'create', fresh, '--budget-epsilon', '4']).code, 0);
  const price = json(['ledger', 'spend', fresh, '--sampling-rate', String(r.sampling_rate), '--noise-multiplier', '1.1',
    '--steps', String(r.steps)]);
  assert.ok(Math.abs(r.ledger.epsilon_spent - price.epsilon) < 1e-8, `${r.ledger.epsilon_spent} vs ${price.epsilon}`);
  assert.ok(Math.abs(json(['ledger', 'show', led]).epsilon - price.epsilon) < 1e-8);
  // a second run does not fit a budget lowered to 2.1: refused whole
  const before = readFileSync(led);
  const out = join(dir, 'refused.model');
  const big = run(['train', ...dp, '--epochs', '3', '--ledger', led, '--budget-epsilon', '2.1', '--out', out]);
  assert.equal(big.code, 1);
  assert.match(big.stderr, /privacy budget exceeded/);
  assert.deepEqual(readFileSync(led), before, 'nothing charged');
  assert.throws(() => readFileSync(out), 'nothing trained');
  // --cv 2 is two trainings: two charges
  const cv = json(['train', ...dp, '--epochs', '1', '--cv', '2', '--ledger', led]);
  assert.equal(json(['ledger', 'show', led]).events, 3);
  assert.ok(cv.ledger.epsilon_spent > r.ledger.epsilon_spent);
  // a budget flag may lower a ledger's budget, never raise it; --ledger needs --dp
  assert.equal(run(['train', ...CREDIT, '--ledger', led]).code, 2);
  assert.equal(run(['train', ...CREDIT, '--budget-epsilon', '1']).code, 2);
});
