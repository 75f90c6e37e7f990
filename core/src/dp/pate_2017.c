/* PATE: noisy aggregation of teacher votes, and the 2017 analysis.
 *
 * Who learns what: the student (and anyone) sees only the noisy labels; each teacher was trained
 * on a disjoint partition, so one training example changes at most one teacher's vote, which moves
 * one count up by one and another down by one (L1 sensitivity 2, L2 sensitivity sqrt 2).
 *
 * Noise on counts. Counts are integers, so we add exact integer noise: discrete Laplace of scale
 * t >= 1/noise_eps (LNMax) and discrete Gaussian of variance >= sigma^2 (GNMax, and the threshold
 * check of Confident-GNMax), both from dp.h's exact samplers on the caller's hush_rng. That is at
 * least as good as the continuous noise of the papers: for integer-valued counts the discrete
 * Laplace has the same likelihood ratio bound exp(eps |delta|) (so the noisy histogram is still
 * 2 noise_eps-DP and the data-independent analyses hold unchanged), the discrete Gaussian
 * satisfies the same Renyi curve alpha Delta^2 / (2 sigma^2) (Canonne, Kamath, Steinke 2020), and
 * no floating-point artefact of a continuous sampler can leak the true counts (Mironov 2012).
 * One caveat: the data-dependent bounds bound Pr[noisy argmax != true argmax] with continuous
 * tail formulas; integer noise produces ties (broken towards the lowest label), so that
 * probability differs slightly from the continuous one. The rational noise parameters are rounded
 * towards more noise.
 *
 * The 2017 analysis (reporting; libm double precision), hush_pate_analyze: PySyft 0.2's
 * perform_analysis (itself TF's 2017 pate analysis.py): the moments accountant with Papernot et
 * al. 2017 Theorem 3, q bounded by the union of pairwise Laplace tails (2 + gap) / (4 e^gap).
 * The 2018 analyses are in pate_2018.c.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dp/dpmath.h"
#include "dp/pate_votes.h"
#include "hush/pate.h"

/* Discrete Gaussian parameters var_num / var_den >= sigma^2 within the sampler's range. */
static int dgauss_params(uint64_t *num, uint64_t *den, double sigma) {
    if (!(sigma > 0.0) || sigma > 3.0e7) return HUSH_ERANGE;
    double t = floor(sigma) + 1.0;
    uint64_t d = (uint64_t)1 << 50;
    while ((double)d * t * t > 1125899906842624.0 /* 2^50 */ && d > 1) d >>= 1;
    double v = ceil(sigma * sigma * (double)d);
    if (!(v >= 1.0) || v > 9.2e18) return HUSH_ERANGE;
    *num = (uint64_t)v;
    *den = d;
    return HUSH_OK;
}

static uint32_t argmax_i64(const int64_t *c, uint32_t K) {
    uint32_t best = 0;
    for (uint32_t k = 1; k < K; k++)
        if (c[k] > c[best]) best = k;
    return best;
}

int hush_pate_config_init(hush_pate_config *cfg, enum hush_pate_mechanism mechanism) {
    if (!cfg) return HUSH_EARG;
    memset(cfg, 0, sizeof *cfg);
    if (mechanism != HUSH_PATE_LNMAX && mechanism != HUSH_PATE_GNMAX && mechanism != HUSH_PATE_CONFIDENT)
        return HUSH_EARG;
    cfg->version = HUSH_PATE_CONFIG_VERSION;
    cfg->mechanism = mechanism;
    cfg->n_classes = 0;
    cfg->delta = 1e-5;
    cfg->conversion = HUSH_DP_CONVERSION_CLASSIC;
    cfg->moments = 8;
    return HUSH_OK;
}

