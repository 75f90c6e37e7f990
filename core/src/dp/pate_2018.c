/* PATE: the 2018 analyses (reporting; libm double precision).
 *  - the GNMax / Confident-GNMax data-dependent RDP (Papernot et al. 2018, Prop. 7, Theorem 6,
 *    Prop. 10, and the threshold mechanism with sensitivity 1), with the semantics of
 *    tensorflow/privacy research/pate_2018/core.py;
 *  - its release with smooth sensitivity (Algorithms 3-5, Theorem 23; the semantics of
 *    research/pate_2018/smooth_sensitivity.py), second half of this file.
 */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "dp/dpmath.h"
#include "dp/pate_votes.h"
#include "hush/pate.h"

/* ---- data-dependent RDP (GNMax, Confident-GNMax) ---- */

/* log(1 - e^x) for x <= 0. */
static double log1mexp(double x) {
    if (x < -1.0) return log1p(-exp(x));
    if (x < 0.0) return log(-expm1(x));
    return -INFINITY;
}

/* log Pr[N(0, s^2) > x]; log Phi(-x/s) keeps log(1 - tiny) for x far below 0, where log erfc
 * would round to log 2 and turn the threshold check's log(1 - Pr[answered]) into -inf. */
static double log_sf(double x, double s) { return hush__dp_log_ndtr(-x / s); }

int hush_pate_logq_gnmax(double *logq, const double *counts, size_t n_classes, double sigma) {
    if (!logq || !counts || n_classes < 2 || !(sigma > 0.0)) return HUSH_EARG;
    size_t w = 0;
    for (size_t k = 1; k < n_classes; k++)
        if (counts[k] > counts[w]) w = k;
    double m = -INFINITY;
    for (size_t k = 0; k < n_classes; k++)
        if (k != w) {
            double v = log_sf(counts[w] - counts[k], sqrt(2.0) * sigma);
            if (v > m) m = v;
        }
    double s = 0.0;
    for (size_t k = 0; k < n_classes; k++)
        if (k != w) s += exp(log_sf(counts[w] - counts[k], sqrt(2.0) * sigma) - m);
    double lq = m + log(s), cap = log(1.0 - 1.0 / (double)n_classes);
    *logq = lq < cap ? lq : cap;
    return HUSH_OK;
}

int hush_pate_rdp_gnmax(double *rdp, const double *orders, size_t n, double logq, double sigma) {
    if (!rdp || !orders || !(sigma > 0.0) || !(logq <= 0.0 || isinf(logq))) return HUSH_EARG;
    if (logq > 0.0) return HUSH_EARG;
    for (size_t i = 0; i < n; i++)
        if (!(orders[i] > 1.0)) return HUSH_EARG;
    if (isinf(logq)) return HUSH_OK; /* the output is fixed: 0-DP */
    double var = sigma * sigma;
    double mu2 = sqrt(var * -logq), mu1 = mu2 + 1.0;
    double r1 = mu1 / var, r2 = mu2 / var, log_a2 = (mu2 - 1.0) * r2;
    int any = 0;
    for (size_t i = 0; i < n; i++)
        if (mu1 > orders[i] && mu2 > 1.0) any = 1;
    int dep = any && logq <= log_a2 - mu2 * (log(1.0 + 1.0 / (mu1 - 1.0)) + log(1.0 + 1.0 / (mu2 - 1.0))) &&
              -logq > r2;
    double log1q = dep ? log1mexp(logq) : 0.0, inner = dep ? log1mexp((logq + r2) * (1.0 - 1.0 / mu2)) : 0.0;
    for (size_t i = 0; i < n; i++) {
        double a = orders[i], v = a / var;
        if (dep && mu1 > a && mu2 > 1.0) {
            double la = (a - 1.0) * (log1q - inner), lb = (a - 1.0) * (r1 - logq / (mu1 - 1.0));
            double ls = hush__dp_log_add(log1q + la, logq + lb) / (a - 1.0);
            if (ls < v) v = ls;
        }
        rdp[i] += v;
    }
    return HUSH_OK;
}

