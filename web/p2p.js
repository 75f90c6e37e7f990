// hush.p2p: encrypted predictions between an applicant and a bank over hush-server
// (core/include/hush/p2p.h).
//
//   // the bank: serves its model; only the architecture and input standardisation are published
//   const bank = await hush.p2p.connect(url, { identity, token, role: 'bank' });
//   await bank.serve(modelFileBytes, arffHeaderText);
//   // an applicant: her features never leave her device in the clear
//   const me = await hush.p2p.connect(url, { identity, token });
//   const { schema } = await me.describe('bank');
//   const { decisions, ms, bytes, link } = await me.apply('bank', features, { rows: 1 });
//
// The protocol is the core's hush_p2p state machine (the same C as `hush mpc serve|apply`); this
// file moves WebSocket frames in and out of it, and, where the platform has RTCPeerConnection
// (browsers), opens a direct WebRTC data channel to the session's peer (web/net/rtc.js; one per
// pair of identities, reused by their later sessions) signalled through the server with signed
// offers. The channels of the core run on top of either link, so the
// relay fallback is just as end-to-end encrypted. The identity's seed enters the wasm heap only
// inside a scope that zeroes it; the state machine wipes inputs, shares and decisions itself.
import { RtcLinks, rtcAvailable } from './net/rtc.js';
import { CELL, live, track, untrack } from './runtime.js';

