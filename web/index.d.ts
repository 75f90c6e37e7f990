// Types for hushml (web/index.js). JS mirrors the C API (core/include/hush/*.h) in camelCase.

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
  /** Where to fetch the .wasm from (default: ../build/web/hush[-base].wasm beside this module). */
  wasmUrl?: string | URL;
  /** The .wasm bytes, already loaded. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** A compiled module (must match the `simd` choice). */
  wasmModule?: WebAssembly.Module;
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

export declare class Model {
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
  readonly freed: boolean;

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
  /** Frees the C model and optimiser. Idempotent. During fit(), takes effect after the current epoch. */
  free(): void;
}

export declare class Dataset {
  private constructor();
  /** The C handle (a wasm heap pointer). */
  readonly handle: number;
  readonly rows: number;
  readonly dim: number;
  readonly classes: number;
  readonly shape: Shape;
  readonly classNames: string[];
  /** Copy of the features, rows x dim row-major. */
  readonly x: Float32Array;
  /** Copy of the labels. */
  readonly y: Uint32Array;
  readonly freed: boolean;
  /** Seeded shuffled split (canonical "split" stream): [train, test]; test has round(rows * testFraction) rows. */
  split(opts?: { testFraction?: number; seed?: Seed }): [Dataset, Dataset];
  /** Standardises numeric columns of this (training) set and of `test` with this set's mean/std. */
  standardize(test?: Dataset): this;
  /** The map standardize() applies, for model.setInputNorm(): one-hot columns get shift 0, scale 1. */
  normStats(): InputNorm;
  /** Multiplies every feature by s. */
  scale(s: number): this;
  /** Numeric (not one-hot) columns: the ones bounds and scaling apply to. */
  readonly numericColumns: number;
  free(): void;
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
  /** The format a file name implies (*.arff, *-ubyte, *digits*.csv, else csv; ".gz" ignored). */
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
  /** Shamir threshold t: m/2 < t <= m, m = neighbourhood size including self. */
  threshold: number;
  /** Vector length. */
  dim: number;
  /** Ring Z_2^bits, 1..32 (default 32). */
  bits?: number;
  /** 0: complete graph (Bonawitz et al.); else SecAgg+ degree. */
  neighbours?: number;
  /** Ed25519-authenticated variant. */
  authenticated?: boolean;
  /** Public per-round id, 16 bytes (seeds the SecAgg+ graph). */
  session?: Uint8Array;
}

export interface SecAggClientOptions extends SecAggConfig {
  id: number;
  /** 32 bytes that fix every key and coefficient (reproducible runs); default: OS randomness. */
  seed?: Uint8Array;
  signSecretKey?: Uint8Array;
  signPublicKeys?: Uint8Array;
}

export declare class SecAggClient {
  constructor(opts: SecAggClientOptions);
  setInput(x: Uint32Array | number[]): void;
  receive(message: Uint8Array): void;
  /** The pending message, or null. */
  nextMessage(): Uint8Array | null;
  /** 0..4, or constants.HUSH_SECAGG_DONE / HUSH_SECAGG_ABORTED. */
  readonly round: number;
  free(): void;
}