int hush_pate_logpr_answered(double *logpr, const double *counts, size_t n_classes, double threshold,
                             double sigma1) {
    if (!logpr || !counts || n_classes < 1 || !(sigma1 > 0.0) || !isfinite(threshold)) return HUSH_EARG;
    double mx = counts[0];
    for (size_t k = 1; k < n_classes; k++)
        if (counts[k] > mx) mx = counts[k];
    *logpr = log_sf(threshold - nearbyint(mx), sigma1); /* rounds half to even, as Python's round */
    return HUSH_OK;
}

int hush_pate_rdp_threshold(double *rdp, const double *orders, size_t n, double logpr_answered, double sigma1) {
    if (!(logpr_answered <= 0.0)) return HUSH_EARG;
    double other = log1mexp(logpr_answered);
    double logq = logpr_answered < other ? logpr_answered : other;
    return hush_pate_rdp_gnmax(rdp, orders, n, logq, sqrt(2.0) * sigma1);
}

int hush_pate_analyze_gnmax(double *data_dependent_eps, double *data_independent_eps, const uint32_t *votes,
                            size_t n_teachers, size_t n_examples, uint32_t n_classes, const int32_t *labels,
                            double threshold, double sigma1, double sigma2, double delta,
                            enum hush_dp_conversion conversion, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!data_dependent_eps || !data_independent_eps || !votes) return HUSH_EARG;
    if (conversion != HUSH_DP_CONVERSION_CLASSIC && conversion != HUSH_DP_CONVERSION_IMPROVED) return HUSH_EARG;
    if (!(sigma2 > 0.0) || !(sigma1 >= 0.0) || !(delta > 0.0 && delta < 1.0)) return HUSH_EARG;
    if (sigma1 > 0.0 && !isfinite(threshold)) return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_classes < 2 || n_classes > MAX_CLASSES ||
        n_examples > SIZE_MAX / n_teachers)
        return HUSH_ERANGE;
    if (!votes_ok(votes, n_teachers, n_examples, n_classes)) return HUSH_ERANGE;
    size_t no = HUSH_RDP_DEFAULT_ORDERS_COUNT, cells = n_classes + 3 * no;
    double *c = hush__calloc(alloc, cells, sizeof *c);
    if (!c) return HUSH_ENOMEM;
    double *orders = c + n_classes, *dd = orders + no, *di = dd + no;
    (void)hush_rdp_default_orders(orders, no);
    int rc = HUSH_OK;
    double n_thr = 0, n_ans = 0;
    for (size_t e = 0; e < n_examples && rc == HUSH_OK; e++) {
        count_votes_f64(c, votes, n_teachers, n_examples, n_classes, e);
        if (sigma1 > 0.0) {
            double lp;
            rc = hush_pate_logpr_answered(&lp, c, n_classes, threshold, sigma1);
            if (rc == HUSH_OK) rc = hush_pate_rdp_threshold(dd, orders, no, lp, sigma1);
            n_thr += 1;
        }
        if (rc == HUSH_OK && (!labels || labels[e] >= 0)) {
            double lq;
            rc = hush_pate_logq_gnmax(&lq, c, n_classes, sigma2);
            if (rc == HUSH_OK) rc = hush_pate_rdp_gnmax(dd, orders, no, lq, sigma2);
            n_ans += 1;
        }
    }
    if (rc == HUSH_OK) {
        for (size_t i = 0; i < no; i++) {
            di[i] = n_ans * orders[i] / (sigma2 * sigma2);
            if (sigma1 > 0.0) di[i] += n_thr * orders[i] / (2.0 * sigma1 * sigma1);
        }
        rc = hush_rdp_epsilon(data_dependent_eps, NULL, orders, dd, no, delta, conversion);
        if (rc == HUSH_OK) rc = hush_rdp_epsilon(data_independent_eps, NULL, orders, di, no, delta, conversion);
    }
    hush__free(alloc, c, cells * sizeof *c);
    return rc;
}

/* ---- 2018: smooth sensitivity of the data-dependent RDP (GNSS release) ----
 * A reimplementation of the paper's Algorithms 3-5 and Theorem 23 (semantics of
 * tensorflow/privacy research/pate_2018/smooth_sensitivity.py). The GNMax RDP used for the
 * sensitivity switches from Theorem 6 to alpha / sigma^2 at the root logq0 of their difference,
 * as the reference does; logq1 = log B_l(q0) marks where a plateau of the local sensitivity
 * starts. Everything is in log space so q below the double range does not break the bounds. */

