// Types for hushml (web/index.js). JS mirrors the C API (core/include/hush/*.h) in camelCase, one
// namespace per C header (hush.nn / hush.Model, hush.data, hush.train, hush.dp, hush.pate, hush.fl,
// and in the full module hush.secagg, hush.mpc, hush.channel, hush.net, hush.federated, hush.p2p).
//
// The package's values are exactly load (also the default export), simdSupported, createWorker,
// HushError and HushParseError (tests/node/exports.test.mjs checks this file against the runtime).
// The classes (Model, Dataset, DPSGD, ...) are types only: their values live on an instance,
// `(await load()).Model`, because each instance has its own heap.

/** A u64 seed: a non-negative safe integer or a bigint below 2^64. Omitted = OS randomness. */
export type Seed = number | bigint;
export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export type DataFormat = 'arff' | 'csv' | 'digits' | 'idx';
/** Row-major features: a flat typed array / number array, or an array of rows. */
export type Features = Float32Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>;
/** Integer class labels in [0, classes). */
export type Labels = Uint32Array | ArrayLike<number>;
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;
export type Shape = { c: number; h: number; w: number };

/** Every error from the API. `code` is the C status name, e.g. "HUSH_EARG". */
export class HushError extends Error {
  constructor(code: string, message: string, status?: number);
  name: string;
  /** C status name (hush_status_name). */
  readonly code: string;
  /** Numeric C status (negative). */
  readonly status: number | undefined;
  /** For model spec errors: byte offset of the offending token. */
  offset?: number;
  /** When hush-server refused the connection: its close code's name, e.g. "HUSH_NET_E_TOKEN"
   *  (enum hush_net_error_code in net.h); also on errors rebuilt from a worker. */
  netCode?: string;
}

/** Malformed data: where (1-based line for text, byte offset) and the parser's message. */
export class HushParseError extends HushError {
  constructor(code: string, message: string, status: number | undefined, where?: { line?: number; offset?: number; msg?: string });
  readonly line: number;
  readonly offset: number;
  readonly msg: string;
}

export interface LoadOptions {
  /** true: SIMD build, false: baseline; default: probe WebAssembly.validate. */
  simd?: boolean;
  /** true: the full module (build/web/hush-full*.wasm), which adds secure computation and networking
   *  (hush.secagg, hush.mpc, hush.channel, hush.net, hush.federated, hush.p2p) to the lean default. */
  full?: boolean;
  /** Where to fetch the .wasm from (default: ../build/web/hush[-full][-base].wasm beside this module). */
  wasmUrl?: string | URL;
  /** The .wasm bytes, already loaded. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** A compiled module (must match the `simd` choice). */
  wasmModule?: WebAssembly.Module;
}

/** Every handle's lifecycle (a C object in the instance's wasm heap). */
declare abstract class HushHandle {
  /** The C object's address in the instance's heap; throws HushError HUSH_ESTATE once freed. */
  readonly handle: number;
  /** Whether free() ran. */
  readonly freed: boolean;
  /** Frees (and wipes) the C object now. Idempotent; every later use throws HUSH_ESTATE. A
   *  FinalizationRegistry frees handles the program drops, but only as a backstop. */
  free(): void;
}

export interface ModelCreateOptions {
  /** (channels, height, width); a feature vector is [n, 1, 1]. */
  inputShape?: [number, number, number] | [number] | Shape;
  /** Shorthand for inputShape [inputSize, 1, 1]. */
  inputSize?: number;
  /** Largest batch for step/forward (workspace is sized for it). Default 32. */
  maxBatch?: number;
  /** Parameters come from the canonical "init" stream of this seed. */
  seed?: Seed;
  /** Optimiser for step() (fit() takes its own). Default sgd. */
  optimizer?: OptimizerName;
  /** Default 0.01. */
  lr?: number;
}

export interface EpochInfo {
  epoch: number;
  /** Example-weighted mean of the epoch's batch losses. */
  loss: number;
}

export interface FitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 32; at most the model's maxBatch. */
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  /** Decoupled weight decay (AdamW-style; L2 for sgd). Default 0. */
  weightDecay?: number;
  /** Minibatch order comes from the canonical "shuffle" stream of this seed. */
  seed?: Seed;
  /** Called after each epoch; may return a promise, which fit awaits. */
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

declare class Model extends HushHandle {
  private constructor();
  /** Parses `spec` ("dense:32,relu,dense:2", "conv:8:3[:same],relu,maxpool,dense:10") and initialises parameters. */
  static create(spec: string, opts: ModelCreateOptions): Model;
  /** Reads a model file (from save() or `hush train --out`). */
  static load(bytes: Uint8Array, opts?: { maxBatch?: number }): Model;

  readonly paramCount: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly maxBatch: number;
  readonly inputShape: Shape;
  /** Canonical spec string. */
  readonly spec: string;

  getParams(): Float32Array;
  setParams(params: Features): void;
  /** Optimiser used by step(); resets its state. weightDecay is decoupled (AdamW-style), default 0. */
  setOptimizer(opts?: { optimizer?: OptimizerName; lr?: number; weightDecay?: number }): void;
  /** Input standardisation carried by the model and its file: x[j] -> (x[j] - shift[j]) * scale[j]
   * before every pass (NaN -> 0); null removes it. Use a training Dataset's normStats(). */
  setInputNorm(norm: InputNorm | null): void;
  /** The model's input standardisation, or null. */
  readonly inputNorm: InputNorm | null;
  /** Where the input norm came from, as the model file records it. */
  readonly inputScaling: InputScaling;
  /** One optimiser step on one batch (<= maxBatch rows); returns the batch's mean loss. */
  step(xBatch: Features | Dataset, yBatch?: Labels): number;
  /** Trains with a fresh optimiser; resolves to the per-epoch history. */
  fit(x: Features, y: Labels, opts?: FitOptions): Promise<EpochInfo[]>;
  fit(data: Dataset, opts?: FitOptions): Promise<EpochInfo[]>;
  /** Logits, rows x outputSize. */
  forward(x: Features | Dataset): Float32Array;
  /** Argmax labels. */
  predict(x: Features | Dataset): Uint32Array;
  evaluate(x: Features, y: Labels): Evaluation;
  evaluate(data: Dataset): Evaluation;
  /** The model file: identical bytes on every build. */
  save(): Uint8Array;
  /** The C hush_model; throws HUSH_ESTATE while fit() (or a DPSGD's fit) runs, as every change does. */
  readonly handle: number;
  /** Frees the C model and optimiser. Idempotent. During fit(), takes effect after the current epoch. */
  free(): void;
}

