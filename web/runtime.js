// The mechanical JS side of the wasm boundary: constants, status checks, heap views, scopes that
// copy data into the heap and always zero and free it again, the one handle lifecycle, and the
// argument validators and enum tables every module uses.
//
// Rules kept here so the classes stay simple:
//  - every number C owns (status codes, limits, enum values, struct sizes and offsets, the width
//    of a pointer and of size_t) comes from the constants table exported by wasm/constants.c;
//    heap outputs are allocated and read through the typed helpers below (ptrOut/ptrAt,
//    sizeOut/sizeAt, ...), so no module writes a width or an offset;
//  - heap views are rebuilt on every access, because memory growth detaches the old buffer;
//  - every temporary copied into the heap belongs to a Scope whose release() zeroes and frees
//    it, and callers release in `finally`, so success and throw both leave nothing behind;
//  - every handle is a Handle (or, for the EventTarget classes, tracked the same way): free()
//    releases it and is idempotent, any use after it throws HUSH_ESTATE '<what> has been freed',
//    and a FinalizationRegistry frees what the program dropped (a backstop: it may run late);
//  - every error is a HushError (rt.fail for the ones JS detects, with the status C would use).
import { HushError, HushParseError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const U64_MAX = (1n << 64n) - 1n;
const U32 = Uint32Array.BYTES_PER_ELEMENT;
const F32 = Float32Array.BYTES_PER_ELEMENT;
const F64 = Float64Array.BYTES_PER_ELEMENT;
const U64 = BigUint64Array.BYTES_PER_ELEMENT;

// Every closed set of names the API accepts or reports, mapped to the C enumerators (their values
// come from the constants table). One table per C enum; rt.enumOf / rt.enumName read them.
export const ENUMS = Object.freeze({
  optimizer: { sgd: 'HUSH_OPTIM_SGD', momentum: 'HUSH_OPTIM_MOMENTUM', adam: 'HUSH_OPTIM_ADAM' },
  format: { arff: 'HUSH_TRAIN_FORMAT_ARFF', csv: 'HUSH_TRAIN_FORMAT_CSV', digits: 'HUSH_TRAIN_FORMAT_DIGITS', idx: 'HUSH_TRAIN_FORMAT_IDX' },
  // hush_train_config.scaling
  scaling: { auto: 'HUSH_TRAIN_SCALING_AUTO', none: 'HUSH_TRAIN_SCALING_NONE', standardize: 'HUSH_TRAIN_SCALING_STATS',
    bounds: 'HUSH_TRAIN_SCALING_BOUNDS', dp: 'HUSH_TRAIN_SCALING_DP' },
  // what a model file records about its input norm
  inputScaling: { custom: 'HUSH_INPUT_SCALING_CUSTOM', standardize: 'HUSH_INPUT_SCALING_STATS', bounds: 'HUSH_INPUT_SCALING_BOUNDS',
    dp: 'HUSH_INPUT_SCALING_DP' },
  sampling: { poisson: 'HUSH_DPSGD_POISSON', shuffle: 'HUSH_DPSGD_SHUFFLE' },
  accountant: { rdp: 'HUSH_ACCOUNTANT_RDP', pld: 'HUSH_ACCOUNTANT_PLD' },
  conversion: { improved: 'HUSH_DP_CONVERSION_IMPROVED', classic: 'HUSH_DP_CONVERSION_CLASSIC' },
  dpEvent: { gaussian: 'HUSH_DP_EVENT_GAUSSIAN', sampledGaussian: 'HUSH_DP_EVENT_SAMPLED_GAUSSIAN', laplace: 'HUSH_DP_EVENT_LAPLACE' },
  ledgerEvent: { gaussian: 'HUSH_DP_EVENT_GAUSSIAN', sampledGaussian: 'HUSH_DP_EVENT_SAMPLED_GAUSSIAN',
    laplace: 'HUSH_DP_EVENT_LAPLACE', rdpCurve: 'HUSH_DP_EVENT_RDP_CURVE',
    discreteGaussianSum: 'HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM', epsilonDelta: 'HUSH_DP_EVENT_EPSILON_DELTA' },
  mechanism: { lnmax: 'HUSH_PATE_LNMAX', gnmax: 'HUSH_PATE_GNMAX', confident: 'HUSH_PATE_CONFIDENT' },
  mpcRole: { dealer: 'HUSH_MPC_ROLE_DEALER', client: 'HUSH_MPC_ROLE_CLIENT' },
  mpcOutput: { decision: 'HUSH_MPC_OUTPUT_DECISION', logits: 'HUSH_MPC_OUTPUT_LOGITS' },
  mpcState: { link: 'HUSH_MPC_STATE_LINK', send: 'HUSH_MPC_STATE_SEND', 'wait-dealer': 'HUSH_MPC_STATE_WAIT_DEALER',
    'wait-peers': 'HUSH_MPC_STATE_WAIT_PEERS', 'wait-input': 'HUSH_MPC_STATE_WAIT_INPUT',
    'wait-output': 'HUSH_MPC_STATE_WAIT_OUTPUT', done: 'HUSH_MPC_STATE_DONE' },
  channelSide: { initiator: 'HUSH_CHANNEL_INITIATOR', responder: 'HUSH_CHANNEL_RESPONDER' },
  channelState: { handshake: 'HUSH_CHANNEL_STATE_HANDSHAKE', open: 'HUSH_CHANNEL_STATE_OPEN', closed: 'HUSH_CHANNEL_STATE_CLOSED' },
  federatedPrivacy: { none: 'HUSH_FEDERATED_PRIVACY_NONE', record: 'HUSH_FEDERATED_PRIVACY_RECORD', user: 'HUSH_FEDERATED_PRIVACY_USER' },
  federatedOptimizer: { fedavg: 'HUSH_FEDERATED_FEDAVG', fedadam: 'HUSH_FEDERATED_FEDADAM' },
  p2pRole: { bank: 'HUSH_P2P_BANK', applicant: 'HUSH_P2P_APPLICANT' },
  p2pLink: { none: 'HUSH_P2P_LINK_NONE', relay: 'HUSH_P2P_LINK_RELAY', direct: 'HUSH_P2P_LINK_DIRECT' },
  p2pSignal: { offer: 'HUSH_P2P_SIGNAL_OFFER', answer: 'HUSH_P2P_SIGNAL_ANSWER', candidate: 'HUSH_P2P_SIGNAL_CANDIDATE',
    bye: 'HUSH_P2P_SIGNAL_BYE' },
});

// The key of a handle's cell: { ptr, release, what, rt, ...extra pointers }. A symbol, so it is
// neither enumerable nor part of a class's public surface.
export const CELL = Symbol('hush.cell');

export class Runtime {
  constructor(module, { simd }) {
    this.M = module;
    this.simd = simd;
    this.C = this.#readConstants();
    this.statusNames = {};
    for (const [k, v] of Object.entries(this.C)) {
      if (/^HUSH_(OK|E[A-Z]+)$/.test(k)) this.statusNames[v] = k;
    }
    // The held value is a handle's cell, never the handle itself.
    this.registry = new FinalizationRegistry((cell) => releaseCell(cell));
  }

  #readConstants() {
    const M = this.M;
    // Before the table exists the width of size_t is unknown: the written length is read from a
    // zeroed 8-byte block, whose low 4 bytes hold it on wasm32 and wasm64 alike (little-endian).
    for (let cap = 4096; ; cap *= 2) {
      const buf = M._malloc(cap);
      const wp = M._malloc(U64);
      try {
        M.HEAPU8.fill(0, wp, wp + U64);
        const rc = M._hush_wasm_constants(buf, cap, wp);
        if (rc === 0) return JSON.parse(decoder.decode(this.u8.slice(buf, buf + Number(new DataView(this.buffer).getBigUint64(wp, true)))));
        if (cap > 1 << 20) throw new HushError('HUSH_ERANGE', 'constants table too large', rc);
      } finally {
        M._free(buf);
        M._free(wp);
      }
    }
  }

  get u8() { return this.M.HEAPU8; }
  get buffer() { return this.M.HEAPU8.buffer; }
  get dv() { return new DataView(this.M.HEAPU8.buffer); }
  f32(ptr, n) { return new Float32Array(this.buffer, ptr, n); }
  u32(ptr, n) { return new Uint32Array(this.buffer, ptr, n); }
  f64(ptr, n) { return new Float64Array(this.buffer, ptr, n); }
  u64(ptr, n) { return new BigUint64Array(this.buffer, ptr, n); }
  bytes(ptr, n) { return this.u8.slice(ptr, ptr + n); }
  u32At(ptr) { return this.dv.getUint32(ptr, true); }
  i32At(ptr) { return this.dv.getInt32(ptr, true); }
  f32At(ptr) { return this.dv.getFloat32(ptr, true); }
  f64At(ptr) { return this.dv.getFloat64(ptr, true); }
  // A uint64_t as a Number (counts and byte totals: exact below 2^53).
  u64At(ptr) { return Number(this.dv.getBigUint64(ptr, true)); }
  setU32(ptr, v) { this.dv.setUint32(ptr, v, true); }
  setI32(ptr, v) { this.dv.setInt32(ptr, v, true); }
  setF32(ptr, v) { this.dv.setFloat32(ptr, v, true); }
  setF64(ptr, v) { this.dv.setFloat64(ptr, v, true); }
  setU64(ptr, v) { this.dv.setBigUint64(ptr, BigInt(v), true); }
  // Pointers and size_t at the widths the constants table gives.
  ptrAt(ptr) { return this.C.sizeof_pointer === U64 ? Number(this.dv.getBigUint64(ptr, true)) : this.dv.getUint32(ptr, true); }
  setPtr(ptr, v) {
    if (this.C.sizeof_pointer === U64) this.dv.setBigUint64(ptr, BigInt(v), true);
    else this.dv.setUint32(ptr, v, true);
  }
  sizeAt(ptr) { return this.C.sizeof_size_t === U64 ? Number(this.dv.getBigUint64(ptr, true)) : this.dv.getUint32(ptr, true); }
  setSize(ptr, v) {
    if (this.C.sizeof_size_t === U64) this.dv.setBigUint64(ptr, BigInt(v), true);
    else this.dv.setUint32(ptr, v, true);
  }
  // A field of a C struct at base: f is the name after offsetof_ in the constants table
  // ("hush_train_config_epochs").
  at(base, f) {
    const off = this.C[`offsetof_${f}`];
    if (off === undefined) throw this.fail('HUSH_ESTATE', `the constants table has no offsetof_${f}`);
    return base + off;
  }
  cstring(ptr) { return ptr ? this.M.UTF8ToString(ptr) : null; }

  statusName(rc) { return this.cstring(this.M._hush_status_name(rc)); }
  strerror(rc) { return this.cstring(this.M._hush_strerror(rc)); }

  error(rc, what) {
    return new HushError(this.statusName(rc), `${what}: ${this.strerror(rc)}`, rc);
  }
  // An error JS detects before calling C, reported with the same status C would use.
  fail(statusName, message) {
    const rc = this.C[statusName];
    return new HushError(this.statusName(rc), message, rc);
  }
  check(rc, what) {
    if (rc !== 0) throw this.error(rc, what);
  }
  // e as a HushError: itself if it is one, else a HushError with statusName that keeps e as its
  // cause (a platform error: a file, IndexedDB, a socket).
  wrap(e, statusName, what) {
    if (e instanceof HushError) return e;
    const h = this.fail(statusName, `${what}: ${e && e.message ? e.message : String(e)}`);
    h.cause = e;
    return h;
  }

  // ---- argument validators: one wording, one status (HUSH_EARG) for every module ----

  // A number in [min, max] (open: > min), finite unless allowInfinity.
  num(v, what, { min = -Infinity, max = Infinity, open = false, finite = true } = {}) {
    if (typeof v !== 'number' || Number.isNaN(v) || (finite && !Number.isFinite(v)) || v > max || (open ? v <= min : v < min)) {
      const lo = min === -Infinity ? '' : ` ${open ? '>' : '>='} ${min}`;
      const hi = max === Infinity ? '' : `${lo ? ' and' : ''} <= ${max}`;
      throw this.fail('HUSH_EARG', `${what} must be a ${finite ? 'finite ' : ''}number${lo}${hi}`);
    }
    return v;
  }
  // An integer in [min, max] (default: a uint32_t).
  uint(v, what, { min = 0, max = 0xffffffff } = {}) {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw this.fail('HUSH_EARG', `${what} must be an integer in [${min}, ${max}]`);
    }
    return v;
  }
  // A safe integer >= min (counts that may exceed 32 bits).
  count(v, what, { min = 1 } = {}) {
    if (!Number.isSafeInteger(v) || v < min) throw this.fail('HUSH_EARG', `${what} must be an integer >= ${min}`);
    return v;
  }
  // Bytes as a Uint8Array view (a Uint8Array, an ArrayBuffer or any typed array), of exactly len
  // bytes if given.
  byteArg(b, what, len) {
    let v;
    if (b instanceof Uint8Array) v = b;
    else if (b instanceof ArrayBuffer) v = new Uint8Array(b);
    else if (ArrayBuffer.isView(b)) v = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    else throw this.fail('HUSH_EARG', `${what} must be a Uint8Array`);
    if (len !== undefined && v.length !== len) throw this.fail('HUSH_EARG', `${what} must be ${len} bytes`);
    return v;
  }
  // A Uint32Array (copied from an array or another typed array).
  u32Arg(v, what) {
    if (v instanceof Uint32Array) return v;
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw this.fail('HUSH_EARG', `${what} must be a Uint32Array`);
    return Uint32Array.from(v);
  }
  // The C value of name in ENUMS[kind]; HUSH_EARG naming the choices otherwise.
  enumOf(kind, name, what = kind) {
    const table = ENUMS[kind];
    const key = Object.hasOwn(table, name) ? table[name] : undefined;
    if (key === undefined) {
      throw this.fail('HUSH_EARG', `unknown ${what} '${name}' (${Object.keys(table).join(', ')})`);
    }
    return this.C[key];
  }
  // The name of the C value v in ENUMS[kind], or undefined.
  enumName(kind, v) {
    const table = ENUMS[kind];
    return Object.keys(table).find((k) => this.C[table[k]] === v);
  }

  scope() { return new Scope(this); }
  // Runs fn(scope) and releases the scope whatever happens.
  with(fn) {
    const s = new Scope(this);
    try {
      return fn(s);
    } finally {
      s.release();
    }
  }

  // u64 seed from a number or bigint -> [lo, hi] u32 halves; undefined/null -> null (random).
  seedParts(seed, what = 'seed') {
    if (seed === undefined || seed === null) return null;
    let v;
    if (typeof seed === 'bigint') v = seed;
    else if (typeof seed === 'number' && Number.isSafeInteger(seed)) v = BigInt(seed);
    else throw this.fail('HUSH_EARG', `${what} must be an integer number or a bigint`);
    if (v < 0n || v > U64_MAX) throw this.fail('HUSH_EARG', `${what} must be in [0, 2^64)`);
    return [Number(v & 0xffffffffn), Number(v >> 32n)];
  }

  // Fills the hush_rng at rngPtr with the canonical named stream of `seed`, or OS randomness.
  seedStream(rngPtr, seed, name, s) {
    const parts = this.seedParts(seed);
    if (parts === null) {
      this.check(this.M._hush_rng_init_random(rngPtr), 'rng');
    } else {
      this.check(this.M._hush_wasm_rng_stream(rngPtr, parts[0], parts[1], s.string(name)), 'rng');
    }
  }

  parseError(rc, what, errPtr) {
    const line = this.sizeAt(this.at(errPtr, 'hush_parse_error_line'));
    const offset = this.sizeAt(this.at(errPtr, 'hush_parse_error_offset'));
    const msg = this.cstring(this.at(errPtr, 'hush_parse_error_msg')) || this.strerror(rc);
    const where = /\b(line|offset)\b/.test(msg) ? '' : line ? `line ${line}: ` : `offset ${offset}: `;
    return new HushParseError(this.statusName(rc), `${what}: ${where}${msg}`, rc, { line, offset, msg });
  }
}

