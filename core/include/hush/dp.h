/* Differential privacy: exact noise samplers, mechanisms, privacy accountants and the privacy
 * odometer.
 *
 * Start here: to know what a run costs, create a hush_accountant (RDP or PLD), compose its
 * events (hush_dp_event: a Gaussian, a Laplace, a Poisson-subsampled Gaussian x steps) and ask
 * hush_accountant_epsilon. To keep a data owner within a budget across runs, keep a
 * hush_odometer: it charges each event before it happens, refuses one that would overspend
 * (HUSH_EBUDGET) and saves to bytes (a file, IndexedDB). DP-SGD is at the end; PATE is in pate.h.
 *
 * Samplers. The discrete samplers are those of Canonne, Kamath and Steinke 2020 ("The Discrete
 * Gaussian for Differential Privacy", Algorithms 1-3). They use integer arithmetic and exact
 * rational Bernoulli draws from hush_rng only (Bernoulli(n/d) is hush_rng_below(d) < n), so every
 * build returns the same integers for the same seed and the output distribution is exactly the
 * stated one: no floating-point inverse CDF, so nothing like Mironov's 2012 attack on
 * textbook Laplace noise applies.
 *
 * Releasing real numbers (hush_dp_laplace_add_noise, hush_dp_gaussian_add_noise). We follow
 * Google's differential-privacy library: each value is rounded to a grid of power-of-two
 * granularity g, an exact discrete Laplace or discrete Gaussian integer k is added in grid
 * units, and the result (round(x/g) + k) * g is returned. Everything the output reveals is a
 * function of that integer, so the float representation leaks nothing (Mironov's attack
 * exploits the uneven spacing of doubles produced by continuous samplers). Accounting: rounding
 * moves each coordinate by at most g/2, so two neighbouring inputs whose true values differ by
 * L1 distance D1 (L2 distance D2) round to grid points that differ by at most D1 + n g (L2: at
 * most D2 + sqrt(n) g). The functions therefore add noise calibrated to that inflated
 * sensitivity, rounded up to whole grid units, so the release is at least as private as the
 * caller's (sensitivity, scale or sigma) promise:
 *   - Laplace: discrete Laplace with scale >= scale * (D1 + n g) / D1 in units of g is
 *     (D1/scale)-DP, exactly like the continuous Laplace mechanism (the discrete Laplace is
 *     eps-DP for integer sensitivity with eps = sensitivity / scale).
 *   - Gaussian: the (product) discrete Gaussian with sigma >= sigma * (D2 + sqrt(n) g) / D2 in
 *     units of g satisfies (D2^2 / 2 sigma^2)-zCDP, hence Renyi DP alpha D2^2 / (2 sigma^2) at
 *     every order (CKS 2020, Theorems 4 and 14): the same curve the RDP accountant uses for a
 *     continuous Gaussian with noise multiplier sigma / D2. Account it as such.
 * g is chosen per call so the grid is fine (at most sigma 2^-20, scale 2^-40, and the
 * sensitivity inflation below 2^-10 relative) while the discrete sampler stays in range.
 *
 * Accountants. RDP for the Poisson-subsampled Gaussian (Mironov, Talwar and Zhang 2019) at
 * integer orders (binomial expansion) and fractional orders (their two-series formula, signed
 * terms summed with a running scale), Gaussian and Laplace mechanism RDP (Mironov 2017), raw
 * RDP curves (PATE), the classic and the improved RDP -> (eps, delta) conversions; and a
 * privacy-loss-distribution (PLD) accountant (core/src/dp/pld.c) that discretises each step on
 * its own power-of-two grid (finer than the step's spread, coarsened as compositions widen it),
 * pessimistically ("connect the dots", Doroshenko et al. 2022: delta never decreases at any
 * epsilon) and composes by FFT. It reports a pessimistic epsilon (an upper bound up to
 * double rounding) and, beside it, an optimistic one (a lower bound on the true epsilon), so
 * the bracket is visible. These are reporting computations in double precision (libm), not
 * part of the bit-parity contract.
 */