declare class Dataset extends HushHandle {
  private constructor();
  readonly rows: number;
  readonly dim: number;
  readonly classes: number;
  readonly shape: Shape;
  readonly classNames: string[];
  /** Copy of the features, rows x dim row-major. */
  readonly x: Float32Array;
  /** Copy of the labels. */
  readonly y: Uint32Array;
  /** Seeded shuffled split (canonical "split" stream): [train, test]; test has round(rows * testFraction) rows. */
  split(opts?: { testFraction?: number; seed?: Seed }): [Dataset, Dataset];
  /** Part `part` of `parts` disjoint shards (IID, or label-skewed with labelsPerPart classes each,
   * McMahan et al. 2017), to simulate silos; the same seed gives every part of one partition. */
  shard(parts: number, part: number, opts?: { labelsPerPart?: number; seed?: Seed }): Dataset;
  /** Standardises numeric columns of this (training) set and of `test` with this set's mean/std. */
  standardize(test?: Dataset): this;
  /** The map standardize() applies, for model.setInputNorm(): one-hot columns get shift 0, scale 1. */
  normStats(): InputNorm;
  /** Multiplies every feature by s. */
  scale(s: number): this;
  /** Numeric (not one-hot) columns: the ones bounds and scaling apply to. */
  readonly numericColumns: number;
}

export interface DataApi {
  Dataset: typeof Dataset;
  isDataset(v: unknown): v is Dataset;
  /** Weka ARFF; nominal attributes are one-hot encoded; the class is "class" or the last attribute. */
  parseArff(text: string | Bytes): Dataset;
  /** Numeric CSV, label in the last column; a non-numeric first line is a header. */
  parseCsv(text: string | Bytes): Dataset;
  /** IDX images (N x H x W u8) + labels (N u8); pixels scaled to [0, 1]; shape (1, H, W). */
  parseIdx(images: Bytes, labels: Bytes): Dataset;
  /** The training workflow's parse (hush_train_data_parse): digits scaled by 1/16; gzip'ed bytes
   *  are refused with HUSH_EFORMAT and a message saying so (decompress with gunzip first). */
  parse(data: string | Bytes | { images: Bytes; labels: Bytes }, format: DataFormat): Dataset;
  /** The format a file name implies (*.arff, *-ubyte, *digits*.csv, else csv; ".gz" ignored):
   *  hush_train_format_guess. */
  formatGuess(name: string): DataFormat;
  /** The earlier name of formatGuess. */
  guessFormat(name: string): DataFormat;
  /** gzip'ed bytes through the platform's DecompressionStream. */
  gunzip(bytes: Uint8Array): Promise<Uint8Array>;
}

/** 'custom': set by hand or nothing recorded; 'standardize': the training split's exact
 *  statistics (not private); 'bounds': public bounds; 'dp': a differentially private estimate. */
export type InputScaling = 'custom' | 'standardize' | 'bounds' | 'dp';

export interface InputNorm {
  shift: Float32Array;
  scale: Float32Array;
  /** Recorded in the model file (setInputNorm: default 'custom'). */
  scaling?: InputScaling;
}

export interface DPTrainOptions {
  /** Per-example L2 clip C (default 1). */
  l2NormClip?: number;
  /** sigma (default 1); or targetEpsilon, which picks the smallest sigma meeting it, the input
   *  scaling's cost included. */
  noiseMultiplier?: number;
  targetEpsilon?: number;
  /** Default 1e-5. */
  delta?: number;
  /** 'poisson' (default) or 'shuffle'. */
  sampling?: 'poisson' | 'shuffle';
  microbatches?: number;
}

export interface TrainOptions {
  /** Text (arff/csv/digits), bytes (gzip'ed bytes are decompressed), {images, labels} (idx), or a
   *  parsed Dataset (not freed). */
  data: string | Bytes | { images: Bytes; labels: Bytes } | Dataset;
  format?: DataFormat;
  /** A separate test set; otherwise `data` is split with testFraction. */
  testData?: TrainOptions['data'];
  spec: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  /** Decoupled weight decay, default 0 (the CLI's --weight-decay). */
  weightDecay?: number;
  /** Fixes the split, the initialisation and the minibatch order (not the DP noise, unless
   *  reproducibleNoise). Omitted: all from the OS. */
  seed?: Seed;
  /** Default 0.2. */
  testFraction?: number;
  /** Default 'auto': 'standardize' for arff and csv ('dp' in DP runs; 'bounds' if bounds are
   *  given), 'none' otherwise. 'standardize' (exact training statistics) is refused in DP runs. */
  scaling?: 'auto' | 'none' | 'standardize' | 'bounds' | 'dp';
  /** Public bounds per numeric column: [[lo, hi], ...] or the text of a bounds file. */
  bounds?: Array<[number, number]> | string;
  /** The DP scaling histogram's noise multiplier (default 8). */
  scalingNoise?: number;
  /** Shorthand: false is scaling 'none', true 'standardize'. */
  standardize?: boolean;
  /** Train with DP-SGD. Its noise and sampling come from the OS CSPRNG. */
  dp?: true | DPTrainOptions;
  /** DP noise and sampling from `seed` instead: reproducible and NOT private (tests only). */
  reproducibleNoise?: boolean;
  /** Opacus-style secure noise (sums of double normals) for released gradients. */
  secureNoise?: boolean;
  /** Rows per model pass (default batchSize); larger Poisson batches are chunked. */
  maxBatch?: number;
  /** 'epoch': evaluate the test split (and, outside DP, the training split) after every epoch. */
  evaluate?: 'epoch';
  /** Also return the test split's confusion matrix and the class names. */
  confusion?: boolean;
  /** Called after each epoch (the result yields to the event loop between epochs). */
  onEpoch?: (e: TrainEpoch) => void | Promise<void>;
}

export interface TrainEpoch {
  epoch: number;
  /** null in DP runs (an exact statistic of the training rows). */
  loss: number | null;
  /** DP runs: steps and epsilon so far (epsilon when onEpoch is given). */
  steps?: number;
  epsilon?: number;
  /** With evaluate: 'epoch'. */
  testAccuracy?: number;
  testLoss?: number;
  trainAccuracy?: number;
}

export interface TrainPrivacy {
  dp: boolean;
  /** True for a DP run with OS noise and a finite epsilon. */
  private: boolean;
  noise?: 'os' | 'seed';
  secureNoise?: boolean;
  sampling?: 'poisson' | 'shuffle';
  samplingRate?: number;
  noiseMultiplier?: number;
  l2NormClip?: number;
  delta?: number;
  steps?: number;
  runs?: number;
  /** What the configuration plans: steps per epoch x epochs, and the epsilon they will spend. */
  plannedSteps?: number;
  plannedEpsilon?: number;
  /** Everything composed: the DP-SGD steps and the input scaling. */
  epsilon?: number;
  scaling: 'none' | 'standardize' | 'bounds' | 'dp';
  scalingNoiseMultiplier?: number;
  /** The input scaling alone. */
  scalingEpsilon?: number;
}

