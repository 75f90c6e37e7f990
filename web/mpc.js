// hush.mpc: fixed-point secret sharing and encrypted prediction (core/include/hush/mpc.h).
//
// Ring elements of Z_2^64 are BigUint64Array entries. Every protocol role (compute party,
// dealer, client) is a Party: a C state machine driven with party.receive(bytes) and
// party.nextMessage(); the bytes can travel over any transport. mpc.predict() runs a whole
// prediction among in-process parties by shuttling bytes in JS, exactly as hush_mpc_run does
// in C (same order of random draws, so the same seed gives the same shares and results).
// Shares and inputs copied into the wasm heap are zeroed when the call returns.

export function defineMpc(rt, { Model }) {
  const M = rt.M;
  const C = rt.C;
  const ROLE = { dealer: C.HUSH_MPC_ROLE_DEALER, client: C.HUSH_MPC_ROLE_CLIENT };
  const STATE = {
    [C.HUSH_MPC_STATE_SEND]: 'send',
    [C.HUSH_MPC_STATE_WAIT_DEALER]: 'wait-dealer',
    [C.HUSH_MPC_STATE_WAIT_PEERS]: 'wait-peers',
    [C.HUSH_MPC_STATE_WAIT_INPUT]: 'wait-input',
    [C.HUSH_MPC_STATE_WAIT_OUTPUT]: 'wait-output',
    [C.HUSH_MPC_STATE_DONE]: 'done',
  };
  const KIND = {
    [C.HUSH_MPC_MSG_DEALER]: 'dealer',
    [C.HUSH_MPC_MSG_OPEN]: 'open',
    [C.HUSH_MPC_MSG_INPUT]: 'input',
    [C.HUSH_MPC_MSG_OUTPUT]: 'output',
  };

  const u64 = (ptr, n) => new BigUint64Array(rt.buffer, ptr, n);
  const f64 = (ptr, n) => new Float64Array(rt.buffer, ptr, n);

  function fracArg(f) {
    const v = f ?? C.HUSH_MPC_DEFAULT_FRAC_BITS;
    if (!Number.isInteger(v) || v < 1 || v > C.HUSH_MPC_MAX_FRAC_BITS) {
      throw rt.fail('HUSH_EARG', `fracBits must be an integer in [1, ${C.HUSH_MPC_MAX_FRAC_BITS}]`);
    }
    return v;
  }
  function partiesArg(n) {
    if (!Number.isInteger(n) || n < 2 || n > C.HUSH_MPC_MAX_PARTIES) {
      throw rt.fail('HUSH_EARG', `the number of parties must be an integer in [2, ${C.HUSH_MPC_MAX_PARTIES}]`);
    }
    return n;
  }
  function ringArg(values, what) {
    if (values instanceof BigUint64Array) return values;
    if (values instanceof BigInt64Array) return new BigUint64Array(values.buffer, values.byteOffset, values.length);
    throw rt.fail('HUSH_EARG', `${what} must be a BigUint64Array of ring elements`);
  }
  function bytesArg(b) {
    if (b instanceof Uint8Array) return b;
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw rt.fail('HUSH_EARG', 'a message must be a Uint8Array');
  }

  // Doubles -> fixed point; throws HUSH_ERANGE on overflow, HUSH_ENUMERIC on NaN/inf.
  function encode(values, fracBits) {
    const f = fracArg(fracBits);
    const x = Float64Array.from(values);
    return rt.with((s) => {
      const out = s.alloc(8 * x.length);
      rt.check(M._hush_fixed_encode(out, s.copy(x), x.length, f), 'encode');
      return u64(out, x.length).slice();
    });
  }

  function decode(ring, fracBits) {
    const f = fracArg(fracBits);
    const v = ringArg(ring, 'decode input');
    return rt.with((s) => {
      const out = s.alloc(8 * v.length);
      rt.check(M._hush_fixed_decode(out, s.copy(v), v.length, f), 'decode');
      return f64(out, v.length).slice();
    });
  }

  // n additive shares of a secret vector (numbers are fixed-point encoded first).
  function share(values, n, { fracBits, seed } = {}) {
    partiesArg(n);
    const sec = values instanceof BigUint64Array || values instanceof BigInt64Array ? ringArg(values, 'values') :
      encode(values, fracBits);
    return rt.with((s) => {
      const rng = s.alloc(C.sizeof_hush_rng);
      const out = s.alloc(8 * n * sec.length);
      try {
        rt.seedStream(rng, seed, 'mpc.share', s);
        rt.check(M._hush_share_split(out, n, s.copy(sec), sec.length, rng), 'share');
      } finally {
        M._hush_rng_clear(rng);
      }
      const all = u64(out, n * sec.length);
      return Array.from({ length: n }, (_, i) => all.slice(i * sec.length, (i + 1) * sec.length));
    });
  }

  function reconstruct(shares) {
    if (!Array.isArray(shares) || shares.length < 1) throw rt.fail('HUSH_EARG', 'reconstruct needs an array of shares');
    const parts = shares.map((x, i) => ringArg(x, `shares[${i}]`));
    const len = parts[0].length;
    if (parts.some((p) => p.length !== len)) throw rt.fail('HUSH_ESHAPE', 'shares have different lengths');
    const flat = new BigUint64Array(parts.length * len);
    parts.forEach((p, i) => flat.set(p, i * len));
    return rt.with((s) => {
      const out = s.alloc(8 * len);
      rt.check(M._hush_share_reconstruct(out, s.copy(flat), parts.length, len), 'reconstruct');
      return u64(out, len).slice();
    });
  }

  // One party's share of a model (or the public part, for the dealer and the client).
  class MpcModel {
    #ptr;
    constructor(ptr) { this.#ptr = ptr; }
    get handle() {
      if (!this.#ptr) throw rt.fail('HUSH_ESTATE', 'mpc model has been freed');
      return this.#ptr;
    }
    free() {
      if (this.#ptr) M._hush_mpc_model_free(this.#ptr);
      this.#ptr = 0;
    }
  }

  function modelArg(model) {
    if (!(model instanceof Model)) throw rt.fail('HUSH_EARG', 'model must be a hush.Model');
    return model.handle;
  }

  // Splits a trained Model into `parties` shares; also returns its public part.
  function shareModel(model, parties = 2, { fracBits, seed, rngPtr } = {}) {
    const m = modelArg(model);
    const n = partiesArg(parties);
    const f = fracArg(fracBits);
    return rt.with((s) => {
      const out = s.alloc(4 * n);
      const pub = s.alloc(4);
      let rng = rngPtr;
      if (!rng) {
        rng = s.alloc(C.sizeof_hush_rng);
        rt.seedStream(rng, seed, 'mpc', s);
      }
      try {
        rt.check(M._hush_mpc_model_share(out, n, m, f, rng, 0), 'model share');
        const shares = Array.from(rt.u32(out, n), (p) => new MpcModel(p));
        const rc = M._hush_mpc_model_public(pub, m, 0);
        if (rc !== 0) {
          shares.forEach((x) => x.free());
          throw rt.error(rc, 'model public part');
        }
        return { shares, public: new MpcModel(rt.u32At(pub)) };
      } finally {
        if (!rngPtr) M._hush_rng_clear(rng);
      }
    });
  }

  class Party {
    #p = 0;
    #buf = 0;
    #cap = 0;
    #rows;
    // opts: { role: index | 'dealer' | 'client', model: MpcModel, parties = 2, fracBits = 16,
    //         session = 0, rows = 1, seed } (seed: dealer/client randomness; omitted = OS)
    constructor(opts = {}) {
      const role = typeof opts.role === 'string' ? ROLE[opts.role] : opts.role;
      if (role === undefined || !Number.isInteger(role)) throw rt.fail('HUSH_EARG', "role must be a party index, 'dealer' or 'client'");
      if (!(opts.model instanceof MpcModel)) throw rt.fail('HUSH_EARG', 'model must be an MpcModel (from mpc.shareModel)');
      const n = partiesArg(opts.parties ?? 2);
      const rows = opts.rows ?? 1;
      if (!Number.isInteger(rows) || rows < 1) throw rt.fail('HUSH_EARG', 'rows must be a positive integer');
      this.#rows = rows;
      rt.with((s) => {
        const cfg = s.alloc(C.sizeof_hush_mpc_config);
        M._hush_mpc_config_default(cfg, C.HUSH_MPC_PREDICT);
        const dv = new DataView(rt.buffer);
        dv.setUint32(cfg + C.offsetof_hush_mpc_config_n_parties, n, true);
        dv.setUint32(cfg + C.offsetof_hush_mpc_config_frac_bits, fracArg(opts.fracBits), true);
        dv.setUint32(cfg + C.offsetof_hush_mpc_config_session, (opts.session ?? 0) >>> 0, true);
        dv.setUint32(cfg + C.offsetof_hush_mpc_config_rows, rows, true);
        const out = s.alloc(4);
        let rng = opts.rngPtr || 0;
        const own = !rng && (role === ROLE.dealer || role === ROLE.client);
        if (own) {
          rng = s.alloc(C.sizeof_hush_rng);
          rt.seedStream(rng, opts.seed, role === ROLE.dealer ? 'mpc.dealer' : 'mpc.client', s);
        }
        try {
          rt.check(M._hush_mpc_party_create(out, cfg, role, opts.model.handle, rng, 0), 'party');
        } finally {
          if (own) M._hush_rng_clear(rng);
        }
        this.#p = rt.u32At(out);
      });
      this.#cap = M._hush_mpc_party_message_bound(this.#p) >>> 0;
      this.#buf = M._malloc(this.#cap);
      if (!this.#buf) {
        this.free();
        throw rt.fail('HUSH_ENOMEM', 'cannot allocate the message buffer');
      }
      this.role = role;
      this.parties = n;
    }

    get #ptr() {
      if (!this.#p) throw rt.fail('HUSH_ESTATE', 'party has been freed');
      return this.#p;
    }
    #stateSeq() {
      return rt.with((s) => {
        const seq = s.alloc(4);
        const st = M._hush_mpc_party_state(this.#ptr, seq);
        return [STATE[st] || 'unknown', rt.u32At(seq)];
      });
    }
    get state() { return this.#stateSeq()[0]; }
    // The sequence number the party waits for (or sends next).
    get seq() { return this.#stateSeq()[1]; }
    get done() { return this.state === 'done'; }

    receive(bytes) {
      const b = bytesArg(bytes);
      rt.with((s) => rt.check(M._hush_mpc_party_receive(this.#ptr, s.copy(b), b.length), 'receive'));
    }

    // The next outgoing message (its header names the recipient), or null.
    nextMessage() {
      const p = this.#ptr;
      return rt.with((s) => {
        const w = s.alloc(4);
        rt.check(M._hush_mpc_party_next_message(p, this.#buf, this.#cap, w), 'nextMessage');
        const n = rt.u32At(w);
        if (!n) return null;
        const msg = rt.u8.slice(this.#buf, this.#buf + n);
        rt.u8.fill(0, this.#buf, this.#buf + n);
        return msg;
      });
    }

    // Client: the applicants' raw features (rows x inputSize).
    setInput(x) {
      const xs = Float32Array.from(x.length && typeof x[0] === 'object' ? x.flat() : x);
      rt.with((s) => rt.check(M._hush_mpc_party_set_input(this.#ptr, s.copy(xs), xs.length, 0, 0, 0, 0), 'setInput'));
    }

    // Client, when done: reconstructed logits and the securely computed argmax per row.
    result(classes) {
      const k = classes;
      if (!Number.isInteger(k) || k < 1) throw rt.fail('HUSH_EARG', 'result(classes) needs the number of classes');
      const rows = this.#rows;
      return rt.with((s) => {
        const lg = s.alloc(4 * rows * k);
        const dec = s.alloc(4 * rows);
        rt.check(M._hush_mpc_predict_result(this.#ptr, lg, rows * k, dec, rows), 'result');
        return { logits: rt.f32(lg, rows * k).slice(), decisions: rt.u32(dec, rows).slice() };
      });
    }
    free() {
      if (this.#buf) {
        rt.u8.fill(0, this.#buf, this.#buf + this.#cap);
        M._free(this.#buf);
      }
      if (this.#p) M._hush_mpc_party_free(this.#p);
      this.#p = this.#buf = 0;
    }

    // Header fields of a message: { kind, from, to, seq }.
    static route(bytes) {
      const b = bytesArg(bytes);
      return rt.with((s) => {
        const o = s.alloc(16);
        rt.check(M._hush_mpc_message_route(s.copy(b), b.length, o, o + 4, o + 8, o + 12), 'route');
        const [kind, from, to, seq] = rt.u32(o, 4);
        return { kind: KIND[kind], from, to, seq };
      });
    }
  }

  // Shuttles bytes among parties [0..n), a dealer and a client until all are done. Returns
  // { bytes, dealerBytes, messages, rounds }.
  function run(parties, dealer, client) {
    const n = parties.length;
    const held = new Array(n).fill(null);
    let dealerCount = 0;
    const st = { bytes: 0, dealerBytes: 0, messages: 0, rounds: 0 };
    for (;;) {
      let progress = false;
      while (dealer.state === 'send' && !held[dealerCount % n]) {
        const msg = dealer.nextMessage();
        held[dealerCount++ % n] = { msg, seq: Party.route(msg).seq };
        progress = true;
      }
      for (let k = 0; k < n; k++) {
        if (held[k] && parties[k].state === 'wait-dealer' && parties[k].seq === held[k].seq) {
          parties[k].receive(held[k].msg);
          st.bytes += held[k].msg.length;
          st.dealerBytes += held[k].msg.length;
          st.messages++;
          held[k] = null;
          progress = true;
        }
      }
      for (const p of [...parties, client]) {
        for (let msg = p.nextMessage(); msg; msg = p.nextMessage()) {
          progress = true;
          const r = Party.route(msg);
          if (r.kind === 'open') {
            if (r.from === 0) st.rounds++;
            for (let k = 0; k < n; k++) {
              if (k === r.from) continue;
              parties[k].receive(msg);
              st.bytes += msg.length;
              st.messages++;
            }
          } else if (r.kind === 'input') {
            parties[r.to].receive(msg);
            st.bytes += msg.length;
            st.messages++;
          } else if (r.kind === 'output') {
            client.receive(msg);
            st.bytes += msg.length;
            st.messages++;
          } else {
            throw rt.fail('HUSH_ESTATE', `unexpected ${r.kind} message`);
          }
        }
      }
      if ([...parties, dealer, client].every((p) => p.done)) return st;
      if (!progress) throw rt.fail('HUSH_ESTATE', 'the parties are deadlocked');
    }
  }

  // Encrypted prediction of every row of x (rows x inputSize raw features) among `parties`
  // in-process parties + dealer + client, `batch` applicants per session (default 1). Same
  // random draws as hush_mpc_predict_run with the canonical "mpc" stream of `seed`.
  function predict(model, x, { parties = 2, fracBits, batch = 1, seed } = {}) {
    const inN = model.inputSize, k = model.outputSize;
    const xs = Float32Array.from(x.length && typeof x[0] === 'object' ? x.flat() : x);
    if (xs.length % inN) throw rt.fail('HUSH_ESHAPE', `x has ${xs.length} values, not a multiple of ${inN}`);
    const rows = xs.length / inN;
    const logits = new Float32Array(rows * k);
    const decisions = new Uint32Array(rows);
    const stats = { bytes: 0, dealerBytes: 0, messages: 0, rounds: 0 };
    const s = rt.scope();
    const rng = s.alloc(C.sizeof_hush_rng);
    let sm = null;
    try {
      rt.seedStream(rng, seed, 'mpc', s);
      sm = shareModel(model, parties, { fracBits, rngPtr: rng });
      for (let r0 = 0, session = 0; r0 < rows; r0 += batch, session++) {
        const B = Math.min(batch, rows - r0);
        const common = { parties, fracBits, session, rows: B, rngPtr: rng };
        const roles = [];
        try {
          const client = new Party({ ...common, role: 'client', model: sm.public });
          roles.push(client);
          client.setInput(xs.subarray(r0 * inN, (r0 + B) * inN));
          const ps = [];
          for (let i = 0; i < parties; i++) {
            const p = new Party({ ...common, role: i, model: sm.shares[i] });
            roles.push(p);
            ps.push(p);
          }
          const dealer = new Party({ ...common, role: 'dealer', model: sm.public });
          roles.push(dealer);
          const st = run(ps, dealer, client);
          for (const key of Object.keys(stats)) stats[key] += st[key];
          const res = client.result(k);
          logits.set(res.logits, r0 * k);
          decisions.set(res.decisions, r0);
        } finally {
          roles.forEach((p) => p.free());
        }
      }
    } finally {
      if (sm) {
        sm.shares.forEach((m) => m.free());
        sm.public.free();
      }
      M._hush_rng_clear(rng);
      s.release();
    }
    return { logits, decisions, rows, ...stats };
  }

  return Object.freeze({ encode, decode, share, reconstruct, shareModel, Party, MpcModel, run, predict });
}