export declare class SecAggServer {
  constructor(opts: SecAggConfig);
  receive(message: Uint8Array): void;
  /** The round's deadline: absent clients have dropped out. Throws HUSH_ESTATE on abort. */
  endRound(): void;
  nextMessage(): { to: number; bytes: Uint8Array } | null;
  readonly round: number;
  count(round: number): number;
  result(): { sum: Uint32Array; included: Uint8Array };
  free(): void;
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

export declare class DPSGD {
  /** Trains `model` (which must outlive this object) with its own optimiser. */
  constructor(model: Model, opts: DPSGDOptions);
  /** Poisson: (x, y) is the whole training set, each row sampled with probability q; shuffle: one batch. */
  step(x: Features | Dataset, y?: Labels): { loss: number; batchSize: number };
  /** Draws the next step's noise now (idle time), same result bit for bit; false if nothing to draw. */
  prefetch(): boolean;
  fit(data: Dataset, opts?: { epochs?: number; onEpoch?: (e: DPEpoch) => void | Promise<void> }): Promise<DPEpoch[]>;
  fit(x: Features, y: Labels, opts?: { epochs?: number; onEpoch?: (e: DPEpoch) => void | Promise<void> }): Promise<DPEpoch[]>;
  /** Epsilon spent so far (RDP of the sampled Gaussian, improved conversion). */
  epsilon(delta?: number): number;
  readonly steps: number;
  readonly freed: boolean;
  /** Smallest noise multiplier meeting targetEpsilon after `steps` Poisson steps at samplingRate. */
  static noiseForEpsilon(opts: { targetEpsilon: number; delta?: number; samplingRate: number; steps: number }): number;
  free(): void;
}

export type DPEvent =
  | { kind: 'gaussian'; noiseMultiplier: number }
  | { kind: 'sampledGaussian'; noiseMultiplier: number; samplingRate: number }
  | { kind: 'laplace'; noiseMultiplier: number };

export declare class Accountant {
  /** pldMaxBins defaults to 2^16 (about 5.8 MB); discretization (PLD bin width) to 1e-4. */
  constructor(opts?: { kind?: 'rdp' | 'pld'; conversion?: 'improved' | 'classic'; pldMaxBins?: number; discretization?: number });
  readonly kind: 'rdp' | 'pld';
  compose(event: DPEvent, count?: number): this;
  epsilon(delta: number): number;
  delta(epsilon: number): number;
  free(): void;
}

/** Teacher votes: one row per teacher, one label per example; or a row-major matrix. */
export type Votes = ArrayLike<number>[] | { votes: Uint32Array | ArrayLike<number>; teachers: number; examples: number };

export interface PateApi {
  aggregate(votes: Votes, opts: {
    mechanism: 'lnmax' | 'gnmax' | 'confident';
    noiseEps?: number;
    sigma?: number;
    threshold?: number;
    sigma1?: number;
    seed?: Seed;
    classes?: number;
    delta?: number;
    /** RDP -> (eps, delta) conversion of the 2018 analysis (gnmax, confident); default 'classic'. */
    conversion?: 'classic' | 'improved';
  }): { labels: Int32Array; answered: number; epsilon: number; dataDependentEpsilon: number | null };
  /** PySyft 0.2 perform_analysis(teacher_preds, indices, noise_eps, delta, moments). */
  analyze(votes: Votes, opts: { noiseEps: number; delta?: number; moments?: number; indices?: ArrayLike<number> }): {
    dataDependentEps: number;
    dataIndependentEps: number;
  };
  /** The 2018 GNMax / Confident-GNMax analysis, with the data-dependent epsilon released through
   * smooth sensitivity (Papernot et al. 2018): only releasedDataDependentEps may be published. */
  analyze(votes: Votes, opts: {
    smoothSensitivity: true; sigma: number; sigmaSS: number; threshold?: number; sigma1?: number;
    beta?: number; order?: number; classes?: number; indices?: ArrayLike<number>; delta?: number; seed?: Seed;
    conversion?: 'classic' | 'improved';
  }): {
    dataDependentEps: number;
    dataIndependentEps: number;
    queries: number;
    order: number;
    beta: number;
    smoothSensitivity: number;
    releaseRdp: number;
    releasedDataDependentEps: number;
  };
}

export interface Hush {
  /** Which build was loaded. */
  readonly simd: boolean;
  readonly version: string;
  /** Status codes, limits, enums and struct layouts, from C (wasm/constants.c). */
  readonly constants: Constants;
  readonly Model: typeof Model;
  readonly data: DataApi;
  /** Secret sharing and encrypted prediction (core/include/hush/mpc.h). */
  readonly mpc: MpcApi;
  /** The `hush train` pipeline with the canonical seeding: same seed, same model bytes as the CLI. */
  train(opts: TrainOptions): Promise<TrainResult>;
  readonly DPSGD: typeof DPSGD;
  readonly Accountant: typeof Accountant;
  readonly pate: PateApi;
  readonly SecAggClient: typeof SecAggClient;
  readonly SecAggServer: typeof SecAggServer;
  /** The secure-aggregation mask PRG (known-answer tests). */
  secaggPrgExpand(seed: Uint8Array, dim: number, bits?: number): Uint32Array;
  statusName(status: number): string;
  strerror(status: number): string;
  /** Bytes currently malloc'ed in this instance's heap. */
  heapInUse(): number;
  /** Current size of this instance's linear memory. */
  heapSize(): number;
  readonly HushError: typeof HushError;
  readonly HushParseError: typeof HushParseError;
}

/** True if the engine validates a wasm SIMD module. */
export function simdSupported(): boolean;
/** Loads a new, independent instance of the core. */
export function load(opts?: LoadOptions): Promise<Hush>;
export default load;

/** Worker-side train result: the model travels as model-file bytes. */
export type WorkerTrainResult = Omit<TrainResult, 'model'> & { model: Uint8Array };

export interface HushWorker {
  info(): Promise<{ simd: boolean; version: string; context: 'worker' | 'node' }>;
  describe(args: { data: string | Bytes | { images: Bytes; labels: Bytes }; format: DataFormat }): Promise<{
    rows: number; dim: number; classes: number; classNames: string[]; counts: number[]; numericColumns: number;
  }>;
  train(opts: TrainOptions & { data: Exclude<TrainOptions['data'], Dataset> }): Promise<WorkerTrainResult>;
  evaluate(args: { model: Uint8Array; x: Features; y: Labels } | { model: Uint8Array; data: string | Bytes | { images: Bytes; labels: Bytes }; format: DataFormat }): Promise<Evaluation>;
  predict(args: { model: Uint8Array; x: Features }): Promise<Uint32Array>;
  terminate(): Promise<number> | void;
}

/** Runs web/worker.js in a Web Worker (browsers) or worker_threads Worker (Node). */
export function createWorker(opts?: {
  simd?: boolean;
  url?: string | URL;
  /** Content-Security-Policy violations inside the worker. */
  onCsp?: (v: { directive: string; blocked: string }) => void;
}): Promise<HushWorker>;

// ---- hush.mpc: secret sharing over Z_2^64 and encrypted prediction ----

export type MpcRole = number | 'dealer' | 'client';
export type MpcState = 'send' | 'wait-dealer' | 'wait-peers' | 'wait-input' | 'wait-output' | 'done';

/** One party's share of a model, or its public part (dealer, client). */
export class MpcModel {
  private constructor();
  free(): void;
}

export interface MpcPartyOptions {
  role: MpcRole;
  /** A share (compute parties) or the public part (dealer, client) from mpc.shareModel. */
  model: MpcModel;
  /** Number of compute parties, >= 2. Default 2. */
  parties?: number;
  /** Fixed-point fractional bits. Default 16. */
  fracBits?: number;
  /** Every message carries it; others are rejected. Default 0. */
  session?: number;
  /** Applicants in this session. Default 1. */
  rows?: number;
  /** Dealer/client randomness: the canonical "mpc.dealer"/"mpc.client" stream; omitted = OS. */
  seed?: Seed;
}

/** A protocol role as a state machine: bytes in, bytes out (the header names the recipient). */
export class MpcParty {
  constructor(opts: MpcPartyOptions);
  readonly role: number;
  readonly parties: number;
  readonly state: MpcState;
  /** The sequence number the party waits for or sends next. */
  readonly seq: number;
  readonly done: boolean;
  /** Throws HushError (HUSH_EFORMAT, HUSH_ETRUNC, HUSH_EVERSION, HUSH_ESTATE, ...) for a
   *  malformed or unexpected message; the party is then unchanged. */
  receive(bytes: Uint8Array): void;
  nextMessage(): Uint8Array | null;
  /** Client: raw features, rows x inputSize (the model's standardisation is applied). */
  setInput(x: Features): void;
  /** Client, when done: reconstructed logits and the securely computed argmax. */
  result(classes: number): { logits: Float32Array; decisions: Uint32Array };
  free(): void;
  static route(bytes: Uint8Array): { kind: 'dealer' | 'open' | 'input' | 'output'; from: number; to: number; seq: number };
}

export interface MpcRunStats {
  bytes: number;
  dealerBytes: number;
  messages: number;
  rounds: number;
}

export interface MpcApi {
  /** Reals -> fixed point in Z_2^64 (round(x * 2^f)); HUSH_ERANGE if |x| * 2^f >= 2^62. */
  encode(values: ArrayLike<number>, fracBits?: number): BigUint64Array;
  decode(ring: BigUint64Array, fracBits?: number): Float64Array;
  /** n additive shares (numbers are encoded first). */
  share(values: ArrayLike<number> | BigUint64Array, n: number, opts?: { fracBits?: number; seed?: Seed }): BigUint64Array[];
  reconstruct(shares: BigUint64Array[]): BigUint64Array;
  shareModel(model: Model, parties?: number, opts?: { fracBits?: number; seed?: Seed }): { shares: MpcModel[]; public: MpcModel };
  readonly Party: typeof MpcParty;
  readonly MpcModel: typeof MpcModel;
  /** Shuttles bytes among in-process roles until all are done. */
  run(parties: MpcParty[], dealer: MpcParty, client: MpcParty): MpcRunStats;
  /** Encrypted prediction of every row among in-process parties + dealer + client; the same
   *  seed gives the same result as `hush mpc predict --seed`. */
  predict(model: Model, x: Features, opts?: { parties?: number; fracBits?: number; batch?: number; seed?: Seed }):
    { logits: Float32Array; decisions: Uint32Array; rows: number } & MpcRunStats;
}
