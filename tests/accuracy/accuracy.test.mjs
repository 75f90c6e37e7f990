// Accuracy bars of the foundation issue, on real data with fixed seeds, through the native CLI.
// Hyper-parameters are conventional defaults (digits, Fashion-MNIST: Adam at its usual rates) or
// were chosen by validation inside the training data (credit); test rows only ever produce the
// number asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needData } from '../data.mjs';

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

// Five seeded 80/20 splits as 5-fold cross-validation: disjoint test folds, every row tested once.
// The hyper-parameters come from nested cross-validation inside the training folds
// (tests/accuracy/tune_credit.c), never from a test fold.
test('German credit MLP: mean test accuracy over 5 seeded 80/20 folds >= 73%', () => {
  const r = train(['--data', 'data/credit-g.arff', '--model', 'dense:32,relu,dense:16,relu,dense:2',
    '--epochs', '10', '--batch', '32', '--lr', '0.003', '--optimizer', 'adam', '--weight-decay', '1',
    '--cv', '5', '--seed', '1']);
  assert.equal(r.cv_folds, 5);
  assert.equal(r.cv_test_rows, 1000);
  assert.equal(r.fold_test_accuracies.length, 5);
  const mean = r.fold_test_accuracies.reduce((a, b) => a + b, 0) / 5;
  assert.ok(Math.abs(mean - r.test_accuracy) < 1e-6);
  assert.ok(mean >= 0.73, `credit mean test accuracy ${mean} (${r.fold_test_accuracies.join(', ')})`);
});

test('Fashion-MNIST MLP 784-128-10 reaches >= 85% after 5 epochs', { skip: needData('fashion/train-images-idx3-ubyte', 'fashion/t10k-images-idx3-ubyte') }, () => {
  const r = train(['--data', 'data/fashion/train-images-idx3-ubyte', '--test-data', 'data/fashion/t10k-images-idx3-ubyte',
    '--model', 'dense:128,relu,dense:10', '--epochs', '5', '--batch', '64', '--lr', '0.001', '--optimizer', 'adam', '--seed', '1']);
  assert.equal(r.train_rows, 60000);
  assert.equal(r.test_rows, 10000);
  assert.ok(r.test_accuracy >= 0.85, `fashion test accuracy ${r.test_accuracy}`);
});