#ifndef HUSH_DP_H
#define HUSH_DP_H

#include "common.h"
#include "rng.h"
#include "nn.h"
#include "data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- exact samplers (integer arithmetic, exact distributions) ---- */

/* *out = 1 with probability exp(-num/den), else 0. den >= 1; any num (num = 0 gives 1). */
HUSH_NODISCARD int hush_dp_bernoulli_exp(hush_rng *rng, int *out, uint64_t num, uint64_t den);

/* Discrete Laplace with scale t = scale_num / scale_den: P(x) proportional to exp(-|x| / t) on
 * the integers. Both >= 1 and at most HUSH_DP_SAMPLER_MAX; larger values return HUSH_ERANGE. */
#define HUSH_DP_SAMPLER_MAX ((uint64_t)1 << 62)
HUSH_NODISCARD int hush_dp_discrete_laplace(hush_rng *rng, int64_t *out, uint64_t scale_num,
                                            uint64_t scale_den);

/* Discrete Gaussian N_Z(0, sigma^2) with sigma^2 = var_num / var_den: P(x) proportional to
 * exp(-x^2 / (2 sigma^2)) on the integers. Both >= 1. The parameters must satisfy
 * var_den * t^2 <= 2^50 where t = floor(sigma) + 1 (so sigma up to about 2^25 for var_den = 1),
 * otherwise HUSH_ERANGE: this keeps every intermediate inside 128 bits. */
HUSH_NODISCARD int hush_dp_discrete_gaussian(hush_rng *rng, int64_t *out, uint64_t var_num,
                                             uint64_t var_den);

/* ---- mechanisms: calibration (reporting; libm) ---- */

/* Laplace mechanism: scale = sensitivity / epsilon. */
HUSH_NODISCARD int hush_dp_laplace_scale(double *scale, double sensitivity, double epsilon);
/* Classic Gaussian mechanism (Dwork and Roth, Theorem A.1; valid for epsilon < 1):
 * sigma = sqrt(2 ln(1.25 / delta)) * sensitivity / epsilon. */
HUSH_NODISCARD int hush_dp_gaussian_sigma_classic(double *sigma, double epsilon, double delta,
                                                  double sensitivity);
/* Analytic Gaussian mechanism (Balle and Wang 2018, ICML, Theorem 8 / Algorithm 1): the
 * smallest sigma whose exact privacy profile gives delta at epsilon, found by bisection on
 * delta(eps, sigma) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D), to 1e-12 relative. */
HUSH_NODISCARD int hush_dp_gaussian_sigma(double *sigma, double epsilon, double delta, double sensitivity);
/* The exact delta of the Gaussian mechanism with noise sigma at epsilon (the formula above). */
HUSH_NODISCARD int hush_dp_gaussian_delta(double *delta, double epsilon, double sigma, double sensitivity);

/* ---- mechanisms: releasing real vectors (granularity grid, exact discrete noise) ---- */

/* x[i] += Laplace noise of scale `scale` for a query of L1 sensitivity l1_sensitivity,
 * released on a power-of-two grid (see the header comment). scale = sensitivity / epsilon gives
 * epsilon-DP. HUSH_ENUMERIC on non-finite input, HUSH_ERANGE if a value is beyond 2^62 grid
 * units. On error x is unchanged from the failing index on. */
HUSH_NODISCARD int hush_dp_laplace_add_noise(hush_rng *rng, double *x, size_t n, double l1_sensitivity,
                                             double scale);
/* x[i] += Gaussian noise of standard deviation sigma for a query of L2 sensitivity
 * l2_sensitivity, via the discrete Gaussian on a grid (see the header comment). */
HUSH_NODISCARD int hush_dp_gaussian_add_noise(hush_rng *rng, double *x, size_t n, double l2_sensitivity,
                                              double sigma);