// Heap allocations owned by one call. release() zeroes every byte (the data may be private)
// and frees it; it is idempotent.
export class Scope {
  constructor(rt) {
    this.rt = rt;
    this.blocks = [];
  }

  alloc(bytes) {
    const n = Math.max(1, bytes);
    const ptr = this.rt.M._malloc(n);
    if (!ptr) throw this.rt.fail('HUSH_ENOMEM', `cannot allocate ${n} bytes in the wasm heap`);
    this.blocks.push([ptr, n]);
    this.rt.u8.fill(0, ptr, ptr + n);
    return ptr;
  }

  // Zeroed outputs of C's types, read back with rt.ptrAt, rt.sizeAt, rt.u32At, rt.f32At, rt.f64At,
  // rt.u64At (one value) or rt.u32, rt.f32, rt.f64, rt.u64 (n values).
  ptrOut(n = 1) { return this.alloc(n * this.rt.C.sizeof_pointer); }
  sizeOut(n = 1) { return this.alloc(n * this.rt.C.sizeof_size_t); }
  u32Out(n = 1) { return this.alloc(n * U32); }
  f32Out(n = 1) { return this.alloc(n * F32); }
  f64Out(n = 1) { return this.alloc(n * F64); }
  u64Out(n = 1) { return this.alloc(n * U64); }
  // A C struct (sizeof_<type> from the constants table), zeroed.
  struct(type) {
    const n = this.rt.C[`sizeof_${type}`];
    if (n === undefined) throw this.rt.fail('HUSH_ESTATE', `the constants table has no sizeof_${type}`);
    return this.alloc(n);
  }

