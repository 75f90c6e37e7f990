// The public surface of hushml as a TypeScript user sees it, compiled (never run) by
// `make test-types` (tsc --noEmit -p tests/types): every call below must type-check against
// web/index.d.ts, and every line after an expect-error directive must fail to (tsc reports an
// unused directive as an error), so the declarations can neither lose an API nor accept misuse.
import load, {
  createWorker, HushError, HushParseError, load as namedLoad, simdSupported,
  type Accountant, type Dataset, type DPSGD, type FederatedSummary, type Hush, type HushFull, type HushHandle,
  type Model, type MpcParty, type Odometer, type PateAggregateReport, type SecAggRunResult, type TrainResult,
} from '../../web/index.js';
import * as pkg from '../../web/index.js';

// @ts-expect-error the classes are types only: their values live on an instance
pkg.Model;
// @ts-expect-error
pkg.Dataset;
// @ts-expect-error
pkg.DPSGD;
// @ts-expect-error
pkg.SecAggClient;
// @ts-expect-error
pkg.MpcParty;
// @ts-expect-error
pkg.FederatedClient;
// @ts-expect-error
pkg.Channel;

async function lean(): Promise<void> {
  const simd: boolean = simdSupported();
  const hush: Hush = await load({ simd });
  const same: Hush = await namedLoad();
  const full: false = hush.full;
  void same; void full;
  const v: string = hush.version;
  const c: number | string | undefined = hush.constants.HUSH_EARG;
  void v; void c;

  // nn
  const m: Model = hush.Model.create('dense:8,relu,dense:2', { inputSize: 4, seed: 7n, maxBatch: 16 });
  const m2: Model = hush.nn.Model.load(m.save(), { maxBatch: 8 });
  m.setOptimizer({ optimizer: 'adam', lr: 0.01, weightDecay: 0 });
  // @ts-expect-error not an optimiser
  m.setOptimizer({ optimizer: 'rmsprop' });
  const x = new Float32Array(8), y = new Uint32Array([0, 1]);
  const loss: number = m.step(x, y);
  const hist = await m.fit(x, y, { epochs: 2, batchSize: 2, seed: 1, onEpoch: (e) => { const l: number = e.loss; void l; } });
  const logits: Float32Array = m.forward(x);
  const labels: Uint32Array = m.predict([[0, 0, 0, 0]]);
  const ev: { loss: number; accuracy: number } = m.evaluate(x, y);
  m.setInputNorm({ shift: new Float32Array(4), scale: new Float32Array(4).fill(1), scaling: 'bounds' });
  const shape: { c: number; h: number; w: number } = m.inputShape;
  const h: HushHandle = m;
  const ptr: number = m.handle;
  void loss; void hist; void logits; void labels; void ev; void shape; void h; void ptr;
  m2.free();

  // data
  const ds: Dataset = hush.data.parseCsv('1,2,0\n3,4,1\n');
  const [train, test] = ds.split({ testFraction: 0.5, seed: 1 });
  const part: Dataset = ds.shard(2, 0, { labelsPerPart: 1, seed: 3 });
  const fmt: 'arff' | 'csv' | 'digits' | 'idx' = hush.data.formatGuess('x.arff');
  const idx: Dataset = hush.data.parse({ images: new Uint8Array(0), labels: new Uint8Array(0) }, 'idx');
  // @ts-expect-error not a format
  hush.data.parse('1,2\n', 'json');
  const gz: Promise<Uint8Array> = hush.data.gunzip(new Uint8Array(0));
  const isDs: boolean = hush.data.isDataset(ds);
  void train; void test; void part; void fmt; void idx; void gz; void isDs;
  await m.fit(ds, { epochs: 1 });

  // train
  const r: TrainResult = await hush.train({ data: '1,2,0\n', format: 'csv', spec: 'dense:2', epochs: 1, seed: 1,
    dp: { noiseMultiplier: 1.1, l2NormClip: 1 }, reproducibleNoise: true, evaluate: 'epoch', confusion: true });
  const acc: number = r.testAccuracy;
  const rm: Model = r.model;
  void acc; void rm;

  // dp
  const dp: DPSGD = new hush.dp.DPSGD(m, { batchSize: 2, noiseMultiplier: 1.1, sampling: 'poisson' });
  const epochs = await dp.fit(ds, { epochs: 1, onEpoch: (e) => { const eps: number = e.epsilon; void eps; } });
  const e1: number = dp.epsilon(1e-5);
  const sigma: number = hush.DPSGD.noiseForEpsilon({ targetEpsilon: 3, samplingRate: 0.01, steps: 1000 });
  void epochs; void e1; void sigma;
  dp.free();
  const acct: Accountant = new hush.Accountant({ kind: 'pld', conversion: 'improved' });
  acct.compose({ kind: 'sampledGaussian', noiseMultiplier: 1, samplingRate: 0.01 }, 100).compose({ kind: 'laplace', noiseMultiplier: 2 });
  // @ts-expect-error a sampled Gaussian needs its rate
  acct.compose({ kind: 'sampledGaussian', noiseMultiplier: 1 });
  const bounds: { lower: number; upper: number } = acct.epsilonBounds(1e-5);
  void bounds;
  const od: Odometer = new hush.dp.Odometer({ budgetEpsilon: 3 });
  const charged: boolean = od.charge({ kind: 'epsilonDelta', epsilon: 0.1, delta: 1e-7, id: 'round-1' });
  const od2: Odometer = hush.Odometer.load(od.save());
  void charged; void od2;

  // pate: the CLI's report keys
  const votes = [[0, 1, 1], [1, 1, 0]];
  const agg: PateAggregateReport = hush.pate.aggregate(votes, { mechanism: 'gnmax', sigma: 3, reproducibleNoise: true, seed: 1 });
  const dd: number | null = agg.data_dependent_eps;
  const lab: Int32Array = agg.labels;
  // @ts-expect-error the camelCase keys are gone: the report is the CLI's
  agg.dataDependentEps;
  const an = hush.pate.analyze(votes, { noiseEps: 0.1 });
  const di: number | null = an.data_independent_eps;
  const ss = hush.pate.analyze(votes, { smoothSensitivity: true, sigma: 5, sigmaSS: 2 });
  const rel: number | null = ss.released_data_dependent_eps;
  void dd; void lab; void di; void rel;

  // fl
  const q = hush.fl.quantInit({ bits: 32, clients: 10, bound: 1 });
  const enc: Uint32Array = hush.fl.fedavgEncode(q, [0.1, 0.2], 3, { seed: 1 });
  const { avg, totalWeight } = hush.fl.fedavgDecode(q, enc);
  const { ddp, quant } = hush.fl.ddpInit({ bits: 20, clients: 10, dim: 2, clip: 1, noiseMultiplier: 1 });
  const eps: number = hush.fl.ddpEpsilon(ddp, 10, 1e-5);
  void avg; void totalWeight; void quant; void eps;

  // the full module's namespaces are not usable on a lean instance
  // @ts-expect-error load({ full: true }) for secure aggregation
  hush.secagg.run({ inputs: [[1], [2]], threshold: 2, maxCorrupt: 0 });
  // @ts-expect-error
  new hush.FederatedClient({});

  try {
    hush.Model.load(new Uint8Array(3));
  } catch (e) {
    if (e instanceof HushParseError) { const line: number = e.line; void line; }
    if (e instanceof HushError) { const code: string = e.code; const st: number | undefined = e.status; void code; void st; }
  }
  const errClass: typeof HushError = hush.HushError;
  const inUse: number = hush.heapInUse();
  void errClass; void inUse;
}