/* float variants (gradients are float); the output is the grid value rounded to float. */
HUSH_NODISCARD int hush_dp_laplace_add_noise_f32(hush_rng *rng, float *x, size_t n, double l1_sensitivity,
                                                 double scale);
HUSH_NODISCARD int hush_dp_gaussian_add_noise_f32(hush_rng *rng, float *x, size_t n, double l2_sensitivity,
                                                  double sigma);

/* ---- Renyi DP ---- */

/* Conversions from RDP to (epsilon, delta). */
enum hush_dp_conversion {
    HUSH_DP_CONVERSION_IMPROVED = 0, /* Balle et al. 2020 / Canonne-Kamath-Steinke 2020 (dp_accounting, Opacus) */
    HUSH_DP_CONVERSION_CLASSIC = 1   /* Mironov 2017: eps = rdp - log(delta) / (alpha - 1) (old TF Privacy) */
};

/* Default order grid of Google's dp_accounting RdpAccountant (DEFAULT_RDP_ORDERS):
 * 1.1, 1.2, ..., 10.9, then 11, 12, ..., 63, then 128, 256, 512, 1024. */
#define HUSH_RDP_DEFAULT_ORDERS_COUNT 156
/* Copies the default orders into out (cap >= HUSH_RDP_DEFAULT_ORDERS_COUNT) and returns the
 * count, or returns the count without writing when out is NULL. */
size_t hush_rdp_default_orders(double *out, size_t cap);

/* RDP of ONE step of the Poisson-subsampled Gaussian (rate q in [0,1], noise multiplier sigma
 * >= 0) at each order (> 1; +infinity allowed), added into rdp[i] (so callers can compose).
 * Integer orders use the binomial expansion, fractional orders the two-series formula of
 * Mironov, Talwar and Zhang 2019, Section 3.3. q = 0 adds 0; sigma = 0 (q > 0) adds +inf. */
HUSH_NODISCARD int hush_rdp_sampled_gaussian(double *rdp, const double *orders, size_t n, double q,
                                             double sigma, double count);
/* Gaussian mechanism: alpha / (2 sigma^2) per step, times count, added into rdp. */
HUSH_NODISCARD int hush_rdp_gaussian(double *rdp, const double *orders, size_t n, double sigma, double count);
/* Laplace mechanism with scale b = noise_multiplier * sensitivity (Mironov 2017, Prop. 6):
 * 1/(alpha-1) log(alpha/(2 alpha-1) e^{(alpha-1)/b} + (alpha-1)/(2 alpha-1) e^{-alpha/b}). */
HUSH_NODISCARD int hush_rdp_laplace(double *rdp, const double *orders, size_t n, double noise_multiplier,
                                    double count);
/* Smallest epsilon over the orders for the given delta; *order gets the minimising order
 * (may be NULL). Orders <= 1 are skipped (for the improved conversion, orders <= 1.01, as in
 * dp_accounting). +inf when no order gives a finite bound. */
HUSH_NODISCARD int hush_rdp_epsilon(double *epsilon, double *order, const double *orders, const double *rdp,
                                    size_t n, double delta, enum hush_dp_conversion conversion);
/* Smallest delta over the orders for the given epsilon (improved: CKS 2020 Prop. 12 together
 * with the KL bound delta <= sqrt(1 - e^{-rdp}); classic: exp((alpha-1)(rdp - eps))). */
HUSH_NODISCARD int hush_rdp_delta(double *delta, double *order, const double *orders, const double *rdp,
                                  size_t n, double epsilon, enum hush_dp_conversion conversion);

/* ---- accountant handle ---- */

enum hush_accountant_kind {
    HUSH_ACCOUNTANT_RDP = 1, /* Renyi DP over an order grid; fast, looser */
    HUSH_ACCOUNTANT_PLD = 2  /* privacy loss distributions; tight, with a lower bound beside it */
};

