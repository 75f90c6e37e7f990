/* Differential privacy: exact noise samplers, mechanisms and privacy accountants.
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
 * privacy-loss-distribution (PLD) accountant that discretises the privacy loss pessimistically
 * ("connect the dots", Doroshenko et al. 2022, which never lowers delta at any epsilon; tails go
 * up or to infinity) and composes by FFT, for a tighter epsilon that is still an upper bound
 * (up to FFT round-off of about 1e-16 per bin). These are
 * reporting computations in double precision (libm), not part of the bit-parity contract.
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
#define HUSH_DP_CONVERSION_IMPROVED 0 /* Balle et al. 2020 / Canonne-Kamath-Steinke 2020 (dp_accounting, Opacus) */
#define HUSH_DP_CONVERSION_CLASSIC 1  /* Mironov 2017: eps = rdp - log(delta) / (alpha - 1) (old TF Privacy) */

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
                                    size_t n, double delta, int conversion);
/* Smallest delta over the orders for the given epsilon (improved: CKS 2020 Prop. 12 together
 * with the KL bound delta <= sqrt(1 - e^{-rdp}); classic: exp((alpha-1)(rdp - eps))). */
HUSH_NODISCARD int hush_rdp_delta(double *delta, double *order, const double *orders, const double *rdp,
                                  size_t n, double epsilon, int conversion);

/* ---- accountant handle ---- */

#define HUSH_ACCOUNTANT_RDP 1
#define HUSH_ACCOUNTANT_PLD 2

#define HUSH_DP_EVENT_GAUSSIAN 1         /* noise_multiplier = sigma / L2 sensitivity */
#define HUSH_DP_EVENT_SAMPLED_GAUSSIAN 2 /* + sampling_rate q (Poisson sampling, add/remove-one) */
#define HUSH_DP_EVENT_LAPLACE 3          /* noise_multiplier = scale / L1 sensitivity */
#define HUSH_DP_EVENT_RDP_CURVE 4        /* precomputed RDP (PATE): rdp[i] at orders[i] (RDP only) */

typedef struct hush_dp_event {
    int kind;
    double noise_multiplier;
    double sampling_rate;
    /* RDP_CURVE: every order of the accountant must appear exactly in `orders`. */
    const double *orders;
    const double *rdp;
    size_t n_orders;
} hush_dp_event;

/* Options; a zeroed struct (or NULL) means the defaults. */
typedef struct hush_accountant_options {
    const double *orders;     /* RDP orders (copied); NULL: hush_rdp_default_orders */
    size_t n_orders;
    int conversion;           /* HUSH_DP_CONVERSION_*; default improved */
    double pld_discretization; /* PLD loss bin width; default 1e-4 (dp_accounting's default) */
    double pld_tail_mass;     /* PLD mass truncated per distribution (moved pessimistically); default 1e-15 */
    size_t pld_max_bins;      /* PLD support capacity, sized at create; default 2^18, max 2^22
                               * (memory about 88 bytes per bin: 23 MB at the default) */
} hush_accountant_options;

typedef struct hush_accountant hush_accountant;

HUSH_NODISCARD int hush_accountant_create(hush_accountant **out, int kind, const hush_accountant_options *opt,
                                          const hush_allocator *alloc);
void hush_accountant_free(hush_accountant *acc);
/* Composes `count` (>= 1) independent repetitions of the event. HUSH_EUNSUPPORTED for an
 * RDP_CURVE event on a PLD accountant; HUSH_ERANGE if the PLD outgrows pld_max_bins. */
HUSH_NODISCARD int hush_accountant_compose(hush_accountant *acc, const hush_dp_event *event, uint64_t count);
/* Epsilon spent for the given delta in (0, 1]. For RDP, *order (may be NULL) gets the best
 * order; for PLD it is set to 0. */
HUSH_NODISCARD int hush_accountant_epsilon(const hush_accountant *acc, double *epsilon, double *order,
                                           double delta);
