// Hush in a Web Worker (or a Node worker_threads Worker): keeps training off the main thread.
//
// Protocol (one request in flight or many, matched by id):
//   every request's args may carry simd and full (createWorker's options)
//   -> {id, op: 'info', args: {simd?, full?}}
//        <- {id, type: 'result', result: {simd, full, version, context: 'worker' | 'node'}}
//   -> {id, op: 'describe', args: {data, format}}
//        <- {id, type: 'result', result: {rows, dim, classes, classNames, counts, numericColumns}}
//   -> {id, op: 'train', args: <hush.train options without onEpoch>}
//        <- {id, type: 'epoch', epoch, loss, steps?, epsilon?, testAccuracy?, ...} per epoch
//        <- {id, type: 'result', result: {...train result, model: Uint8Array (model file)}}
//   -> {id, op: 'evaluate', args: {model: Uint8Array, x, y}|{model, data, format}}
//        <- {id, type: 'result', result: {loss, accuracy}}
//   -> {id, op: 'predict', args: {model: Uint8Array, x}}  <- {id, type: 'result', result: Uint32Array}
//   -> {id, op: 'federate', args: {url, name, identityFile?, token?, task, data, format?, shard?: {parts,
//        part, labelsPerPart, seed}, ledger?: {name?, file?, budgetEpsilon, budgetDelta}, rounds?, pins?}}
//        <- {id, type: 'event', event: 'rows'|'model'|'round'|'declined'|'result', ...detail} (see
//        web/federated.js), then {id, type: 'result', result: the run's summary}
//   errors: {id, type: 'error', error: {name, code, status, message, line, offset, msg, netCode}}
//   events without an id: {type: 'csp', directive, blocked} for a Content-Security-Policy violation
//   inside the worker (say, an eval under a CSP without 'unsafe-eval'), so the page can report it.
// The first request's args.simd picks the build for the worker's lifetime. The worker loads the
// lean module, or the full one (a superset) for 'federate' and when args.full is set (createWorker
// ({ full: true })); once the full one is loaded every op uses it. Training is hush.train,
// the C driver every other caller uses (DP-SGD included); its per-epoch evaluation ('evaluate:
// "epoch"') feeds charts. Data may be gzip-compressed bytes (decompressed here).
import { load } from './index.js';
import { HushError } from './errors.js';

let simd;
let lean = null;
let full = null;
function getHush(args, needFull) {
  simd ??= args && args.simd;
  if (needFull || (args && args.full)) return (full ??= load({ simd, full: true }));
  return full ?? (lean ??= load({ simd }));
}
const inWorkerScope = typeof WorkerGlobalScope !== 'undefined' && typeof self === 'object' && self instanceof WorkerGlobalScope;

async function withModel(hush, bytes, fn) {
  const model = hush.Model.load(bytes, { maxBatch: 256 });
  try {
    return await fn(model);
  } finally {
    model.free();
  }
}

async function parse(hush, data, format) {
  if (format === 'idx') {
    return hush.data.parse({ images: await unzip(hush, data.images), labels: await unzip(hush, data.labels) }, 'idx');
  }
  return hush.data.parse(typeof data === 'string' ? data : await unzip(hush, data), format);
}

async function unzip(hush, bytes) {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  return b instanceof Uint8Array && b[0] === 0x1f && b[1] === 0x8b ? hush.data.gunzip(b) : b;
}

const ops = {
  async info(hush) {
    return { simd: hush.simd, full: hush.full, version: hush.version, context: inWorkerScope ? 'worker' : 'node' };
  },
  async describe(hush, args) {
    const ds = await parse(hush, args.data, args.format);
    try {
      const counts = new Array(ds.classes).fill(0);
      for (const label of ds.y) counts[label]++;
      return {
        rows: ds.rows, dim: ds.dim, classes: ds.classes, classNames: ds.classNames, counts,
        numericColumns: ds.numericColumns,
      };
    } finally {
      ds.free();
    }
  },
  async train(hush, args, post, id) {
    const r = await hush.train({ ...args, onEpoch: (e) => post({ id, type: 'epoch', ...e }) });
    try {
      const { model, ...rest } = r;
      return { ...rest, model: model.save() };
    } finally {
      r.model.free();
    }
  },
  async evaluate(hush, args) {
    return withModel(hush, args.model, async (m) => {
      if (args.x !== undefined) return m.evaluate(args.x, args.y);
      const ds = await parse(hush, args.data, args.format);
      try {
        return m.evaluate(ds);
      } finally {
        ds.free();
      }
    });
  },
  async predict(hush, args) {
    return withModel(hush, args.model, (m) => m.predict(args.x));
  },
  // A participant of a federated task (hush.FederatedClient), its rows parsed (and, for demos,
  // sharded) here; the identity and the ledger live in IndexedDB (or files in Node).
  async federate(hush, args, post, id) {
    let ds = await parse(hush, args.data, args.format);
    if (args.shard) {
      const part = ds.shard(args.shard.parts, args.shard.part, args.shard);
      ds.free();
      ds = part;
    }
    let ledger = null;
    try {
      const identity = await hush.net.loadIdentity(args.name, args.identityFile ? { file: args.identityFile } : {});
      if (args.ledger) ledger = await hush.net.openLedger(args.ledger.name ?? args.name, args.ledger);
      const client = new hush.FederatedClient({
        url: args.url, identity, token: args.token, task: args.task, data: ds, ledger, rounds: args.rounds,
        pins: args.pins, seed: args.seed,
      });
      for (const type of ['model', 'round', 'declined', 'result']) {
        client.addEventListener(type, (e) => post({ id, type: 'event', event: type, ...e.detail }));
      }
      post({ id, type: 'event', event: 'rows', rows: ds.rows });
      return await client.run();
    } finally {
      ledger?.free();
      ds.free();
    }
  },
};

function serialiseError(e) {
  return {
    name: e && e.name, code: e && e.code, status: e && e.status, message: String(e && e.message || e),
    line: e && e.line, offset: e && e.offset, msg: e && e.msg, netCode: e && e.netCode,
  };
}

async function handle(msg, post) {
  const { id, op, args } = msg || {};
  try {
    if (!Object.hasOwn(ops, op)) throw new HushError('HUSH_EARG', `unknown op '${op}'`);
    const hush = await getHush(args, op === 'federate');
    const result = await ops[op](hush, args || {}, post, id);
    post({ id, type: 'result', result });
  } catch (e) {
    post({ id, type: 'error', error: serialiseError(e) });
  }
}

if (inWorkerScope) {
  self.addEventListener('securitypolicyviolation', (e) => {
    self.postMessage({ type: 'csp', directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI });
  });
  self.onmessage = (ev) => handle(ev.data, (m) => self.postMessage(m));
} else if (typeof process === 'object' && process.versions && process.versions.node) {
  const { parentPort } = await import('node:worker_threads');
  if (parentPort) parentPort.on('message', (m) => handle(m, (out) => parentPort.postMessage(out)));
}
