// Hush in a Web Worker (or a Node worker_threads Worker): keeps training off the main thread.
//
// Protocol (one request in flight or many, matched by id):
//   -> {id, op: 'info', args: {simd?}}                   <- {id, type: 'result', result: {simd, version}}
//   -> {id, op: 'train', args: <hush.train options without onEpoch>}
//        <- {id, type: 'epoch', epoch, loss} per epoch
//        <- {id, type: 'result', result: {...train result, model: Uint8Array (model file)}}
//   -> {id, op: 'evaluate', args: {model: Uint8Array, x, y}|{model, data, format}}
//        <- {id, type: 'result', result: {loss, accuracy}}
//   -> {id, op: 'predict', args: {model: Uint8Array, x}}  <- {id, type: 'result', result: Uint32Array}
//   errors: {id, type: 'error', error: {name, code, status, message, line, offset, msg}}
// The first request's args.simd picks the build for the worker's lifetime.
import { load } from './index.js';

let hushPromise = null;
const getHush = (args) => (hushPromise ??= load({ simd: args && args.simd }));

async function withModel(hush, bytes, fn) {
  const model = hush.Model.load(bytes, { maxBatch: 256 });
  try {
    return await fn(model);
  } finally {
    model.free();
  }
}

const ops = {
  async info(hush) {
    return { simd: hush.simd, version: hush.version };
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
    return withModel(hush, args.model, (m) => {
      if (args.x !== undefined) return m.evaluate(args.x, args.y);
      const ds = args.format === 'arff' ? hush.data.parseArff(args.data) :
        args.format === 'idx' ? hush.data.parseIdx(args.data.images, args.data.labels) :
          hush.data.parseCsv(args.data);
      try {
        if (args.format === 'digits') ds.scale(1 / 16);
        return m.evaluate(ds);
      } finally {
        ds.free();
      }
    });
  },
  async predict(hush, args) {
    return withModel(hush, args.model, (m) => m.predict(args.x));
  },
};

function serialiseError(e) {
  return {
    name: e && e.name, code: e && e.code, status: e && e.status, message: String(e && e.message || e),
    line: e && e.line, offset: e && e.offset, msg: e && e.msg,
  };
}

async function handle(msg, post) {
  const { id, op, args } = msg || {};
  try {
    if (!Object.hasOwn(ops, op)) throw new Error(`unknown op '${op}'`);
    const hush = await getHush(args);
    const result = await ops[op](hush, args || {}, post, id);
    post({ id, type: 'result', result });
  } catch (e) {
    post({ id, type: 'error', error: serialiseError(e) });
  }
}

if (typeof self === 'object' && typeof self.postMessage === 'function' && typeof WorkerGlobalScope !== 'undefined') {
  self.onmessage = (ev) => handle(ev.data, (m) => self.postMessage(m));
} else if (typeof process === 'object' && process.versions && process.versions.node) {
  const { parentPort } = await import('node:worker_threads');
  if (parentPort) parentPort.on('message', (m) => handle(m, (out) => parentPort.postMessage(out)));
}
