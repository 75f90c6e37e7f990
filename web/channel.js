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
import { Handle } from './runtime.js';

export function defineChannel(rt) {
  const M = rt.M;
  const C = rt.C;
  // Channels lent to MPC parties (hush_mpc_party_attach borrows them): count per channel.
  const lent = new WeakMap();
  const bytesArg = (b, what, len) => rt.byteArg(b, what, len);
  const roleArg = (r, what) => rt.uint(r, what);

  // A fresh Ed25519 identity: { publicKey, secretKey } (64-byte libsodium secret key). seed (with
  // reproducible: true, for tests only) derives it from the canonical "channel" stream.
  function keypair({ seed, reproducible = false } = {}) {
    return rt.with((s) => {
      const pk = s.alloc(C.HUSH_CHANNEL_PUBLIC_KEY_BYTES);
      const sk = s.alloc(C.HUSH_CHANNEL_SECRET_KEY_BYTES);
      let rng = 0;
      if (reproducible) {
        if (seed === undefined) throw rt.fail('HUSH_EARG', 'reproducible keys need a seed');
        rng = s.struct('hush_rng');
        rt.seedStream(rng, seed, 'channel', s);
      }
      try {
        rt.check(M._hush_channel_keypair(rng, pk, C.HUSH_CHANNEL_PUBLIC_KEY_BYTES, sk, C.HUSH_CHANNEL_SECRET_KEY_BYTES),
          'keypair');
      } finally {
        if (rng) M._hush_rng_clear(rng);
      }
      return {
        publicKey: rt.bytes(pk, C.HUSH_CHANNEL_PUBLIC_KEY_BYTES),
        secretKey: rt.bytes(sk, C.HUSH_CHANNEL_SECRET_KEY_BYTES),
      };
    });
  }

  class Channel extends Handle {
    // opts: { side: 'initiator' | 'responder', session (16 bytes, agreed with the peer),
    //         localRole, peerRole (numbers both sides agree on), secretKey (own identity),
    //         peerPublicKey (the identity the peer must prove),
    //         seed + reproducibleNoise: true (tests only: the ephemeral key from a seed) }
    constructor(opts = {}) {
      const side = rt.enumOf('channelSide', opts.side, 'side');
      const session = bytesArg(opts.session, 'session', C.HUSH_CHANNEL_SESSION_BYTES);
      const sk = bytesArg(opts.secretKey, 'secretKey', C.HUSH_CHANNEL_SECRET_KEY_BYTES);
      const pk = bytesArg(opts.peerPublicKey, 'peerPublicKey', C.HUSH_CHANNEL_PUBLIC_KEY_BYTES);
      const ptr = rt.with((s) => {
        const cfg = s.struct('hush_channel_config');
        rt.check(M._hush_channel_config_init(cfg, side, s.copy(session), session.length,
          roleArg(opts.localRole, 'localRole'), roleArg(opts.peerRole, 'peerRole')), 'channel config');
        const out = s.ptrOut();
        let rng = 0;
        if (opts.reproducibleNoise) {
          rng = s.struct('hush_rng');
          rt.seedStream(rng, opts.seed, 'channel.ephemeral', s);
        }
        try {
          rt.check(M._hush_channel_create(out, rng, cfg, s.copy(sk), sk.length, s.copy(pk), pk.length, 0), 'channel');
        } finally {
          if (rng) M._hush_rng_clear(rng);
        }
        return rt.ptrAt(out);
      });
      super(rt, 'channel', ptr, (p) => M._hush_channel_free(p));
      this.localRole = opts.localRole;
      this.peerRole = opts.peerRole;
    }

    // 'handshake' | 'open' | 'closed' (the peer's CLOSE arrived)
    get state() { return rt.enumName('channelState', M._hush_channel_state(this.handle)) ?? 'unknown'; }

    // The next handshake message to send, or null.
    nextMessage() {
      const p = this.handle;
      return rt.with((s) => {
        const out = s.alloc(C.HUSH_CHANNEL_HANDSHAKE_MAX_BYTES);
        const w = s.sizeOut();
        rt.check(M._hush_channel_next_message(p, out, C.HUSH_CHANNEL_HANDSHAKE_MAX_BYTES, w), 'nextMessage');
        const n = rt.sizeAt(w);
        return n ? rt.bytes(out, n) : null;
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
        const w = s.sizeOut();
        const before = this.state;
        rt.check(M._hush_channel_receive(p, out, cap, w, s.copy(b), b.length), 'receive');
        const n = rt.sizeAt(w);
        if (!n && before === 'handshake') return null;
        return rt.bytes(out, n);
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
        const w = s.sizeOut();
        rt.check(M._hush_channel_seal(p, out, cap, w, s.copy(b), b.length), 'seal');
        return rt.bytes(out, rt.sizeAt(w));
      });
    }

    // The CLOSE record ending this direction.
    close() {
      this.#mine('close');
      const p = this.handle;
      return rt.with((s) => {
        const out = s.alloc(C.HUSH_CHANNEL_OVERHEAD_BYTES);
        const w = s.sizeOut();
        rt.check(M._hush_channel_close(p, out, C.HUSH_CHANNEL_OVERHEAD_BYTES, w), 'close');
        return rt.bytes(out, rt.sizeAt(w));
      });
    }

    #mine(what) {
      if (lent.get(this)) throw rt.fail('HUSH_ESTATE', `${what}: the channel is attached to an MPC party`);
    }

    free() {
      if (lent.get(this)) throw rt.fail('HUSH_ESTATE', 'channel is attached to an MPC party: free the party first');
      super.free();
    }
  }

  // For hush.mpc.Party.attach and free: the party borrows the channel meanwhile.
  const borrow = (ch) => lent.set(ch, (lent.get(ch) || 0) + 1);
  const giveBack = (ch) => lent.set(ch, Math.max(0, (lent.get(ch) || 0) - 1));

  return { api: Object.freeze({ keypair, Channel }), borrow, giveBack };
}
