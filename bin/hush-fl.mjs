#!/usr/bin/env node
// hush-fl: the JavaScript participant of a hush-server federated task (hush.FederatedClient), with
// the flags of the native `hush fl join`:
//   node bin/hush-fl.mjs join --url URL --name NAME --identity KEYFILE [--token T] --task TASK
//        --data FILE [--format F] [--budget-epsilon E --delta D --ledger FILE] [--rounds R]
//        [--out MODEL] [--pins FILE] [--timeout S] [--seed S] [--json]
// The identity key file is created on first use (mode 0600); the ledger file is written back
// (atomically) before anything of a round is sent. --seed is for tests: the update is then not
// private. Exit status 2 for bad arguments, 1 for a failure.
import { readFile, writeFile } from 'node:fs/promises';
import { load } from '../web/index.js';
import { cli } from './args.mjs';

const { fail, parse, uint, num } = cli('hush-fl', ['json']);
const OPTIONS = ['url', 'name', 'identity', 'token', 'task', 'data', 'format', 'budget-epsilon', 'delta', 'ledger',
  'rounds', 'out', 'pins', 'timeout', 'seed', 'json'];

async function loadData(hush, path, format) {
  const f = format ?? hush.data.guessFormat(path);
  const read = async (p) => {
    const b = new Uint8Array(await readFile(p).catch((e) => fail(`cannot read '${p}': ${e.code}`)));
    return b[0] === 0x1f && b[1] === 0x8b ? hush.data.gunzip(b) : b;
  };
  if (f === 'idx') {
    if (!path.includes('images-idx3')) fail(`'${path}': IDX images file name must contain 'images-idx3' (labels are found beside it)`);
    return hush.data.parse({ images: await read(path), labels: await read(path.replace('images-idx3', 'labels-idx1')) }, 'idx');
  }
  return hush.data.parse(await read(path), f);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd !== 'join') {
    fail('usage: hush-fl join --url URL --name NAME --identity KEYFILE [--token T] --task TASK --data FILE [--format F] ' +
      '[--budget-epsilon E --delta D --ledger FILE] [--rounds R] [--out MODEL] [--pins FILE] [--timeout S] [--seed S] [--json]', 2);
  }
  const o = parse(rest, OPTIONS);
  for (const k of ['url', 'name', 'identity', 'task', 'data']) if (!o[k]) fail(`join needs --${k}`, 2);
  const rounds = uint(o, 'rounds', 0);
  const timeout = num(o, 'timeout', 0);
  const budgetEpsilon = num(o, 'budget-epsilon', undefined);
  const delta = num(o, 'delta', undefined);
  if (delta !== undefined && budgetEpsilon === undefined && !o.ledger) fail('--delta goes with --budget-epsilon or --ledger', 2);
  const seed = o.seed === undefined ? undefined : BigInt(uint(o, 'seed', 0));
  if (seed !== undefined) process.stderr.write('hush-fl: note: --seed makes the noise reproducible: the update is NOT private\n');
  const hush = await load();
  let timer, ledger = null, data = null;
  if (timeout > 0) timer = setTimeout(() => fail(`timed out after ${timeout} s`), timeout * 1000);
  try {
    data = await loadData(hush, o.data, o.format);
    const identity = await hush.net.loadIdentity(o.name, { file: o.identity });
    if (o.ledger) {
      ledger = await hush.net.openLedger(o.name, { file: o.ledger, budgetEpsilon, budgetDelta: delta });
    } else if (budgetEpsilon !== undefined) {
      process.stderr.write('hush-fl: note: without --ledger FILE the budget is kept for this run only\n');
      ledger = await hush.net.openLedger(o.name, { memory: true, budgetEpsilon, budgetDelta: delta });
    }
    const pins = o.pins ? await readFile(o.pins, 'utf8').catch((e) => fail(`cannot read '${o.pins}': ${e.code}`)) : undefined;
    const client = new hush.FederatedClient({ url: o.url, identity, token: o.token, task: o.task, data, ledger, rounds, pins, seed });
    if (!o.json) {
      client.addEventListener('round', (e) => {
        const d = e.detail;
        let line = `round ${d.round}: ${d.n} participants; the global model scored ${d.validationAccuracy.toFixed(4)} on ` +
          `${d.validationRows} validation rows; trained on ${d.trainRows} rows`;
        if (d.budgetEpsilon !== null) line += `; epsilon ${d.epsilon.toPrecision(4)} spent of ${d.budgetEpsilon}`;
        console.log(line);
      });
      client.addEventListener('declined', (e) => console.log(`round ${e.detail.round} declined: it would exceed the privacy ` +
        `budget (epsilon ${e.detail.epsilon.toPrecision(4)} spent of ${e.detail.budgetEpsilon})`));
      client.addEventListener('result', (e) => console.log(`round ${e.detail.round} ${e.detail.status}`));
    }
    const r = await client.run();
    if (o.out && r.model && r.rounds) await writeFile(o.out, r.model).catch((e) => fail(`cannot save the global model to '${o.out}': ${e.code}`));
    if (o.json) {
      const out = { name: o.name, task: o.task, rounds: r.rounds, aborted: r.aborted, declined: r.declined,
        contributed: r.contributed, last_round: r.lastRound, status: 0, train_rows: r.trainRows,
        validation_rows: r.validationRows, privacy: r.privacy ?? 'unknown', private: r.private, noise: r.noise };
      if (ledger) Object.assign(out, { epsilon: r.epsilon, delta: r.delta, budget_epsilon: r.budgetEpsilon });
      console.log(JSON.stringify(out));
    }
  } catch (e) {
    fail(e.message);
  } finally {
    clearTimeout(timer);
    ledger?.free();
    data?.free();
  }
}

main();
