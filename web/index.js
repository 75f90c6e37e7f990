// hushml: private machine learning from one small C core compiled to WebAssembly.
//
//   import { load } from 'hushml';
//   const hush = await load();            // SIMD build if the engine has wasm SIMD, else baseline
//   const ds = hush.data.parseCsv(text);
//   const model = hush.Model.create('dense:16,relu,dense:3', { inputSize: ds.dim, seed: 7 });
//   await model.fit(ds, { epochs: 20, lr: 0.05, seed: 7 });
//
// Works in browsers, Web Workers and Node. In Node the loader reads the .wasm file itself; in
// browsers it fetches build/web/*.wasm relative to this module (override with opts.wasmUrl,
// opts.wasmBinary or opts.wasmModule, e.g. for bundlers).
import { HushError, HushParseError } from './errors.js';
import { Runtime } from './runtime.js';
import { defineModel } from './model.js';
import { defineData } from './data.js';
import { defineTrain, gunzip } from './train.js';
import { defineMpc } from './mpc.js';
import { defineChannel } from './channel.js';
import { defineDP } from './dp.js';
import { defineSecAgg } from './secagg.js';
import { defineFl } from './fl.js';
import { defineNet } from './net.js';
import { defineFederated } from './federated.js';
import { defineP2P } from './p2p.js';

export { HushError, HushParseError };
export { createWorker } from './worker-client.js';

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid only with SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function simdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';

async function wasmSource(simd, opts) {
  if (opts.wasmModule) return { module: opts.wasmModule };
  if (opts.wasmBinary) return { bytes: opts.wasmBinary };
  // Literal URLs so bundlers can see and copy the assets.
  const url = opts.wasmUrl ? new URL(opts.wasmUrl, globalThis.location?.href) :
    simd ? new URL('../build/web/hush.wasm', import.meta.url) :
      new URL('../build/web/hush-base.wasm', import.meta.url);
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    return { bytes: await readFile(url) };
  }
  return { url };
}

async function instantiate(src, imports) {
  if (src.module) return { instance: await WebAssembly.instantiate(src.module, imports), module: src.module };
  if (src.bytes) return WebAssembly.instantiate(src.bytes, imports);
  if (WebAssembly.instantiateStreaming) {
    try {
      return await WebAssembly.instantiateStreaming(fetch(src.url, { credentials: 'same-origin' }), imports);
    } catch (e) {
      // Served with the wrong MIME type: fetch again and compile from bytes.
      if (!(e instanceof TypeError)) throw e;
    }
  }
  const r = await fetch(src.url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`fetching ${src.url}: HTTP ${r.status}`);
  return WebAssembly.instantiate(await r.arrayBuffer(), imports);
}

/**
 * Loads one instance of the Hush core. opts.simd: true/false forces the build (default: probe).
 * Every call makes a new, independent instance with its own heap.
 */
export async function load(opts = {}) {
  const simd = opts.simd ?? simdSupported();
  const factory = simd ? (await import('../build/web/hush.mjs')).default :
    (await import('../build/web/hush-base.mjs')).default;
  const src = await wasmSource(simd, opts);
  let fail;
  const failed = new Promise((_, reject) => { fail = reject; });
  const ready = factory({
    instantiateWasm(imports, receive) {
      instantiate(src, imports).then((r) => receive(r.instance, r.module), fail);
      return {};
    },
    onAbort(what) { fail(new HushError('HUSH_ESTATE', `wasm aborted: ${what}`)); },
    print() {},
    printErr() {},
  });
  const module = await Promise.race([ready, failed]);
  const rt = new Runtime(module, { simd });
  const data = defineData(rt);
  const Model = defineModel(rt, { isDataset: data.isDataset });
  const train = defineTrain(rt, Model, data);
  const { formatOf, wrap, ...publicData } = data; // formatOf is for train.js, wrap for net.js
  const channel = defineChannel(rt);
  const mpc = defineMpc(rt, { Model, channel });
  const dp = defineDP(rt, { Model, isDataset: data.isDataset });
  const secagg = defineSecAgg(rt);
  const fl = defineFl(rt);
  const net = defineNet(rt, { wrapDataset: wrap, Odometer: dp.Odometer });
  const FederatedClient = defineFederated(rt, { net, isDataset: data.isDataset });
  const p2p = defineP2P(rt, { net });
  rt.check(module._hush_init(), 'hush_init');
  return Object.freeze({
    simd,
    version: rt.cstring(module._hush_version()),
    constants: Object.freeze({ ...rt.C }),
    Model,
    data: Object.freeze({ ...publicData, gunzip }),
    train,
    mpc,
    channel: channel.api,
    dp: dp.dp,
    DPSGD: dp.DPSGD,
    Accountant: dp.Accountant,
    Odometer: dp.Odometer,
    pate: dp.pate,
    secagg,
    fl,
    net,
    FederatedClient,
    p2p,
    statusName: (status) => rt.statusName(status),
    strerror: (status) => rt.strerror(status),
    // Bytes currently malloc'ed in the wasm heap, and the heap's size (for leak checks).
    heapInUse: () => module._hush_wasm_heap_in_use() >>> 0,
    heapSize: () => module.HEAPU8.length,
    HushError,
    HushParseError,
  });
}

export default load;