enum hush_dp_event_kind {
    HUSH_DP_EVENT_GAUSSIAN = 1,              /* noise_multiplier = sigma / L2 sensitivity */
    HUSH_DP_EVENT_SAMPLED_GAUSSIAN = 2,      /* + sampling_rate q (Poisson sampling, add/remove-one) */
    HUSH_DP_EVENT_LAPLACE = 3,               /* noise_multiplier = scale / L1 sensitivity */
    HUSH_DP_EVENT_RDP_CURVE = 4,             /* precomputed RDP (PATE): rdp[i] at orders[i] (RDP only) */
    HUSH_DP_EVENT_DISCRETE_GAUSSIAN_SUM = 5, /* odometer only: a sum of parties' discrete Gaussians */
    HUSH_DP_EVENT_EPSILON_DELTA = 6          /* odometer only: an (epsilon, delta)-DP result */
};

typedef struct hush_dp_event {
    enum hush_dp_event_kind kind;
    double noise_multiplier;
    double sampling_rate;
    /* RDP_CURVE: every order of the accountant must appear exactly in `orders`. */
    const double *orders;
    const double *rdp;
    size_t n_orders;
} hush_dp_event;

#define HUSH_ACCOUNTANT_CONFIG_VERSION 2
#define HUSH_PLD_DEFAULT_MAX_BINS ((size_t)1 << 16)

typedef struct hush_accountant_config {
    uint32_t version;                /* HUSH_ACCOUNTANT_CONFIG_VERSION */
    enum hush_accountant_kind kind;
    const double *orders;            /* RDP orders (copied); NULL: hush_rdp_default_orders */
    size_t n_orders;
    enum hush_dp_conversion conversion; /* RDP -> (eps, delta); default improved */
    size_t pld_max_bins;             /* PLD bins per grid component, sized at create: default 2^16,
                                      * 2^10 .. 2^20 (memory about 260 bytes per bin: 17 MB) */
    size_t max_events;               /* PLD: distinct (kind, q, sigma) events kept; default 256 */
} hush_accountant_config;

/* Fills the defaults for `kind`; HUSH_EARG for an unknown kind. */
HUSH_NODISCARD int hush_accountant_config_init(hush_accountant_config *cfg, enum hush_accountant_kind kind);

typedef struct hush_accountant hush_accountant;

HUSH_NODISCARD int hush_accountant_create(hush_accountant **out, const hush_accountant_config *cfg,
                                          const hush_allocator *alloc);
void hush_accountant_free(hush_accountant *acc);
/* Forgets every composed event (the handle is as created). */
void hush_accountant_reset(hush_accountant *acc);
/* Composes `count` (>= 1) independent repetitions of the event. RDP_CURVE on a PLD accountant,
 * and the odometer-only kinds, are HUSH_EUNSUPPORTED; more than max_events distinct PLD events
 * is HUSH_ERANGE. A failure changes nothing. PLD composition itself happens at the next query
 * (the grids depend on everything composed), so compose is cheap and never fails on size. */
HUSH_NODISCARD int hush_accountant_compose(hush_accountant *acc, const hush_dp_event *event, uint64_t count);
/* Epsilon spent for the given delta in (0, 1]: an upper bound (PLD: pessimistic). For RDP,
 * *order (may be NULL) gets the best order; for PLD it is set to 0. */
HUSH_NODISCARD int hush_accountant_epsilon(hush_accountant *acc, double *epsilon, double *order, double delta);
/* The bracket: *lower <= true epsilon <= *upper (upper = hush_accountant_epsilon). PLD: the
 * optimistic discretisation with its coupling correction; RDP has no lower bound (*lower = 0). */
HUSH_NODISCARD int hush_accountant_epsilon_bounds(hush_accountant *acc, double *lower, double *upper, double delta);
HUSH_NODISCARD int hush_accountant_delta(hush_accountant *acc, double *delta, double epsilon);
/* Accumulated RDP curve: the orders and values (n_orders of each), valid until free; HUSH_ESTATE
 * for PLD. */
HUSH_NODISCARD int hush_accountant_rdp(const hush_accountant *acc, const double **orders, const double **rdp,
                                       size_t *n_orders);