export interface TrainResult {
  /** The trained model; the caller frees it. */
  model: Model;
  history: TrainEpoch[];
  /** Only when one was given. */
  seed?: Seed;
  epochs: number;
  batch: number;
  params: number;
  trainRows: number;
  testRows: number;
  /** null in DP runs (withheld). */
  finalLoss: number | null;
  trainAccuracy: number | null;
  trainMetrics: 'exact' | 'withheld';
  testAccuracy: number;
  testLoss: number;
  /** Training time only (not evaluation or the pauses between epochs). */
  examplesPerSecond: number;
  seconds: number;
  scaling: TrainPrivacy['scaling'];
  private: boolean;
  privacy: TrainPrivacy;
  /** With confusion: counts[actual * classes + predicted] over the test split. */
  confusion?: number[];
  classNames?: string[];
}

export type Constants = Readonly<Record<string, number | string>>;


// ---- secure aggregation (web/secagg.js, core/include/hush/secagg.h) ----

export interface SecAggConfig {
  /** Clients, ids 0..n-1. */
  n: number;
  /** Shamir threshold t: 2t > m + maxCorrupt, t <= m and t - maxCorrupt >= minHonest, m = neighbourhood size
   * including self (m = n for the complete graph). */
  threshold: number;
  /** c: corrupt clients tolerated (colluding with the server); per neighbourhood for SecAgg+. */
  maxCorrupt: number;
  /** k_min: honest inputs in any sum the server can learn (default 2). */
  minHonest?: number;
  /** Vector length. */
  dim: number;
  /** Ring Z_2^bits, 1..32 (default 32); masked inputs travel at exactly this many bits. */
  bits?: number;
  /** 0: complete graph (Bonawitz et al.); else SecAgg+ degree. */
  neighbours?: number;
  /** Ed25519 PKI: clients and server hold every participant's public identity key. */
  authenticated?: boolean;
  /** Public per-round id, 16 bytes, fresh for every round (randomSession()); required with neighbours or
   * authenticated. */
  session?: Uint8Array;
}

export interface SecAggClientOptions extends SecAggConfig {
  id: number;
  /** 32 bytes that, with the session, n and id, fix every key and coefficient (reproducible runs); default: OS
   * randomness. */
  seed?: Uint8Array;
  /** Own Ed25519 secret key (64 bytes) and everyone's public keys (n * 32 bytes, index = id). */
  signSecretKey?: Uint8Array;
  signPublicKeys?: Uint8Array;
}

export interface SecAggServerOptions extends SecAggConfig {
  /** Everyone's Ed25519 public keys (n * 32 bytes): required before an authenticated server accepts anything. */
  signPublicKeys?: Uint8Array;
}

declare class SecAggClient extends HushHandle {
  constructor(opts: SecAggClientOptions);
  setIdentity(signSecretKey: Uint8Array, signPublicKeys: Uint8Array): void;
  setInput(x: Uint32Array | number[]): void;
  receive(message: Uint8Array): void;
  /** The pending message, or null. */
  nextMessage(): Uint8Array | null;
  /** 0..4, or constants.HUSH_SECAGG_DONE / HUSH_SECAGG_ABORTED. */
  readonly round: number;
  readonly maxMessage: number;
}

declare class SecAggServer extends HushHandle {
  constructor(opts: SecAggServerOptions);
  setIdentities(signPublicKeys: Uint8Array): void;
  receive(message: Uint8Array): void;
  /** The round's deadline: absent clients have dropped out. Throws HUSH_ESTATE (or HUSH_ECRYPTO, see faults()) on abort. */
  endRound(): void;
  nextMessage(): { to: number; bytes: Uint8Array } | null;
  readonly round: number;
  readonly maxMessage: number;
  count(round: number): number;
  result(): { sum: Uint32Array; included: Uint8Array };
  /** Per client, bits of constants.HUSH_SECAGG_FAULT_* (refused keys, signatures, shares; bad dealing). */
  faults(): Uint8Array;
}

export interface SecAggRunOptions extends Omit<SecAggConfig, 'n' | 'dim'> {
  /** One row per client, or a flat Uint32Array with n. */
  inputs: ArrayLike<number>[] | Uint32Array;
  n?: number;
  dim?: number;
  /** First round (0..4) in which a client sends nothing: an array (one per client) or { client: round }. */
  drop?: number[] | Record<number, number>;
  /** Keys, identities and (unless session is given) the session from the canonical streams of this seed, as
   * `hush secagg sim --seed`. Default: OS randomness. */
  seed?: Seed;
}

/** The keys of `hush secagg sim --json`, plus the sum and who is in it. */
export interface SecAggRunResult {
  sum: Uint32Array;
  included: Uint8Array;
  clients: number;
  survivors: number;
  dim: number;
  threshold: number;
  max_corrupt: number;
  min_honest: number;
  bits: number;
  neighbours: number;
  authenticated: boolean;
  messages: number;
  bytes_up_per_client: number;
  bytes_down_per_client: number;
  faulty: number;
  ms: number;
}

export interface SecAggApi {
  readonly Client: typeof SecAggClient;
  readonly Server: typeof SecAggServer;
  /** A whole round in process (hush_secagg_run). Throws HushError (HUSH_ESTATE) if it aborts. */
  run(opts: SecAggRunOptions): SecAggRunResult;
  /** A fresh 16-byte session from the OS CSPRNG (hush_secagg_session_random). */
  sessionRandom(): Uint8Array;
  /** The earlier name of sessionRandom. */
  randomSession(): Uint8Array;
  /** Throws HUSH_EARG / HUSH_ERANGE if the configuration is unusable (bounds, session). */
  configCheck(opts: SecAggConfig): void;
  /** Sorted ids of M(client), self included. */
  neighbourhood(opts: SecAggConfig, client: number): Uint32Array;
  /** Bytes one client handle and the server handle take. */
  memory(opts: SecAggConfig): { client: number; server: number };
  /** The `hush secagg sim --inputs` text format. Throws HushParseError. */
  inputsParse(text: string, opts?: { bits?: number }): { inputs: Uint32Array; clients: number; dim: number };
  /** The mask PRG (known-answer tests). */
  prgExpand(seed: Uint8Array, dim: number, bits?: number): Uint32Array;
}

// ---- federated-learning encodings (web/fl.js, core/include/hush/fl.h) ----

export interface FlQuant {
  readonly bits: number;
  readonly clients: number;
  readonly bound: number;
  readonly headroom: number;
  /** Integer units per 1.0. */
  readonly scale: number;
}

export interface FlDdp {
  readonly clip: number;
  readonly noiseMultiplier: number;
  /** Delta in integer units. */
  readonly sensitivity: number;
  /** Per-client noise actually sampled (sqrt(varNum / varDen)). */
  readonly sigma: number;
  readonly varNum: bigint;
  readonly varDen: bigint;
}