export function defineP2P(rt, { net, ServerSocket }) {
  const M = rt.M;
  const C = rt.C;
  const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';
  const linkName = (v) => rt.enumName('p2pLink', v);
  const releaseP2P = (ptr) => M._hush_p2p_free(ptr); // wipes its secrets
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

  async function webSocketClass(opts) {
    if (opts.WebSocket) return opts.WebSocket;
    if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
    if (isNode) return (await import(/* webpackIgnore: true */ /* @vite-ignore */ 'ws')).WebSocket;
    throw rt.fail('HUSH_EUNSUPPORTED', 'no WebSocket implementation');
  }

  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  function keyBytes(k, what) {
    const b = typeof k === 'string' && /^[0-9a-fA-F]{64}$/.test(k)
      ? Uint8Array.from(k.match(/../g), (h) => parseInt(h, 16)) : k;
    if (!(b instanceof Uint8Array) || b.length !== C.HUSH_NET_PUBLIC_KEY_BYTES) {
      throw rt.fail('HUSH_EARG', `${what} must be a 32-byte public key (or 64 hex digits)`);
    }
    return b;
  }

  function readEvent(p) {
    const o = (f) => rt.at(p, `hush_p2p_event_${f}`);
    const u = (f) => rt.u32At(o(f));
    return {
      kind: u('kind'), slot: u('slot'), rows: u('rows'), link: u('link'), signal: u('signal'), flags: u('flags'),
      code: rt.i32At(o('code')), dataLen: u('data_len'),
      bytesOut: rt.u64At(o('bytes_out')), bytesIn: rt.u64At(o('bytes_in')),
      session: hex(rt.bytes(o('session'), C.HUSH_MPC_SESSION_BYTES)),
      peer: rt.cstring(o('peer')), text: rt.cstring(o('text')),
    };
  }

  function p2pError(code, text) {
    const names = Object.keys(C).filter((k) => (k.startsWith('HUSH_P2P_E_') || k.startsWith('HUSH_NET_E_')) && C[k] === code);
    const e = code < 0 ? rt.error(code, text) : rt.fail('HUSH_ESTATE', `${text} (${names[0] || code})`);
    e.p2pCode = names[0] || String(code);
    return e;
  }

  // One participant's connection: a bank that serves, or an applicant that applies.
  // Events: 'ready', 'session' ({ slot, peer, rows, link }), 'done' ({ slot, peer, rows, link,
  // bytes }), 'failed' ({ slot, peer, code, text }), 'refused' ({ code, text }), 'close'.
  class Connection extends EventTarget {
    #sock;
    #closed = false;
    #reconnect;
    #ready;
    #fatal = null;
    #pending = new Map(); // slot -> { resolve, reject, t0, rows }
    #describing = new Map(); // bank -> [deferred]
    #banks = new Map(); // bank -> description
    #serving = null;
    #rtc = null;
    #buf = 0;
    #cap = 0;

    constructor(url, identity, opts, WS) {
      super();
      if (!(identity instanceof net.Identity)) throw rt.fail('HUSH_EARG', 'identity must come from hush.net.loadIdentity');
      const role = rt.enumOf('p2pRole', opts.role ?? 'applicant', 'role');
      this.role = opts.role ?? 'applicant';
      this.name = identity.name;
      this.publicKey = identity.publicKey;
      this.#reconnect = opts.reconnect ?? role === C.HUSH_P2P_BANK;
      const direct = opts.direct === undefined ? rtcAvailable() : !!opts.direct;
      if (direct && !rtcAvailable()) throw rt.fail('HUSH_EUNSUPPORTED', 'direct links need RTCPeerConnection');
      const ptr = identity.withSecretKey((sk, s) => {
        const cfg = s.struct('hush_p2p_config');
        rt.check(M._hush_p2p_config_init(cfg, role), 'p2p config');
        const set = (f, v) => rt.setU32(rt.at(cfg, `hush_p2p_config_${f}`), v);
        set('direct', direct ? 1 : 0);
        if (opts.maxSessions !== undefined) set('max_sessions', rt.uint(opts.maxSessions, 'maxSessions'));
        if (opts.maxRows !== undefined) set('max_rows', rt.uint(opts.maxRows, 'maxRows'));
        if (opts.frameMax !== undefined) set('frame_max', rt.uint(opts.frameMax, 'frameMax'));
        let tok = 0;
        if (opts.token !== undefined && opts.token !== null) {
          const bytes = typeof opts.token === 'string' ? hexToBytes(opts.token) : opts.token;
          if (!(bytes instanceof Uint8Array) || bytes.length !== C.HUSH_NET_TOKEN_BYTES) {
            throw rt.fail('HUSH_EARG', `token must be the ${2 * C.HUSH_NET_TOKEN_BYTES} hex digits of hush-server enroll`);
          }
          tok = s.copy(bytes);
        }
        const out = s.ptrOut();
        rt.check(M._hush_p2p_create(out, cfg, sk, s.string(identity.name), tok, 0), 'p2p');
        return rt.ptrAt(out);
      });
      track(rt, this, { ptr, what: 'connection', release: releaseP2P });
      this.#sock = new ServerSocket(WS, url, {
        before: () => {
          M._hush_p2p_reset(this.#h);
          this.#drainEvents();
        },
        message: (data) => this.#onFrame(data),
        lost: () => {
          if (this.#fatal) return false;
          // every session in progress fails with a clear reason; a bank comes back and serves again
          if (this.#live) {
            M._hush_p2p_reset(this.#h);
            this.#drainEvents();
          }
          if (this.#reconnect) return true;
          this.#fail(rt.fail('HUSH_EIO', 'the connection to the server was lost'));
          return false;
        },
        error: (e) => this.#fail(e),
      });
      try {
        for (const pin of opts.pins ?? []) {
          const pk = keyBytes(pin.publicKey, 'pin publicKey');
          rt.with((s) => rt.check(M._hush_p2p_pin(this.#h, s.string(pin.name), s.copy(pk)), 'pin'));
        }
        if (opts.dealerKey) {
          const pk = keyBytes(opts.dealerKey, 'dealerKey');
          rt.with((s) => rt.check(M._hush_p2p_pin_dealer(this.#h, s.copy(pk)), 'dealer pin'));
        }
      } catch (e) {
        this.close();
        throw e;
      }
      this.direct = direct;
      if (direct) this.#rtc = new RtcLinks(this, { sessionBytes: C.HUSH_MPC_SESSION_BYTES, ...opts.rtc });
      this.stats = { served: 0, failed: 0, rows: 0, bytes: 0 };
    }

    get connects() { return this.#sock.connects; }

    get #h() { return live(this); }
    get #live() { return !!this[CELL].ptr; }
    // The connection's lifecycle is every handle's: free() is close(); after it, HUSH_ESTATE.
    get freed() { return !this.#live; }
    free() { this.close(); }

    open() {
      this.#ready = deferred();
      this.#sock.dial();
      return this.#ready.promise;
    }

    #onFrame(data) {
      if (!(data instanceof ArrayBuffer) || !this.#live) return;
      const bytes = new Uint8Array(data);
      rt.with((s) => {
        const rc = M._hush_p2p_receive(this.#h, s.copy(bytes), bytes.length);
        if (rc !== 0) this.dispatchEvent(msgEvent('warning', { error: rt.error(rc, 'server frame') }));
      });
      this.#drainEvents();
      this.flush();
    }

    // What the core holds for the server and the direct links goes out.
    // (A direct link's last message can queue the session's END for the server: loop until both
    // are empty.)
    flush() {
      for (let moved = true; moved && this.#live;) {
        moved = false;
        const ws = this.#sock.ws;
        if (ws && ws.readyState === 1) {
          for (let f = this.#next(false); f; f = this.#next(false), moved = true) ws.send(f.bytes);
        }
        if (this.#rtc) for (let f = this.#next(true); f; f = this.#next(true), moved = true) this.#rtc.send(f.slot, f.bytes);
      }
    }

    // One frame for the server (link false) or for a direct link (link true), or null.
    #next(link) {
      return rt.with((s) => {
        const wp = s.sizeOut(), sp = s.u32Out();
        // Room for the largest frame; a longer one (HUSH_ERANGE) says how much it needs.
        let cap = M._hush_p2p_max_message(this.#h) >>> 0;
        if (cap > this.#cap) {
          if (this.#buf) M._free(this.#buf);
          this.#buf = M._malloc(cap);
          this.#cap = this.#buf ? cap : 0;
          if (!this.#buf) throw rt.fail('HUSH_ENOMEM', 'frame buffer');
        }
        cap = this.#cap;
        let rc = link ? M._hush_p2p_link_next_message(this.#h, sp, this.#buf, cap, wp) : M._hush_p2p_next_message(this.#h, this.#buf, cap, wp);
        if (rc === C.HUSH_ERANGE) {
          const need = rt.sizeAt(wp);
          M._free(this.#buf);
          this.#buf = M._malloc(need);
          this.#cap = this.#buf ? need : 0;
          if (!this.#buf) throw rt.fail('HUSH_ENOMEM', 'frame buffer');
          rc = link ? M._hush_p2p_link_next_message(this.#h, sp, this.#buf, need, wp) : M._hush_p2p_next_message(this.#h, this.#buf, need, wp);
        }
        rt.check(rc, 'next message');
        const n = rt.sizeAt(wp);
        if (!n) return null;
        const bytes = rt.bytes(this.#buf, n);
        rt.u8.fill(0, this.#buf, this.#buf + n);
        return { bytes, slot: link ? rt.u32At(sp) : 0 };
      });
    }

    #eventData(len) {
      if (!len) return new Uint8Array(0);
      return rt.with((s) => {
        const p = s.alloc(len), wp = s.sizeOut();
        rt.check(M._hush_p2p_event_data(this.#h, p, len, wp), 'event data');
        return rt.bytes(p, rt.sizeAt(wp));
      });
    }

    #drainEvents() {
      for (;;) {
        if (!this.#live) return;
        let data = null;
        const ev = rt.with((s) => {
          const p = s.struct('hush_p2p_event');
          M._hush_p2p_event_next(this.#h, p);
          return readEvent(p);
        });
        if (ev.kind === C.HUSH_P2P_EV_NONE) return;
        if (ev.dataLen) data = this.#eventData(ev.dataLen);
        this.#onEvent(ev, data);
      }
    }

    #onEvent(ev, data) {
      switch (ev.kind) {
        case C.HUSH_P2P_EV_READY:
          this.#ready?.resolve(this);
          this.dispatchEvent(msgEvent('ready', { enrolled: !!(ev.flags & 1) }));
          break;
        case C.HUSH_P2P_EV_MODEL: {
          const waiting = this.#describing.get(ev.peer) ?? [];
          this.#describing.delete(ev.peer);
          if (ev.code) {
            const err = p2pError(ev.code, `bank ${ev.peer}: ${ev.text}`);
            for (const d of waiting) d.reject(err);
            break;
          }
          const desc = this.#description(ev.peer, ev.flags);
          this.#banks.set(ev.peer, desc);
          for (const d of waiting) d.resolve(desc);
          break;
        }
        case C.HUSH_P2P_EV_SESSION: {
          const detail = { slot: ev.slot, peer: ev.peer, rows: ev.rows, link: linkName(ev.link), session: ev.session };
          const p = this.#pending.get(ev.slot);
          if (p) p.session = ev.session;
          this.dispatchEvent(msgEvent('session', detail));
          if (this.#rtc && ev.link === C.HUSH_P2P_LINK_DIRECT) this.#rtc.start(ev.slot, this.role === 'applicant', ev.peer, ev.session);
          break;
        }
        case C.HUSH_P2P_EV_SIGNAL:
          if (this.#rtc) this.#rtc.signal(ev.slot, rt.enumName('p2pSignal', ev.signal), decoder.decode(data));
          break;
        case C.HUSH_P2P_EV_DONE: {
          const bytes = ev.bytesIn + ev.bytesOut;
          this.#rtc?.end(ev.slot);
          if (this.role === 'bank') {
            this.stats.served++;
            this.stats.rows += ev.rows;
            this.stats.bytes += bytes;
          }
          const p = this.#pending.get(ev.slot);
          let decisions = null;
          if (p) {
            this.#pending.delete(ev.slot);
            decisions = rt.with((s) => {
              const out = s.u32Out(ev.rows);
              rt.check(M._hush_p2p_result(this.#h, ev.slot, out, ev.rows), 'result');
              return rt.u32(out, ev.rows).slice();
            });
            p.resolve({ decisions, rows: ev.rows, link: linkName(ev.link), ms: now() - p.t0, bytes, session: ev.session });
          }
          this.dispatchEvent(msgEvent('done', { slot: ev.slot, peer: ev.peer, rows: ev.rows, link: linkName(ev.link), bytes, session: ev.session }));
          break;
        }
        case C.HUSH_P2P_EV_FAILED: {
          this.#rtc?.end(ev.slot);
          if (this.role === 'bank') this.stats.failed++;
          const p = this.#pending.get(ev.slot);
          if (p) {
            this.#pending.delete(ev.slot);
            p.reject(p2pError(ev.code, ev.text || 'the session failed'));
          }
          this.dispatchEvent(msgEvent('failed', { slot: ev.slot, peer: ev.peer, code: ev.code, text: ev.text, session: ev.session }));
          break;
        }
        case C.HUSH_P2P_EV_ERROR: {
          this.dispatchEvent(msgEvent('refused', { code: ev.code, text: ev.text }));
          const fatal = [C.HUSH_NET_E_AUTH, C.HUSH_NET_E_TOKEN, C.HUSH_NET_E_REVOKED, C.HUSH_NET_E_REPLACED];
          if (fatal.includes(ev.code) || !this.#reconnect) this.#fail(p2pError(ev.code, `server refused: ${ev.text}`));
          break;
        }
        default:
          break;
      }
    }

    #description(bank, flags) {
      return rt.with((s) => {
        const ml = s.sizeOut(), sl = s.sizeOut(), b = s.string(bank);
        rt.check(M._hush_p2p_description(this.#h, b, 0, 0, ml, 0, 0, sl), 'description');
        const mn = rt.sizeAt(ml), sn = rt.sizeAt(sl);
        const mp = s.alloc(mn), sp = s.alloc(sn);
        rt.check(M._hush_p2p_description(this.#h, b, mp, mn, ml, sp, sn, sl), 'description');
        return { bank, model: rt.bytes(mp, mn), schema: decoder.decode(rt.bytes(sp, sn)), direct: !!(flags & 1) };
      });
    }

    #fail(e) {
      const err = rt.wrap(e, 'HUSH_EIO', 'connection');
      this.#fatal = err;
      this.#ready?.reject(err);
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      for (const list of this.#describing.values()) for (const d of list) d.reject(err);
      this.#describing.clear();
      this.close();
    }

    // Bank: serve a model file (dense layers) with the ARFF header its inputs follow.
    serve(model, schema = '') {
      if (this.role !== 'bank') throw rt.fail('HUSH_ESTATE', 'only a bank serves');
      const m = model instanceof Uint8Array ? model : new Uint8Array(model);
      const sb = encoder.encode(schema);
      rt.with((s) => rt.check(M._hush_p2p_serve(this.#h, s.copy(m), m.length, sb.length ? s.copy(sb) : 0, sb.length), 'serve'));
      this.#serving = true;
      this.flush();
    }

    // Applicant: the bank's signed public description { bank, model (a model file without
    // weights), schema (ARFF header), direct }.
    describe(bank) {
      if (this.#fatal) return Promise.reject(this.#fatal);
      const d = deferred();
      const list = this.#describing.get(bank) ?? [];
      list.push(d);
      this.#describing.set(bank, list);
      rt.with((s) => rt.check(M._hush_p2p_describe(this.#h, s.string(bank)), 'describe'));
      this.flush();
      return d.promise;
    }

    description(bank) { return this.#banks.get(bank) ?? null; }

    // Applicant: one session for `rows` applicants' raw features (rows x the model's inputs).
    // link: 'direct' (WebRTC, falling back to the relay) or 'relay'; default direct where
    // available. Resolves { decisions, rows, link, ms, bytes, session }.
    apply(bank, features, { rows = 1, link } = {}) {
      if (this.#fatal) return Promise.reject(this.#fatal);
      const x = features instanceof Float32Array ? features : Float32Array.from(features.flat ? features.flat() : features);
      const wanted = link ?? (this.direct && this.#banks.get(bank)?.direct ? 'direct' : 'relay');
      if (wanted !== 'direct' && wanted !== 'relay') throw rt.fail('HUSH_EARG', "link must be 'direct' or 'relay'");
      const want = rt.enumOf('p2pLink', wanted, 'link');
      const d = deferred();
      const slot = rt.with((s) => {
        const sp = s.u32Out();
        rt.check(M._hush_p2p_apply(this.#h, sp, s.string(bank), s.copy(x), x.length, rt.uint(rows, 'rows', { min: 1 }), want), 'apply');
        return rt.u32At(sp);
      });
      this.#pending.set(slot, { ...d, t0: now(), rows });
      this.flush();
      return d.promise;
    }

    // For web/net/rtc.js: the transport's side of a session's direct link.
    linkUp(slot, kind) {
      if (!this.#live) return;
      const rc = M._hush_p2p_link(this.#h, slot, rt.enumOf('p2pLink', kind, 'link'));
      if (rc !== 0 && rc !== C.HUSH_ESTATE) this.dispatchEvent(msgEvent('warning', { error: rt.error(rc, 'link') }));
      this.#drainEvents();
      this.flush();
    }
    linkReceive(slot, bytes) {
      if (!this.#live) return;
      rt.with((s) => {
        const rc = M._hush_p2p_link_receive(this.#h, slot, s.copy(bytes), bytes.length);
        if (rc !== 0 && rc !== C.HUSH_ESTATE) this.dispatchEvent(msgEvent('warning', { error: rt.error(rc, 'direct link') }));
      });
      this.#drainEvents();
      this.flush();
    }
    sendSignal(slot, kind, text) {
      if (!this.#live) return;
      const b = encoder.encode(text);
      rt.with((s) => {
        const rc = M._hush_p2p_signal(this.#h, slot, rt.enumOf('p2pSignal', kind, 'signal'), s.copy(b), b.length);
        if (rc !== 0 && rc !== C.HUSH_ESTATE) throw rt.error(rc, 'signal');
      });
      this.flush();
    }

    get sessions() { return this.#live ? M._hush_p2p_sessions(this.#h) >>> 0 : 0; }

    close() {
      if (this.#closed) return;
      this.#closed = true;
      this.#rtc?.closeAll();
      this.#sock.close(); // what is queued (a session's END) goes first: sent frames still go out
      untrack(this);
      if (this.#buf) {
        rt.u8.fill(0, this.#buf, this.#buf + this.#cap);
        M._free(this.#buf);
      }
      this.#buf = 0;
      const err = rt.fail('HUSH_ESTATE', 'connection closed');
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      this.dispatchEvent(msgEvent('close', {}));
    }
  }

  // Connects and authenticates (enrolling with opts.token the first time). opts: { identity,
  // token, role: 'bank' | 'applicant', pins: [{ name, publicKey }] (banks the applicant accepts),
  // dealerKey, direct (default: where RTCPeerConnection exists), maxSessions, maxRows, reconnect,
  // WebSocket, rtc: { timeout (ms before falling back to the relay), iceServers } }.
  async function connect(url, opts = {}) {
    const WS = await webSocketClass(opts);
    const conn = new Connection(url, opts.identity, opts, WS);
    try {
      return await conn.open();
    } catch (e) {
      conn.close();
      throw e;
    }
  }

  function hexToBytes(h) {
    if (typeof h !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(h)) return null;
    return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
  }

  return Object.freeze({ connect, Connection, directAvailable: rtcAvailable });
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function msgEvent(type, detail) {
  const e = new Event(type);
  Object.assign(e, { detail });
  return e;
}