/* ---- privacy odometer ----
 * A data owner's (or a federated participant's) ledger of every DP event her data took part in,
 * composed with RDP and PLD, checked against her budget BEFORE each new event: a charge that
 * would exceed the budget returns HUSH_EBUDGET and changes nothing. Entries may carry a
 * caller id (e.g. task and round): charging an id already in the ledger is a no-op that says
 * so, so a participant that reloads its ledger is never charged twice for one round.
 *
 * Composition: every event has an RDP curve; Gaussian, Laplace and subsampled Gaussian events
 * also have PLDs. epsilon(delta) is the smaller of (a) RDP over all events and (b) PLD over the
 * PLD-capable events plus RDP over the others (basic composition of the two parts, split
 * of delta optimised), plus the epsilons and deltas of EPSILON_DELTA events (basic composition).
 * The lower value is the PLD lower bound of the PLD-capable events alone (composition never
 * lowers epsilon), 0 when there are none. The odometer's accountant kind RDP uses (a) only.
 *
 * DISCRETE_GAUSSIAN_SUM (distributed DP): `parties` each add N_Z(0, sigma^2)^dimension, in grid
 * units, to a vector of L2 sensitivity `sensitivity`; the sum is (eps^2/2)-zCDP with
 * eps = min(sqrt(D^2/(n s^2) + tau d / 2), D/(sqrt(n) s) + tau sqrt(d)),
 * tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 s^2 k/(k+1)) (Kairouz, Liu, Steinke 2021, Theorem 1).
 *
 * Bytes (core/src/io/ledger.c): "HUSHLDGR", u32 version, budget, accountant kind, entries,
 * BLAKE2b-256 of everything before it. hush_odometer_load checks all of it. */
#define HUSH_ODOMETER_CONFIG_VERSION 1
#define HUSH_ODOMETER_ID_MAX 64
#define HUSH_ODOMETER_CURVE_MAX 8
#define HUSH_ODOMETER_MAX_EVENTS ((size_t)1 << 20)

typedef struct hush_odometer_config {
    uint32_t version;                  /* HUSH_ODOMETER_CONFIG_VERSION */
    double budget_epsilon;             /* > 0 */
    double budget_delta;               /* in (0, 1) */
    enum hush_accountant_kind accountant; /* default PLD */
    size_t max_events;                 /* ledger capacity, default 4096 (a load grows it to fit) */
    size_t pld_max_bins;               /* default HUSH_PLD_DEFAULT_MAX_BINS */
} hush_odometer_config;

HUSH_NODISCARD int hush_odometer_config_init(hush_odometer_config *cfg, double budget_epsilon, double budget_delta);

typedef struct hush_odometer_event {
    enum hush_dp_event_kind kind;
    uint64_t count;                 /* repetitions (steps), >= 1 */
    double noise_multiplier;        /* GAUSSIAN, SAMPLED_GAUSSIAN, LAPLACE */
    double sampling_rate;           /* SAMPLED_GAUSSIAN */
    double sigma, sensitivity;      /* DISCRETE_GAUSSIAN_SUM, grid units */
    uint32_t parties, dimension;    /* DISCRETE_GAUSSIAN_SUM */
    double epsilon, delta;          /* EPSILON_DELTA */
    uint32_t n_orders;              /* RDP_CURVE: RDP at these orders, +inf at every other */
    double orders[HUSH_ODOMETER_CURVE_MAX], rdp[HUSH_ODOMETER_CURVE_MAX];
    uint32_t id_len;                /* 0: no id */
    uint8_t id[HUSH_ODOMETER_ID_MAX];
} hush_odometer_event;

/* Zeroes *ev and sets kind and count (HUSH_EARG for an unknown kind or count 0). */
HUSH_NODISCARD int hush_odometer_event_init(hush_odometer_event *ev, enum hush_dp_event_kind kind, uint64_t count);

typedef struct hush_odometer hush_odometer;

