// hush.net: taking part in hush-server's tasks from a browser or Node (core/include/hush/net.h).
//
//   const identity = await hush.net.loadIdentity('bank-1');                 // browser: IndexedDB
//   const identity = await hush.net.loadIdentity('bank-1', { file: 'bank-1.key' }); // Node: 0600 file
//   const conn = await hush.net.connect('ws://127.0.0.1:8080/ws', { identity, token });
//   const { round, sum } = await conn.aggregate('sum1', new Uint32Array([1, 2, 3]));
//   conn.close();
//
// The protocol is the core's hush_net_client state machine (the same C the native client runs);
// this file only moves WebSocket frames in and out of it, reconnects with backoff, and turns its
// events into promises and DOM-style events. The identity's secret seed goes into the wasm heap
// only inside a scope that zeroes it, and the state machine wipes its own copy on free().
const DB_NAME = 'hushml';
const DB_STORE = 'identities';

export function defineNet(rt) {
  const M = rt.M;
  const C = rt.C;
  const registry = new FinalizationRegistry((ptr) => { if (ptr.v) M._hush_net_client_free(ptr.v); });
  const isNode = typeof process === 'object' && !!process.versions?.node && typeof window === 'undefined';

  function checkName(name, what) {
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
      throw rt.fail('HUSH_EARG', `${what} must be 1-64 characters of [A-Za-z0-9._-]`);
    }
  }

  // An enrolled participant: its name and its Ed25519 identity (kept as the identity-file bytes,
  // which hold the secret seed).
  class Identity {
    #file;
    constructor(name, file) {
      checkName(name, 'identity name');
      if (!(file instanceof Uint8Array) || file.length !== C.HUSH_NET_IDENTITY_FILE_BYTES) {
        throw rt.fail('HUSH_EFORMAT', `an identity file is ${C.HUSH_NET_IDENTITY_FILE_BYTES} bytes`);
      }
      this.name = name;
      this.#file = file.slice();
      this.publicKey = this.withSecretKey((sk, s) => {
        const pk = s.alloc(C.HUSH_NET_PUBLIC_KEY_BYTES);
        rt.check(M._hush_net_identity_public(pk, sk), 'identity');
        return rt.u8.slice(pk, pk + C.HUSH_NET_PUBLIC_KEY_BYTES);
      });
    }
    static generate(name) {
      const file = rt.with((s) => {
        const sk = s.alloc(C.HUSH_NET_SECRET_KEY_BYTES), out = s.alloc(C.HUSH_NET_IDENTITY_FILE_BYTES);
        const wp = s.alloc(8);
        rt.check(M._hush_net_identity_generate(sk), 'identity');
        rt.check(M._hush_net_identity_save(out, C.HUSH_NET_IDENTITY_FILE_BYTES, wp, sk), 'identity');
        return rt.u8.slice(out, out + C.HUSH_NET_IDENTITY_FILE_BYTES);
      });
      try {
        return new Identity(name, file);
      } finally {
        file.fill(0);
      }
    }
    // The identity-file bytes (a secret: store them where only the participant can read).
    toBytes() { return this.#file.slice(); }
    // fn(skPtr, scope): the secret key exists in the heap only during the call.
    withSecretKey(fn) {
      return rt.with((s) => {
        const sk = s.alloc(C.HUSH_NET_SECRET_KEY_BYTES);
        rt.check(M._hush_net_identity_load(sk, s.copy(this.#file), this.#file.length), 'identity file');
        return fn(sk, s);
      });
    }
  }

  async function nodeIdentity(name, file) {
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    try {
      return new Identity(name, new Uint8Array(await fs.readFile(file)));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    const id = Identity.generate(name);
    const bytes = id.toBytes();
    try {
      // 'wx': never overwrite an identity that appeared meanwhile; 0600: the seed is a secret.
      await fs.writeFile(file, bytes, { mode: 0o600, flag: 'wx' });
    } finally {
      bytes.fill(0);
    }
    return id;
  }

  function idbRequest(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function browserIdentity(name) {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(DB_STORE);
    const db = await idbRequest(open);
    try {
      const got = await idbRequest(db.transaction(DB_STORE).objectStore(DB_STORE).get(name));
      if (got instanceof Uint8Array) return new Identity(name, got);
      const id = Identity.generate(name);
      const tx = db.transaction(DB_STORE, 'readwrite');
      // add() refuses an existing key, like the file's 'wx': a concurrent tab cannot be overwritten.
      await idbRequest(tx.objectStore(DB_STORE).add(id.toBytes(), name));
      return id;
    } finally {
      db.close();
    }
  }

  // The participant's identity, created on first use: in Node a key file (opts.file), in
  // browsers IndexedDB (database "hushml", keyed by name).
  async function loadIdentity(name, opts = {}) {
    checkName(name, 'identity name');
    if (opts.file) return nodeIdentity(name, opts.file);
    if (typeof indexedDB === 'undefined') {
      throw rt.fail('HUSH_EARG', 'no IndexedDB here: give { file } to keep the identity in a key file');
    }
    return browserIdentity(name);
  }

  async function webSocketClass(opts) {
    if (opts.WebSocket) return opts.WebSocket;
    if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
    if (isNode) return (await import(/* webpackIgnore: true */ /* @vite-ignore */ 'ws')).WebSocket;
    throw rt.fail('HUSH_EUNSUPPORTED', 'no WebSocket implementation');
  }

  function readEvent(p) {
    const dv = new DataView(rt.buffer);
    const u = (f) => dv.getUint32(p + C[`offsetof_hush_net_event_${f}`], true);
    return {
      kind: u('kind'), round: u('round'), status: u('status'), flags: u('flags'), dim: u('dim'),
      bits: u('bits'), n: u('n'), id: u('id'),
      code: dv.getInt32(p + C.offsetof_hush_net_event_code, true),
      text: rt.cstring(p + C.offsetof_hush_net_event_text),
    };
  }

  const FATAL = new Set([C.HUSH_NET_E_AUTH, C.HUSH_NET_E_TOKEN, C.HUSH_NET_E_REVOKED, C.HUSH_NET_E_TASK,
    C.HUSH_NET_E_REPLACED]);

  function netError(code, text) {
    const names = Object.keys(C).filter((k) => k.startsWith('HUSH_NET_E_') && C[k] === code);
    const e = rt.fail('HUSH_ESTATE', `server refused: ${text} (${code})`);
    e.netCode = names[0] || String(code);
    return e;
  }

  // One participant's connection. Events: 'open' (authenticated), 'round' ({ round, n, id, dim,
  // bits }), 'result' ({ round, status, sum }), 'refused' ({ code, text }), 'close'.
  class Connection extends EventTarget {
    #cell = { v: 0 };
    #url;
    #WS;
    #ws = null;
    #closed = false;
    #backoff = 250;
    #welcomed;
    #task = null;
    #input = null;
    #waiter = null;
    #fatal = null;

    constructor(url, identity, token, WS, pins) {
      super();
      this.#url = url;
      this.#WS = WS;
      if (!(identity instanceof Identity)) throw rt.fail('HUSH_EARG', 'identity must come from hush.net.loadIdentity');
      this.name = identity.name;
      this.#cell.v = identity.withSecretKey((sk, s) => {
        let tok = 0;
        if (token !== undefined && token !== null) {
          const bytes = typeof token === 'string' ? hexBytes(token) : token;
          if (!(bytes instanceof Uint8Array) || bytes.length !== C.HUSH_NET_TOKEN_BYTES) {
            throw rt.fail('HUSH_EARG', `token must be the ${2 * C.HUSH_NET_TOKEN_BYTES} hex digits of hush-server enroll`);
          }
          tok = s.copy(bytes);
        }
        const out = s.alloc(4);
        rt.check(M._hush_net_client_create(out, sk, s.string(identity.name), tok, 0), 'connect');
        return rt.u32At(out);
      });
      registry.register(this, this.#cell, this);
      if (pins !== undefined) {
        try {
          this.#pin(pins);
        } catch (e) {
          this.close();
          throw e;
        }
      }
      this.rounds = { committed: 0, aborted: 0 };
      this.connects = 0;
    }

    // pins: the text of a pin file ("NAME HEX-KEY" lines) or [{ name, publicKey }]: rounds whose
    // PKI holds anyone else are refused (the operator is then not trusted with enrolment).
    #pin(pins) {
      const text = typeof pins === 'string' ? pins
        : pins.map((p) => `${p.name} ${Array.from(p.publicKey, (b) => b.toString(16).padStart(2, '0')).join('')}`).join('\n');
      const bytes = new TextEncoder().encode(text);
      rt.with((s) => {
        const bad = s.alloc(8);
        const rc = M._hush_net_client_pin_text(this.#h, s.copy(bytes), bytes.length, bad);
        if (rc !== 0) throw rt.fail('HUSH_EFORMAT', `pins: line ${rt.u32At(bad)} is not "NAME HEX-PUBLIC-KEY"`);
      });
    }

    get #h() {
      if (!this.#cell.v) throw rt.fail('HUSH_ESTATE', 'connection has been closed');
      return this.#cell.v;
    }

    // Resolves once authenticated (enrolled on first use); rejects on a refusal.
    open() {
      this.#welcomed = deferred();
      this.#dial();
      return this.#welcomed.promise;
    }

    #dial() {
      if (this.#closed) return;
      M._hush_net_client_reset(this.#h);
      let ws;
      try {
        ws = new this.#WS(this.#url, 'hush.v1');
      } catch (e) {
        this.#fail(e);
        return;
      }
      ws.binaryType = 'arraybuffer';
      this.#ws = ws;
      ws.addEventListener('open', () => { this.#backoff = 250; this.connects++; });
      ws.addEventListener('message', (m) => this.#onMessage(m.data));
      ws.addEventListener('close', () => {
        if (this.#ws !== ws) return;
        this.#ws = null;
        if (this.#closed || this.#fatal) return;
        // Resume at the next round: the server counted this participant as dropped.
        const wait = this.#backoff * (0.75 + 0.5 * jitter());
        this.#backoff = Math.min(this.#backoff * 2, 8000);
        setTimeout(() => this.#dial(), wait);
      });
      ws.addEventListener('error', () => {}); // a close follows
    }

    #onMessage(data) {
      if (!(data instanceof ArrayBuffer) || !this.#cell.v) return; // closed meanwhile
      const bytes = new Uint8Array(data);
      rt.with((s) => {
        const rc = M._hush_net_client_receive(this.#h, s.copy(bytes), bytes.length);
        if (rc !== 0) this.dispatchEvent(msgEvent('warning', { error: rt.error(rc, 'server message') }));
      });
      for (;;) {
        const ev = rt.with((s) => {
          const p = s.alloc(C.sizeof_hush_net_event);
          M._hush_net_client_event(this.#h, p);
          return readEvent(p);
        });
        if (ev.kind === C.HUSH_NET_EV_NONE) break;
        this.#onEvent(ev);
        if (!this.#cell.v) return;
      }
      this.#flush();
    }

    #onEvent(ev) {
      if (ev.kind === C.HUSH_NET_EV_WELCOME) {
        this.#welcomed?.resolve(this);
        this.dispatchEvent(msgEvent('open', { enrolled: !!(ev.flags & 1) }));
      } else if (ev.kind === C.HUSH_NET_EV_ROUND) {
        if (this.#input) {
          if (this.#input.length !== ev.dim) {
            this.#fail(rt.fail('HUSH_ESHAPE', `task ${ev.text} sums ${ev.dim} values, the input has ${this.#input.length}`));
            return;
          }
          rt.with((s) => rt.check(M._hush_net_client_set_input(this.#h, s.copy(this.#input), ev.dim), 'round input'));
        }
        this.dispatchEvent(msgEvent('round', { round: ev.round, n: ev.n, id: ev.id, dim: ev.dim, bits: ev.bits }));
      } else if (ev.kind === C.HUSH_NET_EV_RESULT) {
        const committed = ev.status === C.HUSH_NET_ROUND_COMMITTED;
        let sum = null;
        if (committed) {
          this.rounds.committed++;
          sum = rt.with((s) => {
            const p = s.alloc(4 * ev.dim);
            rt.check(M._hush_net_client_result(this.#h, p, ev.dim), 'result');
            return new Uint32Array(rt.u8.slice(p, p + 4 * ev.dim).buffer);
          });
        } else {
          this.rounds.aborted++;
        }
        const detail = { round: ev.round, status: committed ? 'committed' : 'aborted', sum, finished: !!(ev.flags & 1) };
        this.dispatchEvent(msgEvent('result', detail));
        this.#waiter?.onResult(detail);
      } else if (ev.kind === C.HUSH_NET_EV_ERROR) {
        this.dispatchEvent(msgEvent('refused', { code: ev.code, text: ev.text }));
        if (FATAL.has(ev.code)) this.#fail(netError(ev.code, ev.text));
      }
    }

    #flush() {
      const ws = this.#ws;
      if (!ws || ws.readyState !== 1 || !this.#cell.v) return;
      for (;;) {
        const frame = rt.with((s) => {
          let cap = M._hush_net_client_max_message(this.#h) >>> 0;
          let buf = s.alloc(cap), wp = s.alloc(8);
          let rc = M._hush_net_client_next_message(this.#h, buf, cap, wp);
          if (rc === C.HUSH_ERANGE) {
            cap = rt.u32At(wp);
            buf = s.alloc(cap);
            rc = M._hush_net_client_next_message(this.#h, buf, cap, wp);
          }
          rt.check(rc, 'next message');
          const n = rt.u32At(wp);
          return n ? rt.u8.slice(buf, buf + n) : null;
        });
        if (!frame) return;
        if (ws.readyState !== 1) return; // closing: the server drops this participant anyway
        ws.send(frame);
      }
    }

    #fail(err) {
      this.#fatal = err;
      this.#welcomed?.reject(err);
      this.#waiter?.reject(err);
      this.close();
    }

    // Takes part in `task` with `input` (Uint32Array, values below 2^bits of the task) until
    // `rounds` rounds have committed (default 1) or the task ends. Resolves with the last
    // committed { round, sum } and the counts of committed and aborted rounds.
    aggregate(task, input, { rounds = 1 } = {}) {
      checkName(task, 'task');
      if (!(input instanceof Uint32Array)) throw rt.fail('HUSH_EARG', 'input must be a Uint32Array');
      if (this.#task && this.#task !== task) throw rt.fail('HUSH_ESTATE', `already taking part in task ${this.#task}`);
      if (this.#fatal) return Promise.reject(this.#fatal);
      this.#task = task;
      this.#input = input.slice();
      const d = deferred();
      let last = null, committed = 0, aborted = 0;
      this.#waiter = {
        reject: d.reject,
        onResult: (r) => {
          if (r.status === 'committed') {
            committed++;
            last = r;
          } else {
            aborted++;
          }
          if (committed >= rounds || r.finished) {
            this.#waiter = null;
            if (last) d.resolve({ round: last.round, sum: last.sum, committed, aborted });
            else d.reject(rt.fail('HUSH_ESTATE', `task ${task} finished without a committed round`));
          }
        },
      };
      rt.with((s) => rt.check(M._hush_net_client_join(this.#h, s.string(task)), 'join'));
      this.#flush();
      return d.promise;
    }

    close() {
      if (this.#closed) return;
      this.#closed = true;
      const ws = this.#ws;
      this.#ws = null;
      if (ws && ws.readyState <= 1) ws.close(1000, 'done');
      if (this.#cell.v) M._hush_net_client_free(this.#cell.v); // wipes its secrets
      this.#cell.v = 0;
      registry.unregister(this);
      this.#input?.fill(0);
      this.dispatchEvent(msgEvent('close', {}));
    }
  }

  // Connects and authenticates (enrolling with `token` the first time). opts: { identity, token,
  // pins, WebSocket } (WebSocket: a constructor, for tests or environments without a global one).
  async function connect(url, opts = {}) {
    const WS = await webSocketClass(opts);
    const conn = new Connection(url, opts.identity, opts.token, WS, opts.pins);
    try {
      return await conn.open();
    } catch (e) {
      conn.close();
      throw e;
    }
  }

  function hexBytes(hex) {
    if (typeof hex !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(hex)) return null;
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  function jitter() {
    const b = new Uint32Array(1);
    globalThis.crypto.getRandomValues(b);
    return b[0] / 2 ** 32;
  }

  return Object.freeze({ Identity, loadIdentity, connect, Connection });
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {}); // a refusal nobody awaited is not an unhandled rejection
  return { promise, resolve, reject };
}

function msgEvent(type, detail) {
  const e = new Event(type);
  Object.assign(e, { detail });
  return e;
}
