// A browser participant for tests/server/browser.test.mjs: location.hash carries
// name, token, task and the input (comma-separated); the identity lives in IndexedDB.
import { load } from '../../../web/index.js';

const state = document.getElementById('state');
const params = new URLSearchParams(location.hash.slice(1));

async function main() {
  const hush = await load({ full: true });
  const name = params.get('name');
  const identity = await hush.net.loadIdentity(name);
  state.textContent = 'connecting';
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const conn = await hush.net.connect(url, { identity, token: params.get('token') });
  state.textContent = 'joined';
  const input = Uint32Array.from(params.get('input').split(','), Number);
  const r = await conn.aggregate(params.get('task'), input);
  conn.close();
  const again = await hush.net.loadIdentity(name);
  document.body.dataset.result = JSON.stringify({
    round: r.round, sum: Array.from(r.sum), publicKey: Array.from(identity.publicKey),
    sameIdentity: again.publicKey.every((b, i) => b === identity.publicKey[i]),
  });
  state.textContent = 'done';
}

main().catch((e) => {
  document.body.dataset.error = `${e.name}: ${e.message}`;
  state.textContent = 'failed';
});