/* Theorem 6 without its validity checks; callers only use it below logq0 (where they hold). */
static double gnmax_dep_bound(double sigma, double logq, double order) {
    if (isinf(logq)) return 0.0; /* the output is fixed: the bound's limit */
    double var = sigma * sigma, mu2 = sigma * sqrt(-logq), mu1 = mu2 + 1.0;
    double e1 = mu1 / var, e2 = mu2 / var, log1q = log1mexp(logq);
    double la = (order - 1.0) * (log1q - log1mexp((logq + e2) * (1.0 - 1.0 / mu2)));
    double lb = (order - 1.0) * (e1 - logq / (mu1 - 1.0));
    return hush__dp_log_add(log1q + la, logq + lb) / (order - 1.0);
}

static int gnmax_dep_valid(double sigma, double logq, double order) {
    double mu2 = sigma * sqrt(-logq), mu1 = mu2 + 1.0;
    if (mu1 < order || !(mu2 > 1.0)) return 0;
    return logq <= (mu2 - 1.0) * (mu2 / (sigma * sigma)) - mu2 * log(mu1 / (mu1 - 1.0) * mu2 / (mu2 - 1.0));
}

static double dep_minus_ind(double sigma, double logq, double order) {
    return gnmax_dep_bound(sigma, logq, order) - order / (sigma * sigma);
}

int hush_pate_logq0_gnmax(double *logq0, double sigma, double order) {
    if (!logq0 || !(sigma > 0.0) || !isfinite(sigma) || !(order > 1.0) || !isfinite(order)) return HUSH_EARG;
    double a = -(1.0 + 1.0 / sigma) * (1.0 + 1.0 / sigma), b = -((order - 0.99) / sigma) * ((order - 0.99) / sigma);
    double ub = a < b ? a : b, c = -1.0 / (sigma * sigma);
    if (c < ub) ub = c;
    if (!gnmax_dep_valid(sigma, ub, order)) return HUSH_ENUMERIC;
    if (dep_minus_ind(sigma, ub, order) < 0.0) {
        *logq0 = ub;
        return HUSH_OK;
    }
    double lb = 2.0 * ub;
    while (dep_minus_ind(sigma, lb, order) > 0.0) {
        if (!(lb > -10000.0)) return HUSH_ENUMERIC; /* the reference's bracketing limit */
        lb *= 1.5;
    }
    /* bisection to the last bit: the difference is monotone here (condition C5) */
    double lo = lb, hi = ub;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        double f = dep_minus_ind(sigma, mid, order);
        if (!isfinite(f)) return HUSH_ENUMERIC;
        if (f > 0.0)
            hi = mid;
        else
            lo = mid;
    }
    double r = 0.5 * (lo + hi);
    if (!gnmax_dep_valid(sigma, r, order)) return HUSH_ENUMERIC;
    *logq0 = r;
    return HUSH_OK;
}

/* x with log erfc(x) = ly (ly < log 2). Newton on the concave, decreasing log erfc: after the
 * first step the iterates approach the root monotonically from above. */
static double erfcinv_log(double ly) {
    if (isinf(ly) && ly < 0) return INFINITY;
    double x = ly < -2.0 ? sqrt(-ly) : 0.0;
    for (int it = 0; it < 200; it++) {
        double le = hush__dp_log_erfc(x);
        double d = -1.12837916709551257390 /* 2 / sqrt(pi) */ * exp(-x * x - le); /* d/dx log erfc(x) */
        double dx = (le - ly) / d;
        x -= dx;
        if (!(fabs(dx) > 1e-16 * (1.0 + fabs(x)))) break;
    }
    return x;
}

/* log B_l(q) and log B_u(q) (Proposition 12): the extreme values of q one teacher can cause. */
static double log_bl(double logq, double sigma, double m) {
    if (isinf(logq)) return -INFINITY;
    double x = erfcinv_log(HUSH__DP_LN2 + logq - log(m - 1.0));
    return log((m - 1.0) / 2.0) + hush__dp_log_erfc(1.0 / sigma + x);
}

