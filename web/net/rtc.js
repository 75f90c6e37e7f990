// Direct links for hush.p2p: WebRTC data channels between the applicant's and the bank's
// browsers, signalled through hush-server.
//
// The offer, the answer and every ICE candidate travel as SIGNAL frames that the core signs with
// the sender's identity key and verifies with the peer's (core/include/hush/p2p.h), so the server
// that carries them cannot swap the DTLS fingerprint in an SDP and splice itself in; a forged
// signal ends the session. The core's authenticated channels run on top of the data channel
// anyway: its DTLS is a second layer, not the one that matters. With no ICE servers configured
// only host candidates are gathered, which is all two tabs on one machine need; a peer that
// cannot be reached within `timeout` ms (or that fails) is abandoned with a signed BYE and its
// sessions fall back to the server's relay, which carries the same end-to-end encrypted records.
//
// One peer connection per pair of identities serves every session between them: the first
// session signals it, later ones find it open and start at once (each message is the session id
// and one of the core's link frames, at most HUSH_P2P_DEFAULT_LINK_MAX bytes, in order on one
// reliable channel). The applicant offers; the bank answers.

export function rtcAvailable() {
  return typeof globalThis.RTCPeerConnection === 'function';
}

const SID = 16;
const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const bytesOf = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));

export class RtcLinks {
  #conn;
  #opts;
  #peers = new Map(); // peer name -> { pc, dc, up, initiator, candidates, remote, timer, waiting }
  #slots = new Map(); // slot -> { peer, sid (hex) }
  #bySid = new Map(); // sid (hex) -> slot
  #early = new Map(); // sid (hex) -> messages that came before the session's SESSION frame
  #up = new Set(); // slots whose core link is direct already

  constructor(conn, opts = {}) {
    this.#conn = conn;
    this.#opts = { timeout: 5000, iceServers: [], ...opts };
  }