HUSH_NODISCARD int hush_odometer_create(hush_odometer **out, const hush_odometer_config *cfg,
                                        const hush_allocator *alloc);
void hush_odometer_free(hush_odometer *od);
/* Adds ev to the ledger if the total stays within the budget: *charged = 1. An id already in the
 * ledger: nothing happens, *charged = 0, HUSH_OK. Over budget: HUSH_EBUDGET, nothing changes.
 * A full ledger: HUSH_ERANGE. */
HUSH_NODISCARD int hush_odometer_charge(hush_odometer *od, int *charged, const hush_odometer_event *ev);
/* Several events as one: all are added, or none (HUSH_EBUDGET if together they would exceed the
 * budget). Events whose id is already in the ledger are skipped; *charged = how many were added. */
HUSH_NODISCARD int hush_odometer_charge_all(hush_odometer *od, size_t *charged, const hush_odometer_event *events,
                                            size_t n);
/* What the ledger would spend, at the budget's delta, with ev added (ev NULL: as it is). An id
 * already charged counts once. */
HUSH_NODISCARD int hush_odometer_would_spend(hush_odometer *od, double *lower, double *upper,
                                             const hush_odometer_event *ev);
/* Spent so far at delta: *lower <= epsilon <= *upper (see above). */
HUSH_NODISCARD int hush_odometer_spent(hush_odometer *od, double *lower, double *upper, double delta);
size_t hush_odometer_count(const hush_odometer *od);
double hush_odometer_budget_epsilon(const hush_odometer *od);
double hush_odometer_budget_delta(const hush_odometer *od);
/* Entry i (0 .. count-1) in charge order. */
HUSH_NODISCARD int hush_odometer_entry(const hush_odometer *od, hush_odometer_event *ev, size_t i);
/* The owner changes her budget (a lower one may leave her over it: charges then fail). */
HUSH_NODISCARD int hush_odometer_set_budget(hush_odometer *od, double budget_epsilon, double budget_delta);
/* Exact size of the saved bytes. */
size_t hush_odometer_save_size(const hush_odometer *od);
HUSH_NODISCARD int hush_odometer_save(const hush_odometer *od, uint8_t *out, size_t cap, size_t *written);
/* Parses saved bytes (HUSH_EFORMAT, HUSH_EVERSION, HUSH_ETRUNC, HUSH_ECHECKSUM, HUSH_ERANGE). */
HUSH_NODISCARD int hush_odometer_load(hush_odometer **out, const uint8_t *buf, size_t len,
                                      const hush_allocator *alloc);

/* ---- DP-SGD (Abadi et al. 2016): core/src/dp/dpsgd.c ----
 *
 * One step: sample a batch, clip each example's gradient to L2 norm l2_norm_clip (through the
 * model's per-example machinery: for dense layers the norm needs no per-example gradient), sum,
 * add N(0, (noise_multiplier * l2_norm_clip)^2) to every coordinate, divide by the expected batch
 * size, and take an optimiser step. The handle keeps an RDP accountant of the sampled Gaussian,
 * one event per step.
 *
 * Who learns what: whoever sees the parameters after any number of steps (and the epsilon) learns
 * at most what the accountant states about any one training example (add/remove-one neighbours,
 * Poisson sampling), PROVIDED the handle's randomness is secret: create it with rng == NULL (the
 * OS CSPRNG). A handle seeded from a known seed repeats its noise and batches, so anyone who knows
 * the seed and all records but one can subtract the noise; such runs are for tests only. The
 * number of training rows n is treated as public (q = batch / n, as in TF Privacy and Opacus).
 *
 * Noise (enum hush_dpsgd_noise):
 *   FAST    a float Gaussian per coordinate (hush_rng_normals_f32, one 32-bit word per draw), as
 *           TF Privacy and Opacus add by default. Near zero it reaches only a sparse subset of the
 *           floats, so its output is not exactly Gaussian; fine while the noisy gradient only feeds
 *           the optimiser (see dpsgd.c), not for releasing a noisy gradient.
 *   SECURE  Opacus' secure mode (Holohan and Braghin 2021): the sum of four double-precision
 *           normals (53-bit uniforms) halved, added in double and rounded once to float, which
 *           closes the gaps floating-point attacks use; about 8x the keystream of FAST.
 *
 * Sampling (enum hush_dpsgd_sampling):
 *   POISSON  hush_dpsgd_step gets the whole training set and includes each example independently
 *            with probability sampling_rate (variable batch size), which is exactly what the
 *            accountant assumes. The sum is divided by E[B] = sampling_rate * n.
 *   SHUFFLE  hush_dpsgd_step gets one fixed-size batch (the caller's, or hush_dpsgd_fit_epoch's
 *            shuffled minibatches) and divides by its size. NOT what the Poisson accounting
 *            assumes: the epsilon reported is the common practice (q = batch / n), not a proven
 *            bound for shuffling (see Chua et al. 2024, "How private are DP-SGD implementations?").
 * num_microbatches (TF Privacy): 0 = per-example clipping. M >= 1 (SHUFFLE only; the batch size
 * must be a multiple of M) splits the batch into M contiguous microbatches, clips each
 * microbatch's MEAN gradient to l2_norm_clip, sums, adds the same noise, and divides by M.
 *
 * The raw records of a batch and the clipped sum before noise are wiped after every step and at
 * free (the noisy sum is what the optimiser, and any observer of the parameters, may see). */