export interface FlApi {
  /** Scales x (in place) into the L2 ball; returns the norm before. */
  clipL2(x: Float32Array, maxNorm: number): number;
  /** Clamps x (in place) into [lo, hi]; returns how many values changed. */
  clipRange(x: Float32Array, lo: number, hi: number): number;
  quantInit(opts: { bits: number; clients: number; bound: number; headroom?: number }): FlQuant;
  /** Stochastic rounding into Z_2^bits; HUSH_ERANGE if |x| > bound. seed: tests only. */
  quantize(q: FlQuant, x: ArrayLike<number>, opts?: { seed?: Seed }): Uint32Array;
  dequantize(q: FlQuant, sum: Uint32Array | number[]): Float32Array;
  /** Quantised (weight * update, weight): update.length + 1 values. */
  fedavgEncode(q: FlQuant, update: ArrayLike<number>, weight: number, opts?: { seed?: Seed }): Uint32Array;
  fedavgDecode(q: FlQuant, sum: Uint32Array | number[]): { avg: Float32Array; totalWeight: number };
  ddpInit(opts: { bits: number; clients: number; dim: number; clip: number; noiseMultiplier: number }): { ddp: FlDdp; quant: FlQuant };
  /** Clip (a copy), quantise and add this client's discrete Gaussian noise. Omit seed for real data. */
  ddpEncode(ddp: FlDdp, q: FlQuant, x: ArrayLike<number>, opts?: { seed?: Seed }): Uint32Array;
  ddpEpsilon(ddp: FlDdp, survivors: number, delta: number): number;
}

// ---- differential privacy (web/dp.js, core/include/hush/dp.h) ----

export interface DPSGDOptions {
  /** Per-example L2 clip C (default 1). */
  l2NormClip?: number;
  /** sigma: noise std is sigma * C on the summed gradient (default 1). */
  noiseMultiplier?: number;
  /** Poisson rate q; or give batchSize and q = batchSize / rows at the first step. */
  samplingRate?: number;
  batchSize?: number;
  /** 'poisson' (default; what the accountant assumes) or 'shuffle' (fixed batches; the epsilon reported
   * is the customary number for q = batch / rows, not a proof for shuffling). */
  sampling?: 'poisson' | 'shuffle';
  /** TF Privacy microbatches (shuffle only): clip each microbatch mean. 0 = per example. */
  microbatches?: number;
  /** Default delta of epsilon() (1e-5). */
  delta?: number;
  /** Opacus-style secure noise (sums of double normals), for noisy gradients that are released. */
  secureNoise?: boolean;
  /** The sampling and noise from the sub-stream "dpsgd" of seed (as `hush train --dp
   *  --reproducible-noise`): NOT private, for tests. Without it they come from the OS. */
  reproducibleNoise?: boolean;
  /** Only with reproducibleNoise. */
  seed?: Seed;
  optimizer?: OptimizerName;
  lr?: number;
  weightDecay?: number;
}

export interface DPEpoch {
  epoch: number;
  steps: number;
  epsilon: number;
}

declare class DPSGD extends HushHandle {
  /** Trains `model` (which must outlive this object) with its own optimiser. */
  constructor(model: Model, opts: DPSGDOptions);
  /** Poisson: (x, y) is the whole training set, each row sampled with probability q; shuffle: one batch. */
  step(x: Features | Dataset, y?: Labels): { loss: number; batchSize: number };
  /** Draws the next step's noise now (idle time), same result bit for bit; false if nothing to draw. */
  prefetch(): boolean;
  /** Epochs, yielding to the page between them as Model.fit does; the model is busy meanwhile. */
  fit(data: Dataset, opts?: { epochs?: number; onEpoch?: (e: DPEpoch) => void | Promise<void> }): Promise<DPEpoch[]>;
  fit(x: Features, y: Labels, opts?: { epochs?: number; onEpoch?: (e: DPEpoch) => void | Promise<void> }): Promise<DPEpoch[]>;
  /** Epsilon spent so far (RDP of the sampled Gaussian, improved conversion). */
  epsilon(delta?: number): number;
  readonly steps: number;
  /** The C hush_dpsgd: 0 before the first step (it is created then). */
  readonly handle: number;
  /** Smallest noise multiplier meeting targetEpsilon after `steps` Poisson steps at samplingRate. */
  static noiseForEpsilon(opts: { targetEpsilon: number; delta?: number; samplingRate: number; steps: number }): number;
}

export type DPEvent =
  | { kind: 'gaussian'; noiseMultiplier: number }
  | { kind: 'sampledGaussian'; noiseMultiplier: number; samplingRate: number }
  | { kind: 'laplace'; noiseMultiplier: number };

declare class Accountant extends HushHandle {
  /** PLD grids adapt to the composition; pldMaxBins (default 2^16, about 17 MB) caps each grid. */
  constructor(opts?: { kind?: 'rdp' | 'pld'; conversion?: 'improved' | 'classic'; pldMaxBins?: number });
  readonly kind: 'rdp' | 'pld';
  compose(event: DPEvent, count?: number): this;
  /** An upper bound (PLD: pessimistic, never above RDP). */
  epsilon(delta: number): number;
  /** lower <= true epsilon <= upper (RDP: lower 0). */
  epsilonBounds(delta: number): { lower: number; upper: number };
  delta(epsilon: number): number;
  reset(): this;
}

export type OdometerEvent = { count?: number; id?: string | Uint8Array } & (
  | DPEvent
  | { kind: 'discreteGaussianSum'; sigma: number; sensitivity: number; parties: number; dimension: number }
  | { kind: 'rdpCurve'; orders: number[]; rdp: number[] }
  | { kind: 'epsilonDelta'; epsilon: number; delta: number });

/** A ledger of DP events against a budget (core hush_odometer); save() bytes go to IndexedDB or a file. */
declare class Odometer extends HushHandle {
  constructor(opts: { budgetEpsilon: number; budgetDelta?: number; accountant?: 'pld' | 'rdp'; pldMaxBins?: number });
  static load(bytes: Uint8Array): Odometer;
  /** true if charged, false if its id was already charged; throws HushError 'HUSH_EBUDGET' (nothing charged) over budget. */
  charge(event: OdometerEvent): boolean;
  wouldSpend(event?: OdometerEvent): { lower: number; upper: number };
  spent(delta?: number): { lower: number; upper: number };
  setBudget(budgetEpsilon: number, budgetDelta?: number): void;
  entries(): Array<{ kind: string; count: number; samplingRate?: number; noiseMultiplier?: number; epsilon?: number; delta?: number; id?: Uint8Array }>;
  save(): Uint8Array;
  readonly count: number;
  readonly budgetEpsilon: number;
  readonly budgetDelta: number;
}

