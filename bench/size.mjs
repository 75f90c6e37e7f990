// The bundle sizes: each module's .wasm + its .mjs glue, gzip -9, the way a server would send them.
// The lean default (build/web/hush.wasm + hush.mjs: what load() fetches) has the 150 KB budget;
// the full module (hush-full.wasm + hush-full.mjs: load({ full: true }), for secure computation
// and networking) is printed beside it. `make bench-size` (and `make bench`, through
// bench/run.mjs) prints both; the README quotes this measurement. Run directly:
// node bench/size.mjs [--json].
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HUSH_BUNDLE = ['build/web/hush.wasm', 'build/web/hush.mjs'];
export const HUSH_FULL_BUNDLE = ['build/web/hush-full.wasm', 'build/web/hush-full.mjs'];
export const TARGET_BYTES = 150 * 1024;

const gz = (f) => execFileSync('gzip', ['-9', '-c', f], { maxBuffer: 1 << 26 }).length;
export const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

export function sizes(files) {
  const out = { files: {}, gzipTotal: 0, rawTotal: 0, missing: [] };
  for (const f of files) {
    if (!fs.existsSync(f)) { out.missing.push(f); continue; }
    const raw = fs.statSync(f).size, gzip = gz(f);
    out.files[f] = { raw, gzip };
    out.gzipTotal += gzip;
    out.rawTotal += raw;
  }
  return out;
}

// One line: the lean bundle's total and whether it meets the budget.
export function bundleLine(s) {
  if (s.missing.length) return `Lean module (gzip -9): hush.wasm + hush.mjs = missing ${s.missing.join(', ')}`;
  return `Lean module (gzip -9): hush.wasm + hush.mjs = ${kb(s.gzipTotal)}`
    + ` (target < ${kb(TARGET_BYTES)}: ${s.gzipTotal < TARGET_BYTES ? 'met' : 'NOT met'}${s.stale ? `; STALE: ${s.stale}` : ''})`;
}

// The full module's line (no budget: only pages that need secure computation load it).
export function fullLine(s) {
  if (s.missing.length) return `Full module (gzip -9): hush-full.wasm + hush-full.mjs = missing ${s.missing.join(', ')}`;
  return `Full module (gzip -9): hush-full.wasm + hush-full.mjs = ${kb(s.gzipTotal)} (load({ full: true }) only)`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const s = sizes(HUSH_BUNDLE);
  const full = sizes(HUSH_FULL_BUNDLE);
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify({ ...s, targetBytes: TARGET_BYTES, full }) + '\n');
  } else {
    console.log(bundleLine(s));
    for (const [f, v] of Object.entries(s.files)) console.log(`  ${f}: ${kb(v.raw)} raw, ${kb(v.gzip)} gzip`);
    console.log(fullLine(full));
    for (const [f, v] of Object.entries(full.files)) console.log(`  ${f}: ${kb(v.raw)} raw, ${kb(v.gzip)} gzip`);
  }
  if (s.missing.length || full.missing.length || s.gzipTotal >= TARGET_BYTES) process.exitCode = 1;
}