static double log_bu(double logq, double sigma, double m) {
    if (isinf(logq)) return -INFINITY;
    double x = erfcinv_log(HUSH__DP_LN2 + logq - log(m - 1.0));
    double v = log((m - 1.0) / 2.0) + hush__dp_log_erfc(x - 1.0 / sigma);
    return v < 0.0 ? v : 0.0;
}

typedef struct gn_ctx {
    double sigma, order, m, logq0, logq1;
} gn_ctx;

static double rdp_switch(const gn_ctx *g, double logq) {
    return logq >= g->logq0 ? g->order / (g->sigma * g->sigma) : gnmax_dep_bound(g->sigma, logq, g->order);
}

/* Algorithm 3: local sensitivity at a vote histogram whose bound is logq. */
static double local_sens_gnmax(const gn_ctx *g, double logq) {
    if (g->logq1 <= logq && logq <= g->logq0) logq = g->logq1;
    double b = rdp_switch(g, logq);
    double bu = rdp_switch(g, log_bu(logq, g->sigma, g->m)) - b;
    double bl = b - rdp_switch(g, log_bl(logq, g->sigma, g->m));
    return bu > bl ? bu : bl;
}

static int gn_init(gn_ctx *g, double sigma, double order, size_t m) {
    g->sigma = sigma;
    g->order = order;
    g->m = (double)m;
    int rc = hush_pate_logq0_gnmax(&g->logq0, sigma, order);
    if (rc != HUSH_OK) return rc;
    g->logq1 = log_bl(g->logq0, sigma, g->m);
    return g->logq1 <= g->logq0 ? HUSH_OK : HUSH_ENUMERIC;
}

/* Is f non-decreasing along ascending logq grids on (0, e^hi): linear in q (where a bounded
 * scalar minimiser, as in the reference, looks) and geometric in -logq down to 64 hi (the far
 * tail that very confident votes reach)? Rounding noise of 1e-12 relative is tolerated. */
static int nondecreasing(double (*f)(const gn_ctx *, double), const gn_ctx *g, double hi) {
    enum { N = 2000 };
    for (int grid = 0; grid < 2; grid++) {
        double prev = NAN;
        for (int i = 1; i <= N; i++) {
            double lq = grid == 0 ? hi + log((double)i / N) : hi * pow(64.0, (double)(N - i) / (N - 1));
            double v = f(g, lq);
            if (!isfinite(v)) return 0;
            if (i > 1 && v < prev - 1e-12 * fabs(prev)) return 0;
            prev = v;
        }
    }
    return 1;
}

static double c5_fn(const gn_ctx *g, double lq) { return gnmax_dep_bound(g->sigma, lq, g->order); }
static double c6_fn(const gn_ctx *g, double lq) {
    return gnmax_dep_bound(g->sigma, log_bu(lq, g->sigma, g->m), g->order) - gnmax_dep_bound(g->sigma, lq, g->order);
}

int hush_pate_check_conditions_gnmax(int *c5, int *c6, double sigma, size_t n_classes, double order) {
    if (!c5 || !c6 || n_classes < 2 || n_classes > MAX_CLASSES) return HUSH_EARG;
    gn_ctx g;
    int rc = gn_init(&g, sigma, order, n_classes);
    if (rc != HUSH_OK) return rc;
    *c5 = nondecreasing(c5_fn, &g, g.logq0);
    *c6 = *c5 && nondecreasing(c6_fn, &g, g.logq1);
    return HUSH_OK;
}

/* Algorithms 4-5: walk the sorted histogram towards the plateau [logq1, logq0]. v is scratch
 * (m entries). */
