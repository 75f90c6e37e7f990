// `make bench`: training-step throughput of every Hush build against TensorFlow.js, one run.
//
// Engines (each a separate process, so no engine warms or pollutes another's heap):
//   hush-native      bench/train_native.c linked to build/native/libhush.a
//   hush-wasi        the same C program for wasm32-wasi, under node:wasi (bin/hush-wasi.mjs)
//   hush-em-simd     web/index.js SIMD build, JS loop of model.step(dataset) on a batch copied
//                    into the heap once (hush-em-simd-copy: model.step(arrays), copying per step)
//   hush-em-base     same, baseline (no SIMD) build
//   hush-em-simd-c   the C program built with emcc against the web build's SIMD objects (C loop)
//   hush-em-base-c   same, baseline objects
//   tfjs-wasm        TF.js 4.22 wasm backend (+ tfjs-wasm-customgrad for the CNN work-around)
//   tfjs-cpu         TF.js 4.22 cpu backend
// Options: --seconds S per timed repeat, --rounds R, --warm S, --only CASES, --engines IDS
// (hush-em-base-c only when asked for), --breakdown (native forward/backward/optimiser split),
// --out FILE (default build/bench/train.json).
// The machine is noisy and shared, so repeats are interleaved: round r runs every engine once
// (one timed repeat per case), and each cell is the median of the rounds. Ratios are taken
// within this one run only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { CASES, caseArg, median, parseArgs } from './cases.mjs';
import { HUSH_BUNDLE, HUSH_FULL_BUNDLE, TARGET_BYTES, bundleLine, fullLine, kb, sizes } from './size.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const args = parseArgs(process.argv.slice(2), {
  seconds: 1.5, rounds: 3, warm: 1.0, only: '', make: 'make', engines: '', breakdown: false, out: 'build/bench/train.json',
});
const cases = CASES.filter((c) => !args.only || args.only.split(',').includes(c.name));
const t00 = Date.now();
const load0 = os.loadavg()[0];
const say = (s) => process.stderr.write(`bench: ${s}\n`);

// ---- builds: made on demand; a failed build becomes a failed row, never a silent gap ----
const buildState = {};
function make(target) {
  if (target in buildState) return buildState[target];
  say(`make ${target}`);
  const r = spawnSync(args.make, ['-s', target], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) {
    const tail = (r.stderr || '').trim().split('\n').slice(-6).join('\n');
    say(`make ${target} FAILED (exit ${r.status}):\n${tail}`);
  } else if (r.stderr && r.stderr.trim()) {
    process.stderr.write(r.stderr);
  }
  buildState[target] = ok ? null : `make ${target} failed`;
  return buildState[target];
}
// Every target is always asked for: make itself decides whether anything is stale.
const needs = {
  native: () => make('native') || make('bench-native'),
  wasi: () => make('wasi') || make('bench-wasi'),
  web: () => make('web') || (fs.existsSync('web/index.js') ? null : 'web/index.js missing'),
  emc: () => make('web') || make('bench-em'),
  tfjs: () => (fs.existsSync('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')
    ? null : 'TF.js not installed (npm install / sh scripts/bootstrap.sh)'),
};

const caseArgs = cases.map(caseArg);
const common = ['--seconds', String(args.seconds), '--repeats', '1', '--warm', String(args.warm)];
const only = ['--only', cases.map((c) => c.name).join(',')];
const ENGINES = [
  { id: 'hush-native', need: 'native', cmd: ['build/bench/train_native', ...common, ...caseArgs] },
  { id: 'hush-wasi', need: 'wasi', env: { HUSH_WASI_MODULE: 'build/bench/train_wasi.wasm' },
    cmd: ['node', 'bin/hush-wasi.mjs', ...common, ...caseArgs] },
  { id: 'hush-em-simd', need: 'web', cmd: ['node', 'bench/hush_web_train.mjs', '--simd', '1', ...common, ...only] },
  { id: 'hush-em-base', need: 'web', cmd: ['node', 'bench/hush_web_train.mjs', '--simd', '0', '--copy', '0', ...common, ...only] },
  { id: 'hush-em-simd-c', need: 'emc', cmd: ['node', 'build/bench/em/train_em_simd.js', ...common, ...caseArgs] },
  { id: 'hush-em-base-c', need: 'emc', optional: true, cmd: ['node', 'build/bench/em/train_em_base.js', ...common, ...caseArgs] },
  { id: 'tfjs-wasm', need: 'tfjs', cmd: ['node', 'bench/tfjs_train.mjs', '--backend', 'wasm', ...common, ...only] },
  { id: 'tfjs-cpu', need: 'tfjs', cmd: ['node', 'bench/tfjs_train.mjs', '--backend', 'cpu', ...common, ...only] },
].filter((e) => (args.engines ? args.engines.split(',').includes(e.id) : !e.optional));