int hush_pate_aggregate(hush_rng *rng, int32_t *labels, size_t *answered, const uint32_t *votes, size_t n_teachers,
                        size_t n_examples, uint32_t n_classes, const hush_pate_config *cfg,
                        const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!rng || !labels || !votes || !cfg || cfg->version != HUSH_PATE_CONFIG_VERSION) return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_classes < 2 || n_classes > MAX_CLASSES) return HUSH_ERANGE;
    if (n_teachers > ((size_t)1 << 31) || n_examples > SIZE_MAX / n_teachers || n_examples > INT32_MAX)
        return HUSH_ERANGE;
    uint64_t lap_num = (uint64_t)1 << 40, lap_den = 0, g_num = 0, g_den = 0, t_num = 0, t_den = 0;
    int rc = HUSH_OK;
    switch (cfg->mechanism) {
    case HUSH_PATE_LNMAX: {
        double d = floor(cfg->noise_eps * 1099511627776.0 /* 2^40 */);
        if (!(d >= 1.0 && d <= 4.0e18)) return HUSH_ERANGE;
        lap_den = (uint64_t)d; /* scale 2^40 / floor(eps 2^40) >= 1 / eps */
        break;
    }
    case HUSH_PATE_CONFIDENT:
        if (!isfinite(cfg->threshold)) return HUSH_EARG;
        if ((rc = dgauss_params(&t_num, &t_den, cfg->sigma1)) != HUSH_OK) return rc;
        /* fall through */
    case HUSH_PATE_GNMAX:
        if ((rc = dgauss_params(&g_num, &g_den, cfg->sigma)) != HUSH_OK) return rc;
        break;
    default: return HUSH_EARG;
    }
    if (!votes_ok(votes, n_teachers, n_examples, n_classes)) return HUSH_ERANGE;
    int64_t *c = hush__calloc(alloc, n_classes, sizeof *c);
    if (!c) return HUSH_ENOMEM;
    size_t ans = 0;
    for (size_t e = 0; e < n_examples && rc == HUSH_OK; e++) {
        count_votes_i64(c, votes, n_teachers, n_examples, n_classes, e);
        if (cfg->mechanism == HUSH_PATE_CONFIDENT) {
            int64_t z, mx = c[argmax_i64(c, n_classes)];
            if ((rc = hush_dp_discrete_gaussian(rng, &z, t_num, t_den)) != HUSH_OK) break;
            if (!((double)(mx + z) >= cfg->threshold)) {
                labels[e] = -1;
                continue;
            }
        }
        for (uint32_t k = 0; k < n_classes && rc == HUSH_OK; k++) {
            int64_t z;
            rc = cfg->mechanism == HUSH_PATE_LNMAX ? hush_dp_discrete_laplace(rng, &z, lap_num, lap_den)
                                                   : hush_dp_discrete_gaussian(rng, &z, g_num, g_den);
            c[k] += z;
        }
        if (rc != HUSH_OK) break;
        labels[e] = (int32_t)argmax_i64(c, n_classes);
        ans++;
    }
    hush__free(alloc, c, (size_t)n_classes * sizeof *c);
    if (answered) *answered = ans;
    return rc;
}

/* ---- 2017 analysis (PySyft 0.2 perform_analysis) ---- */

/* Upper bound on Pr[noisy max != argmax] for Laplace noise: sum over the others of
 * (gap + 2) / (4 e^gap), gap = noise_eps (c_max - c_j), capped at 1 - 1/K. */
static double q_noisy_max(const double *c, size_t K, double noise_eps) {
    size_t w = 0;
    for (size_t k = 1; k < K; k++)
        if (c[k] > c[w]) w = k;
    double q = 0.0;
    for (size_t k = 0; k < K; k++) {
        if (k == w) continue;
        double gap = -(noise_eps * (c[k] - c[w]));
        q += (gap + 2.0) / (4.0 * exp(gap));
    }
    double cap = 1.0 - 1.0 / (double)K;
    return q < cap ? q : cap;
}

/* Bound on the log moment generating function at moment l of a priv_eps-DP mechanism whose
 * non-argmax probability is at most q (Papernot et al. 2017, Theorem 3): the min of the
 * Bun-Steinke bound, the data-dependent bound (for q < 1/2) and the pure-DP bound. */
