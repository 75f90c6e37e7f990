/* The PATE reports: what `hush pate aggregate|analyze` print and hush.pate returns, assembled
 * once here so the CLI and JS cannot disagree. Each report runs the mechanism or analysis and
 * fills hush_pate_report; a field that does not apply is NaN. */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "hush/pate.h"

static void report_init(hush_pate_report *r, size_t T, size_t E, size_t K, double delta) {
    r->teachers = T;
    r->examples = E;
    r->classes = K;
    r->answered = r->queries = 0;
    r->epsilon = r->data_dependent_eps = r->data_independent_eps = NAN;
    r->delta = delta;
    r->order = r->beta = r->sigma_ss = r->smooth_sensitivity = r->release_rdp = NAN;
    r->released_data_dependent_eps = NAN;
}

/* classes: the configured count, or the largest label + 1 (at least 2); HUSH_ERANGE if a label
 * is not below it */
static int classes_of(uint32_t *K, const uint32_t *votes, size_t n, uint32_t configured) {
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++)
        if (votes[i] > mx) mx = votes[i];
    uint32_t k = configured ? configured : mx + 1;
    if (k < 2) k = 2;
    if (mx >= k) return HUSH_ERANGE;
    *K = k;
    return HUSH_OK;
}

static int cfg_ok(const hush_pate_config *c) {
    return c && c->version == HUSH_PATE_CONFIG_VERSION && c->delta > 0.0 && c->delta < 1.0;
}

int hush_pate_aggregate_report(hush_rng *rng, hush_pate_report *rep, int32_t *labels, const uint32_t *votes,
                               size_t n_teachers, size_t n_examples, const hush_pate_config *cfg,
                               const hush_allocator *alloc) {
    if (!rng || !rep || !labels || !votes || !cfg_ok(cfg)) return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_examples > SIZE_MAX / n_teachers) return HUSH_ERANGE;
    uint32_t K;
    int rc = classes_of(&K, votes, n_teachers * n_examples, cfg->n_classes);
    if (rc != HUSH_OK) return rc;
    report_init(rep, n_teachers, n_examples, K, cfg->delta);
    size_t answered = 0;
    if ((rc = hush_pate_aggregate(rng, labels, &answered, votes, n_teachers, n_examples, K, cfg, alloc))) return rc;
    rep->answered = answered;
    double dd = NAN, di = NAN;
    if (cfg->mechanism == HUSH_PATE_LNMAX) {
        if ((rc = hush_pate_lnmax_epsilon(&di, n_examples, cfg->noise_eps, cfg->delta, cfg->moments))) return rc;
        double unused;
        /* data-dependent only where PySyft's label convention holds */
        if (hush_pate_analyze(&dd, &unused, votes, n_teachers, n_examples, NULL, 0, cfg->noise_eps, cfg->delta,
                              cfg->moments, alloc) != HUSH_OK)
            dd = NAN;
    } else {
        rc = hush_pate_analyze_gnmax(&dd, &di, votes, n_teachers, n_examples, K, labels, cfg->threshold,
                                     cfg->mechanism == HUSH_PATE_CONFIDENT ? cfg->sigma1 : 0.0, cfg->sigma, cfg->delta,
                                     cfg->conversion, alloc);
        if (rc) return rc;
    }
    rep->epsilon = rep->data_independent_eps = di;
    rep->data_dependent_eps = dd;
    return HUSH_OK;
}

int hush_pate_analyze_report(hush_pate_report *rep, const uint32_t *votes, size_t n_teachers, size_t n_examples,
                             const uint32_t *indices, size_t n_indices, const hush_pate_config *cfg,
                             const hush_allocator *alloc) {
    if (!rep || !votes || !cfg_ok(cfg)) return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_examples > SIZE_MAX / n_teachers) return HUSH_ERANGE;
    report_init(rep, n_teachers, n_examples, 0, cfg->delta);
    double dd, di;
    int rc = hush_pate_analyze(&dd, &di, votes, n_teachers, n_examples, indices, n_indices, cfg->noise_eps, cfg->delta,
                               cfg->moments, alloc);
    if (rc) return rc;
    rep->queries = indices ? n_indices : n_examples;
    rep->data_dependent_eps = dd;
    rep->data_independent_eps = di;
    return HUSH_OK;
}

int hush_pate_release_report(hush_rng *rng, hush_pate_report *rep, const uint32_t *votes, size_t n_teachers,
                             size_t n_examples, const uint32_t *indices, size_t n_indices, const hush_pate_config *cfg,
                             const hush_allocator *alloc) {
    if (!rng || !rep || !votes || !cfg_ok(cfg) || (!indices && n_indices)) return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_examples > SIZE_MAX / n_teachers) return HUSH_ERANGE;
    uint32_t K;
    int rc = classes_of(&K, votes, n_teachers * n_examples, cfg->n_classes);
    if (rc != HUSH_OK) return rc;
    for (size_t i = 0; i < n_indices; i++)
        if (indices[i] >= n_examples) return HUSH_ERANGE;
    report_init(rep, n_teachers, n_examples, K, cfg->delta);
    int32_t *labels = NULL;
    size_t answered = n_examples;
    if (indices) { /* the answered examples; repeats mark the same example */
        labels = hush__calloc(alloc, n_examples, sizeof *labels);
        if (!labels) return HUSH_ENOMEM;
        for (size_t e = 0; e < n_examples; e++) labels[e] = -1;
        for (size_t i = 0; i < n_indices; i++) labels[indices[i]] = 0;
        answered = 0;
        for (size_t e = 0; e < n_examples; e++) answered += labels[e] >= 0;
    }
    hush_pate_ss_release o;
    double s1 = cfg->mechanism == HUSH_PATE_CONFIDENT ? cfg->sigma1 : 0.0, dd = NAN, di = NAN;
    rc = hush_pate_release_gnmax(rng, &o, votes, n_teachers, n_examples, K, labels, cfg->threshold, s1, cfg->sigma,
                                 cfg->delta, cfg->order, cfg->beta, cfg->sigma_ss, alloc);
    if (rc == HUSH_OK)
        rc = hush_pate_analyze_gnmax(&dd, &di, votes, n_teachers, n_examples, K, labels, cfg->threshold, s1,
                                     cfg->sigma, cfg->delta, cfg->conversion, alloc);
    if (labels) hush__free(alloc, labels, n_examples * sizeof *labels);
    if (rc) return rc;
    rep->queries = answered;
    rep->data_dependent_eps = dd;
    rep->data_independent_eps = di;
    rep->order = o.order;
    rep->beta = o.beta;
    rep->sigma_ss = cfg->sigma_ss;
    rep->smooth_sensitivity = o.smooth_sensitivity;
    rep->release_rdp = o.release_rdp;
    rep->released_data_dependent_eps = o.released_data_dependent_eps;
    return HUSH_OK;
}