/** Teacher votes: one row per teacher, one label per example; or a row-major matrix. */
export type Votes = ArrayLike<number>[] | { votes: Uint32Array | ArrayLike<number>; teachers: number; examples: number };

/** Noise: the OS by default; reproducibleNoise: true derives it from seed (default 1): NOT private. */
export interface PateNoise { reproducibleNoise?: boolean; seed?: Seed }

/** The CLI's noise keys: `private` and `noise`, and with reproducible noise the seed. */
export type PateNoiseReport = { private: true; noise: 'os' } | { private: false; noise: 'seed'; seed: Seed };

/** The report of `hush pate aggregate --json`, key for key (null where a value does not apply). */
export type PateAggregateReport = {
  command: 'pate-aggregate'; mechanism: 'lnmax' | 'gnmax' | 'confident';
  teachers: number; examples: number; classes: number; answered: number;
} & PateNoiseReport & {
  /** Data-independent. */
  epsilon: number | null;
  /** null when not defined; publishing it needs smooth sensitivity (analyze with smoothSensitivity). */
  data_dependent_eps: number | null;
  delta: number;
  /** GNMax and Confident-GNMax only. */
  conversion?: 'classic' | 'improved';
  /** One label per example, -1 where the aggregate declined. */
  labels: Int32Array;
};

/** The report of `hush pate analyze --json` (PySyft's analysis), key for key. */
export interface PateAnalyzeReport {
  command: 'pate-analyze';
  teachers: number; examples: number; queries: number; moments: number; noise_eps: number; delta: number;
  data_dependent_eps: number | null;
  data_independent_eps: number | null;
}

/** The report of `hush pate analyze --smooth-sensitivity --json`, key for key. */
export type PateReleaseReport = {
  command: 'pate-analyze'; teachers: number; examples: number; queries: number; classes: number;
} & PateNoiseReport & {
  sigma: number; threshold?: number; sigma1?: number; delta: number; conversion: 'classic' | 'improved';
  /** Not publishable: only released_data_dependent_eps is. */
  data_dependent_eps: number | null;
  data_independent_eps: number | null;
  order: number | null;
  beta: number | null;
  sigma_ss: number | null;
  smooth_sensitivity: number | null;
  release_rdp: number | null;
  released_data_dependent_eps: number | null;
};

/** PATE (core/include/hush/pate.h). The results are the CLI's JSON reports, with its keys. */
export interface PateApi {
  aggregate(votes: Votes, opts: PateNoise & {
    mechanism: 'lnmax' | 'gnmax' | 'confident';
    noiseEps?: number;
    sigma?: number;
    threshold?: number;
    sigma1?: number;
    classes?: number;
    delta?: number;
    /** RDP -> (eps, delta) conversion of the 2018 analysis (gnmax, confident); default 'classic'. */
    conversion?: 'classic' | 'improved';
  }): PateAggregateReport;
  /** PySyft 0.2 perform_analysis(teacher_preds, indices, noise_eps, delta, moments). */
  analyze(votes: Votes, opts: { noiseEps: number; delta?: number; moments?: number; indices?: ArrayLike<number> }): PateAnalyzeReport;
  /** The 2018 GNMax / Confident-GNMax analysis, with the data-dependent epsilon released through
   * smooth sensitivity (Papernot et al. 2018): only released_data_dependent_eps may be published. */
  analyze(votes: Votes, opts: PateNoise & {
    smoothSensitivity: true; sigma: number; sigmaSS: number; threshold?: number; sigma1?: number;
    beta?: number; order?: number; classes?: number; indices?: ArrayLike<number>; delta?: number;
    conversion?: 'classic' | 'improved';
  }): PateReleaseReport;
}

/** An enrolled participant's Ed25519 identity (core/include/hush/net.h). */
export interface NetIdentity {
  readonly name: string;
  readonly publicKey: Uint8Array;
  /** The identity-file bytes: they hold the secret seed. */
  toBytes(): Uint8Array;
}

export interface NetRoundEvent extends Event {
  detail: { round: number; n: number; id: number; dim: number; bits: number };
}
export interface NetResultEvent extends Event {
  detail: { round: number; status: 'committed' | 'aborted'; sum: Uint32Array | null; finished: boolean };
}

/** One participant's authenticated connection to hush-server; reconnects with backoff. */
export interface NetConnection extends EventTarget {
  readonly name: string;
  readonly connects: number;
  readonly rounds: { committed: number; aborted: number };
  /** Takes part in a secure-sum task until `rounds` rounds have committed (default 1). */
  aggregate(task: string, input: Uint32Array, opts?: { rounds?: number }):
    Promise<{ round: number; sum: Uint32Array; committed: number; aborted: number }>;
  /** Closes the socket and frees (wipes) the client state machine; idempotent. */
  close(): void;
  /** The same as close(): every handle's lifecycle. */
  free(): void;
  readonly freed: boolean;
}

/** A participant's privacy ledger (an Odometer) kept where it survives reloads. */
export interface NetLedger {
  readonly odometer: Odometer;
  /** free() frees the odometer. */
  readonly freed: boolean;
  /** Writes the ledger back (file: temp file + fsync + rename; browsers: one IndexedDB transaction). */
  save(): Promise<void>;
  free(): void;
}

/** The terms of a federated task as the server sent them (core/include/hush/federated.h). */
export interface FederatedTerms {
  privacy: 'none' | 'record' | 'user';
  localEpochs: number; localBatch: number; lr: number;
  serverOptimizer: 'fedavg' | 'fedadam'; serverLr: number;
  clip: number; noiseMultiplier: number; metricNoise: number; delta: number; validationFraction: number;
  bits: number; maxParticipants: number; minSurvivors: number; maxRows: number;
  /** The classifier stays at its initial values; local training and the server's step move the body only. */
  freezeHead: boolean;
}

export interface FederatedRoundDetail {
  round: number; n: number; trainRows: number; validationRows: number;
  /** Of the global model on this participant's validation rows, before training. */
  validationAccuracy: number; validationLoss: number; updateNorm: number; steps: number;
  privacy: FederatedTerms['privacy'];
  /** Spent so far (the ledger's upper bound at its delta); budgetEpsilon null without a ledger. */
  epsilon: number; budgetEpsilon: number | null; delta?: number;
}

export interface FederatedSummary {
  rounds: number; aborted: number; declined: number; contributed: number; lastRound: number;
  trainRows: number; validationRows: number;
  /** The final global model file (null if none arrived). */
  model: Uint8Array | null;
  epsilon: number; budgetEpsilon: number | null; delta?: number;
  privacy: FederatedTerms['privacy'] | null;
  /** False with privacy 'none' or a test seed. */
  private: boolean;
  noise: 'os' | 'reproducible';
}