async function full(): Promise<void> {
  const hush: HushFull = await load({ full: true, simd: false });
  const isFull: true = hush.full;
  void isFull;
  const m = hush.Model.create('dense:2', { inputSize: 2, seed: 1 });

  // secagg
  const run: SecAggRunResult = hush.secagg.run({ inputs: [[1, 2], [3, 4], [5, 6]], threshold: 2, maxCorrupt: 0, seed: 5 });
  const sum: Uint32Array = run.sum;
  const session: Uint8Array = hush.secagg.sessionRandom();
  const client = new hush.secagg.Client({ n: 3, threshold: 2, maxCorrupt: 0, dim: 2, id: 0, session });
  const server = new hush.secagg.Server({ n: 3, threshold: 2, maxCorrupt: 0, dim: 2, session });
  client.setInput([1, 2]);
  const msg: Uint8Array | null = client.nextMessage();
  if (msg) server.receive(msg);
  const out: { to: number; bytes: Uint8Array } | null = server.nextMessage();
  void sum; void out;
  client.free();
  server.free();

  // channel and mpc
  const { publicKey, secretKey } = hush.channel.keypair();
  const ch = new hush.channel.Channel({ side: 'initiator', session: hush.mpc.sessionId(), localRole: 0,
    peerRole: hush.mpc.DEALER, secretKey, peerPublicKey: publicKey });
  const st: 'handshake' | 'open' | 'closed' = ch.state;
  void st;
  const shares = hush.mpc.modelShare(m, 2, { fracBits: 16 });
  const party: MpcParty = new hush.mpc.Party({ role: 0, model: shares[0], session: hush.mpc.sessionId() });
  party.attach(ch);
  const next: { to: number; record: Uint8Array } | null = party.nextMessage();
  void next;
  party.free();
  ch.free();
  const pred = hush.mpc.predictRun(m, [[0, 1]], { output: 'logits', reproducibleNoise: true, seed: 1 });
  const dec: Uint32Array = pred.decisions;
  const bytes: number = pred.bytes;
  void dec; void bytes;

  // net, federated, p2p
  const identity = await hush.net.loadIdentity('bank-1', { file: 'bank-1.key' });
  const conn = await hush.net.connect('ws://127.0.0.1:8080/ws', { identity, token: 'ab'.repeat(16) });
  const agg = await conn.aggregate('sum', new Uint32Array([1, 2, 3]), { rounds: 1 });
  const s2: Uint32Array = agg.sum;
  void s2;
  conn.free();
  const ledger = await hush.net.openLedger('bank-1', { memory: true, budgetEpsilon: 3 });
  const data = hush.data.parseCsv('1,2,0\n');
  const fc = new hush.federated.Client({ url: 'ws://x/ws', identity, task: 'credit', data, ledger, rounds: 1 });
  fc.addEventListener('round', () => {});
  const summary: FederatedSummary = await fc.run();
  const fc2 = new hush.FederatedClient({ url: 'ws://x/ws', identity, task: 'credit', data });
  fc2.close();
  void summary;
  const bank = await hush.p2p.connect('ws://x/ws', { identity, role: 'bank' });
  bank.serve(m.save(), '@relation credit');
  bank.close();
  const direct: boolean = hush.p2p.directAvailable();
  void direct;
}

async function worker(): Promise<void> {
  const w = await createWorker({ simd: true, onCsp: (v) => { const d: string = v.directive; void d; } });
  const info = await w.info();
  const f: boolean = info.full;
  void f;
  const r = await w.train({ data: '1,2,0\n', format: 'csv', spec: 'dense:2', onEpoch: (e) => { void e.loss; } });
  const bytes: Uint8Array = r.model;
  const labels: Uint32Array = await w.predict({ model: bytes, x: [[1, 2]] });
  void labels;
  const fw = await createWorker({ full: true });
  const s: FederatedSummary = await fw.federate({ url: 'ws://x/ws', name: 'bank-1', task: 'credit', data: '1,2,0\n', format: 'csv',
    onEvent: (e) => { void e.event; } });
  void s;
  await w.terminate();
}

void lean; void full; void worker;
