#!/usr/bin/env node
// hush-agg: the JavaScript participant of a hush-server secure-sum task, with the flags of the
// native `hush agg join`:
//   node bin/hush-agg.mjs join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK
//        --input FILE.csv [--rounds R] [--pins FILE] [--timeout S] [--json]
// The identity key file is created on first use (mode 0600). Exit status 2 for bad arguments,
// 1 for a failure, with one "hush-agg: ..." line on stderr.
import { readFile } from 'node:fs/promises';
import { load } from '../web/index.js';
import { cli } from './args.mjs';

const { fail, parse, uint } = cli('hush-agg', ['json']);

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== 'join') fail('usage: hush-agg join --url URL --name NAME --identity KEYFILE [--token TOKEN] --task TASK --input FILE.csv [--rounds R] [--json]', 2);
  const o = parse(rest, ['url', 'name', 'identity', 'token', 'task', 'input', 'rounds', 'timeout', 'json', 'pins']);
  for (const k of ['url', 'name', 'identity', 'task', 'input']) if (!o[k]) fail(`join needs --${k}`, 2);
  const rounds = uint(o, 'rounds', 1);
  const timeout = Number(o.timeout ?? 0);
  const text = await readFile(o.input, 'utf8').catch((e) => fail(`cannot read '${o.input}': ${e.code}`));
  const fields = text.split(/[\s,]+/).filter((s) => s !== '');
  if (!fields.length || fields.some((f) => !/^\d+$/.test(f) || Number(f) > 0xffffffff)) {
    fail(`${o.input}: expected unsigned 32-bit integers separated by commas`);
  }
  const input = Uint32Array.from(fields, Number);
  const hush = await load({ full: true });
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