export interface FederatedClientOptions {
  url: string;
  identity: NetIdentity;
  /** The one-time enrolment token (first connection only). */
  token?: string | Uint8Array;
  task: string;
  /** The participant's own rows: they never leave this process. */
  data: Dataset;
  /** Omit to keep no budget (then every round is taken). */
  ledger?: NetLedger;
  /** Committed rounds to take part in; default: until the task ends. */
  rounds?: number;
  pins?: string | { name: string; publicKey: Uint8Array }[];
  WebSocket?: unknown;
  /** Tests only: reproducible noise, so the update is NOT private. */
  seed?: Seed;
}

/** One participant of a hush-server federated task. Events: 'model' {round, model}, 'round'
 * (FederatedRoundDetail), 'declined' {round, epsilon, budgetEpsilon}, 'result' {round, status}, 'close'. */
declare class FederatedClient extends EventTarget {
  constructor(opts: FederatedClientOptions);
  /** Takes part until the task ends, opts.rounds rounds commit, or the budget would be exceeded. */
  run(): Promise<FederatedSummary>;
  close(): void;
}

export interface NetApi {
  readonly Identity: { generate(name: string): NetIdentity };
  /** Created on first use: IndexedDB in browsers, or the key file `opts.file` (mode 0600) in Node. */
  loadIdentity(name: string, opts?: { file?: string }): Promise<NetIdentity>;
  /** Connects to ws(s)://HOST:PORT/ws and authenticates (enrols with `token` the first time). */
  connect(url: string, opts: {
    identity: NetIdentity; token?: string | Uint8Array;
    /** Accept only rounds whose participants are all pinned: pin-file text or a list. */
    pins?: string | { name: string; publicKey: Uint8Array }[];
    WebSocket?: unknown;
  }): Promise<NetConnection>;
  /** For instanceof. */
  readonly Connection: { readonly prototype: NetConnection };
  readonly Ledger: { readonly prototype: NetLedger };
  /** The ledger `name`: opts.file (Node), IndexedDB (browsers) or opts.memory (this process only).
   * A new ledger needs budgetEpsilon; on an existing one a budget can only be lowered. */
  openLedger(name: string, opts?: { file?: string; memory?: boolean; budgetEpsilon?: number; budgetDelta?: number }): Promise<NetLedger>;
}

// ---- hush.p2p: encrypted predictions between an applicant and a bank (core/include/hush/p2p.h) ----

/** A bank's signed public description: its model file without weights and its input schema. */
export interface P2PDescription {
  readonly bank: string;
  /** A Hush model file: architecture and input standardisation, every parameter zero. */
  readonly model: Uint8Array;
  /** The ARFF header the bank's raw inputs follow (may be empty). */
  readonly schema: string;
  /** The bank makes direct (WebRTC) links. */
  readonly direct: boolean;
}

export interface P2PResult {
  /** One class index per row; only this side ever learns them. */
  decisions: Uint32Array;
  rows: number;
  link: 'direct' | 'relay';
  /** From apply() to the decision, in this process. */
  ms: number;
  /** This side's frames and direct-link messages of the session. */
  bytes: number;
  /** The 128-bit session id, hex. */
  session: string;
}

export interface P2PSessionEvent extends Event {
  detail: { slot: number; peer: string; rows: number; link: 'direct' | 'relay' | 'none'; session: string; bytes?: number; code?: number; text?: string };
}

/** One participant of p2p sessions: a bank that serves, or an applicant that applies. Events:
 *  'ready', 'session', 'done', 'failed' (P2PSessionEvent), 'refused', 'warning', 'close'. */
export interface P2PConnection extends EventTarget {
  readonly role: 'bank' | 'applicant';
  readonly name: string;
  readonly publicKey: Uint8Array;
  /** This connection opens WebRTC data channels (browsers). */
  readonly direct: boolean;
  readonly connects: number;
  /** Bank: sessions served and failed, rows decided, bytes. */
  readonly stats: { served: number; failed: number; rows: number; bytes: number };
  /** Sessions in progress. */
  readonly sessions: number;
  /** Bank: serve a model file (dense layers) with the ARFF header its inputs follow. */
  serve(model: Uint8Array | ArrayBuffer, schema?: string): void;
  /** Applicant: the bank's signed description (refused with HUSH_P2P_E_IDENTITY if pinned otherwise). */
  describe(bank: string): Promise<P2PDescription>;
  description(bank: string): P2PDescription | null;
  /** Applicant: one session for `rows` applicants' raw features (rows x the model's inputs).
   *  Rejects with the reason (and no output) if the session fails. */
  apply(bank: string, features: Float32Array | ArrayLike<number>, opts?: { rows?: number; link?: 'direct' | 'relay' }): Promise<P2PResult>;
  /** Closes the socket and the direct links and frees (wipes) the state machine; idempotent. */
  close(): void;
  /** The same as close(): every handle's lifecycle. */
  free(): void;
  readonly freed: boolean;
}

export interface P2PApi {
  /** Connects to ws(s)://HOST:PORT/ws and authenticates (enrols with `token` the first time). */
  connect(url: string, opts: {
    identity: NetIdentity; token?: string | Uint8Array;
    role?: 'bank' | 'applicant';
    /** Applicant: the banks it accepts, and the dealer's key. */
    pins?: { name: string; publicKey: Uint8Array | string }[];
    dealerKey?: Uint8Array | string;
    /** Open WebRTC data channels (default: where RTCPeerConnection exists). */
    direct?: boolean;
    maxSessions?: number; maxRows?: number; frameMax?: number;
    /** Reconnect with backoff (default: banks). */
    reconnect?: boolean;
    /** ms before a direct link falls back to the relay (default 5000); ICE servers (default none). */
    rtc?: { timeout?: number; iceServers?: unknown[] };
    WebSocket?: unknown;
  }): Promise<P2PConnection>;
  /** RTCPeerConnection exists here. */
  directAvailable(): boolean;
  /** For instanceof. */
  readonly Connection: { readonly prototype: P2PConnection };
}

/** What both modules have. */
export interface HushCommon {
  /** Which build was loaded. */
  readonly simd: boolean;
  readonly version: string;
  /** Status codes, limits, enums and struct layouts, from C (wasm/constants.c). */
  readonly constants: Constants;
  /** core/include/hush/nn.h. */
  readonly nn: { readonly Model: typeof Model };
  /** hush.nn.Model. */
  readonly Model: typeof Model;
  readonly data: DataApi;
  /** The `hush train` pipeline with the canonical seeding: same seed, same model bytes as the CLI. */
  train(opts: TrainOptions): Promise<TrainResult>;
  /** Differential privacy (core/include/hush/dp.h). */
  readonly dp: { readonly DPSGD: typeof DPSGD; readonly Accountant: typeof Accountant; readonly Odometer: typeof Odometer };
  /** hush.dp.DPSGD, hush.dp.Accountant, hush.dp.Odometer. */
  readonly DPSGD: typeof DPSGD;
  readonly Accountant: typeof Accountant;
  readonly Odometer: typeof Odometer;
  /** PATE (core/include/hush/pate.h). */
  readonly pate: PateApi;
  /** Clipping, quantisation, FedAvg and distributed DP for secure aggregation (core/include/hush/fl.h). */
  readonly fl: FlApi;
  statusName(status: number): string;
  strerror(status: number): string;
  /** Bytes currently malloc'ed in this instance's heap. */
  heapInUse(): number;
  /** Current size of this instance's linear memory. */
  heapSize(): number;
  readonly HushError: typeof HushError;
  readonly HushParseError: typeof HushParseError;
}