static int ls_gnmax_ctx(double *ls, const gn_ctx *g, const double *counts, double *v, size_t m, size_t T) {
    double lq;
    int rc = hush_pate_logq_gnmax(&lq, counts, m, g->sigma);
    if (rc != HUSH_OK) return rc;
    double plateau = local_sens_gnmax(g, g->logq1);
    for (size_t d = 0; d < T; d++) ls[d] = plateau;
    if (g->logq1 <= lq && lq <= g->logq0) return isfinite(plateau) ? HUSH_OK : HUSH_ENUMERIC;
    memcpy(v, counts, m * sizeof *v);
    for (size_t i = 1; i < m; i++) /* insertion sort, non-increasing (m is the class count) */
        for (size_t j = i; j > 0 && v[j - 1] < v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    ls[0] = local_sens_gnmax(g, lq);
    size_t d = 0;
    int left = lq > g->logq0;
    while (d + 1 < T && ((left && lq > g->logq0 && v[1] > 0.0) || (!left && lq < g->logq1))) {
        d++;
        if (left) { /* widen the gap: logq goes down */
            v[0] += 1.0;
            v[1] -= 1.0;
            for (size_t i = 1; i + 1 < m && v[i] < v[i + 1]; i++) {
                double t = v[i];
                v[i] = v[i + 1];
                v[i + 1] = t;
            }
        } else { /* narrow it: logq goes up (v[0] > v[1], else logq would be >= logq1) */
            v[0] -= 1.0;
            v[1] += 1.0;
        }
        if ((rc = hush_pate_logq_gnmax(&lq, v, m, g->sigma)) != HUSH_OK) return rc;
        ls[d] = local_sens_gnmax(g, lq);
    }
    for (size_t i = 0; i < T; i++)
        if (!isfinite(ls[i])) return HUSH_ENUMERIC;
    return HUSH_OK;
}

int hush_pate_ls_gnmax(double *ls, const double *counts, size_t n_classes, size_t n_teachers, double sigma,
                       double order, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!ls || !counts || n_classes < 2 || n_classes > MAX_CLASSES || n_teachers == 0) return HUSH_EARG;
    for (size_t k = 0; k < n_classes; k++)
        if (!isfinite(counts[k])) return HUSH_EARG;
    gn_ctx g;
    int rc = gn_init(&g, sigma, order, n_classes);
    if (rc != HUSH_OK) return rc;
    double *v = hush__calloc(alloc, n_classes, sizeof *v);
    if (!v) return HUSH_ENOMEM;
    rc = ls_gnmax_ctx(ls, &g, counts, v, n_classes, n_teachers);
    hush__free(alloc, v, n_classes * sizeof *v);
    return rc;
}

/* rdp[v] = threshold RDP at `order` when the max count is v, v = 0 .. T. */
static int threshold_rdp_list(double *r, size_t T, double threshold, double sigma1, double order) {
    for (size_t v = 0; v <= T; v++) {
        r[v] = 0.0;
        int rc = hush_pate_rdp_threshold(&r[v], &order, 1, log_sf(threshold - (double)v, sigma1), sigma1);
        if (rc != HUSH_OK) return rc;
    }
    return HUSH_OK;
}

static int ls_threshold_list(double *ls, const double *r, const double *counts, size_t m, size_t T) {
    double mx = counts[0];
    for (size_t k = 1; k < m; k++)
        if (counts[k] > mx) mx = counts[k];
    mx = nearbyint(mx); /* half to even, as Python's round */
    if (!(mx >= 0.0 && mx <= (double)T)) return HUSH_ERANGE;
    size_t c = (size_t)mx, span = c > T - c ? c : T - c;
    for (size_t d = 0; d < T; d++) ls[d] = 0.0;
    for (size_t d = 0; d < span && d < T; d++) {
        double best = 0.0;
        for (int side = 0; side < 2; side++) {
            if (side == 0 && c + d > T) continue;
            if (side == 1 && d > c) continue;
            size_t v = side == 0 ? c + d : c - d;
            if (v > 0 && fabs(r[v - 1] - r[v]) > best) best = fabs(r[v - 1] - r[v]);
            if (v < T && fabs(r[v + 1] - r[v]) > best) best = fabs(r[v + 1] - r[v]);
        }
        ls[d] = best;
    }
    return HUSH_OK;
}

int hush_pate_ls_threshold(double *ls, const double *counts, size_t n_classes, size_t n_teachers, double threshold,
                           double sigma1, double order, const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!ls || !counts || n_classes < 1 || n_teachers == 0 || n_teachers > ((size_t)1 << 31)) return HUSH_EARG;
    if (!(sigma1 > 0.0) || !isfinite(threshold) || !(order > 1.0) || !isfinite(order)) return HUSH_EARG;
    double *r = hush__calloc(alloc, n_teachers + 1, sizeof *r);
    if (!r) return HUSH_ENOMEM;
    int rc = threshold_rdp_list(r, n_teachers, threshold, sigma1, order);
    if (rc == HUSH_OK) rc = ls_threshold_list(ls, r, counts, n_classes, n_teachers);
    hush__free(alloc, r, (n_teachers + 1) * sizeof *r);
    return rc;
}