  // Copies a typed array into the heap; returns its pointer.
  copy(view) {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const ptr = this.alloc(bytes.length);
    this.rt.u8.set(bytes, ptr);
    return ptr;
  }

  string(str) {
    const bytes = encoder.encode(str);
    const ptr = this.alloc(bytes.length + 1);
    this.rt.u8.set(bytes, ptr);
    return ptr;
  }

  release() {
    const { M } = this.rt;
    for (const [ptr, n] of this.blocks) {
      this.rt.u8.fill(0, ptr, ptr + n);
      M._free(ptr);
    }
    this.blocks.length = 0;
  }
}

// ---- the handle lifecycle ----

function releaseCell(cell) {
  if (!cell.ptr) return;
  const ptr = cell.ptr;
  cell.ptr = 0;
  cell.release(ptr, cell);
}

// Registers owner's cell with the instance's FinalizationRegistry (the backstop) and returns it.
// cell: { ptr, what, release(ptr, cell) }; release frees ptr and anything else the cell holds.
export function track(rt, owner, cell) {
  cell.rt = rt;
  Object.defineProperty(owner, CELL, { value: cell });
  rt.registry.register(owner, cell, owner);
  return cell;
}

// Frees owner's C object now (idempotent) and takes it off the registry.
export function untrack(owner) {
  const cell = owner[CELL];
  cell.rt.registry.unregister(owner);
  releaseCell(cell);
}