/** The lean default instance (load()). The full module's namespaces are there but unusable: reading
 *  one throws HushError HUSH_EUNSUPPORTED, saying to load({ full: true }). */
export interface Hush extends HushCommon {
  readonly full: false;
  readonly secagg: never;
  readonly mpc: never;
  readonly channel: never;
  readonly net: never;
  readonly federated: never;
  readonly FederatedClient: never;
  readonly p2p: never;
}

/** The full instance (load({ full: true })): the lean one plus secure computation and networking. */
export interface HushFull extends HushCommon {
  readonly full: true;
  /** Secure aggregation (core/include/hush/secagg.h). */
  readonly secagg: SecAggApi;
  /** Secret sharing, encrypted prediction and training (core/include/hush/mpc.h). */
  readonly mpc: MpcApi;
  /** The authenticated, encrypted channel between two peers (core/include/hush/channel.h). */
  readonly channel: ChannelApi;
  /** Participants of hush-server tasks (identities, authenticated connections, secure sums, ledgers). */
  readonly net: NetApi;
  /** A participant of a federated task on hush-server (core/include/hush/federated.h). */
  readonly federated: { readonly Client: typeof FederatedClient };
  /** hush.federated.Client. */
  readonly FederatedClient: typeof FederatedClient;
  /** Encrypted predictions between an applicant and a bank over hush-server (core/include/hush/p2p.h). */
  readonly p2p: P2PApi;
}

/** True if the engine validates a wasm SIMD module. */
export function simdSupported(): boolean;
/** Loads a new, independent instance of the core: the lean module, or with { full: true } the full one. */
export function load(opts: LoadOptions & { full: true }): Promise<HushFull>;
export function load(opts?: LoadOptions & { full?: false }): Promise<Hush>;
export function load(opts?: LoadOptions): Promise<Hush | HushFull>;
export default load;

/** Worker-side train result: the model travels as model-file bytes. */
export type WorkerTrainResult = Omit<TrainResult, 'model'> & { model: Uint8Array };

export interface HushWorker {
  /** full: whether the worker's current instance is the full module. */
  info(): Promise<{ simd: boolean; full: boolean; version: string; context: 'worker' | 'node' }>;
  describe(args: { data: string | Bytes | { images: Bytes; labels: Bytes }; format: DataFormat }): Promise<{
    rows: number; dim: number; classes: number; classNames: string[]; counts: number[]; numericColumns: number;
  }>;
  train(opts: TrainOptions & { data: Exclude<TrainOptions['data'], Dataset> }): Promise<WorkerTrainResult>;
  evaluate(args: { model: Uint8Array; x: Features; y: Labels } | { model: Uint8Array; data: string | Bytes | { images: Bytes; labels: Bytes }; format: DataFormat }): Promise<Evaluation>;
  predict(args: { model: Uint8Array; x: Features }): Promise<Uint32Array>;
  /** A federated participant inside the worker (identity and ledger from IndexedDB, or files in Node);
   *  the worker loads the full module for it by itself. */
  federate(args: {
    url: string; name: string; identityFile?: string; token?: string; task: string;
    data: string | Bytes | { images: Bytes; labels: Bytes }; format: DataFormat;
    shard?: { parts: number; part: number; labelsPerPart?: number; seed?: Seed };
    ledger?: { name?: string; file?: string; budgetEpsilon?: number; budgetDelta?: number };
    rounds?: number; pins?: string; seed?: Seed;
    onEvent?: (e: { event: 'rows' | 'model' | 'round' | 'declined' | 'result' } & Record<string, unknown>) => void;
  }): Promise<FederatedSummary>;
  terminate(): Promise<number> | void;
}

/** Runs web/worker.js in a Web Worker (browsers) or worker_threads Worker (Node). */
export function createWorker(opts?: {
  simd?: boolean;
  /** Load the full module in the worker for every op (federate loads it in any case). */
  full?: boolean;
  url?: string | URL;
  /** Content-Security-Policy violations inside the worker. */
  onCsp?: (v: { directive: string; blocked: string }) => void;
}): Promise<HushWorker>;

// ---- hush.channel: authenticated, encrypted links (core/include/hush/channel.h) ----

export type ChannelState = 'handshake' | 'open' | 'closed';

export interface ChannelOptions {
  side: 'initiator' | 'responder';
  /** 16 random bytes both ends agreed on (for MPC: the session id). */
  session: Uint8Array;
  /** Application roles both ends agree on (for MPC: a party index, mpc.DEALER, mpc.CLIENT). */
  localRole: number;
  peerRole: number;
  /** This side's Ed25519 identity (64 bytes, from channel.keypair). */
  secretKey: Uint8Array;
  /** The identity the peer must prove (32 bytes). */
  peerPublicKey: Uint8Array;
  /** Tests only: the ephemeral key from the "channel.ephemeral" stream of seed. */
  seed?: Seed;
  reproducibleNoise?: boolean;
}

/** A channel end: a handshake (signed ephemeral X25519), then XChaCha20-Poly1305 records with
 *  counters; replayed, reordered, truncated, tampered and reflected messages throw HushError
 *  and leave the channel unchanged. */
declare class Channel extends HushHandle {
  constructor(opts: ChannelOptions);
  readonly localRole: number;
  readonly peerRole: number;
  readonly state: ChannelState;
  /** The next handshake message to send, or null. */
  nextMessage(): Uint8Array | null;
  /** null for a handshake message; the payload of a record (empty for the peer's CLOSE). */
  receive(bytes: Bytes): Uint8Array | null;
  /** One record carrying bytes (after the handshake). */
  seal(bytes: Bytes): Uint8Array;
  /** The CLOSE record that ends this direction. */
  close(): Uint8Array;
  /** Wipes the keys. Throws HUSH_ESTATE while attached to a live mpc.Party. */
  free(): void;
}

