// The mechanical JS side of the wasm boundary: constants, status checks, heap views, and scopes
// that copy data into the heap and always zero and free it again.
//
// Rules kept here so the classes above stay simple:
//  - every number C owns (status codes, limits, struct sizes and offsets) comes from the
//    constants table exported by wasm/constants.c;
//  - heap views are rebuilt on every access, because memory growth detaches the old buffer;
//  - every temporary copied into the heap belongs to a Scope whose release() zeroes and frees
//    it, and callers release in `finally`, so success and throw both leave nothing behind.
import { HushError, HushParseError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const U64_MAX = (1n << 64n) - 1n;

export class Runtime {
  constructor(module, { simd }) {
    this.M = module;
    this.simd = simd;
    this.C = this.#readConstants();
    this.statusNames = {};
    for (const [k, v] of Object.entries(this.C)) {
      if (/^HUSH_(OK|E[A-Z]+)$/.test(k)) this.statusNames[v] = k;
    }
  }

  #readConstants() {
    const M = this.M;
    for (let cap = 4096; ; cap *= 2) {
      const buf = M._malloc(cap);
      const wp = M._malloc(4);
      try {
        const rc = M._hush_wasm_constants(buf, cap, wp);
        if (rc === 0) return JSON.parse(decoder.decode(this.u8.slice(buf, buf + this.u32At(wp))));
        if (cap > 1 << 20) throw new HushError('HUSH_ERANGE', 'constants table too large', rc);
      } finally {
        M._free(buf);
        M._free(wp);
      }
    }
  }

  get u8() { return this.M.HEAPU8; }
  get buffer() { return this.M.HEAPU8.buffer; }
  f32(ptr, n) { return new Float32Array(this.buffer, ptr, n); }
  u32(ptr, n) { return new Uint32Array(this.buffer, ptr, n); }
  u32At(ptr) { return new DataView(this.buffer).getUint32(ptr, true); }
  f32At(ptr) { return new DataView(this.buffer).getFloat32(ptr, true); }
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
    const C = this.C;
    const dv = new DataView(this.buffer);
    const line = dv.getUint32(errPtr + C.offsetof_hush_parse_error_line, true);
    const offset = dv.getUint32(errPtr + C.offsetof_hush_parse_error_offset, true);
    const msg = this.cstring(errPtr + C.offsetof_hush_parse_error_msg) || this.strerror(rc);
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
