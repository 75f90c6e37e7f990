// The WebSocket a hush-server participant holds (hush.net and hush.p2p connections): binary
// frames of subprotocol hush.v1, one socket at a time, and after a loss a new one after a
// jittered exponential backoff (250 ms doubling to 8 s, back to 250 ms once one opens), so that
// participants cut off together do not all come back in the same instant. The jitter is drawn
// from the core's OS-seeded CSPRNG, like every other random choice of the package.
export function defineSocket(rt) {
  const M = rt.M;

  // A uniform draw in [0, 1).
  function jitter() {
    return rt.with((s) => {
      const rng = s.struct('hush_rng'), p = s.alloc(4);
      rt.check(M._hush_rng_init_random(rng), 'rng');
      const rc = M._hush_rng_bytes(rng, p, 4);
      M._hush_rng_clear(rng);
      rt.check(rc, 'rng');
      return rt.u32At(p) / 2 ** 32;
    });
  }

  class ServerSocket {
    #WS;
    #url;
    #on;
    #ws = null;
    #closed = false;
    #backoff = 250;

    // on: { before() (runs before every dial), message(data), lost() (the socket closed: true to
    // dial again), error(e) (the WebSocket constructor threw) }
    constructor(WS, url, on) {
      this.#WS = WS;
      this.#url = url;
      this.#on = on;
      this.connects = 0;
    }

    // The socket (open or opening), or null between dials.
    get ws() { return this.#ws; }

    dial() {
      if (this.#closed) return;
      this.#on.before();
      let ws;
      try {
        ws = new this.#WS(this.#url, 'hush.v1');
      } catch (e) {
        this.#on.error(e);
        return;
      }
      ws.binaryType = 'arraybuffer';
      this.#ws = ws;
      ws.addEventListener('open', () => { this.#backoff = 250; this.connects++; });
      ws.addEventListener('message', (m) => this.#on.message(m.data));
      ws.addEventListener('close', () => {
        if (this.#ws !== ws) return;
        this.#ws = null;
        if (this.#closed || !this.#on.lost()) return;
        const wait = this.#backoff * (0.75 + 0.5 * jitter());
        this.#backoff = Math.min(this.#backoff * 2, 8000);
        setTimeout(() => this.dial(), wait);
      });
      ws.addEventListener('error', () => {}); // a close follows
    }

    // Closes for good; frames already sent still go out (ws.close lets them through).
    close() {
      this.#closed = true;
      const ws = this.#ws;
      this.#ws = null;
      if (ws && ws.readyState <= 1) ws.close(1000, 'done');
    }
  }

  return ServerSocket;
}
