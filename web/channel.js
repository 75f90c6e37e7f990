// hush.channel: the authenticated, encrypted channel of core/include/hush/channel.h, for links
// between browser peers (WebRTC data channels, the server's relay) and for the MPC roles.
//
//   const { publicKey, secretKey } = hush.channel.keypair();
//   const ch = new hush.channel.Channel({ side: 'initiator', session, localRole: 0,
//     peerRole: hush.mpc.DEALER, secretKey, peerPublicKey });
//   send(ch.nextMessage());                    // HELLO; then receive/nextMessage until ch.state === 'open'
//   send(ch.seal(bytes)); const payload = ch.receive(record);
//
// The C state machine does everything (the handshake, keys, counters); this file moves bytes. A
// secret key passed in is copied into the wasm heap for the call and zeroed again; the channel
// wipes its own copy once it has signed the handshake.
export function defineChannel(rt) {
  const M = rt.M;
  const C = rt.C;
  const STATE = {
    [C.HUSH_CHANNEL_STATE_HANDSHAKE]: 'handshake',
    [C.HUSH_CHANNEL_STATE_OPEN]: 'open',
    [C.HUSH_CHANNEL_STATE_CLOSED]: 'closed',
  };
  const SIDE = { initiator: C.HUSH_CHANNEL_INITIATOR, responder: C.HUSH_CHANNEL_RESPONDER };
  // Channels lent to MPC parties (hush_mpc_party_attach borrows them): count per channel.
  const lent = new WeakMap();
  const registry = new FinalizationRegistry((cell) => {
    if (cell.ptr) M._hush_channel_free(cell.ptr);
    cell.ptr = 0;
  });

  function bytesArg(b, what, len) {
    let v;
    if (b instanceof Uint8Array) v = b;
    else if (b instanceof ArrayBuffer) v = new Uint8Array(b);
    else if (ArrayBuffer.isView(b)) v = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    else throw rt.fail('HUSH_EARG', `${what} must be a Uint8Array`);
    if (len !== undefined && v.length !== len) throw rt.fail('HUSH_EARG', `${what} must be ${len} bytes`);
    return v;
  }
  function roleArg(r, what) {
    if (!Number.isInteger(r) || r < 0 || r > 0xffffffff) throw rt.fail('HUSH_EARG', `${what} must be a role number`);
    return r;
  }

  // A fresh Ed25519 identity: { publicKey, secretKey } (64-byte libsodium secret key). seed (with
  // reproducible: true, for tests only) derives it from the canonical "channel" stream.
  function keypair({ seed, reproducible = false } = {}) {
    return rt.with((s) => {
      const pk = s.alloc(C.HUSH_CHANNEL_PUBLIC_KEY_BYTES);
      const sk = s.alloc(C.HUSH_CHANNEL_SECRET_KEY_BYTES);
      let rng = 0;
      if (reproducible) {
        if (seed === undefined) throw rt.fail('HUSH_EARG', 'reproducible keys need a seed');
        rng = s.alloc(C.sizeof_hush_rng);
        rt.seedStream(rng, seed, 'channel', s);
      }
      try {
        rt.check(M._hush_channel_keypair(rng, pk, C.HUSH_CHANNEL_PUBLIC_KEY_BYTES, sk, C.HUSH_CHANNEL_SECRET_KEY_BYTES),
          'keypair');
      } finally {
        if (rng) M._hush_rng_clear(rng);
      }
      return {
        publicKey: rt.u8.slice(pk, pk + C.HUSH_CHANNEL_PUBLIC_KEY_BYTES),
        secretKey: rt.u8.slice(sk, sk + C.HUSH_CHANNEL_SECRET_KEY_BYTES),
      };
    });
  }

  class Channel {
    #cell;
    // opts: { side: 'initiator' | 'responder', session (16 bytes, agreed with the peer),
    //         localRole, peerRole (numbers both sides agree on), secretKey (own identity),
    //         peerPublicKey (the identity the peer must prove),
    //         seed + reproducibleNoise: true (tests only: the ephemeral key from a seed) }
    constructor(opts = {}) {
      const side = SIDE[opts.side];
      if (side === undefined) throw rt.fail('HUSH_EARG', "side must be 'initiator' or 'responder'");
      const session = bytesArg(opts.session, 'session', C.HUSH_CHANNEL_SESSION_BYTES);
      const sk = bytesArg(opts.secretKey, 'secretKey', C.HUSH_CHANNEL_SECRET_KEY_BYTES);
      const pk = bytesArg(opts.peerPublicKey, 'peerPublicKey', C.HUSH_CHANNEL_PUBLIC_KEY_BYTES);
      const ptr = rt.with((s) => {
        const cfg = s.alloc(C.sizeof_hush_channel_config);
        rt.check(M._hush_channel_config_init(cfg, side, s.copy(session), session.length,
          roleArg(opts.localRole, 'localRole'), roleArg(opts.peerRole, 'peerRole')), 'channel config');
        const out = s.alloc(4);
        let rng = 0;
        if (opts.reproducibleNoise) {
          rng = s.alloc(C.sizeof_hush_rng);
          rt.seedStream(rng, opts.seed, 'channel.ephemeral', s);
        }
        try {
          rt.check(M._hush_channel_create(out, rng, cfg, s.copy(sk), sk.length, s.copy(pk), pk.length, 0), 'channel');
        } finally {
          if (rng) M._hush_rng_clear(rng);
        }
        return rt.u32At(out);
      });
      this.#cell = { ptr };
      registry.register(this, this.#cell, this);
      this.localRole = opts.localRole;
      this.peerRole = opts.peerRole;
    }

    get handle() {
      if (!this.#cell.ptr) throw rt.fail('HUSH_ESTATE', 'channel has been freed');
      return this.#cell.ptr;
    }
    // 'handshake' | 'open' | 'closed' (the peer's CLOSE arrived)
    get state() { return STATE[M._hush_channel_state(this.handle)] || 'unknown'; }

    // The next handshake message to send, or null.
    nextMessage() {
      const p = this.handle;
      return rt.with((s) => {
        const out = s.alloc(C.HUSH_CHANNEL_HANDSHAKE_MAX_BYTES);
        const w = s.alloc(4);
        rt.check(M._hush_channel_next_message(p, out, C.HUSH_CHANNEL_HANDSHAKE_MAX_BYTES, w), 'nextMessage');
        const n = rt.u32At(w);
        return n ? rt.u8.slice(out, out + n) : null;
      });
    }

    // One message from the peer: null for a handshake message, the payload (a Uint8Array, empty
    // for the peer's CLOSE) for a record. Throws HushError (the channel is then unchanged).
    receive(bytes) {
      this.#mine('receive');
      const b = bytesArg(bytes, 'message');
      const p = this.handle;
      return rt.with((s) => {
        const cap = Math.max(1, b.length);
        const out = s.alloc(cap);
        const w = s.alloc(4);
        const before = this.state;
        rt.check(M._hush_channel_receive(p, out, cap, w, s.copy(b), b.length), 'receive');
        const n = rt.u32At(w);
        if (!n && before === 'handshake') return null;
        return rt.u8.slice(out, out + n);
      });
    }

    // One record carrying bytes.
    seal(bytes) {
      this.#mine('seal');
      const b = bytesArg(bytes, 'payload');
      const p = this.handle;
      return rt.with((s) => {
        const cap = b.length + C.HUSH_CHANNEL_OVERHEAD_BYTES;
        const out = s.alloc(cap);
        const w = s.alloc(4);
        rt.check(M._hush_channel_seal(p, out, cap, w, s.copy(b), b.length), 'seal');
        return rt.u8.slice(out, out + rt.u32At(w));
      });
    }

    // The CLOSE record ending this direction.
    close() {
      this.#mine('close');
      const p = this.handle;
      return rt.with((s) => {
        const out = s.alloc(C.HUSH_CHANNEL_OVERHEAD_BYTES);
        const w = s.alloc(4);
        rt.check(M._hush_channel_close(p, out, C.HUSH_CHANNEL_OVERHEAD_BYTES, w), 'close');
        return rt.u8.slice(out, out + rt.u32At(w));
      });
    }

    #mine(what) {
      if (lent.get(this)) throw rt.fail('HUSH_ESTATE', `${what}: the channel is attached to an MPC party`);
    }

    free() {
      if (lent.get(this)) throw rt.fail('HUSH_ESTATE', 'channel is attached to an MPC party: free the party first');
      if (this.#cell.ptr) M._hush_channel_free(this.#cell.ptr);
      this.#cell.ptr = 0;
      registry.unregister(this);
    }
  }

  // For hush.mpc.Party.attach and free: the party borrows the channel meanwhile.
  const borrow = (ch) => lent.set(ch, (lent.get(ch) || 0) + 1);
  const giveBack = (ch) => lent.set(ch, Math.max(0, (lent.get(ch) || 0) - 1));

  return { api: Object.freeze({ keypair, Channel }), borrow, giveBack };
}