HUSH_NODISCARD int hush_accountant_delta(const hush_accountant *acc, double *delta, double epsilon);
/* Accumulated RDP curve: the orders and values, valid until free; HUSH_ESTATE for PLD. */
HUSH_NODISCARD int hush_accountant_rdp(const hush_accountant *acc, const double **orders, const double **rdp,
                                       size_t *n);


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
HUSH_NODISCARD int hush_dpsgd_create(hush_dpsgd **out, hush_model *model, const hush_dpsgd_config *cfg,
                                     const hush_rng *rng, const hush_allocator *alloc);
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

/* ---- PATE (Papernot et al. 2017, 2018): core/src/dp/pate.c ----
 * Votes are a teachers x examples matrix, row-major: votes[t * n_examples + e] is teacher t's
 * label for example e, in 0 .. n_classes-1. */
#define HUSH_PATE_LNMAX 1     /* Laplace noisy max, noise scale 1 / noise_eps per count */
#define HUSH_PATE_GNMAX 2     /* Gaussian noisy max, sigma per count */
#define HUSH_PATE_CONFIDENT 3 /* Confident-GNMax: answer only if max count + N(0, sigma1^2) >= threshold */

/* Votes and answered indices as text (the `hush pate` files; parsed in core/src/io/votes.c).
 * Votes: one line per teacher, one comma-separated label per example, every row as long as the
 * first, blank lines skipped. Indices: example numbers separated by commas, blanks or newlines,
 * each below `examples`. Both write into caller buffers: with out == NULL (or cap too small:
 * HUSH_ERANGE) they only report the sizes. Errors are HUSH_EFORMAT with line and message in err. */
#define HUSH_VOTES_MAX_LABEL (1u << 20)
#define HUSH_VOTES_MAX (1u << 28) /* teachers x examples, or indices */
HUSH_NODISCARD int hush_votes_parse(uint32_t *out, size_t cap, size_t *teachers, size_t *examples,
                                    uint32_t *max_label, const char *text, size_t len, hush_parse_error *err);
HUSH_NODISCARD int hush_indices_parse(uint32_t *out, size_t cap, size_t *count, size_t examples, const char *text,
                                      size_t len, hush_parse_error *err);

typedef struct hush_pate_config {
    int mechanism;
    double noise_eps;  /* LNMax */
    double sigma;      /* GNMax, and Confident-GNMax's answering noise (sigma2) */
    double threshold;  /* Confident-GNMax */
    double sigma1;     /* Confident-GNMax's threshold noise */
} hush_pate_config;

/* Noisy labels into labels[n_examples] (-1 where Confident-GNMax declines). Noise is exact
 * discrete Laplace / discrete Gaussian on the integer counts (see pate.c); ties go to the lowest
 * label. *answered (may be NULL) gets the number of labels released. */
HUSH_NODISCARD int hush_pate_aggregate(hush_rng *rng, int32_t *labels, size_t *answered, const uint32_t *votes,
                                       size_t n_teachers, size_t n_examples, uint32_t n_classes,
                                       const hush_pate_config *cfg, const hush_allocator *alloc);

/* PySyft 0.2's pate.perform_analysis(teacher_preds, indices, noise_eps, delta, moments):
 * the moments-accountant analysis of LNMax (Papernot et al. 2017, Theorem 3), data-dependent over
 * the answered examples `indices` (each an example index; repeats count again; NULL = every
 * example once) and data-independent over all n_examples; orders l = 1..moments, classic
 * conversion eps = (sum log-mgf - log delta) / l. As in PySyft the number of classes is the number
 * of distinct labels in the votes, and every label must be below it (HUSH_EFORMAT otherwise, where
 * PySyft raises IndexError). PySyft's smooth-sensitivity values (beta) do not affect its result and
 * are not computed. */
HUSH_NODISCARD int hush_pate_analyze(double *data_dependent_eps, double *data_independent_eps,
                                     const uint32_t *votes, size_t n_teachers, size_t n_examples,
                                     const uint32_t *indices, size_t n_indices, double noise_eps, double delta,
                                     uint32_t moments, const hush_allocator *alloc);