static double logmgf_exact(double q, double pe, double l) {
    double log_t = pe * l;
    if (q < 0.5) {
        double t = (1.0 - q) * pow((1.0 - q) / (1.0 - exp(pe) * q), l) + q * exp(pe * l);
        if (t > 0.0) log_t = log(t); /* PySyft falls back to pe * l when log fails */
    }
    double a = 0.5 * pe * pe * l * (l + 1.0), r = a;
    if (log_t < r) r = log_t;
    if (pe * l < r) r = pe * l;
    return r;
}

int hush_pate_analyze(double *data_dependent_eps, double *data_independent_eps, const uint32_t *votes,
                      size_t n_teachers, size_t n_examples, const uint32_t *indices, size_t n_indices,
                      double noise_eps, double delta, uint32_t moments, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!data_dependent_eps || !data_independent_eps || !votes) return HUSH_EARG;
    if (!(noise_eps > 0.0) || !isfinite(noise_eps) || !(delta > 0.0 && delta < 1.0)) return HUSH_EARG;
    if (moments < 1 || moments > MAX_MOMENTS) return HUSH_ERANGE;
    if (n_teachers == 0 || n_examples == 0 || n_examples > SIZE_MAX / n_teachers) return HUSH_ERANGE;
    if (indices)
        for (size_t i = 0; i < n_indices; i++)
            if (indices[i] >= n_examples) return HUSH_ERANGE;
    uint32_t mx = 0;
    for (size_t i = 0; i < n_teachers * n_examples; i++)
        if (votes[i] > mx) mx = votes[i];
    size_t K = (size_t)mx + 1;
    if (K > MAX_CLASSES || K > n_teachers * n_examples) return HUSH_EFORMAT;
    double *c = hush__calloc(alloc, 2 * K + 2 * (size_t)moments, sizeof *c);
    if (!c) return HUSH_ENOMEM;
    double *seen = c + K, *dd = seen + K, *di = dd + moments;
    for (size_t i = 0; i < n_teachers * n_examples; i++) seen[votes[i]] = 1.0;
    int rc = HUSH_OK;
    for (size_t k = 0; k < K; k++)
        if (seen[k] == 0.0) rc = HUSH_EFORMAT; /* PySyft: fewer distinct labels than the largest + 1 */
    if (rc == HUSH_OK) {
        size_t n_q = indices ? n_indices : n_examples;
        for (size_t i = 0; i < n_q; i++) {
            count_votes_f64(c, votes, n_teachers, n_examples, K, indices ? indices[i] : i);
            double q = q_noisy_max(c, K, noise_eps);
            for (uint32_t l = 1; l <= moments; l++) dd[l - 1] += logmgf_exact(q, 2.0 * noise_eps, (double)l);
        }
        double ld = log(delta), best_dd = INFINITY, best_di = INFINITY;
        for (uint32_t l = 1; l <= moments; l++) {
            di[l - 1] = (double)n_examples * logmgf_exact(1.0, 2.0 * noise_eps, (double)l);
            double e1 = (dd[l - 1] - ld) / (double)l, e2 = (di[l - 1] - ld) / (double)l;
            if (e1 < best_dd) best_dd = e1;
            if (e2 < best_di) best_di = e2;
        }
        *data_dependent_eps = best_dd;
        *data_independent_eps = best_di;
    }
    hush__free(alloc, c, (2 * K + 2 * (size_t)moments) * sizeof *c);
    return rc;
}

int hush_pate_lnmax_epsilon(double *epsilon, size_t n_queries, double noise_eps, double delta, uint32_t moments) {
    if (!epsilon || !(noise_eps > 0.0) || !isfinite(noise_eps) || !(delta > 0.0 && delta < 1.0)) return HUSH_EARG;
    if (moments < 1 || moments > MAX_MOMENTS) return HUSH_ERANGE;
    double best = INFINITY, ld = log(delta);
    for (uint32_t l = 1; l <= moments; l++) {
        double e = ((double)n_queries * logmgf_exact(1.0, 2.0 * noise_eps, (double)l) - ld) / (double)l;
        if (e < best) best = e;
    }
    *epsilon = best;
    return HUSH_OK;
}
