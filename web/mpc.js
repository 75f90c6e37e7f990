// hush.mpc: fixed-point secret sharing and encrypted prediction and training
// (core/include/hush/mpc.h), camelCase of the C names.
//
// Ring elements of Z_2^64 are BigUint64Array entries. The in-process drivers (predictRun,
// trainRun, their *Eval forms and run) are the C drivers, called through the exports: every
// link is an authenticated channel, secrets come from the OS unless reproducibleNoise is asked
// for, and the results carry the same keys as `hush mpc predict|train --json`. For roles in
// separate processes, a Party is the C state machine of one role: attach a hush.channel.Channel
// per peer, then move records with party.nextMessage() / party.receive(from, record).
// Shares and inputs copied into the wasm heap are zeroed when the call returns.

export function defineMpc(rt, { Model, channel }) {
  const M = rt.M;
  const C = rt.C;
  const ROLE = { dealer: C.HUSH_MPC_ROLE_DEALER, client: C.HUSH_MPC_ROLE_CLIENT };
  const STATE = {
    [C.HUSH_MPC_STATE_LINK]: 'link',
    [C.HUSH_MPC_STATE_SEND]: 'send',
    [C.HUSH_MPC_STATE_WAIT_DEALER]: 'wait-dealer',
    [C.HUSH_MPC_STATE_WAIT_PEERS]: 'wait-peers',
    [C.HUSH_MPC_STATE_WAIT_INPUT]: 'wait-input',
    [C.HUSH_MPC_STATE_WAIT_OUTPUT]: 'wait-output',
    [C.HUSH_MPC_STATE_DONE]: 'done',
  };
  const OUTPUT = { decision: C.HUSH_MPC_OUTPUT_DECISION, logits: C.HUSH_MPC_OUTPUT_LOGITS };
  const registry = new FinalizationRegistry((cell) => {
    if (cell.ptr) cell.free(cell.ptr);
    cell.ptr = 0;
  });

  const u64 = (ptr, n) => new BigUint64Array(rt.buffer, ptr, n);
  const f64 = (ptr, n) => new Float64Array(rt.buffer, ptr, n);
  const u64At = (ptr) => Number(new DataView(rt.buffer).getBigUint64(ptr, true));
  const f64At = (ptr) => new DataView(rt.buffer).getFloat64(ptr, true);

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
  function positive(v, what, def) {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < 1 || x > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a positive integer`);
    return x;
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
    throw rt.fail('HUSH_EARG', 'a record must be a Uint8Array');
  }
  function roleArg(r) {
    const v = typeof r === 'string' ? ROLE[r] : r;
    if (v === undefined || !Number.isInteger(v) || v < 0) throw rt.fail('HUSH_EARG', "role must be a party index, 'dealer' or 'client'");
    return v;
  }
  function features(x) {
    return Float32Array.from(x.length && typeof x[0] === 'object' ? x.flat() : x);
  }
  function labels(y, n) {
    const v = Uint32Array.from(y);
    if (v.length !== n) throw rt.fail('HUSH_ESHAPE', `${v.length} labels for ${n} rows`);
    return v;
  }
  function modelArg(model) {
    if (!(model instanceof Model)) throw rt.fail('HUSH_EARG', 'model must be a hush.Model');
    return model.handle;
  }

  // The secrets' rng: NULL (OS randomness) unless reproducibleNoise, then the canonical "mpc"
  // stream of seed (same draws as the CLI's --reproducible-noise).
  function noise(s, { seed, reproducibleNoise }) {
    if (!reproducibleNoise) return 0;
    if (seed === undefined || seed === null) throw rt.fail('HUSH_EARG', 'reproducibleNoise needs a seed');
    const rng = s.alloc(C.sizeof_hush_rng);
    rt.seedStream(rng, seed, 'mpc', s);
    return rng;
  }
  const clearRng = (rng) => { if (rng) M._hush_rng_clear(rng); };

  // A hush_mpc_config in the scope; layout from the constants table.
  function config(s, protocol, o) {
    const p = s.alloc(C.sizeof_hush_mpc_config);
    rt.check(M._hush_mpc_config_init(p, protocol), 'config');
    const dv = new DataView(rt.buffer);
    const set = (f, v) => dv.setUint32(p + C[`offsetof_hush_mpc_config_${f}`], v, true);
    set('n_parties', partiesArg(o.parties ?? 2));
    set('frac_bits', fracArg(o.fracBits));
    if (o.output !== undefined) {
      if (OUTPUT[o.output] === undefined) throw rt.fail('HUSH_EARG', "output must be 'decision' or 'logits'");
      set('output', OUTPUT[o.output]);
    }
    if (o.rows !== undefined) set('rows', positive(o.rows, 'rows'));
    if (protocol === C.HUSH_MPC_TRAIN) {
      set('epochs', positive(o.epochs, 'epochs', 10));
      set('batch', positive(o.batch, 'batch', 32));
      const lr = o.lr ?? 0.01;
      if (typeof lr !== 'number' || !(lr > 0)) throw rt.fail('HUSH_EARG', 'lr must be a positive number');
      dv.setFloat32(p + C.offsetof_hush_mpc_config_lr, lr, true);
      const parts = rt.seedParts(o.seed ?? 1, 'seed');
      dv.setUint32(p + C.offsetof_hush_mpc_config_shuffle_seed, parts[0], true);
      dv.setUint32(p + C.offsetof_hush_mpc_config_shuffle_seed + 4, parts[1], true);
    }
    if (o.session !== undefined) {
      const sid = bytesArg(o.session);
      if (sid.length !== C.HUSH_MPC_SESSION_BYTES) throw rt.fail('HUSH_EARG', `session must be ${C.HUSH_MPC_SESSION_BYTES} bytes`);
      rt.u8.set(sid, p + C.offsetof_hush_mpc_config_session);
    }
    return p;
  }

  // hush_mpc_stats -> the CLI's JSON keys.
  function stats(p) {
    const o = {};
    for (const k of ['bytes', 'dealer_bytes', 'handshake_bytes', 'messages', 'rounds', 'sessions', 'truncations']) {
      o[k] = u64At(p + C[`offsetof_hush_mpc_stats_${k}`]);
    }
    o.truncation_failure_probability = 0;
    return o;
  }
  const privacy = (o) => ({ private: !o.reproducibleNoise, noise: o.reproducibleNoise ? 'seed' : 'os' });

  // ---- fixed point and sharing ----

  // Doubles -> fixed point; throws HUSH_ERANGE on overflow, HUSH_ENUMERIC on NaN/inf.
  function fixedEncode(values, fracBits) {
    const f = fracArg(fracBits);
    const x = Float64Array.from(values);
    return rt.with((s) => {
      const out = s.alloc(8 * x.length);
      rt.check(M._hush_mpc_fixed_encode(out, s.copy(x), x.length, f), 'fixedEncode');
      return u64(out, x.length).slice();
    });
  }

  function fixedDecode(ring, fracBits) {
    const f = fracArg(fracBits);
    const v = ringArg(ring, 'fixedDecode input');
    return rt.with((s) => {
      const out = s.alloc(8 * v.length);
      rt.check(M._hush_mpc_fixed_decode(out, s.copy(v), v.length, f), 'fixedDecode');
      return f64(out, v.length).slice();
    });
  }

  // n additive shares of a secret vector (numbers are fixed-point encoded first). OS
  // randomness unless { seed, reproducibleNoise: true }.
  function shareSplit(values, n, opts = {}) {
    partiesArg(n);
    const sec = values instanceof BigUint64Array || values instanceof BigInt64Array ? ringArg(values, 'values') :
      fixedEncode(values, opts.fracBits);
    return rt.with((s) => {
      const rng = s.alloc(C.sizeof_hush_rng);
      const out = s.alloc(8 * n * sec.length);
      try {
        if (opts.reproducibleNoise) rt.seedStream(rng, opts.seed, 'mpc.share', s);
        else rt.check(M._hush_rng_init_random(rng), 'rng');
        rt.check(M._hush_mpc_share_split(rng, out, n, s.copy(sec), sec.length), 'shareSplit');
      } finally {
        M._hush_rng_clear(rng);
      }
      const all = u64(out, n * sec.length);
      return Array.from({ length: n }, (_, i) => all.slice(i * sec.length, (i + 1) * sec.length));
    });
  }

  function shareReconstruct(shares) {
    if (!Array.isArray(shares) || shares.length < 1) throw rt.fail('HUSH_EARG', 'shareReconstruct needs an array of shares');
    const parts = shares.map((x, i) => ringArg(x, `shares[${i}]`));
    const len = parts[0].length;
    if (parts.some((p) => p.length !== len)) throw rt.fail('HUSH_ESHAPE', 'shares have different lengths');
    const flat = new BigUint64Array(parts.length * len);
    parts.forEach((p, i) => flat.set(p, i * len));
    return rt.with((s) => {
      const out = s.alloc(8 * len);
      rt.check(M._hush_mpc_share_reconstruct(out, s.copy(flat), parts.length, len), 'shareReconstruct');
      return u64(out, len).slice();
    });
  }

  // ---- handles ----

  class Handle {
    #cell;
    constructor(ptr, free, what) {
      this.#cell = { ptr, free, what };
      registry.register(this, this.#cell, this);
    }
    get handle() {
      if (!this.#cell.ptr) throw rt.fail('HUSH_ESTATE', `${this.#cell.what} has been freed`);
      return this.#cell.ptr;
    }
    free() {
      if (this.#cell.ptr) this.#cell.free(this.#cell.ptr);
      this.#cell.ptr = 0;
      registry.unregister(this);
    }
  }

  // One party's share of a model, or its public part (dealer, client): hush_mpc_model.
  class MpcModel extends Handle {
    constructor(ptr) { super(ptr, (p) => M._hush_mpc_model_free(p), 'mpc model'); }
  }

  // Splits a trained Model into `parties` shares (OS randomness unless reproducibleNoise).
  function modelShare(model, parties = 2, opts = {}) {
    const m = modelArg(model);
    const n = partiesArg(parties);
    const f = fracArg(opts.fracBits);
    return rt.with((s) => {
      const out = s.alloc(4 * n);
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_model_share(out, n, rng, m, f, 0), 'modelShare');
      } finally {
        clearRng(rng);
      }
      return Array.from(rt.u32(out, n), (p) => new MpcModel(p));
    });
  }

  // The public part (architecture, input standardisation), for the dealer and the client.
  function modelPublic(model) {
    const m = modelArg(model);
    return rt.with((s) => {
      const out = s.alloc(4);
      rt.check(M._hush_mpc_model_public(out, m, 0), 'modelPublic');
      return new MpcModel(rt.u32At(out));
    });
  }

  // The session ids a role has used; a Party created with it refuses a repeat (HUSH_ESTATE).
  class Guard extends Handle {
    constructor(capacity = 1024) {
      const ptr = rt.with((s) => {
        const out = s.alloc(4);
        rt.check(M._hush_mpc_guard_create(out, positive(capacity, 'capacity'), 0), 'guard');
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_mpc_guard_free(p), 'guard');
    }
    add(session) {
      const b = bytesArg(session);
      rt.with((s) => rt.check(M._hush_mpc_guard_add(this.handle, s.copy(b), b.length), 'guard add'));
    }
    get count() { return M._hush_mpc_guard_count(this.handle) >>> 0; }
  }

  // A fresh random session id (the client draws it and tells the other roles).
  function sessionId() {
    return rt.with((s) => {
      const rng = s.alloc(C.sizeof_hush_rng);
      const out = s.alloc(C.HUSH_MPC_SESSION_BYTES);
      try {
        rt.check(M._hush_rng_init_random(rng), 'rng');
        rt.check(M._hush_rng_bytes(rng, out, C.HUSH_MPC_SESSION_BYTES), 'rng');
      } finally {
        M._hush_rng_clear(rng);
      }
      return rt.u8.slice(out, out + C.HUSH_MPC_SESSION_BYTES);
    });
  }

  class Party extends Handle {
    #buf = 0;
    #cap = 0;
    #rows;
    #classes;
    #output;
    #channels = [];
    // opts: { role: index | 'dealer' | 'client', model: hush.mpc.Model (a share, or the public
    //         part for the dealer and the client), session (16 random bytes, agreed by all),
    //         parties = 2, fracBits = 16, rows = 1, output = 'decision' | 'logits', classes
    //         (client: the model's output size), guard, seed + reproducibleNoise (tests only) }
    constructor(opts = {}) {
      const role = roleArg(opts.role);
      if (!(opts.model instanceof MpcModel)) throw rt.fail('HUSH_EARG', 'model must be a hush.mpc.Model');
      if (opts.session === undefined) throw rt.fail('HUSH_EARG', 'a party needs the session id (hush.mpc.sessionId())');
      if (opts.guard !== undefined && !(opts.guard instanceof Guard)) throw rt.fail('HUSH_EARG', 'guard must be a hush.mpc.Guard');
      const ptr = rt.with((s) => {
        const cfg = config(s, C.HUSH_MPC_PREDICT, { ...opts, rows: opts.rows ?? 1 });
        const out = s.alloc(4);
        const rng = noise(s, opts);
        try {
          rt.check(M._hush_mpc_party_create(out, rng, cfg, role, opts.model.handle, opts.guard ? opts.guard.handle : 0, 0),
            'party');
        } finally {
          clearRng(rng);
        }
        return rt.u32At(out);
      });
      super(ptr, (p) => M._hush_mpc_party_free(p), 'party');
      this.#rows = opts.rows ?? 1;
      this.#classes = opts.classes;
      this.#output = opts.output ?? 'decision';
      this.#cap = M._hush_mpc_party_max_message(ptr) >>> 0;
      this.#buf = M._malloc(this.#cap);
      if (!this.#buf) {
        this.free();
        throw rt.fail('HUSH_ENOMEM', 'cannot allocate the message buffer');
      }
      this.role = role;
    }

    #stateSeq() {
      return rt.with((s) => {
        const seq = s.alloc(4);
        const st = M._hush_mpc_party_state(this.handle, seq);
        return [STATE[st] || 'unknown', rt.u32At(seq)];
      });
    }
    get state() { return this.#stateSeq()[0]; }
    // The sequence number the party waits for (or sends next).
    get seq() { return this.#stateSeq()[1]; }
    get done() { return this.state === 'done'; }
    get maxMessage() { return this.#cap; }

    // Links the party to a peer through an open hush.channel.Channel; the party borrows it
    // until it is freed (the channel cannot be used or freed meanwhile).
    attach(ch) {
      if (!(ch instanceof channel.api.Channel)) throw rt.fail('HUSH_EARG', 'attach needs a hush.channel.Channel');
      rt.check(M._hush_mpc_party_attach(this.handle, ch.handle), 'attach');
      channel.borrow(ch);
      this.#channels.push(ch);
    }

    // A record that arrived on the channel from role `from`. HUSH_ESTATE for a message not
    // expected yet: the party and the channel are unchanged, offer it again later.
    receive(from, record) {
      const b = bytesArg(record);
      rt.with((s) => rt.check(M._hush_mpc_party_receive(this.handle, roleArg(from), s.copy(b), b.length), 'receive'));
    }

    // The next outgoing record and its recipient ({ to, record }), or null.
    nextMessage() {
      const p = this.handle;
      return rt.with((s) => {
        const w = s.alloc(4);
        const to = s.alloc(4);
        rt.check(M._hush_mpc_party_next_message(p, to, this.#buf, this.#cap, w), 'nextMessage');
        const n = rt.u32At(w);
        if (!n) return null;
        const record = rt.u8.slice(this.#buf, this.#buf + n);
        rt.u8.fill(0, this.#buf, this.#buf + n);
        return { to: rt.u32At(to), record };
      });
    }

    // Client: the applicants' raw features (rows x inputSize).
    setInput(x) {
      const xs = features(x);
      rt.with((s) => rt.check(M._hush_mpc_party_set_input(this.handle, s.copy(xs), xs.length, 0, 0, 0, 0), 'setInput'));
    }

    // Client, when done: { decisions } and, with output 'logits', { logits }.
    result() {
      const rows = this.#rows;
      const logits = this.#output === 'logits';
      const k = this.#classes;
      if (logits && (!Number.isInteger(k) || k < 1)) throw rt.fail('HUSH_EARG', 'logits need the classes option');
      return rt.with((s) => {
        const dec = s.alloc(4 * rows);
        const lg = logits ? s.alloc(4 * rows * k) : 0;
        rt.check(M._hush_mpc_predict_result(this.handle, dec, rows, lg, logits ? rows * k : 0), 'result');
        const out = { decisions: rt.u32(dec, rows).slice() };
        if (logits) out.logits = rt.f32(lg, rows * k).slice();
        return out;
      });
    }

    free() {
      if (this.#buf) {
        rt.u8.fill(0, this.#buf, this.#buf + this.#cap);
        M._free(this.#buf);
      }
      this.#buf = 0;
      super.free();
      for (const ch of this.#channels) channel.giveBack(ch);
      this.#channels = [];
    }
  }

  // ---- the C drivers ----

  // One session among in-process roles (every compute party, the dealer and the client, none
  // attached yet): hush_mpc_run gives each a fresh identity and a channel per link. Returns the
  // stats.
  function run(roles, opts = {}) {
    if (!Array.isArray(roles) || roles.some((p) => !(p instanceof Party))) throw rt.fail('HUSH_EARG', 'run needs an array of Party');
    return rt.with((s) => {
      const arr = s.alloc(4 * roles.length);
      roles.forEach((p, i) => new DataView(rt.buffer).setUint32(arr + 4 * i, p.handle, true));
      const st = s.alloc(C.sizeof_hush_mpc_stats);
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_run(arr, roles.length, rng, st, 0), 'run');
      } finally {
        clearRng(rng);
      }
      return { ...stats(st), ...privacy(opts) };
    });
  }

  // Encrypted prediction of every row of x (raw features) among in-process roles, `batch`
  // applicants per session (default 1). { decisions, logits (output 'logits' only), rows, and
  // the stats keys of `hush mpc predict --json` }.
  function predictRun(model, x, opts = {}) {
    const m = modelArg(model);
    const xs = features(x);
    const inN = model.inputSize, k = model.outputSize;
    if (xs.length % inN || !xs.length) throw rt.fail('HUSH_ESHAPE', `x has ${xs.length} values, not rows of ${inN}`);
    const rows = xs.length / inN;
    const wantLogits = opts.output === 'logits';
    return rt.with((s) => {
      const cfg = config(s, C.HUSH_MPC_PREDICT, { ...opts, rows: opts.batch ?? 1 });
      const st = s.alloc(C.sizeof_hush_mpc_stats);
      const dec = s.alloc(4 * rows);
      const lg = wantLogits ? s.alloc(4 * rows * k) : 0;
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_predict_run(cfg, rng, st, dec, rows, lg, wantLogits ? rows * k : 0, m, s.copy(xs), xs.length, 0),
          'predictRun');
      } finally {
        clearRng(rng);
      }
      const out = { decisions: rt.u32(dec, rows).slice(), rows, ...stats(st), ...privacy(opts) };
      if (wantLogits) out.logits = rt.f32(lg, rows * k).slice();
      return out;
    });
  }

  // hush_mpc_predict_eval: encrypted against plaintext, with the keys of `hush mpc predict --json`
  // (all but the timings).
  function predictEval(model, x, y, opts = {}) {
    const m = modelArg(model);
    const xs = features(x);
    const rows = xs.length / model.inputSize;
    const ys = y === undefined || y === null ? null : labels(y, rows);
    return rt.with((s) => {
      const cfg = config(s, C.HUSH_MPC_PREDICT, { ...opts, rows: opts.batch ?? 1 });
      const rep = s.alloc(C.sizeof_hush_mpc_report);
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_predict_eval(cfg, rng, rep, m, s.copy(xs), xs.length, ys ? s.copy(ys) : 0, ys ? ys.length : 0, 0),
          'predictEval');
      } finally {
        clearRng(rng);
      }
      const st = stats(rep + C.offsetof_hush_mpc_report_stats);
      const r = (f) => f64At(rep + C[`offsetof_hush_mpc_report_${f}`]);
      const out = {
        command: 'mpc predict', rows, parties: opts.parties ?? 2, frac_bits: fracArg(opts.fracBits),
        batch: opts.batch ?? 1, output: opts.output ?? 'decision',
        decision_agreement: r('decision_agreement'), encrypted_accuracy: r('encrypted_accuracy'),
      };
      if (out.output === 'logits') out.max_abs_logit_error = r('max_abs_logit_error');
      Object.assign(out, {
        bytes_per_prediction: st.bytes / rows, dealer_bytes_per_prediction: st.dealer_bytes / rows,
        handshake_bytes_per_prediction: st.handshake_bytes / rows, rounds_per_session: st.rounds / st.sessions,
      }, st, privacy(opts));
      return out;
    });
  }

  // Encrypted SGD training of model (updated in place) on raw features x and labels y in {0, 1}.
  // Returns the stats keys.
  function trainRun(model, x, y, opts = {}) {
    const m = modelArg(model);
    const xs = features(x);
    const ys = labels(y, xs.length / model.inputSize);
    return rt.with((s) => {
      const cfg = config(s, C.HUSH_MPC_TRAIN, opts);
      const st = s.alloc(C.sizeof_hush_mpc_stats);
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_train_run(cfg, rng, st, m, s.copy(xs), xs.length, s.copy(ys), ys.length, 0), 'trainRun');
      } finally {
        clearRng(rng);
      }
      return { ...stats(st), ...privacy(opts) };
    });
  }

  // hush_mpc_train_eval: trainRun next to plaintext SGD, both evaluated on the test rows, with
  // the keys of `hush mpc train --json` (all but the timings).
  function trainEval(model, x, y, testX, testY, opts = {}) {
    const m = modelArg(model);
    const xs = features(x), ts = features(testX);
    const ys = labels(y, xs.length / model.inputSize), tys = labels(testY, ts.length / model.inputSize);
    return rt.with((s) => {
      const cfg = config(s, C.HUSH_MPC_TRAIN, opts);
      const rep = s.alloc(C.sizeof_hush_mpc_report);
      const rng = noise(s, opts);
      try {
        rt.check(M._hush_mpc_train_eval(cfg, rng, rep, m, s.copy(xs), xs.length, s.copy(ys), ys.length, s.copy(ts),
          ts.length, s.copy(tys), tys.length, 0), 'trainEval');
      } finally {
        clearRng(rng);
      }
      const st = stats(rep + C.offsetof_hush_mpc_report_stats);
      const r = (f) => f64At(rep + C[`offsetof_hush_mpc_report_${f}`]);
      const epochs = opts.epochs ?? 10;
      return {
        command: 'mpc train', parties: opts.parties ?? 2, frac_bits: fracArg(opts.fracBits), epochs,
        batch: opts.batch ?? 32, seed: opts.seed ?? 1, train_rows: ys.length, test_rows: tys.length,
        test_accuracy: r('test_accuracy'), plaintext_test_accuracy: r('plaintext_test_accuracy'),
        test_loss: r('test_loss'), plaintext_test_loss: r('plaintext_test_loss'),
        max_param_difference: r('max_param_difference'), bytes_per_epoch: st.bytes / epochs, ...st, ...privacy(opts),
      };
    });
  }

  return Object.freeze({
    DEALER: C.HUSH_MPC_ROLE_DEALER,
    CLIENT: C.HUSH_MPC_ROLE_CLIENT,
    fixedEncode, fixedDecode, shareSplit, shareReconstruct, modelShare, modelPublic, sessionId,
    Model: MpcModel, Guard, Party, run, predictRun, predictEval, trainRun, trainEval,
  });
}
