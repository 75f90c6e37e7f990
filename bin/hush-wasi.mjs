#!/usr/bin/env node
// Runs the WASI build of the hush CLI (build/wasi/hush.wasm) under node:wasi with the caller's
// argv, stdio and exit code, so scripts and tests can swap it for build/native/hush.
// The root ("/") and the cwd (".") are preopened, so relative and absolute paths work.
// HUSH_WASI_MODULE overrides the module path (tests use it to run other WASI programs).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import process from 'node:process';

const modulePath = process.env.HUSH_WASI_MODULE ||
  fileURLToPath(new URL('../build/wasi/hush.wasm', import.meta.url));

// node:wasi prints an ExperimentalWarning once; it is noise on the CLI's stderr.
const emitWarning = process.emitWarning;
process.emitWarning = (w, ...rest) => {
  const text = typeof w === 'string' ? w : w && w.message;
  if (typeof text === 'string' && text.includes('WASI')) return;
  return emitWarning.call(process, w, ...rest);
};

// Imported after the filter is installed: the warning fires when node:wasi loads.
const { WASI } = await import('node:wasi');

let bytes;
try {
  bytes = await readFile(modulePath);
} catch (e) {
  process.stderr.write(`hush-wasi: cannot read ${modulePath}: ${e.message}\n`);
  process.exit(1);
}

const wasi = new WASI({
  version: 'preview1',
  args: ['hush', ...process.argv.slice(2)],
  // wasm/wasi_cwd.c chdir()s to PWD at start-up, so relative paths resolve against the real cwd
  // through the "/" preopen.
  env: { ...process.env, PWD: process.cwd() },
  preopens: { '.': process.cwd(), '/': '/' },
  returnOnExit: true,
});
const { instance } = await WebAssembly.instantiate(bytes, wasi.getImportObject());
const code = wasi.start(instance);
process.exitCode = code;