enum hush_dpsgd_sampling { HUSH_DPSGD_POISSON = 1, HUSH_DPSGD_SHUFFLE = 2 };
enum hush_dpsgd_noise { HUSH_DPSGD_NOISE_FAST = 0, HUSH_DPSGD_NOISE_SECURE = 1 };

#define HUSH_DPSGD_CONFIG_VERSION 1u

typedef struct hush_dpsgd_config {
    uint32_t version;          /* HUSH_DPSGD_CONFIG_VERSION, set by hush_dpsgd_config_init */
    uint32_t sampling;         /* enum hush_dpsgd_sampling */
    double sampling_rate;      /* POISSON: q in (0, 1], rounded up to a multiple of 2^-32. SHUFFLE: 0 = batch / n at
                                  each fit_epoch; hush_dpsgd_step in SHUFFLE mode needs it set (for the accountant) */
    double l2_norm_clip;       /* C > 0; +INFINITY turns clipping off */
    double noise_multiplier;   /* sigma >= 0 (noise std = sigma * C) */
    uint32_t batch_size;       /* SHUFFLE: minibatch size of hush_dpsgd_fit_epoch (default 0: set it) */
    uint32_t num_microbatches; /* default 0 */
    uint32_t noise;            /* enum hush_dpsgd_noise, default FAST */
    double delta;              /* default delta of hush_dpsgd_epsilon, default 1e-5 */
} hush_dpsgd_config;

/* Fills every default; HUSH_EARG for an unknown sampling mode, a rate outside [0, 1] (POISSON:
 * (0, 1]), C <= 0 or a negative or non-finite sigma. Every function taking the config refuses
 * one whose version is not HUSH_DPSGD_CONFIG_VERSION (a zeroed struct). */
HUSH_NODISCARD int hush_dpsgd_config_init(hush_dpsgd_config *cfg, uint32_t sampling, double sampling_rate,
                                          double l2_norm_clip, double noise_multiplier);

/* Steps in one epoch over n rows: POISSON round(1 / sampling_rate) (at least 1), SHUFFLE
 * floor(n / batch_size). 0 for an invalid config or n. Every caller (CLI, JS, calibration) uses
 * this one rule, so --target-epsilon budgets exactly the steps that run. */
uint64_t hush_dpsgd_steps_per_epoch(const hush_dpsgd_config *cfg, size_t n);

typedef struct hush_dpsgd hush_dpsgd;

/* The handle borrows the model (which must outlive it) and takes a copy of rng, from which it
 * derives the named streams "sample" and "noise". rng == NULL seeds it from the OS: the only
 * private choice (see above). Everything the steps need is allocated here. */
