// hush.SecAggClient / hush.SecAggServer: the C secure-aggregation state machines
// (core/include/hush/secagg.h) behind bytes-in, bytes-out methods. The JS server is for tests
// and peer-to-peer rounds; the production aggregator runs the same C natively.
//
// Secrets (key pairs, shares, the input) never leave the wasm heap; free() wipes them (the C
// side zeroes the whole handle). Inputs are copied in through a scope that zeroes its copy.
export function defineSecAgg(rt) {
  const M = rt.M;
  const C = rt.C;
  const registry = new FinalizationRegistry((cell) => {
    if (cell.ptr) cell.free(cell.ptr);
    cell.ptr = 0;
  });

  function u32(v, what, def) {
    if (v === undefined) return def;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a non-negative integer`);
    return v;
  }

  // Writes a hush_secagg_config into the scope; layout from the constants table.
  function config(s, o) {
    const p = s.alloc(C.sizeof_hush_secagg_config);
    const dv = new DataView(rt.buffer);
    const set = (f, v) => dv.setUint32(p + C[`offsetof_hush_secagg_config_${f}`], v, true);
    set('n', u32(o.n, 'n'));
    set('threshold', u32(o.threshold, 'threshold'));
    set('bits', u32(o.bits, 'bits', 32));
    set('dim', u32(o.dim, 'dim'));
    set('neighbours', u32(o.neighbours, 'neighbours', 0));
    set('authenticated', o.authenticated ? 1 : 0);
    if (o.session !== undefined) {
      if (!(o.session instanceof Uint8Array) || o.session.length !== C.HUSH_SECAGG_SESSIONBYTES) {
        throw rt.fail('HUSH_EARG', `session must be a Uint8Array of ${C.HUSH_SECAGG_SESSIONBYTES} bytes`);
      }
      rt.u8.set(o.session, p + C.offsetof_hush_secagg_config_session);
    }
    return p;
  }

  class Handle {
    #cell;
    constructor(ptr, free) {
      this.#cell = { ptr, free };
      registry.register(this, this.#cell, this);
    }
    get handle() {
      if (!this.#cell.ptr) throw rt.fail('HUSH_ESTATE', 'secure-aggregation handle has been freed');
      return this.#cell.ptr;
    }
    free() {
      if (this.#cell.ptr) this.#cell.free(this.#cell.ptr);
      this.#cell.ptr = 0;
      registry.unregister(this);
    }
  }

  // Calls next(ptr, cap, lenPtr[, toPtr]) with a buffer of the handle's maximum message size.
  function take(maxSize, call, what) {
    return rt.with((s) => {
      const cap = maxSize;
      const buf = s.alloc(cap);
      const lenp = s.alloc(8);
      const top = s.alloc(4);
      rt.check(call(buf, cap, lenp, top), what);
      const len = rt.u32At(lenp);
      if (!len) return null;
      return { bytes: rt.u8.slice(buf, buf + len), to: rt.u32At(top) };
    });
  }

  class SecAggClient extends Handle {
    // opts: { n, threshold, dim, bits = 32, neighbours = 0, session, id, seed (32-byte Uint8Array,
    // optional: reproducible keys), signSecretKey, signPublicKeys (authenticated variant) }
    constructor(opts) {
      const ptr = rt.with((s) => {
        const cfg = config(s, opts);
        const out = s.alloc(4);
        let seed = 0, seedLen = 0;
        if (opts.seed !== undefined) {
          if (!(opts.seed instanceof Uint8Array) || opts.seed.length !== C.HUSH_SECAGG_SEEDBYTES) {
            throw rt.fail('HUSH_EARG', `seed must be a Uint8Array of ${C.HUSH_SECAGG_SEEDBYTES} bytes`);
          }
          seed = s.copy(opts.seed);
          seedLen = opts.seed.length;
        }
        rt.check(M._hush_secagg_client_create(out, cfg, u32(opts.id, 'id'), seed, seedLen, 0), 'SecAggClient');
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_secagg_client_free(p));
      if (opts.authenticated) {
        try {
          rt.with((s) => {
            const sk = s.copy(opts.signSecretKey), pks = s.copy(opts.signPublicKeys);
            rt.check(M._hush_secagg_client_set_identity(this.handle, sk, opts.signSecretKey.length, pks,
              opts.signPublicKeys.length), 'SecAggClient identity');
          });
        } catch (e) {
          this.free();
          throw e;
        }
      }
    }
    setInput(x) {
      const v = x instanceof Uint32Array ? x : Uint32Array.from(x);
      rt.with((s) => rt.check(M._hush_secagg_client_set_input(this.handle, s.copy(v), v.length), 'setInput'));
    }
    receive(bytes) {
      rt.with((s) => rt.check(M._hush_secagg_client_receive(this.handle, s.copy(bytes), bytes.length), 'receive'));
    }
    // The pending message (Uint8Array) or null.
    nextMessage() {
      const h = this.handle;
      const r = take(M._hush_secagg_client_max_message(h) >>> 0,
        (buf, cap, lenp) => M._hush_secagg_client_next_message(h, buf, cap, lenp), 'nextMessage');
      return r ? r.bytes : null;
    }
    get round() { return M._hush_secagg_client_round(this.handle); }
  }

  class SecAggServer extends Handle {
    constructor(opts) {
      const ptr = rt.with((s) => {
        const cfg = config(s, opts);
        const out = s.alloc(4);
        rt.check(M._hush_secagg_server_create(out, cfg, 0), 'SecAggServer');
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_secagg_server_free(p));
      this.dim = opts.dim;
      this.n = opts.n;
    }
    receive(bytes) {
      rt.with((s) => rt.check(M._hush_secagg_server_receive(this.handle, s.copy(bytes), bytes.length), 'receive'));
    }
    endRound() { rt.check(M._hush_secagg_server_end_round(this.handle), 'endRound'); }
    // { to, bytes } or null when nothing is queued.
    nextMessage() {
      const h = this.handle;
      return take(M._hush_secagg_server_max_message(h) >>> 0,
        (buf, cap, lenp, top) => M._hush_secagg_server_next_message(h, top, buf, cap, lenp), 'nextMessage');
    }
    get round() { return M._hush_secagg_server_round(this.handle); }
    count(round) { return M._hush_secagg_server_count(this.handle, round) >>> 0; }
    // { sum: Uint32Array, included: Uint8Array }
    result() {
      const h = this.handle;
      return rt.with((s) => {
        const sum = s.alloc(4 * this.dim), inc = s.alloc(this.n);
        rt.check(M._hush_secagg_server_result(h, sum, this.dim, inc, this.n), 'result');
        return { sum: rt.u32(sum, this.dim).slice(), included: rt.u8.slice(inc, inc + this.n) };
      });
    }
  }

  // The mask PRG, for known-answer tests.
  function prgExpand(seed, dim, bits = 32) {
    return rt.with((s) => {
      const out = s.alloc(4 * dim);
      rt.check(M._hush_secagg_prg_expand(out, dim, bits, s.copy(seed)), 'prgExpand');
      return rt.u32(out, dim).slice();
    });
  }

  return { SecAggClient, SecAggServer, prgExpand };
}
