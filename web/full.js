// The full module's namespaces: secure computation and networking (hush.secagg, hush.mpc,
// hush.channel, hush.net, hush.federated / hush.FederatedClient, hush.p2p). web/index.js imports
// this file only for load({ full: true }), which also loads build/web/hush-full*.wasm: the lean
// module does not contain the C these call (Ed25519, X25519, the protocols), and most pages never
// need it. Every module this file imports is full-only: wasm/check-exports.sh derives the lean
// export list from the other files of web/ and fails if one of them imports these.
import { defineChannel } from './channel.js';
import { defineMpc } from './mpc.js';
import { defineSecAgg } from './secagg.js';
import { defineNet } from './net.js';
import { defineFederated } from './federated.js';
import { defineP2P } from './p2p.js';
import { defineSocket } from './socket.js';

// lean: what web/index.js built on the same Runtime (Model, the data module, the dp module).
export function defineFull(rt, { Model, data, dp }) {
  const channel = defineChannel(rt);
  const mpc = defineMpc(rt, { Model, channel });
  const secagg = defineSecAgg(rt);
  const ServerSocket = defineSocket(rt);
  const net = defineNet(rt, { wrapDataset: data.wrap, Odometer: dp.Odometer, ServerSocket });
  const FederatedClient = defineFederated(rt, { net, isDataset: data.isDataset });
  const p2p = defineP2P(rt, { net, ServerSocket });
  return { secagg, mpc, channel: channel.api, net, federated: Object.freeze({ Client: FederatedClient }), FederatedClient, p2p };
}