HUSH_NODISCARD int hush_dpsgd_create(hush_dpsgd **out, const hush_rng *rng, hush_model *model,
                                     const hush_dpsgd_config *cfg, const hush_allocator *alloc);
void hush_dpsgd_free(hush_dpsgd *dp);
/* One DP-SGD step (see above for what x/labels/n mean per sampling mode). *loss (may be NULL) gets
 * the mean loss of the sampled examples (0 if none), *batch (may be NULL) the sampled batch size;
 * both are exact statistics of the data, not covered by epsilon. An empty Poisson batch still takes
 * a (noise-only) step, as the analysis requires. */
HUSH_NODISCARD int hush_dpsgd_step(hush_dpsgd *dp, hush_optim *o, float *loss, size_t *batch, const float *x,
                                   const uint32_t *labels, size_t n);
/* One epoch of hush_dpsgd_steps_per_epoch steps. POISSON: over the whole set (perm unused, may be
 * NULL). SHUFFLE: a permutation of the n rows (perm: caller workspace of n uint32) drawn from the
 * handle's "sample" stream, in minibatches of batch_size; a trailing partial batch is dropped
 * (so every step has the same size). *steps (may be NULL) gets the step count. */
HUSH_NODISCARD int hush_dpsgd_fit_epoch(hush_dpsgd *dp, hush_optim *o, uint32_t *perm, float *mean_loss,
                                        size_t *steps, const float *x, const uint32_t *labels, size_t n);
/* Draws the next step's noise ahead, into the handle's spare buffer, so that the step only adds it.
 * Meant for a second thread (a Web Worker with shared memory, a pthread): it may run concurrently
 * with hush_dpsgd_step, hush_dpsgd_fit_epoch and itself (one call draws, the others return), and
 * must have returned before hush_dpsgd_free. Step t's noise depends only on the "noise" key and t,
 * so results are bit for bit the same with or without prefetching, whatever the timing. A step
 * finding its noise half-drawn waits for it; finding none, it draws its own. *drew (may be NULL)
 * gets 1 if this call drew, 0 if the buffer was already full or taken (call again later) or the
 * config has no noise. The buffer is wiped as soon as its step has added it (and at free). */
HUSH_NODISCARD int hush_dpsgd_prefetch(hush_dpsgd *dp, int *drew);
/* Epsilon spent so far at delta (<= 0: the config's delta), improved conversion, default orders. */
HUSH_NODISCARD int hush_dpsgd_epsilon(hush_dpsgd *dp, double *epsilon, double delta);
uint64_t hush_dpsgd_steps(const hush_dpsgd *dp);
/* The sampling rate the steps and the accountant actually use (POISSON: the config's, rounded up
 * to a multiple of 2^-32; SHUFFLE: the config's or batch / n of the last epoch; 0 before). */
double hush_dpsgd_sampling_rate(const hush_dpsgd *dp);
/* Smallest noise multiplier (to 1e-4 relative, rounded up) with which `steps` Poisson steps at rate q
 * spend at most target_epsilon at delta (RDP, improved conversion). HUSH_ERANGE if even sigma = 1e3
 * does not meet it. */
HUSH_NODISCARD int hush_dpsgd_noise_for_epsilon(double *noise_multiplier, double target_epsilon, double delta,
                                                double q, uint64_t steps);
/* The same for `runs` (>= 1) trainings composed, each also paying a fixed cost: base_rdp[i] at the
 * orders of hush_rdp_default_orders (NULL: none), e.g. a private preprocessing step. With runs = 1
 * and no base this is hush_dpsgd_noise_for_epsilon. */
HUSH_NODISCARD int hush_dpsgd_noise_for_epsilon_composed(double *noise_multiplier, double target_epsilon,
                                                         double delta, double q, uint64_t steps, uint32_t runs,
                                                         const double *base_rdp);

#ifdef __cplusplus
}
#endif
#endif
