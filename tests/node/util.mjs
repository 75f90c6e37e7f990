// Shared helpers for the Node suites (not a test file itself: node --test only runs *.test.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataFile } from '../data.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// data/ and the rule for a missing file: tests/data.mjs.
export { DATA, dataFile, dataRequired, needData } from '../data.mjs';
export const NATIVE = join(ROOT, 'build/native/hush');
export const WASI_RUNNER = join(ROOT, 'bin/hush-wasi.mjs');

export const { load, HushError, HushParseError, simdSupported, createWorker } = await import('../../web/index.js');

export const builds = [
  { name: 'simd', simd: true },
  { name: 'baseline', simd: false },
];

export function readText(name) {
  return readFileSync(dataFile(name), 'utf8');
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'hush-node-'));
}

// Runs the native CLI or the WASI one (same argv) from the repo root.
export function runCli(kind, args, opts = {}) {
  const [cmd, argv] = kind === 'native' ? [NATIVE, args] : [process.execPath, [WASI_RUNNER, ...args]];
  const r = spawnSync(cmd, argv, { cwd: opts.cwd || ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A small IDX pair (first n images of a file) written beside each other, named so the CLI finds
// the labels from the images path.
export function idxSlice(dir, n, prefix = 't10k') {
  const img = readFileSync(dataFile(`fashion/${prefix}-images-idx3-ubyte`));
  const lab = readFileSync(dataFile(`fashion/${prefix}-labels-idx1-ubyte`));
  const h = img.readUInt32BE(8), w = img.readUInt32BE(12);
  const imgOut = Buffer.concat([img.subarray(0, 16), img.subarray(16, 16 + n * h * w)]);
  imgOut.writeUInt32BE(n, 4);
  const labOut = Buffer.concat([lab.subarray(0, 8), lab.subarray(8, 8 + n)]);
  labOut.writeUInt32BE(n, 4);
  const images = join(dir, 'slice-images-idx3-ubyte');
  const labels = join(dir, 'slice-labels-idx1-ubyte');
  writeFileSync(images, imgOut);
  writeFileSync(labels, labOut);
  return { images, labels, imagesBytes: new Uint8Array(imgOut), labelsBytes: new Uint8Array(labOut) };
}

// Deterministic synthetic 2-class data: label = (x0 + x1 > 0), from a tiny LCG (test data only;
// the library's randomness never comes from here).
export function synthetic(rows, dim, seed = 1) {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const x = new Float32Array(rows * dim);
  const y = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dim; j++) x[i * dim + j] = next();
    y[i] = x[i * dim] + x[i * dim + 1] > 0 ? 1 : 0;
  }
  return { x, y };
}

export function bytesEqual(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}