int hush_pate_smooth_sensitivity(double *ss, const double *ls, size_t n, double beta) {
    if (!ss || (!ls && n) || !(beta >= 0.0) || !isfinite(beta)) return HUSH_EARG;
    double m = 0.0;
    for (size_t d = 0; d < n; d++) {
        double v = ls[d] * exp(-beta * (double)d);
        if (!(v <= m)) m = v; /* a NaN propagates */
    }
    *ss = m;
    return isnan(m) ? HUSH_ENUMERIC : HUSH_OK;
}

int hush_pate_rdp_smooth_sensitivity_gaussian(double *rdp, double beta, double sigma_ss, double order) {
    if (!rdp || !(beta >= 0.0) || !(sigma_ss > 0.0) || !isfinite(sigma_ss) || !(order > 1.0)) return HUSH_EARG;
    if (beta > 0.0 && !(2.0 * order * beta < 1.0)) return HUSH_ERANGE;
    *rdp = order * exp(2.0 * beta) / (sigma_ss * sigma_ss) +
           (-0.5 * log1p(-2.0 * order * beta) + beta * order) / (order - 1.0);
    return HUSH_OK;
}

int hush_pate_release_gnmax(hush_rng *rng, hush_pate_ss_release *out, const uint32_t *votes, size_t n_teachers,
                            size_t n_examples, uint32_t n_classes, const int32_t *labels, double threshold,
                            double sigma1, double sigma2, double delta, double order, double beta, double sigma_ss,
                            const hush_allocator *alloc) {
    if (!hush__alloc_ok(alloc)) return HUSH_EARG;
    if (!rng || !out || !votes) return HUSH_EARG;
    if (!(sigma2 > 0.0) || !isfinite(sigma2) || !(sigma1 >= 0.0) || !isfinite(sigma1) ||
        !(delta > 0.0 && delta < 1.0))
        return HUSH_EARG;
    if (sigma1 > 0.0 && !isfinite(threshold)) return HUSH_EARG;
    if (!(order == 0.0 || (order > 1.0 && isfinite(order))) || !(beta >= 0.0) || !isfinite(beta) ||
        !(sigma_ss >= 0.01 && sigma_ss <= 1e6))
        return HUSH_EARG;
    if (n_teachers == 0 || n_examples == 0 || n_classes < 2 || n_classes > MAX_CLASSES ||
        n_teachers > ((size_t)1 << 31) || n_examples > SIZE_MAX / n_teachers)
        return HUSH_ERANGE;
    if (!votes_ok(votes, n_teachers, n_examples, n_classes)) return HUSH_ERANGE;
    size_t K = n_classes, T = n_teachers, no = HUSH_RDP_DEFAULT_ORDERS_COUNT;
    size_t cells = 2 * K + 3 * T + 1 + 2 * no;
    double *c = hush__calloc(alloc, cells, sizeof *c);
    if (!c) return HUSH_ENOMEM;
    double *sorted = c + K, *ls = sorted + K, *tmp = ls + T, *thr = tmp + T, *orders = thr + T + 1,
           *curve = orders + no;
    int rc = HUSH_OK;
    double ld = log(delta);
    if (order == 0.0) { /* the reference's choice: the order minimising the data-dependent epsilon */
        (void)hush_rdp_default_orders(orders, no);
        for (size_t e = 0; e < n_examples && rc == HUSH_OK; e++) {
            count_votes_f64(c, votes, T, n_examples, K, e);
            double lp, lq;
            if (sigma1 > 0.0 && (rc = hush_pate_logpr_answered(&lp, c, K, threshold, sigma1)) == HUSH_OK)
                rc = hush_pate_rdp_threshold(curve, orders, no, lp, sigma1);
            if (rc == HUSH_OK && (!labels || labels[e] >= 0) &&
                (rc = hush_pate_logq_gnmax(&lq, c, K, sigma2)) == HUSH_OK)
                rc = hush_pate_rdp_gnmax(curve, orders, no, lq, sigma2);
        }
        double best = INFINITY;
        for (size_t i = 0; i < no && rc == HUSH_OK; i++) {
            if (beta > 0.0 && !(2.0 * orders[i] * beta < 1.0)) continue;
            double e = curve[i] - ld / (orders[i] - 1.0);
            if (e < best) {
                best = e;
                order = orders[i];
            }
        }
        if (rc == HUSH_OK && order == 0.0) rc = HUSH_ERANGE; /* beta leaves no order of the grid */
    }
    if (rc == HUSH_OK && beta == 0.0) beta = 0.49 / order;
    if (rc == HUSH_OK && !(2.0 * order * beta < 1.0)) rc = HUSH_ERANGE;
    gn_ctx g;
    if (rc == HUSH_OK) rc = gn_init(&g, sigma2, order, K);
    int any_answered = !labels;
    for (size_t e = 0; labels && e < n_examples; e++) any_answered |= labels[e] >= 0;
    if (rc == HUSH_OK && any_answered) { /* the reference quits too: the bounds are unproven */
        int c5, c6;
        rc = hush_pate_check_conditions_gnmax(&c5, &c6, sigma2, K, order);
        if (rc == HUSH_OK && !(c5 && c6)) rc = HUSH_EUNSUPPORTED;
    }
    if (rc == HUSH_OK && sigma1 > 0.0) rc = threshold_rdp_list(thr, T, threshold, sigma1, order);
    double dd = 0.0, n_thr = 0.0, n_ans = 0.0;
    for (size_t e = 0; e < n_examples && rc == HUSH_OK; e++) {
        count_votes_f64(c, votes, T, n_examples, K, e);
        if (sigma1 > 0.0) {
            double lp;
            rc = hush_pate_logpr_answered(&lp, c, K, threshold, sigma1);
            if (rc == HUSH_OK) rc = hush_pate_rdp_threshold(&dd, &order, 1, lp, sigma1);
            if (rc == HUSH_OK) rc = ls_threshold_list(tmp, thr, c, K, T);
            for (size_t d = 0; d < T && rc == HUSH_OK; d++) ls[d] += tmp[d];
            n_thr += 1.0;
        }
        if (rc == HUSH_OK && (!labels || labels[e] >= 0)) {
            double lq;
            rc = hush_pate_logq_gnmax(&lq, c, K, sigma2);
            if (rc == HUSH_OK) rc = hush_pate_rdp_gnmax(&dd, &order, 1, lq, sigma2);
            if (rc == HUSH_OK) rc = ls_gnmax_ctx(tmp, &g, c, sorted, K, T);
            for (size_t d = 0; d < T && rc == HUSH_OK; d++) ls[d] += tmp[d];
            n_ans += 1.0;
        }
    }
    double ss = 0.0, cost = 0.0;
    if (rc == HUSH_OK) rc = hush_pate_smooth_sensitivity(&ss, ls, T, beta);
    if (rc == HUSH_OK) rc = hush_pate_rdp_smooth_sensitivity_gaussian(&cost, beta, sigma_ss, order);
    if (rc == HUSH_OK) {
        double di = n_ans * order / (sigma2 * sigma2);
        if (sigma1 > 0.0) di += n_thr * order / (2.0 * sigma1 * sigma1);
        /* A data-independent floor: max(SS, c) is still a beta-smooth upper bound on the local
         * sensitivity, and it keeps the release grid within range of the value (dd <= di). */
        double s = ss, floor_s = di * 0x1p-30;
        if (s < floor_s) s = floor_s;
        double noisy = dd;
        if (s > 0.0) rc = hush_dp_gaussian_add_noise(rng, &noisy, 1, s, s * sigma_ss);
        /* s == 0 only when nothing was queried: the value is the constant 0 */
        out->order = order;
        out->beta = beta;
        out->data_dependent_rdp = dd;
        out->data_dependent_eps = dd - ld / (order - 1.0);
        out->data_independent_eps = di - ld / (order - 1.0);
        out->smooth_sensitivity = ss;
        out->release_rdp = cost;
        out->released_data_dependent_eps = noisy + cost - ld / (order - 1.0);
    }
    hush__free(alloc, c, cells * sizeof *c);
    return rc;
}