/* The data-independent half of hush_pate_analyze alone, for n_queries LNMax answers: the
 * moments bound of a 2 noise_eps-DP mechanism, min over l = 1..moments. */
HUSH_NODISCARD int hush_pate_lnmax_epsilon(double *epsilon, size_t n_queries, double noise_eps, double delta,
                                           uint32_t moments);

/* Papernot et al. 2018 ("Scalable private learning with PATE"), data-dependent RDP:
 * log of an upper bound on Pr[GNMax(counts) != argmax counts] (Proposition 7, union bound). */
HUSH_NODISCARD int hush_pate_logq_gnmax(double *logq, const double *counts, size_t n_classes, double sigma);
/* GNMax RDP at each order from logq (Theorem 6 with Proposition 10's orders; never above the
 * data-independent alpha / sigma^2), ADDED into rdp[i]. */
HUSH_NODISCARD int hush_pate_rdp_gnmax(double *rdp, const double *orders, size_t n, double logq, double sigma);
/* Confident-GNMax's threshold check: log Pr[round(max counts) + N(0, sigma1^2) >= threshold]. */
HUSH_NODISCARD int hush_pate_logpr_answered(double *logpr, const double *counts, size_t n_classes, double threshold,
                                            double sigma1);
/* RDP of the threshold check (sensitivity 1, so GNMax's bound at sigma1 * sqrt 2), ADDED into rdp. */
HUSH_NODISCARD int hush_pate_rdp_threshold(double *rdp, const double *orders, size_t n, double logpr_answered,
                                           double sigma1);
/* The 2018 analysis of a GNMax (sigma1 == 0) or Confident-GNMax run over the default RDP orders:
 * every example pays the threshold check (Confident only), every answered one (labels[e] >= 0;
 * labels NULL = all answered) pays GNMax. Data-dependent and data-independent epsilon at delta
 * with conversion HUSH_DP_CONVERSION_CLASSIC (what the paper's code does) or _IMPROVED (a tighter
 * bound on the same RDP curve). The data-dependent value depends on
 * the votes, so releasing it needs smooth sensitivity (hush_pate_release_gnmax below). */
HUSH_NODISCARD int hush_pate_analyze_gnmax(double *data_dependent_eps, double *data_independent_eps,
                                           const uint32_t *votes, size_t n_teachers, size_t n_examples,
                                           uint32_t n_classes, const int32_t *labels, double threshold,
                                           double sigma1, double sigma2, double delta, int conversion,
                                           const hush_allocator *alloc);

/* ---- PATE 2018: smooth sensitivity of the data-dependent RDP (core/src/dp/pate.c) ----
 * Papernot et al. 2018, Section 4.3 and Appendices B-C, with the semantics of
 * tensorflow/privacy research/pate_2018/smooth_sensitivity.py. The data-dependent RDP of GNMax at
 * a fixed order depends on the votes, so it is released with the GNSS mechanism: value +
 * SS_beta * sigma_ss * N(0, 1), where SS_beta is a beta-smooth upper bound on the local
 * sensitivity, at an extra RDP cost (Theorem 23). The local-sensitivity bounds rely on the
 * paper's conditions C5-C6: hush_pate_ls_gnmax does not check them (as the reference's
 * function does not); hush_pate_release_gnmax does. All functions work at ONE Renyi order. */

/* log q0: below it the GNMax bound uses Theorem 6 (data-dependent), from it alpha / sigma^2
 * (root of the two bounds' difference; compute_logq0_gnmax). HUSH_ENUMERIC if not bracketed. */
HUSH_NODISCARD int hush_pate_logq0_gnmax(double *logq0, double sigma, double order);
/* Conditions C5 (the Theorem 6 bound is non-decreasing in q below q0) and C6 (B_u's step of it,
 * beta(B_u(q)) - beta(q), is non-decreasing below B_l(q0)) of the paper's Appendix B.4.2, under
 * which Algorithms 3-5 bound the local sensitivity. The reference verifies them symbolically
 * (check_conditions); here they are checked numerically on dense grids of q (a check, not a
 * proof). *c6 is 0 whenever *c5 is. */
