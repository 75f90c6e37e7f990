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
import { Handle } from './runtime.js';

const ROUNDS = ['AdvertiseKeys', 'ShareKeys', 'MaskedInputCollection', 'ConsistencyCheck', 'Unmasking'];

export function defineSecAgg(rt) {
  const M = rt.M;
  const C = rt.C;

  const u32 = (v, what, def) => (v === undefined && def !== undefined ? def : rt.uint(v, what));
  function bytes(v, len, what) {
    if (!(v instanceof Uint8Array)) throw rt.fail('HUSH_EARG', `${what} must be a Uint8Array${len !== undefined ? ` of ${len} bytes` : ''}`);
    return rt.byteArg(v, what, len);
  }

  // Writes a hush_secagg_config into the scope (hush_secagg_config_init, then the options).
  function config(s, o) {
    if (!o || typeof o !== 'object') throw rt.fail('HUSH_EARG', 'secure-aggregation options must be an object');
    const p = s.struct('hush_secagg_config');
    rt.check(M._hush_secagg_config_init(p, u32(o.n, 'n'), u32(o.threshold, 'threshold'), u32(o.maxCorrupt, 'maxCorrupt'),
      u32(o.dim, 'dim')), 'secagg config');
    const set = (f, v) => rt.setU32(rt.at(p, `hush_secagg_config_${f}`), v);
    set('min_honest', u32(o.minHonest, 'minHonest', 2));
    set('bits', u32(o.bits, 'bits', 32));
    set('neighbours', u32(o.neighbours, 'neighbours', 0));
    set('authenticated', o.authenticated ? 1 : 0);
    if (o.session !== undefined) {
      rt.u8.set(bytes(o.session, C.HUSH_SECAGG_SESSION_BYTES, 'session'), rt.at(p, 'hush_secagg_config_session'));
    }
    return p;
  }

  // Calls next(buf, cap, writtenPtr, toPtr) with a buffer of the handle's maximum message size.
  function take(maxSize, call, what) {
    return rt.with((s) => {
      const buf = s.alloc(maxSize);
      const lenp = s.sizeOut();
      const top = s.u32Out();
      rt.check(call(buf, maxSize, lenp, top), what);
      const len = rt.sizeAt(lenp);
      if (!len) return null;
      return { bytes: rt.bytes(buf, len), to: rt.u32At(top) };
    });
  }

  class Client extends Handle {
    // opts: the config, id, seed (32 bytes, optional: reproducible keys for this session), and in
    // the authenticated variant signSecretKey (64 bytes) and signPublicKeys (n * 32 bytes).
    constructor(opts) {
      const ptr = rt.with((s) => {
        const cfg = config(s, opts);
        const out = s.ptrOut();
        let seed = 0;
        let seedLen = 0;
        if (opts.seed !== undefined) {
          seed = s.copy(bytes(opts.seed, C.HUSH_SECAGG_SEED_BYTES, 'seed'));
          seedLen = opts.seed.length;
        }
        rt.check(M._hush_secagg_client_create(out, cfg, u32(opts.id, 'id'), seed, seedLen, 0), 'secagg.Client');
        return rt.ptrAt(out);
      });
      super(rt, 'secure-aggregation client', ptr, (p) => M._hush_secagg_client_free(p));
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
      const v = rt.u32Arg(x, 'x');
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
        const out = s.ptrOut();
        rt.check(M._hush_secagg_server_create(out, cfg, 0), 'secagg.Server');
        return rt.ptrAt(out);
      });
      super(rt, 'secure-aggregation server', ptr, (p) => M._hush_secagg_server_free(p));
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
        const sum = s.u32Out(this.dim);
        const inc = s.alloc(this.n);
        rt.check(M._hush_secagg_server_result(h, sum, this.dim, inc, this.n), 'result');
        return { sum: rt.u32(sum, this.dim).slice(), included: rt.bytes(inc, this.n) };
      });
    }
    // faults[i]: bits of constants.HUSH_SECAGG_FAULT_* noticed about client i.
    faults() {
      const h = this.handle;
      return rt.with((s) => {
        const f = s.alloc(this.n);
        rt.check(M._hush_secagg_server_faults(h, f, this.n), 'faults');
        return rt.bytes(f, this.n);
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
        x[u * dim + i] = rt.uint(v, `inputs[${u}][${i}]`);
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
      const rng = s.struct('hush_rng');
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
          o.session = rt.bytes(sess, C.HUSH_SECAGG_SESSION_BYTES);
        }
        const cfg = config(s, o);
        if (seeded) rt.seedStream(rng, opts.seed, 'secagg', s);
        const st = s.struct('hush_secagg_stats');
        const sum = s.u32Out(dim);
        const inc = s.alloc(n);
        const rc = M._hush_secagg_run(cfg, seeded ? rng : 0, st, sum, dim, inc, n, s.copy(x), x.length, s.copy(drop), n, 0, 0);
        const u32s = (f) => rt.u32At(rt.at(st, `hush_secagg_stats_${f}`));
        const u64s = (f) => rt.u64At(rt.at(st, `hush_secagg_stats_${f}`));
        if (rc !== 0) {
          const r = u32s('aborted_round');
          if (r <= C.HUSH_SECAGG_ROUND_UNMASK) {
            throw rt.error(rc, `secure aggregation aborted in round ${r} (${ROUNDS[r]}): ${u32s('remaining')} of ${n} clients remain, threshold ${o.threshold}`);
          }
          throw rt.error(rc, 'secure aggregation');
        }
        const cf = (f) => rt.u32At(rt.at(cfg, `hush_secagg_config_${f}`));
        return {
          sum: rt.u32(sum, dim).slice(),
          included: rt.bytes(inc, n),
          clients: n,
          survivors: u32s('survivors'),
          dim,
          threshold: cf('threshold'),
          max_corrupt: cf('max_corrupt'),
          min_honest: cf('min_honest'),
          bits: cf('bits'),
          neighbours: (M._hush_secagg_neighbourhood_size(cfg) >>> 0) - 1,
          authenticated: cf('authenticated') === 1,
          messages: u64s('messages'),
          bytes_up_per_client: u64s('max_client_bytes_up'),
          bytes_down_per_client: u64s('max_client_bytes_down'),
          faulty: u32s('faulty'),
          ms: (globalThis.performance ? performance.now() : Date.now()) - t0,
        };
      } finally {
        if (seeded) M._hush_rng_clear(rng);
      }
    });
  }

  // hush_secagg_session_random: a fresh session id from the OS CSPRNG.
  function sessionRandom() {
    return rt.with((s) => {
      const p = s.alloc(C.HUSH_SECAGG_SESSION_BYTES);
      rt.check(M._hush_secagg_session_random(p), 'sessionRandom');
      return rt.bytes(p, C.HUSH_SECAGG_SESSION_BYTES);
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
      const out = s.u32Out(m);
      const w = s.sizeOut();
      rt.check(M._hush_secagg_neighbourhood(cfg, out, m, w, u32(client, 'client'), 0), 'neighbourhood');
      return rt.u32(out, m).slice();
    });
  }

  // Bytes a client handle and the server handle take: { client, server }.
  function memory(opts) {
    return rt.with((s) => {
      const c = s.u64Out();
      const v = s.u64Out();
      rt.check(M._hush_secagg_memory(config(s, opts), c, v), 'memory');
      return { client: rt.u64At(c), server: rt.u64At(v) };
    });
  }

  // The `hush secagg sim --inputs` text: { inputs: Uint32Array (clients * dim), clients, dim }.
  function inputsParse(text, { bits = 32 } = {}) {
    if (typeof text !== 'string') throw rt.fail('HUSH_EARG', 'inputsParse needs the text of the file');
    return rt.with((s) => {
      const src = new TextEncoder().encode(text);
      const tp = s.copy(src);
      const np = s.sizeOut();
      const dp = s.sizeOut();
      const err = s.struct('hush_parse_error');
      let rc = M._hush_secagg_inputs_parse(0, 0, np, dp, u32(bits, 'bits'), tp, src.length, err);
      if (rc !== 0) throw rt.parseError(rc, 'secagg inputs', err);
      const clients = rt.sizeAt(np);
      const dim = rt.sizeAt(dp);
      const out = s.u32Out(clients * dim);
      rc = M._hush_secagg_inputs_parse(out, clients * dim, np, dp, bits, tp, src.length, err);
      if (rc !== 0) throw rt.parseError(rc, 'secagg inputs', err);
      return { inputs: rt.u32(out, clients * dim).slice(), clients, dim };
    });
  }

  // The mask PRG, for known-answer tests.
  function prgExpand(seed, dim, bits = 32) {
    bytes(seed, C.HUSH_SECAGG_SEED_BYTES, 'seed');
    return rt.with((s) => {
      const out = s.u32Out(u32(dim, 'dim'));
      rt.check(M._hush_secagg_prg_expand(out, dim, u32(bits, 'bits'), s.copy(seed)), 'prgExpand');
      return rt.u32(out, dim).slice();
    });
  }

  // randomSession: the earlier name of sessionRandom.
  return Object.freeze({ Client, Server, run, sessionRandom, randomSession: sessionRandom, configCheck, neighbourhood, memory,
    inputsParse, prgExpand });
}
