// hush.net: taking part in hush-server's tasks from a browser or Node (core/include/hush/net.h).
//
//   const identity = await hush.net.loadIdentity('bank-1');                 // browser: IndexedDB
//   const identity = await hush.net.loadIdentity('bank-1', { file: 'bank-1.key' }); // Node: 0600 file
//   const conn = await hush.net.connect('ws://127.0.0.1:8080/ws', { identity, token });
//   const { round, sum } = await conn.aggregate('sum1', new Uint32Array([1, 2, 3]));
//   conn.close();
//
// The protocol is the core's hush_net_client state machine (the same C the native client runs);
// this file only moves WebSocket frames in and out of it, reconnects (web/socket.js), and turns its
// events into promises and DOM-style events. The identity's secret seed goes into the wasm heap
// only inside a scope that zeroes it, and the state machine wipes its own copy on free().
import { CELL, live, track, untrack } from './runtime.js';

const DB_NAME = 'hushml';
const DB_STORE = 'identities';
const LEDGER_STORE = 'ledgers';

export function defineNet(rt, { wrapDataset, Odometer, ServerSocket }) {
  const M = rt.M;
  const C = rt.C;
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
        return rt.bytes(pk, C.HUSH_NET_PUBLIC_KEY_BYTES);
      });
    }
    static generate(name) {
      const file = rt.with((s) => {
        const sk = s.alloc(C.HUSH_NET_SECRET_KEY_BYTES), out = s.alloc(C.HUSH_NET_IDENTITY_FILE_BYTES);
        const wp = s.sizeOut();
        rt.check(M._hush_net_identity_generate(sk), 'identity');
        rt.check(M._hush_net_identity_save(out, C.HUSH_NET_IDENTITY_FILE_BYTES, wp, sk), 'identity');
        return rt.bytes(out, C.HUSH_NET_IDENTITY_FILE_BYTES);
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
    let got = null;
    try {
      got = new Uint8Array(await fs.readFile(file));
    } catch (e) {
      if (e.code !== 'ENOENT') throw rt.wrap(e, 'HUSH_EIO', `identity file ${file}`);
    }
    if (got) return new Identity(name, got);
    const id = Identity.generate(name);
    const bytes = id.toBytes();
    try {
      // 'wx': never overwrite an identity that appeared meanwhile; 0600: the seed is a secret.
      await fs.writeFile(file, bytes, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw rt.wrap(e, 'HUSH_EIO', `identity file ${file}`);
    } finally {
      bytes.fill(0);
    }
    return id;
  }

  function idbRequest(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(rt.wrap(req.error, 'HUSH_EIO', 'IndexedDB'));
    });
  }

  // Version 2 adds the ledgers' store next to the identities'.
  async function idbOpen() {
    const open = indexedDB.open(DB_NAME, 2);
    open.onupgradeneeded = () => {
      for (const store of [DB_STORE, LEDGER_STORE]) {
        if (!open.result.objectStoreNames.contains(store)) open.result.createObjectStore(store);
      }
    };
    return idbRequest(open);
  }

  async function browserIdentity(name) {
    const db = await idbOpen();
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

  // A participant's privacy ledger (a hush.Odometer) kept where it survives reloads: in Node a
  // file (opts.file, replaced atomically), in browsers IndexedDB (keyed by name); opts.memory
  // keeps it for this process only. A new ledger
  // needs opts.budgetEpsilon (and budgetDelta, default 1e-5); on an existing one a budget can
  // only be lowered. save() must complete before the work it pays for is sent.
  class Ledger {
    #name;
    #where;
    constructor(name, where, odometer) {
      this.#name = name;
      this.#where = where;
      this.odometer = odometer;
    }

    get freed() { return this.odometer.freed; }

    async save() {
      if (this.#where.memory) return;
      const bytes = this.odometer.save();
      if (this.#where.file) {
        const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
        const tmp = `${this.#where.file}.tmp`;
        try {
          const fh = await fs.open(tmp, 'w', 0o600);
          try {
            await fh.writeFile(bytes);
            await fh.sync();
          } finally {
            await fh.close();
          }
          await fs.rename(tmp, this.#where.file);
        } catch (e) {
          throw rt.wrap(e, 'HUSH_EIO', `ledger file ${this.#where.file}`);
        }
        return;
      }
      const db = await idbOpen();
      try {
        const tx = db.transaction(LEDGER_STORE, 'readwrite');
        tx.objectStore(LEDGER_STORE).put(bytes, this.#name);
        await new Promise((resolve, reject) => {
          tx.oncomplete = resolve;
          tx.onerror = () => reject(rt.wrap(tx.error, 'HUSH_EIO', 'IndexedDB'));
          tx.onabort = () => reject(rt.wrap(tx.error, 'HUSH_EIO', 'IndexedDB'));
        });
      } finally {
        db.close();
      }
    }

    free() { this.odometer.free(); }
  }

  async function openLedger(name, opts = {}) {
    checkName(name, 'ledger name');
    let bytes = null;
    if (opts.memory) {
      // kept for this process only: nothing survives a restart
    } else if (opts.file) {
      const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
      try {
        bytes = new Uint8Array(await fs.readFile(opts.file));
      } catch (e) {
        if (e.code !== 'ENOENT') throw rt.wrap(e, 'HUSH_EIO', `ledger file ${opts.file}`);
      }
    } else if (typeof indexedDB !== 'undefined') {
      const db = await idbOpen();
      try {
        const got = await idbRequest(db.transaction(LEDGER_STORE).objectStore(LEDGER_STORE).get(name));
        if (got instanceof Uint8Array) bytes = got;
      } finally {
        db.close();
      }
    } else {
      throw rt.fail('HUSH_EARG', 'no IndexedDB here: give { file } to keep the ledger in a file');
    }
    let od;
    if (bytes) {
      od = Odometer.load(bytes);
      const e = Math.min(od.budgetEpsilon, opts.budgetEpsilon ?? Infinity);
      const d = Math.min(od.budgetDelta, opts.budgetDelta ?? Infinity);
      if (e !== od.budgetEpsilon || d !== od.budgetDelta) od.setBudget(e, d);
    } else {
      if (opts.budgetEpsilon === undefined) {
        throw rt.fail('HUSH_EARG', `no ledger '${name}' yet: give budgetEpsilon (and budgetDelta) to start one`);
      }
      od = new Odometer({ budgetEpsilon: opts.budgetEpsilon, budgetDelta: opts.budgetDelta ?? 1e-5 });
    }
    const ledger = new Ledger(name, { file: opts.file, memory: !!opts.memory }, od);
    if (!bytes) await ledger.save();
    return ledger;
  }

  async function webSocketClass(opts) {
    if (opts.WebSocket) return opts.WebSocket;
    if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
    if (isNode) return (await import(/* webpackIgnore: true */ /* @vite-ignore */ 'ws')).WebSocket;
    throw rt.fail('HUSH_EUNSUPPORTED', 'no WebSocket implementation');
  }

  function readEvent(p) {
    const at = (f) => rt.at(p, `hush_net_event_${f}`);
    const u = (f) => rt.u32At(at(f));
    return {
      kind: u('kind'), round: u('round'), status: u('status'), flags: u('flags'), dim: u('dim'),
      bits: u('bits'), n: u('n'), id: u('id'), taskKind: u('task_kind'),
      code: rt.i32At(at('code')),
      text: rt.cstring(at('text')),
    };
  }

  // The task's terms (hush_federated_task) as the server sent them.
  function readTerms(p) {
    const u = (f) => rt.u32At(rt.at(p, `hush_federated_task_${f}`));
    const d = (f) => rt.f64At(rt.at(p, `hush_federated_task_${f}`));
    return {
      privacy: rt.enumName('federatedPrivacy', u('privacy')), localEpochs: u('local_epochs'), localBatch: u('local_batch'), lr: d('lr'),
      serverOptimizer: rt.enumName('federatedOptimizer', u('server_optimizer')),
      serverLr: d('server_lr'), clip: d('clip'), noiseMultiplier: d('noise_multiplier'),
      metricNoise: d('metric_noise'), delta: d('delta'), validationFraction: d('validation_fraction'),
      bits: u('bits'), maxParticipants: u('max_participants'), minSurvivors: u('min_survivors'), maxRows: u('max_rows'),
      freezeHead: u('freeze_head') === 1,
    };
  }

  function readReport(p) {
    const o = (f) => rt.at(p, `hush_federated_report_${f}`);
    return {
      trainRows: rt.u32At(o('train_rows')), validationRows: rt.u32At(o('validation_rows')),
      validationLoss: rt.f32At(o('validation_loss')),
      validationAccuracy: rt.f32At(o('validation_accuracy')),
      updateNorm: rt.f32At(o('update_norm')), steps: rt.u64At(o('steps')),
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
  const releaseClient = (ptr) => M._hush_net_client_free(ptr); // wipes its secrets

  class Connection extends EventTarget {
    #sock;
    #closed = false;
    #welcomed;
    #task = null;
    #input = null;
    #waiter = null;
    #fatal = null;
    #fed = null;     // federate(): the round handler
    #busy = null;    // a federated round in progress: frames wait in #queue
    #queue = [];

    constructor(url, identity, token, WS, pins) {
      super();
      if (!(identity instanceof Identity)) throw rt.fail('HUSH_EARG', 'identity must come from hush.net.loadIdentity');
      this.name = identity.name;
      const ptr = identity.withSecretKey((sk, s) => {
        let tok = 0;
        if (token !== undefined && token !== null) {
          const bytes = typeof token === 'string' ? hexBytes(token) : token;
          if (!(bytes instanceof Uint8Array) || bytes.length !== C.HUSH_NET_TOKEN_BYTES) {
            throw rt.fail('HUSH_EARG', `token must be the ${2 * C.HUSH_NET_TOKEN_BYTES} hex digits of hush-server enroll`);
          }
          tok = s.copy(bytes);
        }
        const out = s.ptrOut();
        rt.check(M._hush_net_client_create(out, sk, s.string(identity.name), tok, 0), 'connect');
        return rt.ptrAt(out);
      });
      track(rt, this, { ptr, what: 'connection', release: releaseClient });
      this.#sock = new ServerSocket(WS, url, {
        before: () => M._hush_net_client_reset(this.#h),
        message: (data) => this.#onMessage(data),
        // resume at the next round: the server counted this participant as dropped
        lost: () => !this.#fatal,
        error: (e) => this.#fail(e),
      });
      if (pins !== undefined) {
        try {
          this.#pin(pins);
        } catch (e) {
          this.close();
          throw e;
        }
      }
      this.rounds = { committed: 0, aborted: 0 };
    }

    get connects() { return this.#sock.connects; }

    // pins: the text of a pin file ("NAME HEX-KEY" lines) or [{ name, publicKey }]: rounds whose
    // PKI holds anyone else are refused (the operator is then not trusted with enrolment).
    #pin(pins) {
      const text = typeof pins === 'string' ? pins
        : pins.map((p) => `${p.name} ${Array.from(p.publicKey, (b) => b.toString(16).padStart(2, '0')).join('')}`).join('\n');
      const bytes = new TextEncoder().encode(text);
      rt.with((s) => {
        const bad = s.sizeOut();
        const rc = M._hush_net_client_pin_text(this.#h, s.copy(bytes), bytes.length, bad);
        if (rc !== 0) throw rt.fail('HUSH_EFORMAT', `pins: line ${rt.sizeAt(bad)} is not "NAME HEX-PUBLIC-KEY"`);
      });
    }

    get #h() { return live(this); }
    get #live() { return !!this[CELL].ptr; }
    // The connection's lifecycle is every handle's: free() is close(); after it, HUSH_ESTATE.
    get freed() { return !this.#live; }
    free() { this.close(); }

    // Resolves once authenticated (enrolled on first use); rejects on a refusal.
    open() {
      this.#welcomed = deferred();
      this.#sock.dial();
      return this.#welcomed.promise;
    }

    #onMessage(data) {
      if (!(data instanceof ArrayBuffer) || !this.#live) return; // closed meanwhile
      if (this.#busy) { // in order, after the round's own steps
        this.#queue.push(data);
        return;
      }
      const bytes = new Uint8Array(data);
      rt.with((s) => {
        const rc = M._hush_net_client_receive(this.#h, s.copy(bytes), bytes.length);
        if (rc !== 0) this.dispatchEvent(msgEvent('warning', { error: rt.error(rc, 'server message') }));
      });
      for (;;) {
        const ev = rt.with((s) => {
          const p = s.struct('hush_net_event');
          M._hush_net_client_event(this.#h, p);
          return readEvent(p);
        });
        if (ev.kind === C.HUSH_NET_EV_NONE) break;
        this.#onEvent(ev);
        if (!this.#live) return;
      }
      this.#flush();
    }

    #onEvent(ev) {
      if (ev.kind === C.HUSH_NET_EV_WELCOME) {
        this.#welcomed?.resolve(this);
        this.dispatchEvent(msgEvent('open', { enrolled: !!(ev.flags & 1) }));
      } else if (ev.kind === C.HUSH_NET_EV_MODEL) {
        this.dispatchEvent(msgEvent('model', { round: ev.round }));
      } else if (ev.kind === C.HUSH_NET_EV_ROUND && ev.taskKind === C.HUSH_NET_TASK_FEDAVG && this.#fed) {
        this.#federatedRound(ev);
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
            const p = s.u32Out(ev.dim);
            rt.check(M._hush_net_client_result(this.#h, p, ev.dim), 'result');
            return rt.u32(p, ev.dim).slice();
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

    // A federated round runs asynchronously (its ledger is saved before anything of the round is
    // sent); frames that arrive meanwhile are handled after it, in order.
    #federatedRound(ev) {
      const info = { round: ev.round, n: ev.n, id: ev.id, dim: ev.dim, bits: ev.bits };
      const done = () => {
        this.#busy = null;
        if (!this.#live) return;
        this.#flush();
        const queued = this.#queue;
        this.#queue = [];
        for (let i = 0; i < queued.length; i++) {
          this.#onMessage(queued[i]);
          if (this.#busy) { // another round started: the rest waits again
            this.#queue = queued.slice(i + 1).concat(this.#queue);
            return;
          }
        }
      };
      this.#busy = Promise.resolve()
        .then(() => this.#fed(info, this.#roundOps(info)))
        .then(done, (e) => {
          done();
          this.#fail(rt.wrap(e, 'HUSH_ESTATE', `federated round ${info.round}`));
        });
    }

    // What a federated round handler may do, each a call into the core's state machine.
    #roundOps(info) {
      const h = () => this.#h;
      return {
        // {model: Uint8Array (the global model file), terms}
        model: () => rt.with((s) => {
          const wp = s.sizeOut(), task = s.struct('hush_federated_task');
          let rc = M._hush_net_client_model(h(), 0, 0, wp, task);
          if (rc !== C.HUSH_ERANGE) rt.check(rc, 'model');
          const n = rt.sizeAt(wp), buf = s.alloc(n);
          rt.check(M._hush_net_client_model(h(), buf, n, wp, task), 'model');
          return { model: rt.bytes(buf, n), terms: readTerms(task) };
        }),
        // [train, validation]: this identity's fixed split of the data set
        split: (ds) => rt.with((s) => {
          const tr = s.ptrOut(), va = s.ptrOut();
          rt.check(M._hush_net_client_fl_split(h(), tr, va, ds.handle, 0), 'split');
          return [wrapDataset(rt.ptrAt(tr)), wrapDataset(rt.ptrAt(va))];
        }),
        // true if the round was declined (over budget): the odometer is unchanged then
        charge: (odometer, trainRows) => rt.with((s) => {
          const d = s.u32Out();
          rt.check(M._hush_net_client_fl_charge(h(), odometer ? odometer.handle : 0, d, trainRows), 'charge');
          return rt.u32At(d) === 1;
        }),
        contribute: (train, validation, seed) => rt.with((s) => {
          const rep = s.struct('hush_federated_report');
          let rng = 0;
          if (seed !== undefined && seed !== null) {
            rng = s.struct('hush_rng');
            rt.seedStream(rng, seed, `round ${info.round}`, s);
          }
          try {
            rt.check(M._hush_net_client_fl_contribute(h(), rng, rep, train.handle, validation ? validation.handle : 0, 0),
              'local training');
          } finally {
            if (rng) M._hush_rng_clear(rng);
          }
          return readReport(rep);
        }),
        decline: (reason = C.HUSH_NET_DECLINE_ERROR) => rt.check(M._hush_net_client_decline(h(), reason), 'decline'),
      };
    }

    // Takes part in the federated task: handler(round, ops) runs each round (it may be async;
    // nothing of the round is sent before it settles). Used by hush.FederatedClient.
    federate(task, handler) {
      checkName(task, 'task');
      if (this.#task && this.#task !== task) throw rt.fail('HUSH_ESTATE', `already taking part in task ${this.#task}`);
      this.#task = task;
      this.#fed = handler;
      rt.with((s) => rt.check(M._hush_net_client_join(this.#h, s.string(task)), 'join'));
      this.#flush();
    }

    // The latest global model of a federated task (Uint8Array), or null before the first.
    latestModel() {
      if (!this.#live) return null;
      return rt.with((s) => {
        const wp = s.sizeOut();
        const rc = M._hush_net_client_model(this.#h, 0, 0, wp, 0);
        if (rc !== C.HUSH_ERANGE) return null;
        const n = rt.sizeAt(wp), buf = s.alloc(n);
        rt.check(M._hush_net_client_model(this.#h, buf, n, wp, 0), 'model');
        return rt.bytes(buf, n);
      });
    }

    #flush() {
      const ws = this.#sock.ws;
      if (!ws || ws.readyState !== 1 || !this.#live) return;
      for (;;) {
        const frame = rt.with((s) => {
          let cap = M._hush_net_client_max_message(this.#h) >>> 0;
          let buf = s.alloc(cap), wp = s.sizeOut();
          let rc = M._hush_net_client_next_message(this.#h, buf, cap, wp);
          if (rc === C.HUSH_ERANGE) {
            cap = rt.sizeAt(wp);
            buf = s.alloc(cap);
            rc = M._hush_net_client_next_message(this.#h, buf, cap, wp);
          }
          rt.check(rc, 'next message');
          const n = rt.sizeAt(wp);
          return n ? rt.bytes(buf, n) : null;
        });
        if (!frame) return;
        if (ws.readyState !== 1) return; // closing: the server drops this participant anyway
        ws.send(frame);
      }
    }

    #fail(e) {
      const err = rt.wrap(e, 'HUSH_EIO', 'connection');
      this.#fatal = err;
      this.dispatchEvent(msgEvent('failed', { error: err }));
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
      this.#sock.close();
      untrack(this);
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

  return Object.freeze({ Identity, loadIdentity, connect, Connection, Ledger, openLedger });
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