  // A session that wants a direct link started.
  start(slot, initiator, peerName, sid) {
    this.#slots.set(slot, { peer: peerName, sid });
    this.#bySid.set(sid, slot);
    let peer = this.#peers.get(peerName);
    if (initiator) {
      if (peer?.up) {
        this.#conn.linkUp(slot, 'direct'); // the pair's channel is open: nothing to signal
      } else if (peer) {
        peer.waiting.add(slot); // it is being set up by an earlier session
      } else {
        peer = this.#newPeer(peerName, true);
        peer.waiting.add(slot);
        peer.signalSlot = slot;
        peer.timer = setTimeout(() => this.#fallback(peerName), this.#opts.timeout);
        this.#wire(peerName, peer, peer.pc.createDataChannel('hush', { ordered: true }));
        peer.pc.createOffer()
          .then((o) => peer.pc.setLocalDescription(o))
          .then(() => this.#send(slot, 'offer', peer.pc.localDescription.sdp))
          .catch(() => this.#fallback(peerName));
      }
    } else {
      // the bank: messages for this session may have come over an open channel already
      const early = this.#early.get(sid);
      this.#early.delete(sid);
      if (early) for (const m of early) this.#deliver(slot, m);
    }
  }

  #newPeer(name, initiator) {
    const pc = new RTCPeerConnection({ iceServers: this.#opts.iceServers });
    const peer = { pc, dc: null, up: false, initiator, candidates: [], remote: false, timer: null, waiting: new Set(), signalSlot: 0 };
    this.#peers.set(name, peer);
    pc.onicecandidate = (e) => {
      if (e.candidate && this.#peers.get(name) === peer) this.#send(peer.signalSlot, 'candidate', JSON.stringify(e.candidate.toJSON()));
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
        if (!peer.up) this.#fallback(name);
        else this.#drop(name);
      }
    };
    if (!initiator) pc.ondatachannel = (e) => this.#wire(name, peer, e.channel);
    return peer;
  }

  // A verified signalling payload from the peer of a session.
  async signal(slot, kind, text) {
    const s = this.#slots.get(slot);
    if (!s) return;
    let peer = this.#peers.get(s.peer);
    try {
      if (kind === 'offer') {
        if (peer && !peer.initiator) this.#drop(s.peer); // the applicant starts over
        if (peer?.initiator) return;
        peer = this.#newPeer(s.peer, false);
        peer.signalSlot = slot;
        await peer.pc.setRemoteDescription({ type: 'offer', sdp: text });
        await this.#remoteSet(peer);
        await peer.pc.setLocalDescription(await peer.pc.createAnswer());
        this.#send(slot, 'answer', peer.pc.localDescription.sdp);
      } else if (kind === 'answer' && peer?.initiator && !peer.remote) {
        await peer.pc.setRemoteDescription({ type: 'answer', sdp: text });
        await this.#remoteSet(peer);
      } else if (kind === 'candidate' && peer) {
        const c = JSON.parse(text);
        if (peer.remote) await peer.pc.addIceCandidate(c);
        else peer.candidates.push(c);
      } else if (kind === 'bye' && peer && !peer.up) {
        this.#drop(s.peer); // the applicant went for the relay
      }
    } catch {
      if (peer?.initiator) this.#fallback(s.peer);
    }
  }

  async #remoteSet(peer) {
    peer.remote = true;
    for (const c of peer.candidates.splice(0)) await peer.pc.addIceCandidate(c).catch(() => {});
  }

  #send(slot, kind, text) {
    try {
      this.#conn.sendSignal(slot, kind, text);
    } catch {
      // the session is over
    }
  }

  #wire(name, peer, dc) {
    dc.binaryType = 'arraybuffer';
    peer.dc = dc;
    const up = () => {
      if (peer.up || this.#peers.get(name) !== peer) return;
      peer.up = true;
      clearTimeout(peer.timer);
      for (const slot of peer.waiting) this.#conn.linkUp(slot, 'direct');
      peer.waiting.clear();
    };
    dc.onopen = up;
    dc.onmessage = (m) => {
      up(); // the answerer may see a message before its own open event
      const b = new Uint8Array(m.data);
      if (b.length <= SID) return;
      const sid = hexOf(b.subarray(0, SID));
      const slot = this.#bySid.get(sid);
      if (slot === undefined) {
        // before this side's SESSION frame (the server's path can be the slower one)
        const list = this.#early.get(sid) ?? [];
        if (list.length < 1024) list.push(b.subarray(SID));
        this.#early.set(sid, list);
        if (this.#early.size > 256) this.#early.delete(this.#early.keys().next().value); // bounded
        return;
      }
      this.#deliver(slot, b.subarray(SID));
    };
    dc.onclose = () => this.#drop(name);
    if (dc.readyState === 'open') up();
  }

  #deliver(slot, frame) {
    if (this.#conn.role === 'bank' && !this.#up.has(slot)) {
      this.#up.add(slot);
      this.#conn.linkUp(slot, 'direct');
    }
    this.#conn.linkReceive(slot, frame);
  }

  // No direct link in time: a signed BYE, then the relay for every session waiting on it.
  #fallback(name) {
    const peer = this.#peers.get(name);
    if (!peer || peer.up || !peer.initiator) return;
    const waiting = [...peer.waiting];
    this.#send(peer.signalSlot, 'bye', '');
    this.#drop(name);
    for (const slot of waiting) this.#conn.linkUp(slot, 'relay');
  }

  #drop(name) {
    const peer = this.#peers.get(name);
    if (!peer) return;
    this.#peers.delete(name);
    clearTimeout(peer.timer);
    try {
      peer.dc?.close();
      peer.pc.close();
    } catch {
      // already closed
    }
  }

  send(slot, bytes) {
    const s = this.#slots.get(slot);
    const peer = s && this.#peers.get(s.peer);
    if (peer?.dc?.readyState !== 'open') return;
    const m = new Uint8Array(SID + bytes.length);
    m.set(bytesOf(s.sid), 0);
    m.set(bytes, SID);
    peer.dc.send(m);
  }

  // The session ended: forget it once its last messages are out (the core hands them over right
  // after the event), keeping the pair's channel for the next one. Late messages are dropped.
  end(slot) {
    setTimeout(() => this.#forget(slot), 0);
  }

  #forget(slot) {
    const s = this.#slots.get(slot);
    if (!s) return;
    this.#slots.delete(slot);
    this.#up.delete(slot);
    this.#early.delete(s.sid);
    this.#peers.get(s.peer)?.waiting.delete(slot);
    setTimeout(() => { if (this.#bySid.get(s.sid) === slot) this.#bySid.delete(s.sid); }, 1000);
  }

  closeAll() {
    for (const name of [...this.#peers.keys()]) this.#drop(name);
  }

  get open() {
    return [...this.#peers.values()].filter((p) => p.up).length;
  }
}
