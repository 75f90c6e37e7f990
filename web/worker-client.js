// Main-thread side of web/worker.js: promises over postMessage, with HushError rebuilt from the
// worker's serialised errors. Works with browser Workers and Node's worker_threads.
import { HushError, HushParseError } from './errors.js';

function rebuild(e) {
  if (e && e.code) {
    const err = e.line !== undefined && e.name === 'HushParseError'
      ? new HushParseError(e.code, e.message, e.status, e)
      : Object.assign(new HushError(e.code, e.message, e.status), e.offset !== undefined ? { offset: e.offset } : {});
    if (e.netCode) err.netCode = e.netCode; // why hush-server refused (HUSH_NET_E_*)
    return err;
  }
  return new HushError('HUSH_ESTATE', e ? e.message : 'worker error');
}

/**
 * Starts web/worker.js and returns {info, describe, train, evaluate, predict, terminate}.
 * opts.simd forces the build inside the worker; opts.full: true makes it load the full module
 * for every op (federate loads it by itself in any case); opts.url overrides the worker script URL;
 * opts.onCsp({directive, blocked}) hears of Content-Security-Policy violations inside the worker.
 * train's onEpoch gets every field the worker posts per epoch (loss, or epsilon and steps in DP
 * runs, and the evaluation with evaluate: 'epoch').
 */
export async function createWorker(opts = {}) {
  const url = opts.url ? new URL(opts.url, globalThis.location?.href) : new URL('./worker.js', import.meta.url);
  let worker, onMessage;
  const pending = new Map();
  const dispatch = (msg) => {
    if (msg && msg.type === 'csp' && msg.id === undefined) {
      if (opts.onCsp) opts.onCsp({ directive: msg.directive, blocked: msg.blocked });
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'epoch' || msg.type === 'event') {
      const { id, type, ...entry } = msg;
      if (p.onEpoch) p.onEpoch(entry);
      return;
    }
    pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(rebuild(msg.error));
  };
  if (typeof Worker === 'function') {
    worker = new Worker(url, { type: 'module' });
    worker.onmessage = (ev) => dispatch(ev.data);
    worker.onerror = (ev) => {
      for (const p of pending.values()) p.reject(new HushError('HUSH_ESTATE', `worker failed: ${ev.message || 'no message'}`));
      pending.clear();
    };
  } else {
    const { Worker: NodeWorker } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:worker_threads');
    worker = new NodeWorker(url);
    onMessage = dispatch;
    worker.on('message', onMessage);
    worker.on('error', (e) => {
      for (const p of pending.values()) p.reject(e instanceof HushError ? e : new HushError('HUSH_ESTATE', `worker failed: ${e && e.message}`));
      pending.clear();
    });
  }
  let nextId = 1;
  const call = (op, args, onEpoch) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, onEpoch });
    worker.postMessage({ id, op, args: { simd: opts.simd, full: opts.full, ...args } });
  });
  return {
    info: () => call('info', {}),
    describe: (args) => call('describe', args),
    train: (args) => {
      const { onEpoch, ...rest } = args;
      return call('train', rest, onEpoch);
    },
    evaluate: (args) => call('evaluate', args),
    predict: (args) => call('predict', args),
    // A federated participant in the worker (web/worker.js 'federate'); onEvent gets its events.
    federate: (args) => {
      const { onEvent, ...rest } = args;
      return call('federate', rest, onEvent);
    },
    terminate: () => {
      for (const p of pending.values()) p.reject(new HushError('HUSH_ESTATE', 'worker terminated'));
      pending.clear();
      return worker.terminate();
    },
  };
}
