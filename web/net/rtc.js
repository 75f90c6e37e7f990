// Direct links for hush.p2p: one WebRTC data channel per session between the applicant's and the
// bank's browsers, signalled through hush-server.
//
// The offer, the answer and every ICE candidate travel as SIGNAL frames that the core signs with
// the sender's identity key and verifies with the peer's (core/include/hush/p2p.h), so the server
// that carries them cannot swap the DTLS fingerprint in an SDP and splice itself in; a forged
// signal ends the session. The core's authenticated channels run on top of the data channel
// anyway: the data channel's own DTLS is a second layer, not the one that matters. With no
// ICE servers configured only host candidates are gathered, which is all two tabs on one machine
// need; a peer that cannot be reached within `timeout` ms (or that fails) is abandoned with a
// signed BYE and the session falls back to the server's relay, which carries the same
// end-to-end encrypted records.
//
// The applicant offers (it created the session); the bank answers. Messages are the core's link
// frames (at most HUSH_P2P_DEFAULT_LINK_MAX bytes), sent in order on one reliable channel.

export function rtcAvailable() {
  return typeof globalThis.RTCPeerConnection === 'function';
}

export class RtcLinks {
  #conn;
  #opts;
  #links = new Map(); // slot -> { pc, dc, up, initiator, candidates, remote, timer }

  constructor(conn, opts = {}) {
    this.#conn = conn;
    this.#opts = { timeout: 5000, iceServers: [], ...opts };
  }

  // A session that wants a direct link started: the applicant offers, the bank waits.
  start(slot, initiator) {
    const pc = new RTCPeerConnection({ iceServers: this.#opts.iceServers });
    const link = { pc, dc: null, up: false, initiator, candidates: [], remote: false, timer: null };
    this.#links.set(slot, link);
    pc.onicecandidate = (e) => {
      if (e.candidate && this.#links.get(slot) === link) this.#send(slot, 'candidate', JSON.stringify(e.candidate.toJSON()));
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' && !link.up) this.#fallback(slot);
    };
    if (initiator) {
      link.timer = setTimeout(() => this.#fallback(slot), this.#opts.timeout);
      this.#wire(slot, link, pc.createDataChannel('hush', { ordered: true }));
      pc.createOffer()
        .then((o) => pc.setLocalDescription(o))
        .then(() => this.#send(slot, 'offer', pc.localDescription.sdp))
        .catch(() => this.#fallback(slot));
    } else {
      pc.ondatachannel = (e) => this.#wire(slot, link, e.channel);
    }
  }

  // A verified signalling payload from the peer.
  async signal(slot, kind, text) {
    const link = this.#links.get(slot);
    if (!link) return;
    const pc = link.pc;
    try {
      if (kind === 'offer' && !link.initiator) {
        await pc.setRemoteDescription({ type: 'offer', sdp: text });
        await this.#remoteSet(link);
        await pc.setLocalDescription(await pc.createAnswer());
        this.#send(slot, 'answer', pc.localDescription.sdp);
      } else if (kind === 'answer' && link.initiator) {
        await pc.setRemoteDescription({ type: 'answer', sdp: text });
        await this.#remoteSet(link);
      } else if (kind === 'candidate') {
        const c = JSON.parse(text);
        if (link.remote) await pc.addIceCandidate(c);
        else link.candidates.push(c);
      } else if (kind === 'bye') {
        this.#close(slot); // the applicant went for the relay
      }
    } catch {
      if (link.initiator) this.#fallback(slot);
    }
  }

  async #remoteSet(link) {
    link.remote = true;
    for (const c of link.candidates.splice(0)) await link.pc.addIceCandidate(c).catch(() => {});
  }

  #send(slot, kind, text) {
    try {
      this.#conn.sendSignal(slot, kind, text);
    } catch {
      // the session is over
    }
  }

  #wire(slot, link, dc) {
    dc.binaryType = 'arraybuffer';
    link.dc = dc;
    const up = () => {
      if (link.up || this.#links.get(slot) !== link) return;
      link.up = true;
      clearTimeout(link.timer);
      this.#conn.linkUp(slot, 'direct');
    };
    dc.onopen = up;
    dc.onmessage = (m) => {
      up(); // the answerer may see the first message before its own open event
      this.#conn.linkReceive(slot, new Uint8Array(m.data));
    };
    if (dc.readyState === 'open') up();
  }

  // No direct link in time: a signed BYE, then the relay.
  #fallback(slot) {
    const link = this.#links.get(slot);
    if (!link || link.up || !link.initiator) return;
    this.#send(slot, 'bye', '');
    this.#close(slot);
    this.#conn.linkUp(slot, 'relay');
  }

  send(slot, bytes) {
    const link = this.#links.get(slot);
    if (link?.dc?.readyState === 'open') link.dc.send(bytes);
  }

  // The session ended: close once what was sent has left (failed: at once).
  end(slot, now = false) {
    const link = this.#links.get(slot);
    if (!link) return;
    if (now || !link.dc) {
      this.#close(slot);
      return;
    }
    const t0 = Date.now();
    const wait = () => {
      if (this.#links.get(slot) !== link) return;
      if (link.dc.readyState !== 'open' || link.dc.bufferedAmount === 0 || Date.now() - t0 > 5000) {
        // the peer's last messages may still be in flight towards us: give them a moment
        setTimeout(() => this.#close(slot), 200);
      } else {
        setTimeout(wait, 20);
      }
    };
    setTimeout(wait, 0);
  }

  #close(slot) {
    const link = this.#links.get(slot);
    if (!link) return;
    this.#links.delete(slot);
    clearTimeout(link.timer);
    try {
      link.dc?.close();
      link.pc.close();
    } catch {
      // already closed
    }
  }

  closeAll() {
    for (const slot of [...this.#links.keys()]) this.#close(slot);
  }

  get open() {
    return [...this.#links.values()].filter((l) => l.up).length;
  }
}
