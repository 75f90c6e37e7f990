/* PATE (Papernot et al. 2017, 2018): teachers trained on disjoint parts of the private data
 * vote on public examples; noisy aggregation of the votes labels them for a student.
 *
 * Start here: parse a votes file (hush_pate_votes_parse), fill a hush_pate_config
 * (hush_pate_config_init) and call hush_pate_aggregate_report for noisy labels and their cost,
 * hush_pate_analyze_report for PySyft's 2017 analysis, or hush_pate_release_report for the
 * 2018 analysis with a publishable (smooth-sensitivity) data-dependent epsilon. The functions
 * below them are the pieces, with the reference implementations' semantics.
 *
 * Who learns what: the student (and anyone) sees only the noisy labels and the reported
 * epsilons. Each teacher saw a disjoint partition, so one training example changes at most one
 * vote per query (L1 sensitivity 2, L2 sqrt 2 on the vote histogram). A data-dependent epsilon
 * depends on the votes, so it is itself private unless released with smooth sensitivity.
 */
#ifndef HUSH_PATE_H
#define HUSH_PATE_H

#include "common.h"
#include "data.h"
#include "dp.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- aggregation and the 2017 analysis: core/src/dp/pate_2017.c ----
 * Votes are a teachers x examples matrix, row-major: votes[t * n_examples + e] is teacher t's
 * label for example e, in 0 .. n_classes-1. */
enum hush_pate_mechanism {
    HUSH_PATE_LNMAX = 1,    /* Laplace noisy max, noise scale 1 / noise_eps per count */
    HUSH_PATE_GNMAX = 2,    /* Gaussian noisy max, sigma per count */
    HUSH_PATE_CONFIDENT = 3 /* Confident-GNMax: answer only if max count + N(0, sigma1^2) >= threshold */
};

/* ---- files: core/src/io/votes.c ----
 * Votes and answered indices as text (the `hush pate` files).
 * Votes: one line per teacher, one comma-separated label per example, every row as long as the
 * first, blank lines skipped. Indices: example numbers separated by commas, blanks or newlines,
 * each below `examples`. Both write into caller buffers: with out == NULL (or cap too small:
 * HUSH_ERANGE) they only report the sizes. Errors are HUSH_EFORMAT with line and message in err. */
#define HUSH_PATE_VOTES_MAX_LABEL (1u << 20)
#define HUSH_PATE_VOTES_MAX (1u << 28) /* teachers x examples, or indices */
HUSH_NODISCARD int hush_pate_votes_parse(uint32_t *out, size_t cap, size_t *teachers, size_t *examples,
                                         uint32_t *max_label, const char *text, size_t len, hush_parse_error *err);
/* *written: the number of indices (the size needed when out is NULL or cap too small). */
HUSH_NODISCARD int hush_pate_indices_parse(uint32_t *out, size_t cap, size_t *written, size_t examples,
                                           const char *text, size_t len, hush_parse_error *err);

#define HUSH_PATE_CONFIG_VERSION 1

typedef struct hush_pate_config {
    uint32_t version;                   /* HUSH_PATE_CONFIG_VERSION */
    enum hush_pate_mechanism mechanism;
    double noise_eps;                   /* LNMax (and the 2017 analysis) */
    double sigma;                       /* GNMax, and Confident-GNMax's answering noise (sigma2) */
    double threshold;                   /* Confident-GNMax */
    double sigma1;                      /* Confident-GNMax's threshold noise */
    /* for the reports (hush_pate_*_report) */
    uint32_t n_classes;                 /* 0: the largest label + 1 (at least 2) */
    double delta;                       /* default 1e-5 */
    enum hush_dp_conversion conversion; /* the 2018 analysis; default classic (the paper's code) */
    uint32_t moments;                   /* the 2017 analysis; default 8 */
    double order, beta, sigma_ss;       /* smooth-sensitivity release: 0 = the defaults below */
} hush_pate_config;

/* Fills every default for `mechanism` (noise parameters 0: the caller sets them). */
HUSH_NODISCARD int hush_pate_config_init(hush_pate_config *cfg, enum hush_pate_mechanism mechanism);

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

/* ---- the 2018 RDP analysis: core/src/dp/pate_2018.c ---- */

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
                                           double sigma1, double sigma2, double delta,
                                           enum hush_dp_conversion conversion, const hush_allocator *alloc);

/* ---- PATE 2018: smooth sensitivity of the data-dependent RDP (core/src/dp/pate_2018.c) ----
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

/* ---- reports: core/src/dp/pate_report.c ----
 * What `hush pate aggregate|analyze` print and hush.pate returns, assembled in one place. The
 * field names are the CLI's JSON keys (JS: their camelCase). NaN marks a value that does not
 * apply (the CLI prints null). */
typedef struct hush_pate_report {
    size_t teachers, examples, classes;
    size_t answered;                    /* aggregate: labels released */
    size_t queries;                     /* analyze: examples analysed (indices, with repeats) */
    double epsilon;                     /* aggregate: data-independent epsilon (publishable) */
    double data_dependent_eps;          /* depends on the votes: NOT publishable as is */
    double data_independent_eps;
    double delta;
    /* smooth-sensitivity release (hush_pate_release_report) */
    double order, beta, sigma_ss, smooth_sensitivity, release_rdp;
    double released_data_dependent_eps; /* publishable */
} hush_pate_report;

/* Noisy labels of every example into labels[n_examples] (-1 where Confident-GNMax declines),
 * with the analysis of what they cost: LNMax: the 2017 moments bound (data-independent over the
 * examples; data-dependent where PySyft's label convention holds, else NaN); GNMax and
 * Confident-GNMax: the 2018 RDP analysis with cfg->conversion. Noise from rng. */
HUSH_NODISCARD int hush_pate_aggregate_report(hush_rng *rng, hush_pate_report *rep, int32_t *labels,
                                              const uint32_t *votes, size_t n_teachers, size_t n_examples,
                                              const hush_pate_config *cfg, const hush_allocator *alloc);
/* PySyft's perform_analysis (hush_pate_analyze) with cfg->noise_eps, delta, moments. */
HUSH_NODISCARD int hush_pate_analyze_report(hush_pate_report *rep, const uint32_t *votes, size_t n_teachers,
                                            size_t n_examples, const uint32_t *indices, size_t n_indices,
                                            const hush_pate_config *cfg, const hush_allocator *alloc);
/* The 2018 analysis (GNMax: cfg->sigma; Confident-GNMax when cfg->sigma1 > 0) of the answered
 * examples (indices; NULL = all; repeats mark the same example), its data-dependent epsilon
 * released with smooth sensitivity (hush_pate_release_gnmax with cfg->order, beta, sigma_ss). */
HUSH_NODISCARD int hush_pate_release_report(hush_rng *rng, hush_pate_report *rep, const uint32_t *votes,
                                            size_t n_teachers, size_t n_examples, const uint32_t *indices,
                                            size_t n_indices, const hush_pate_config *cfg,
                                            const hush_allocator *alloc);

#ifdef __cplusplus
}
#endif
#endif
