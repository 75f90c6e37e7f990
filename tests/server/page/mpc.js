// A browser bank or applicant for tests/server/p2p_browser.test.mjs; location.hash carries
//   role=bank:      name, token, model (URL of a model file), direct (1: WebRTC data channels)
//   role=applicant: name, token, bank, link (direct | relay), data (URL of an ARFF file), seed
//                   (the held-out split of `hush train --seed`), limit, check (URL of the plaintext
//                   model: the decisions are compared with it here), bankKey (pin)
// The result (or the error) goes to document.body.dataset; the identity lives in IndexedDB.
import { load } from '../../../web/index.js';

const state = document.getElementById('state');
const params = new URLSearchParams(location.hash.slice(1));
const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const bytesOf = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());

async function bank(hush, identity) {
  const conn = await hush.p2p.connect(url, { identity, token: params.get('token'), role: 'bank', direct: params.get('direct') === '1' });
  conn.serve(await bytesOf(params.get('model')), '');
  const links = { direct: 0, relay: 0 };
  conn.addEventListener('done', (e) => {
    links[e.detail.link]++;
    document.body.dataset.served = JSON.stringify({ served: conn.stats.served, failed: conn.stats.failed, links });
  });
  conn.addEventListener('failed', (e) => { document.body.dataset.failedText = e.detail.text; });
  document.body.dataset.serving = '1';
  state.textContent = 'serving';
}

async function applicant(hush, identity) {
  const pins = params.get('bankKey') ? [{ name: params.get('bank'), publicKey: params.get('bankKey') }] : [];
  const conn = await hush.p2p.connect(url, { identity, token: params.get('token'), pins });
  const bankName = params.get('bank');
  await conn.describe(bankName);
  const all = hush.data.parseArff(await (await fetch(params.get('data'))).text());
  const [train, test] = all.split({ testFraction: 0.2, seed: Number(params.get('seed') ?? 1) });
  const dim = test.dim, n = Math.min(test.rows, Number(params.get('limit') ?? test.rows));
  const x = test.x.subarray(0, n * dim);
  const model = hush.Model.load(await bytesOf(params.get('check')));
  const want = model.predict(x);
  const link = params.get('link') ?? 'direct';
  const lat = [], links = { direct: 0, relay: 0 };
  let agree = 0, bytes = 0;
  state.textContent = 'applying';
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await conn.apply(bankName, x.subarray(i * dim, (i + 1) * dim), { rows: 1, link });
    agree += r.decisions[0] === want[i];
    lat.push(r.ms);
    bytes += r.bytes;
    links[r.link]++;
  }
  const secs = (performance.now() - t0) / 1e3;
  lat.sort((a, b) => a - b);
  conn.close();
  train.free(), test.free(), all.free(), model.free();
  document.body.dataset.result = JSON.stringify({
    applicants: n, agreement: agree / n, msPerApplicant: (1e3 * secs) / n, p50: lat[Math.floor(n / 2)],
    p90: lat[Math.floor(0.9 * (n - 1))], bytesPerApplicant: bytes / n, links,
  });
  state.textContent = 'done';
}

async function main() {
  const hush = await load();
  const identity = await hush.net.loadIdentity(params.get('name'));
  if (params.get('role') === 'bank') await bank(hush, identity);
  else await applicant(hush, identity);
}

main().catch((e) => {
  document.body.dataset.error = `${e.name}: ${e.message}`;
  state.textContent = 'failed';
});