export interface ChannelApi {
  /** A fresh Ed25519 identity (OS randomness; { seed, reproducible: true } for tests). */
  keypair(opts?: { seed?: Seed; reproducible?: boolean }): { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly Channel: typeof Channel;
}

// ---- hush.mpc: secret sharing over Z_2^64, encrypted prediction and training ----

export type MpcRole = number | 'dealer' | 'client';
export type MpcState = 'link' | 'send' | 'wait-dealer' | 'wait-peers' | 'wait-input' | 'wait-output' | 'done';
export type MpcOutput = 'decision' | 'logits';

/** Secrets come from the OS unless reproducibleNoise (tests, cross-build comparisons: then the
 *  run is not private and reports private: false). */
export interface MpcNoiseOptions {
  seed?: Seed;
  reproducibleNoise?: boolean;
}

/** One party's share of a model, or its public part (dealer, client). */
declare class MpcModel extends HushHandle {
  private constructor();
}

/** The session ids a role has used: a Party created with it refuses a repeat (HUSH_ESTATE). */
declare class MpcGuard extends HushHandle {
  constructor(capacity?: number);
  add(session: Uint8Array): void;
  readonly count: number;
}

export interface MpcPartyOptions extends MpcNoiseOptions {
  role: MpcRole;
  /** A share (compute parties) or the public part (dealer, client). */
  model: MpcModel;
  /** 16 random bytes agreed by all roles (mpc.sessionId()). */
  session: Uint8Array;
  /** Number of compute parties, >= 2. Default 2. */
  parties?: number;
  /** Fixed-point fractional bits. Default 16. */
  fracBits?: number;
  /** Applicants in this session. Default 1. */
  rows?: number;
  /** 'decision' (default) or 'logits' (reveals the logits: enables model extraction). */
  output?: MpcOutput;
  /** Client with output 'logits': the model's number of classes. */
  classes?: number;
  guard?: MpcGuard;
}

/** A protocol role as a state machine over channel records. */
declare class MpcParty extends HushHandle {
  constructor(opts: MpcPartyOptions);
  readonly role: number;
  readonly state: MpcState;
  /** The sequence number the party waits for or sends next. */
  readonly seq: number;
  readonly done: boolean;
  /** Largest record this party sends. */
  readonly maxMessage: number;
  /** Links the party to a peer through an open Channel (borrowed until the party is freed). */
  attach(channel: Channel): void;
  /** A record that arrived on the channel from role `from`. HUSH_ESTATE: not expected yet (the
   *  party and channel are unchanged; offer it again later). */
  receive(from: MpcRole, record: Bytes): void;
  /** The next outgoing record and the role it is for, or null. */
  nextMessage(): { to: number; record: Uint8Array } | null;
  /** Client: raw features, rows x inputSize (the model's standardisation is applied). */
  setInput(x: Features): void;
  /** Client, when done: the decisions, and the logits with output 'logits'. */
  result(): { decisions: Uint32Array; logits?: Float32Array };
}

/** The stats of `hush mpc ... --json` (same keys). */
export interface MpcStats {
  bytes: number;
  dealer_bytes: number;
  handshake_bytes: number;
  messages: number;
  rounds: number;
  sessions: number;
  truncations: number;
  /** Truncation is exact up to one ulp below 2^62 ring units: always 0. */
  truncation_failure_probability: number;
  private: boolean;
  noise: 'os' | 'seed';
}

export interface MpcPredictOptions extends MpcNoiseOptions {
  parties?: number;
  fracBits?: number;
  /** Applicants per session. Default 1. */
  batch?: number;
  output?: MpcOutput;
}

export interface MpcTrainOptions extends MpcNoiseOptions {
  parties?: number;
  fracBits?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
}

/** `hush mpc predict --json` without the timings. */
export interface MpcPredictReport extends MpcStats {
  command: 'mpc predict';
  rows: number;
  parties: number;
  frac_bits: number;
  batch: number;
  output: MpcOutput;
  decision_agreement: number;
  encrypted_accuracy: number;
  max_abs_logit_error?: number;
  bytes_per_prediction: number;
  dealer_bytes_per_prediction: number;
  handshake_bytes_per_prediction: number;
  rounds_per_session: number;
}

/** `hush mpc train --json` without the timings. */
export interface MpcTrainReport extends MpcStats {
  command: 'mpc train';
  parties: number;
  frac_bits: number;
  epochs: number;
  batch: number;
  seed: Seed;
  train_rows: number;
  test_rows: number;
  test_accuracy: number;
  plaintext_test_accuracy: number;
  test_loss: number;
  plaintext_test_loss: number;
  max_param_difference: number;
  bytes_per_epoch: number;
}

export interface MpcApi {
  /** Role numbers of the dealer and the client (compute parties are 0..n-1). */
  readonly DEALER: number;
  readonly CLIENT: number;
  /** Reals -> fixed point in Z_2^64 (round(x * 2^f)); HUSH_ERANGE if |x| * 2^f >= 2^62. */
  fixedEncode(values: ArrayLike<number>, fracBits?: number): BigUint64Array;
  fixedDecode(ring: BigUint64Array, fracBits?: number): Float64Array;
  /** n additive shares (numbers are encoded first). */
  shareSplit(values: ArrayLike<number> | BigUint64Array, n: number, opts?: { fracBits?: number } & MpcNoiseOptions): BigUint64Array[];
  shareReconstruct(shares: BigUint64Array[]): BigUint64Array;
  modelShare(model: Model, parties?: number, opts?: { fracBits?: number } & MpcNoiseOptions): MpcModel[];
  modelPublic(model: Model): MpcModel;
  /** 16 random bytes for a new session. */
  sessionId(): Uint8Array;
  readonly Model: typeof MpcModel;
  readonly Guard: typeof MpcGuard;
  readonly Party: typeof MpcParty;
  /** One session among unattached in-process roles (hush_mpc_run: a channel on every link). */
  run(roles: MpcParty[], opts?: MpcNoiseOptions): MpcStats;
  /** Encrypted prediction of every row of x (hush_mpc_predict_run). */
  predictRun(model: Model, x: Features, opts?: MpcPredictOptions):
    { decisions: Uint32Array; logits?: Float32Array; rows: number } & MpcStats;
  /** Encrypted against plaintext (hush_mpc_predict_eval); labels may be omitted. */
  predictEval(model: Model, x: Features, y?: Labels | null, opts?: MpcPredictOptions): MpcPredictReport;
  /** Encrypted SGD on raw features (hush_mpc_train_run); the model is updated in place. */
  trainRun(model: Model, x: Features, y: Labels, opts?: MpcTrainOptions): MpcStats;
  /** Encrypted training next to plaintext SGD, evaluated on the test rows (hush_mpc_train_eval). */
  trainEval(model: Model, x: Features, y: Labels, testX: Features, testY: Labels, opts?: MpcTrainOptions): MpcTrainReport;
}

// The classes are types only: their values come from an instance (hush.Model, hush.dp.DPSGD, ...).
export type {
  HushHandle, Model, Dataset, DPSGD, Accountant, Odometer, SecAggClient, SecAggServer, FederatedClient, Channel, MpcModel,
  MpcGuard, MpcParty,
};
