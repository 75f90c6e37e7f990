#!/usr/bin/env node
// hush-agg: the JavaScript participant of a hush-server secure-sum task, with the flags of the
// native `hush agg join`:
//   node bin/hush-agg.mjs join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK
//        --input FILE.csv [--rounds R] [--pins FILE] [--timeout S] [--json]
// The identity key file is created on first use (mode 0600). Exit status 2 for bad arguments,
// 1 for a failure, with one "hush-agg: ..." line on stderr.
import { readFile } from 'node:fs/promises';
import { load } from '../web/index.js';

const FLAGS = new Set(['json']);

function fail(msg, code = 1) {
  process.stderr.write(`hush-agg: ${msg}\n`);
  process.exit(code);
}

function parse(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a.length < 3) fail(`unexpected argument '${a}'`, 2);
    let [k, v] = a.slice(2).split(/=(.*)/s, 2);
    if (!FLAGS.has(k) && v === undefined) {
      if (i + 1 >= argv.length) fail(`option --${k} needs a value`, 2);
      v = argv[++i];
    }
    if (k in o) fail(`option --${k} given twice`, 2);
    o[k] = FLAGS.has(k) ? true : v;
  }
  return o;
}

function uint(o, k, def) {
  if (o[k] === undefined) return def;
  const n = Number(o[k]);
  if (!Number.isInteger(n) || n < 0) fail(`--${k} must be a non-negative integer, got '${o[k]}'`, 2);
  return n;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== 'join') fail('usage: hush-agg join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK --input FILE.csv [--rounds R] [--json]', 2);
  const o = parse(rest);
  const known = new Set(['url', 'name', 'identity', 'token', 'task', 'input', 'rounds', 'timeout', 'json', 'pins']);
  for (const k of Object.keys(o)) if (!known.has(k)) fail(`unknown option --${k}`, 2);
  for (const k of ['url', 'name', 'identity', 'task', 'input']) if (!o[k]) fail(`join needs --${k}`, 2);
  const rounds = uint(o, 'rounds', 1);
  const timeout = Number(o.timeout ?? 0);
  const text = await readFile(o.input, 'utf8').catch((e) => fail(`cannot read '${o.input}': ${e.code}`));
  const fields = text.split(/[\s,]+/).filter((s) => s !== '');
  if (!fields.length || fields.some((f) => !/^\d+$/.test(f) || Number(f) > 0xffffffff)) {
    fail(`${o.input}: expected unsigned 32-bit integers separated by commas`);
  }
  const input = Uint32Array.from(fields, Number);
  const hush = await load();
  let timer;
  if (timeout > 0) timer = setTimeout(() => fail(`timed out after ${timeout} s`), timeout * 1000);
  let conn;
  try {
    const identity = await hush.net.loadIdentity(o.name, { file: o.identity });
    const pins = o.pins ? await readFile(o.pins, 'utf8').catch((e) => fail(`cannot read '${o.pins}': ${e.code}`)) : undefined;
    conn = await hush.net.connect(o.url, { identity, token: o.token, pins });
    if (!o.json) {
      conn.addEventListener('round', (e) => console.log(`round ${e.detail.round}: ${e.detail.n} participants, contributing as id ${e.detail.id}`));
      conn.addEventListener('result', (e) => console.log(`round ${e.detail.round} ${e.detail.status}`));
    }
    const r = await conn.aggregate(o.task, input, { rounds: rounds || Infinity });
    if (o.json) {
      console.log(JSON.stringify({ name: o.name, task: o.task, rounds: r.committed, aborted: r.aborted,
        last_round: r.round, dim: input.length, connects: conn.connects, status: 0 }));
    }
  } catch (e) {
    fail(e.message);
  } finally {
    clearTimeout(timer);
    conn?.close();
    input.fill(0);
  }
}

main();
