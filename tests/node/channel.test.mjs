// hush.channel: the handshake and records from JS give the same bytes as the C known answers
// (tests/vectors/channel/handshake.kat) on both builds; tampered, replayed and reflected
// messages are refused with HushError; free() wipes and a freed channel says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, builds, load } from './util.mjs';

function kat() {
  const out = {};
  for (const line of readFileSync(join(ROOT, 'tests/vectors/channel/handshake.kat'), 'utf8').split('\n')) {
    const m = /^(\w+) = ([0-9a-f]+)$/.exec(line.trim());
    if (m) out[m[1]] = Buffer.from(m[2], 'hex');
  }
  return out;
}

const SESSION = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

for (const b of builds) {
  test(`${b.name}: channel handshake and first record equal the C known answers`, async () => {
    const hush = await load({ simd: b.simd, full: true });
    const { Channel, keypair } = hush.channel;
    const want = kat();
    const a = keypair({ seed: 11, reproducible: true });
    const bk = keypair({ seed: 12, reproducible: true });
    assert.equal(a.publicKey.length, 32);
    assert.equal(a.secretKey.length, 64);
    const heap0 = hush.heapInUse();
    const i = new Channel({ side: 'initiator', session: SESSION, localRole: 7, peerRole: 0xfffe, secretKey: a.secretKey,
      peerPublicKey: bk.publicKey, seed: 21, reproducibleNoise: true });
    const r = new Channel({ side: 'responder', session: SESSION, localRole: 0xfffe, peerRole: 7, secretKey: bk.secretKey,
      peerPublicKey: a.publicKey, seed: 22, reproducibleNoise: true });
    try {
      assert.equal(i.state, 'handshake');
      const hello = i.nextMessage();
      assert.deepEqual(hello, new Uint8Array(want.hello));
      assert.equal(r.receive(hello), null);
      const reply = r.nextMessage();
      assert.deepEqual(reply, new Uint8Array(want.reply));
      assert.equal(i.receive(reply), null);
      const finish = i.nextMessage();
      assert.deepEqual(finish, new Uint8Array(want.finish));
      assert.equal(r.receive(finish), null);
      assert.equal(i.state, 'open');
      assert.equal(r.state, 'open');
      assert.equal(i.nextMessage(), null);
      const text = new TextEncoder().encode("the applicant's features\0");
      const rec = i.seal(text);
      assert.deepEqual(rec, new Uint8Array(want.record));
      assert.deepEqual(r.receive(rec), text);
      // replayed, tampered, reflected
      assert.throws(() => r.receive(rec), (e) => e instanceof hush.HushError && e.code === 'HUSH_ESTATE');
      const rec2 = i.seal(text);
      const bad = rec2.slice();
      bad[bad.length - 1] ^= 1;
      assert.throws(() => r.receive(bad), (e) => e.code === 'HUSH_ECRYPTO');
      assert.deepEqual(r.receive(rec2), text);
      const back = r.seal(new Uint8Array([1, 2, 3]));
      assert.throws(() => r.receive(r.seal(new Uint8Array(0))), (e) => e.code === 'HUSH_ESTATE' || e.code === 'HUSH_ECRYPTO');
      assert.deepEqual(i.receive(back), new Uint8Array([1, 2, 3]));
      // a clean end: the peer's CLOSE
      const cl = i.close();
      assert.throws(() => i.seal(text), (e) => e.code === 'HUSH_ESTATE');
      assert.deepEqual(r.receive(cl), new Uint8Array(0));
      assert.equal(r.state, 'closed');
    } finally {
      i.free();
      r.free();
    }
    assert.throws(() => i.state, (e) => e.code === 'HUSH_ESTATE');
    assert.equal(hush.heapInUse(), heap0, 'the wasm heap leaked');
  });
}

test('channel: a man in the middle and bad arguments are refused', async () => {
  const hush = await load({ full: true });
  const { Channel, keypair } = hush.channel;
  const a = keypair(), b = keypair(), mallory = keypair();
  const i = new Channel({ side: 'initiator', session: SESSION, localRole: 1, peerRole: 2, secretKey: a.secretKey,
    peerPublicKey: b.publicKey });
  const fake = new Channel({ side: 'responder', session: SESSION, localRole: 2, peerRole: 1, secretKey: mallory.secretKey,
    peerPublicKey: a.publicKey });
  try {
    fake.receive(i.nextMessage());
    assert.throws(() => i.receive(fake.nextMessage()), (e) => e instanceof hush.HushError && e.code === 'HUSH_ECRYPTO');
    assert.equal(i.state, 'handshake');
    assert.throws(() => i.seal(new Uint8Array(1)), (e) => e.code === 'HUSH_ESTATE');
  } finally {
    i.free();
    fake.free();
  }
  assert.throws(() => new Channel({ side: 'sideways', session: SESSION, localRole: 1, peerRole: 2, secretKey: a.secretKey,
    peerPublicKey: b.publicKey }), (e) => e.code === 'HUSH_EARG');
  assert.throws(() => new Channel({ side: 'initiator', session: new Uint8Array(16), localRole: 1, peerRole: 2,
    secretKey: a.secretKey, peerPublicKey: b.publicKey }), (e) => e.code === 'HUSH_EARG');
  assert.throws(() => new Channel({ side: 'initiator', session: SESSION, localRole: 1, peerRole: 2,
    secretKey: a.publicKey, peerPublicKey: b.publicKey }), (e) => e.code === 'HUSH_EARG');
  assert.notDeepEqual(keypair().publicKey, keypair().publicKey);
});