// The live pointer of owner, or HUSH_ESTATE '<what> has been freed'.
export function live(owner) {
  const cell = owner[CELL];
  if (!cell.ptr) throw cell.rt.fail('HUSH_ESTATE', `${cell.what} has been freed`);
  return cell.ptr;
}

// The base of every handle class: `handle` is the C pointer (HUSH_ESTATE once freed), `freed`
// says whether free() ran, free() releases the C object and is idempotent.
export class Handle {
  constructor(rt, what, ptr, release) {
    track(rt, this, { ptr, what, release });
  }
  get handle() { return live(this); }
  get freed() { return !this[CELL].ptr; }
  free() { untrack(this); }
}

// ---- argument conversion (no heap involved) ----

export function toFloat32(rt, x, what = 'x') {
  if (x instanceof Float32Array) return x;
  if (ArrayBuffer.isView(x)) return Float32Array.from(x);
  if (Array.isArray(x)) {
    if (x.length && (Array.isArray(x[0]) || ArrayBuffer.isView(x[0]))) {
      const out = [];
      for (const row of x) for (const v of row) out.push(v);
      return Float32Array.from(out);
    }
    return Float32Array.from(x);
  }
  throw rt.fail('HUSH_EARG', `${what} must be a Float32Array, a typed array or an array of numbers`);
}

export function toLabels(rt, y, what = 'y') {
  if (y instanceof Uint32Array) return y;
  if (!Array.isArray(y) && !ArrayBuffer.isView(y)) {
    throw rt.fail('HUSH_EARG', `${what} must be a Uint32Array or an array of labels`);
  }
  const out = new Uint32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = Number(y[i]);
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw rt.fail('HUSH_EARG', `${what}[${i}] = ${y[i]} is not a label (a non-negative integer)`);
    }
    out[i] = v;
  }
  return out;
}