// results[engine][case] = { rates: [], errors: [], extra }
const results = {};
const record = (eng, cs) => ((results[eng] ??= {})[cs] ??= { rates: [], errors: [], extra: {} });

for (const e of ENGINES) {
  e.buildError = needs[e.need]();
  if (e.buildError) for (const c of cases) record(e.id, c.name).errors.push(e.buildError);
}

function runEngine(e, round) {
  const [cmd, ...rest] = e.cmd;
  if (e.id.startsWith('tfjs')) rest.push('--round', String(round));
  const r = spawnSync(cmd, rest, {
    env: { ...process.env, ...(e.env || {}) }, encoding: 'utf8', maxBuffer: 1 << 24, timeout: 300_000,
  });
  const seen = new Set();
  for (const line of (r.stdout || '').split('\n')) {
    if (!line.startsWith('{')) continue;
    let o;
    try { o = JSON.parse(line); } catch { continue; }
    const cell = record(o.engine || e.id, o.case);
    seen.add(o.case);
    if (o.error) { cell.errors.push(o.error); continue; }
    if (o.skipped) continue;
    if (o.sane === false) cell.errors.push(`loss did not fall (${o.loss0} -> ${o.loss}): the step may not train; rate shown anyway`);
    cell.rates.push(o.eps);
    for (const k of ['params', 'loss', 'gradCheck', 'loop', 'leakedTensors', 'steps']) if (k in o) cell.extra[k] = o[k];
  }
  const missing = cases.filter((c) => !seen.has(c.name));
  if (missing.length) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}: ` +
      (r.stderr || '').trim().split('\n').slice(-1)[0];
    for (const c of missing) record(e.id, c.name).errors.push(why);
    say(`${e.id}: no result for ${missing.map((c) => c.name).join(',')}: ${why}`);
  }
}

for (let round = 1; round <= args.rounds; round++) {
  for (const e of ENGINES) {
    if (e.buildError) continue;
    say(`round ${round}/${args.rounds}: ${e.id}`);
    runEngine(e, round);
  }
}

// Optional per-phase split of the native step (forward / backward / optimiser), for profiling.
let breakdown = null;
if (args.breakdown && !buildState['bench-native']) {
  const r = spawnSync('build/bench/train_native', ['--breakdown', ...common, ...caseArgs], { encoding: 'utf8' });
  breakdown = Object.fromEntries((r.stdout || '').split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l)).map((o) => [o.case, o.breakdown_us]));
}

// ---- sizes (bench/size.mjs, also `make bench-size`) ----
const hushSize = sizes(HUSH_BUNDLE);
const hushFullSize = sizes(HUSH_FULL_BUNDLE);
// A failed `make web` may leave an older build behind; its size is still shown, marked stale.
hushSize.stale = buildState.web ? 'make web failed; files are from an earlier build' : null;
const tfd = 'node_modules/@tensorflow';
const tfSize = sizes([`${tfd}/tfjs-core/dist/tf-core.min.js`, `${tfd}/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`,
  `${tfd}/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm`]);

// ---- table ----
const cell = (eng, cs) => results[eng]?.[cs];
const eps = (eng, cs) => { const c = cell(eng, cs); return c && c.rates.length ? median(c.rates) : null; };
const fmt = (v) => v == null ? '—' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(0)}k`
  : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
