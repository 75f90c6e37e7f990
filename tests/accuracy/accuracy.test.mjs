// Accuracy bars of the foundation issue, on real data with fixed seeds, through the native CLI.
// Hyper-parameters were chosen on the training split only (validation carved from it); the test
// split is used once per run to report the number asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const HUSH = 'build/native/hush';

function train(args) {
  const out = execFileSync(HUSH, ['train', ...args, '--json'], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

test('digits MLP 64-50-50-10 reaches >= 95% test accuracy', () => {
  const r = train(['--data', 'data/digits.csv', '--format', 'digits', '--model', 'dense:50,relu,dense:50,relu,dense:10',
    '--epochs', '60', '--batch', '32', '--lr', '0.003', '--optimizer', 'adam', '--seed', '1', '--test-fraction', '0.2']);
  assert.equal(r.test_rows, 359);
  assert.ok(r.test_accuracy >= 0.95, `digits test accuracy ${r.test_accuracy}`);
});

test('German credit MLP: mean test accuracy over 5 seeded 80/20 splits >= 73%', () => {
  const accs = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = train(['--data', 'data/credit-g.arff', '--model', 'dense:32,relu,dense:16,relu,dense:2',
      '--epochs', '20', '--batch', '32', '--lr', '0.05', '--optimizer', 'sgd', '--seed', String(seed)]);
    assert.equal(r.test_rows, 200);
    accs.push(r.test_accuracy);
  }
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  assert.ok(mean >= 0.73, `credit mean test accuracy ${mean} (${accs.join(', ')})`);
});

test('Fashion-MNIST MLP 784-128-10 reaches >= 85% after 5 epochs', { skip: !existsSync('data/fashion/t10k-images-idx3-ubyte') }, () => {
  const r = train(['--data', 'data/fashion/train-images-idx3-ubyte', '--test-data', 'data/fashion/t10k-images-idx3-ubyte',
    '--model', 'dense:128,relu,dense:10', '--epochs', '5', '--batch', '64', '--lr', '0.001', '--optimizer', 'adam', '--seed', '1']);
  assert.equal(r.train_rows, 60000);
  assert.equal(r.test_rows, 10000);
  assert.ok(r.test_accuracy >= 0.85, `fashion test accuracy ${r.test_accuracy}`);
});