HUSH_NODISCARD int hush_pate_check_conditions_gnmax(int *c5, int *c6, double sigma, size_t n_classes, double order);
/* ls[d], d = 0 .. n_teachers-1: upper bounds on the local sensitivity at distance d of one GNMax
 * query's RDP at `order` (Algorithms 3-5; compute_local_sensitivity_bounds_gnmax(counts,
 * n_teachers, sigma, order)). counts need not be integers; n_classes >= 2. */
HUSH_NODISCARD int hush_pate_ls_gnmax(double *ls, const double *counts, size_t n_classes, size_t n_teachers,
                                      double sigma, double order, const hush_allocator *alloc);
/* The same for Confident-GNMax's threshold check (compute_local_sensitivity_bounds_threshold);
 * round(max counts) must lie in 0 .. n_teachers (HUSH_ERANGE otherwise). */
HUSH_NODISCARD int hush_pate_ls_threshold(double *ls, const double *counts, size_t n_classes, size_t n_teachers,
                                          double threshold, double sigma1, double order,
                                          const hush_allocator *alloc);
/* Smooth sensitivity max_d ls[d] e^{-beta d} (compute_discounted_max). */
HUSH_NODISCARD int hush_pate_smooth_sensitivity(double *ss, const double *ls, size_t n, double beta);
/* RDP at `order` of releasing f + SS_beta(f) * sigma_ss * N(0, 1) (Theorem 23;
 * compute_rdp_of_smooth_sensitivity_gaussian): order e^{2 beta} / sigma_ss^2
 * + (beta order - log(1 - 2 order beta) / 2) / (order - 1). Needs 1 < order < 1 / (2 beta). */
HUSH_NODISCARD int hush_pate_rdp_smooth_sensitivity_gaussian(double *rdp, double beta, double sigma_ss,
                                                             double order);

typedef struct hush_pate_ss_release {
    double order;                       /* the Renyi order used */
    double beta;                        /* smoothness parameter used */
    double data_dependent_rdp;          /* exact RDP at order (selection + answers): NOT publishable */
    double data_dependent_eps;          /* its classic conversion at delta: NOT publishable */
    double data_independent_eps;        /* classic conversion of the data-independent RDP at order */
    double smooth_sensitivity;          /* SS_beta of the composed RDP (sum of per-query bounds) */
    double release_rdp;                 /* GNSS cost at order */
    double released_data_dependent_eps; /* noisy RDP + release_rdp - log(delta)/(order-1): publishable */
} hush_pate_ss_release;

/* The data-dependent analysis of hush_pate_analyze_gnmax (same votes, labels, threshold, sigma1
 * (0 = plain GNMax), sigma2, delta) at one order, released with smooth sensitivity.
 * order 0 picks the default-grid order (below 1 / (2 beta) when beta is given) minimising the
 * data-dependent epsilon, as the paper's code does (that choice itself looks at the data; pass a
 * fixed order to avoid it). beta 0 means 0.49 / order. sigma_ss in [0.01, 1e6]. The composed
 * local sensitivity at distance d is the sum of the per-query bounds (threshold for every
 * example, GNMax for the answered ones). HUSH_EUNSUPPORTED when conditions C5-C6 fail for
 * (sigma2, n_classes, order) (hush_pate_check_conditions_gnmax): the bounds would be unproven. Noise: the discrete Gaussian on a grid
 * (hush_dp_gaussian_add_noise) with scale max(SS_beta, 2^-30 data-independent RDP) * sigma_ss;
 * the data-independent floor keeps the grid in range and is itself a beta-smooth bound. */
HUSH_NODISCARD int hush_pate_release_gnmax(hush_rng *rng, hush_pate_ss_release *out, const uint32_t *votes,
                                           size_t n_teachers, size_t n_examples, uint32_t n_classes,
                                           const int32_t *labels, double threshold, double sigma1,
                                           double sigma2, double delta, double order, double beta,
                                           double sigma_ss, const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
