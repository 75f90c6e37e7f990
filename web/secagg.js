// hush.secagg: the C secure-aggregation module (core/include/hush/secagg.h) in JS, name for name.
//   new hush.secagg.Client(opts) / new hush.secagg.Server(opts)   the two state machines: bytes in
//                                   (receive), bytes out (nextMessage), over any transport
//   hush.secagg.run(opts)           a whole round in process (hush_secagg_run); its result keys are
//                                   the keys of `hush secagg sim --json`
//   hush.secagg.randomSession()     a fresh session id; configCheck, neighbourhood, memory,
//                                   inputsParse, prgExpand as in C
//
// Options are the C config in camelCase: n, threshold, maxCorrupt (required: the corrupt clients
// you tolerate), minHonest (2), dim, bits (32), neighbours (0), authenticated, session. Secrets
// (key pairs, shares, the input) never leave the wasm heap; free() wipes them (the C side zeroes
// the whole handle) and every call after it throws HUSH_ESTATE. Inputs are copied in through a
// scope that zeroes its copy.
const ROUNDS = ['AdvertiseKeys', 'ShareKeys', 'MaskedInputCollection', 'ConsistencyCheck', 'Unmasking'];

export function defineSecAgg(rt) {
  const M = rt.M;
  const C = rt.C;
  const registry = new FinalizationRegistry((cell) => {
    if (cell.ptr) cell.free(cell.ptr);
    cell.ptr = 0;
  });

  function u32(v, what, def) {
    if (v === undefined && def !== undefined) return def;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
    return v;
  }
  function bytes(v, len, what) {
    if (!(v instanceof Uint8Array) || (len !== undefined && v.length !== len)) {
      throw rt.fail('HUSH_EARG', `${what} must be a Uint8Array${len !== undefined ? ` of ${len} bytes` : ''}`);
    }
    return v;
  }

  // Writes a hush_secagg_config into the scope (hush_secagg_config_init, then the options).
  function config(s, o) {
    if (!o || typeof o !== 'object') throw rt.fail('HUSH_EARG', 'secure-aggregation options must be an object');
    const p = s.alloc(C.sizeof_hush_secagg_config);
    rt.check(M._hush_secagg_config_init(p, u32(o.n, 'n'), u32(o.threshold, 'threshold'), u32(o.maxCorrupt, 'maxCorrupt'),
      u32(o.dim, 'dim')), 'secagg config');
    const dv = new DataView(rt.buffer);
    const set = (f, v) => dv.setUint32(p + C[`offsetof_hush_secagg_config_${f}`], v, true);
    set('min_honest', u32(o.minHonest, 'minHonest', 2));
    set('bits', u32(o.bits, 'bits', 32));
    set('neighbours', u32(o.neighbours, 'neighbours', 0));
    set('authenticated', o.authenticated ? 1 : 0);
    if (o.session !== undefined) {
      rt.u8.set(bytes(o.session, C.HUSH_SECAGG_SESSION_BYTES, 'session'), p + C.offsetof_hush_secagg_config_session);
    }
    return p;
  }

  class Handle {
    #cell;
    #what;
    constructor(ptr, free, what) {
      this.#cell = { ptr, free };
      this.#what = what;
      registry.register(this, this.#cell, this);
    }
    get handle() {
      if (!this.#cell.ptr) throw rt.fail('HUSH_ESTATE', `secure-aggregation ${this.#what} has been freed`);
      return this.#cell.ptr;
    }
    get freed() { return !this.#cell.ptr; }
    free() {
      if (this.#cell.ptr) this.#cell.free(this.#cell.ptr);
      this.#cell.ptr = 0;
      registry.unregister(this);
    }
  }

  // Calls next(buf, cap, writtenPtr, toPtr) with a buffer of the handle's maximum message size.
  function take(maxSize, call, what) {
    return rt.with((s) => {
      const buf = s.alloc(maxSize);
      const lenp = s.alloc(C.sizeof_size_t);
      const top = s.alloc(4);
      rt.check(call(buf, maxSize, lenp, top), what);
      const len = rt.u32At(lenp);
      if (!len) return null;
      return { bytes: rt.u8.slice(buf, buf + len), to: rt.u32At(top) };
    });
  }

  class Client extends Handle {
    // opts: the config, id, seed (32 bytes, optional: reproducible keys for this session), and in
    // the authenticated variant signSecretKey (64 bytes) and signPublicKeys (n * 32 bytes).
    constructor(opts) {
      const ptr = rt.with((s) => {
        const cfg = config(s, opts);
        const out = s.alloc(4);
        let seed = 0;
        let seedLen = 0;
        if (opts.seed !== undefined) {
          seed = s.copy(bytes(opts.seed, C.HUSH_SECAGG_SEED_BYTES, 'seed'));
          seedLen = opts.seed.length;
        }
        rt.check(M._hush_secagg_client_create(out, cfg, u32(opts.id, 'id'), seed, seedLen, 0), 'secagg.Client');
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_secagg_client_free(p), 'client');
      if (opts.signSecretKey !== undefined || opts.signPublicKeys !== undefined) {
        try {
          this.setIdentity(opts.signSecretKey, opts.signPublicKeys);
        } catch (e) {
          this.free();
          throw e;
        }
      }
    }
    setIdentity(signSecretKey, signPublicKeys) {
      const h = this.handle;
      bytes(signSecretKey, undefined, 'signSecretKey');
      bytes(signPublicKeys, undefined, 'signPublicKeys');
      rt.with((s) => rt.check(M._hush_secagg_client_set_identity(h, s.copy(signSecretKey), signSecretKey.length,
        s.copy(signPublicKeys), signPublicKeys.length), 'setIdentity'));
    }
    setInput(x) {
      const h = this.handle;
      const v = x instanceof Uint32Array ? x : Uint32Array.from(x);
      rt.with((s) => rt.check(M._hush_secagg_client_set_input(h, s.copy(v), v.length), 'setInput'));
    }
    receive(message) {
      const h = this.handle;
      bytes(message, undefined, 'message');
      rt.with((s) => rt.check(M._hush_secagg_client_receive(h, s.copy(message), message.length), 'receive'));
    }
    // The pending message (Uint8Array) or null.
    nextMessage() {
      const h = this.handle;
      const r = take(M._hush_secagg_client_max_message(h) >>> 0,
        (buf, cap, lenp) => M._hush_secagg_client_next_message(h, buf, cap, lenp), 'nextMessage');
      return r ? r.bytes : null;
    }
    // 0..4, or constants.HUSH_SECAGG_DONE / HUSH_SECAGG_ABORTED.
    get round() { return M._hush_secagg_client_round(this.handle); }
    get maxMessage() { return M._hush_secagg_client_max_message(this.handle) >>> 0; }
  }

  class Server extends Handle {
    // opts: the config, and signPublicKeys (n * 32 bytes) in the authenticated variant.
    constructor(opts) {
      const ptr = rt.with((s) => {
        const cfg = config(s, opts);
        const out = s.alloc(4);
        rt.check(M._hush_secagg_server_create(out, cfg, 0), 'secagg.Server');
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_secagg_server_free(p), 'server');
      this.dim = opts.dim;
      this.n = opts.n;
      if (opts.signPublicKeys !== undefined) {
        try {
          this.setIdentities(opts.signPublicKeys);
        } catch (e) {
          this.free();
          throw e;
        }
      }
    }
    setIdentities(signPublicKeys) {
      const h = this.handle;
      bytes(signPublicKeys, undefined, 'signPublicKeys');
      rt.with((s) => rt.check(M._hush_secagg_server_set_identities(h, s.copy(signPublicKeys), signPublicKeys.length),
        'setIdentities'));
    }
    receive(message) {
      const h = this.handle;
      bytes(message, undefined, 'message');
      rt.with((s) => rt.check(M._hush_secagg_server_receive(h, s.copy(message), message.length), 'receive'));
    }
    // The round's deadline: absent clients have dropped out. Throws HUSH_ESTATE / HUSH_ECRYPTO on abort.
    endRound() { rt.check(M._hush_secagg_server_end_round(this.handle), 'endRound'); }
    // { to, bytes } or null when nothing is queued.
    nextMessage() {
      const h = this.handle;
      return take(M._hush_secagg_server_max_message(h) >>> 0,
        (buf, cap, lenp, top) => M._hush_secagg_server_next_message(h, top, buf, cap, lenp), 'nextMessage');
    }
    get round() { return M._hush_secagg_server_round(this.handle); }
    get maxMessage() { return M._hush_secagg_server_max_message(this.handle) >>> 0; }
    count(round) { return M._hush_secagg_server_count(this.handle, u32(round, 'round')) >>> 0; }
    // { sum: Uint32Array, included: Uint8Array }
    result() {
      const h = this.handle;
      return rt.with((s) => {
        const sum = s.alloc(4 * this.dim);
        const inc = s.alloc(this.n);
        rt.check(M._hush_secagg_server_result(h, sum, this.dim, inc, this.n), 'result');
        return { sum: rt.u32(sum, this.dim).slice(), included: rt.u8.slice(inc, inc + this.n) };
      });
    }
    // faults[i]: bits of constants.HUSH_SECAGG_FAULT_* noticed about client i.
    faults() {
      const h = this.handle;
      return rt.with((s) => {
        const f = s.alloc(this.n);
        rt.check(M._hush_secagg_server_faults(h, f, this.n), 'faults');
        return rt.u8.slice(f, f + this.n);
      });
    }
  }

  // Inputs as n rows: an array of rows (arrays or Uint32Arrays) or one flat Uint32Array with n given.
  function flatInputs(inputs, n) {
    if (ArrayBuffer.isView(inputs) && !(inputs instanceof DataView)) {
      const v = inputs instanceof Uint32Array ? inputs : Uint32Array.from(inputs);
      if (n === undefined || v.length % n !== 0) throw rt.fail('HUSH_EARG', 'a flat inputs array needs n dividing its length');
      return { x: v, n, dim: v.length / n };
    }
    if (!Array.isArray(inputs) || inputs.length < 2) throw rt.fail('HUSH_EARG', 'inputs must be an array of at least two rows');
    const dim = inputs[0].length;
    const x = new Uint32Array(inputs.length * dim);
    inputs.forEach((row, u) => {
      if (row.length !== dim) throw rt.fail('HUSH_ESHAPE', `inputs row ${u} has ${row.length} values, row 0 has ${dim}`);
      for (let i = 0; i < dim; i++) {
        const v = row[i];
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `inputs[${u}][${i}] is not a u32`);
        x[u * dim + i] = v;
      }
    });
    return { x, n: inputs.length, dim };
  }

  // drop: an array (n rounds) or an object { client: round }; the first round a client does not send.
  function dropRounds(drop, n) {
    const d = new Uint8Array(n).fill(C.HUSH_SECAGG_DONE);
    if (drop === undefined || drop === null) return d;
    const entries = Array.isArray(drop) ? drop.map((r, u) => [u, r]) : Object.entries(drop).map(([u, r]) => [Number(u), r]);
    for (const [u, r] of entries) {
      if (!Number.isInteger(u) || u < 0 || u >= n) throw rt.fail('HUSH_EARG', `drop: client ${u} is not below ${n}`);
      if (!Number.isInteger(r) || r < 0 || r > C.HUSH_SECAGG_DONE) throw rt.fail('HUSH_EARG', `drop: round ${r} is not 0..5`);
      d[u] = r;
    }
    return d;
  }

  // One round in process. opts: the config (n and dim default to the inputs' shape), inputs,
  // drop, seed (number or bigint: keys, identities and, unless given, the session come from the
  // canonical streams of `hush secagg sim --seed`), session. Throws HushError on an abort.
  function run(opts) {
    const { x, n, dim } = flatInputs(opts.inputs, opts.n);
    const o = { ...opts, n, dim };
    const drop = dropRounds(opts.drop, n);
    const t0 = globalThis.performance ? performance.now() : Date.now();
    return rt.with((s) => {
      const rng = s.alloc(C.sizeof_hush_rng);
      const seeded = opts.seed !== undefined && opts.seed !== null;
      try {
        if (o.session === undefined) {
          const sess = s.alloc(C.HUSH_SECAGG_SESSION_BYTES);
          if (seeded) {
            rt.seedStream(rng, opts.seed, 'secagg.session', s);
            rt.check(M._hush_rng_bytes(rng, sess, C.HUSH_SECAGG_SESSION_BYTES), 'session');
          } else {
            rt.check(M._hush_secagg_session_random(sess), 'randomSession');
          }
          o.session = rt.u8.slice(sess, sess + C.HUSH_SECAGG_SESSION_BYTES);
        }
        const cfg = config(s, o);
        if (seeded) rt.seedStream(rng, opts.seed, 'secagg', s);
        const st = s.alloc(C.sizeof_hush_secagg_stats);
        const sum = s.alloc(4 * dim);
        const inc = s.alloc(n);
        const rc = M._hush_secagg_run(cfg, seeded ? rng : 0, st, sum, dim, inc, n, s.copy(x), x.length, s.copy(drop), n, 0, 0);
        const dv = new DataView(rt.buffer);
        const f32 = (f) => dv.getUint32(st + C[`offsetof_hush_secagg_stats_${f}`], true);
        const f64 = (f) => Number(dv.getBigUint64(st + C[`offsetof_hush_secagg_stats_${f}`], true));
        if (rc !== 0) {
          const r = f32('aborted_round');
          if (r <= 4) {
            throw rt.error(rc, `secure aggregation aborted in round ${r} (${ROUNDS[r]}): ${f32('remaining')} of ${n} clients remain, threshold ${o.threshold}`);
          }
          throw rt.error(rc, 'secure aggregation');
        }
        const cv = new DataView(rt.buffer);
        const cf = (f) => cv.getUint32(cfg + C[`offsetof_hush_secagg_config_${f}`], true);
        return {
          sum: rt.u32(sum, dim).slice(),
          included: rt.u8.slice(inc, inc + n),
          clients: n,
          survivors: f32('survivors'),
          dim,
          threshold: cf('threshold'),
          max_corrupt: cf('max_corrupt'),
          min_honest: cf('min_honest'),
          bits: cf('bits'),
          neighbours: (M._hush_secagg_neighbourhood_size(cfg) >>> 0) - 1,
          authenticated: cf('authenticated') === 1,
          messages: f64('messages'),
          bytes_up_per_client: f64('max_client_bytes_up'),
          bytes_down_per_client: f64('max_client_bytes_down'),
          faulty: f32('faulty'),
          ms: (globalThis.performance ? performance.now() : Date.now()) - t0,
        };
      } finally {
        if (seeded) M._hush_rng_clear(rng);
      }
    });
  }

  function randomSession() {
    return rt.with((s) => {
      const p = s.alloc(C.HUSH_SECAGG_SESSION_BYTES);
      rt.check(M._hush_secagg_session_random(p), 'randomSession');
      return rt.u8.slice(p, p + C.HUSH_SECAGG_SESSION_BYTES);
    });
  }

  // Throws the C status (HUSH_EARG / HUSH_ERANGE) if the configuration is unusable.
  function configCheck(opts) {
    rt.with((s) => rt.check(M._hush_secagg_config_check(config(s, opts)), 'configCheck'));
  }

  // The sorted neighbourhood M(client) (self included) under opts.
  function neighbourhood(opts, client) {
    return rt.with((s) => {
      const cfg = config(s, opts);
      const m = M._hush_secagg_neighbourhood_size(cfg) >>> 0;
      if (!m) rt.check(M._hush_secagg_config_check(cfg), 'neighbourhood');
      const out = s.alloc(4 * m);
      const w = s.alloc(C.sizeof_size_t);
      rt.check(M._hush_secagg_neighbourhood(cfg, out, m, w, u32(client, 'client'), 0), 'neighbourhood');
      return rt.u32(out, m).slice();
    });
  }

  // Bytes a client handle and the server handle take: { client, server }.
  function memory(opts) {
    return rt.with((s) => {
      const c = s.alloc(8);
      const v = s.alloc(8);
      rt.check(M._hush_secagg_memory(config(s, opts), c, v), 'memory');
      const dv = new DataView(rt.buffer);
      return { client: Number(dv.getBigUint64(c, true)), server: Number(dv.getBigUint64(v, true)) };
    });
  }

  // The `hush secagg sim --inputs` text: { inputs: Uint32Array (clients * dim), clients, dim }.
  function inputsParse(text, { bits = 32 } = {}) {
    if (typeof text !== 'string') throw rt.fail('HUSH_EARG', 'inputsParse needs the text of the file');
    return rt.with((s) => {
      const src = new TextEncoder().encode(text);
      const tp = s.copy(src);
      const np = s.alloc(C.sizeof_size_t);
      const dp = s.alloc(C.sizeof_size_t);
      const err = s.alloc(C.sizeof_hush_parse_error);
      let rc = M._hush_secagg_inputs_parse(0, 0, np, dp, u32(bits, 'bits'), tp, src.length, err);
      if (rc !== 0) throw rt.parseError(rc, 'secagg inputs', err);
      const clients = rt.u32At(np);
      const dim = rt.u32At(dp);
      const out = s.alloc(4 * clients * dim);
      rc = M._hush_secagg_inputs_parse(out, clients * dim, np, dp, bits, tp, src.length, err);
      if (rc !== 0) throw rt.parseError(rc, 'secagg inputs', err);
      return { inputs: rt.u32(out, clients * dim).slice(), clients, dim };
    });
  }

  // The mask PRG, for known-answer tests.
  function prgExpand(seed, dim, bits = 32) {
    bytes(seed, C.HUSH_SECAGG_SEED_BYTES, 'seed');
    return rt.with((s) => {
      const out = s.alloc(4 * u32(dim, 'dim'));
      rt.check(M._hush_secagg_prg_expand(out, dim, u32(bits, 'bits'), s.copy(seed)), 'prgExpand');
      return rt.u32(out, dim).slice();
    });
  }

  return Object.freeze({ Client, Server, run, randomSession, configCheck, neighbourhood, memory, inputsParse, prgExpand });
}