const ratio = (a, b) => (a == null || b == null ? null : a / b);
const fx = (r) => (r == null ? '—' : `${r.toFixed(2)}x`);
const tfWasmFor = (c) => (c.kind === 'cnn' ? eps('tfjs-wasm-customgrad', c.name) : eps('tfjs-wasm', c.name));
const engineCols = [
  ['hush-native', 'native'], ['hush-wasi', 'wasi'], ['hush-em-simd', 'em SIMD'], ['hush-em-simd-copy', 'SIMD cp'],
  ['hush-em-base', 'em base'], ['hush-em-simd-c', 'SIMD C'], ['hush-em-base-c', 'base C'], ['tfjs-wasm', 'tf wasm'], ['tfjs-wasm-customgrad', 'tf wasm*'], ['tfjs-cpu', 'tf cpu'],
];
const rows = [];
const summary = [];
for (const c of cases) {
  const simd = eps('hush-em-simd', c.name);
  const native = eps('hush-native', c.name);
  const tf = tfWasmFor(c);
  const rTf = ratio(simd, tf);
  const rNat = ratio(simd, native);
  const metTf = rTf == null ? null : rTf >= c.target;
  const metNat = rNat == null ? null : rNat >= 0.5;
  rows.push([c.label, ...engineCols.map(([e]) => fmt(eps(e, c.name))), fx(rTf),
    `>=${c.target}x ${metTf == null ? 'n/a' : metTf ? 'met' : 'NOT met'}`, fx(rNat),
    `>=0.5x ${metNat == null ? 'n/a' : metNat ? 'met' : 'NOT met'}`]);
  const medians = Object.fromEntries(Object.keys(results).map((e) => [e, eps(e, c.name)]).filter(([, v]) => v != null));
  summary.push({ case: c.name, label: c.label, batch: c.batch, spec: c.spec, shape: c.shape, eps: medians,
    hushSimdOverTfjsWasm: rTf, targetOverTfjsWasm: c.target, metOverTfjsWasm: metTf,
    hushSimdOverNative: rNat, targetOverNative: 0.5, metOverNative: metNat,
    hushSimdCLoopOverTfjsWasm: ratio(eps('hush-em-simd-c', c.name), tf),
    hushSimdCLoopOverNative: ratio(eps('hush-em-simd-c', c.name), native) });
}
// Columns no engine produced (optional engines left out) are dropped.
const shown = engineCols.map(([e], i) => i).filter((i) => cases.some((c) => cell(engineCols[i][0], c.name)));
for (const r of rows) r.splice(1, engineCols.length, ...shown.map((i) => r[1 + i]));
const head = ['case (examples/s, median)', ...shown.map((i) => engineCols[i][1]), 'SIMD/tfwasm', 'target', 'SIMD/native', 'target'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
const out = [];
out.push(`Hush training step throughput (forward+backward+SGD, lr ${0.01}), ${args.rounds} interleaved rounds x ${args.seconds}s, median`);
out.push(line(head));
out.push(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) out.push(line(r));
out.push('');
out.push('em SIMD / em base = web API (web/index.js), JS loop of model.step(dataset) on a batch pre-copied into the heap;');
out.push('SIMD cp = model.step(Float32Array, Uint32Array), copying the batch in every step; SIMD C = the web build\'s');
out.push('SIMD objects driven by the C bench loop (emcc, no JS per step);');
out.push('tf wasm* = TF.js wasm with the customGrad conv work-around (filter gradient as a forward conv2d);');
out.push('ratios use em SIMD (the web API) against tf wasm (tf wasm* on the CNN row) and against native.');
const notes = [];
for (const [eng, m] of Object.entries(results)) {
  // One line per engine and distinct error, listing the cases it hit.
  const byErr = new Map();
  for (const [cs, v] of Object.entries(m)) {
    for (const e of new Set(v.errors)) byErr.set(e, [...(byErr.get(e) || []), cs]);
    if (v.extra.gradCheck) notes.push(`  ${eng} ${cs}: customGrad gradient vs cpu backend: max |diff| ${v.extra.gradCheck.maxAbsErr.toExponential(2)} (max |grad| ${v.extra.gradCheck.maxAbsGrad.toFixed(3)}) ${v.extra.gradCheck.ok ? 'ok' : 'MISMATCH'}`);
  }
  for (const [e, cs] of byErr) {
    const which = cs.length === cases.length && cases.length > 1 ? 'all cases' : cs.join(', ');
    notes.push(`  ${eng} (${which}): FAILED: ${e}`);
  }
}
if (notes.length) { out.push('Notes:'); out.push(...[...new Set(notes)]); }
out.push('');
out.push(`${bundleLine(hushSize)}; TF.js tf-core.min.js + tf-backend-wasm.min.js + tfjs-backend-wasm-simd.wasm = ${kb(tfSize.gzipTotal)}`);
for (const [f, s] of Object.entries({ ...hushSize.files, ...tfSize.files })) out.push(`  ${f}: ${kb(s.raw)} raw, ${kb(s.gzip)} gzip`);
out.push(fullLine(hushFullSize));
if (breakdown) {
  out.push('');
  out.push('Native per-call split (us): forward / backward (includes its forward) / optimiser');
  for (const c of cases) if (breakdown[c.name]) {
    const b = breakdown[c.name];
    out.push(`  ${c.name.padEnd(18)} ${b.forward.toFixed(1)} / ${b.backward.toFixed(1)} / ${b.optim.toFixed(1)}`);
  }
}
const wall = (Date.now() - t00) / 1000;
const load1 = os.loadavg()[0];
out.push(`(bench wall time ${wall.toFixed(0)} s; 1-min load average ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end`
  + ` on ${os.cpus().length} cores${Math.max(load0, load1) > os.cpus().length * 0.75 ? ' — the machine was busy: trust ratios, not absolutes' : ''})`);
process.stdout.write(out.join('\n') + '\n');

fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify({
  when: new Date().toISOString(),
  host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: { start: load0, end: load1 } },
  method: { seconds: args.seconds, rounds: args.rounds, warm: args.warm, lr: 0.01, optimizer: 'sgd',
    data: 'synthetic, one fixed batch', statistic: 'median over interleaved rounds' },
  cases: cases.map(({ name, label, spec, shape, batch, target }) => ({ name, label, spec, shape, batch, target })),
  results, summary, breakdown,
  sizes: { hush: hushSize, hushFull: hushFullSize, tfjs: tfSize, hushTargetBytes: TARGET_BYTES },
  wallSeconds: wall,
}, null, 2) + '\n');
say(`wrote ${args.out}`);
