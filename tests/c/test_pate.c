/* PATE: the PySyft-semantics moments analysis against tests/vectors/dp/pate.kat, input checks,
 * the noisy aggregators (determinism, exactness at negligible noise, Confident-GNMax declining,
 * a Laplace flip-rate check) and the 2018 GNMax RDP bounds (closed forms and the data-independent
 * ceiling), with fault injection on the allocating paths. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "hush.h"
#include "kat.h"

/* a config with the mechanism's defaults and the noise parameters given */
static hush_pate_config pcfg(enum hush_pate_mechanism m, double noise_eps, double sigma, double threshold,
                             double sigma1) {
    hush_pate_config c;
    if (hush_pate_config_init(&c, m) != HUSH_OK) memset(&c, 0, sizeof c);
    c.noise_eps = noise_eps;
    c.sigma = sigma;
    c.threshold = threshold;
    c.sigma1 = sigma1;
    return c;
}

static double num(const kat_case *c, const char *name) {
    const char *v = kat_get(c, name);
    CHECK_MSG(v != NULL, "line %zu: missing %s", c->line, name);
    return v ? strtod(v, NULL) : NAN;
}

/* The generator documented in pate.kat. */
static uint32_t *make_votes(const kat_case *c, size_t *T, size_t *E) {
    *T = (size_t)num(c, "teachers");
    *E = (size_t)num(c, "examples");
    uint32_t K = (uint32_t)num(c, "classes"), Z = (uint32_t)num(c, "zero_prefix"),
             A = (uint32_t)num(c, "agree_teachers"), mt = (uint32_t)num(c, "mul_t"), me = (uint32_t)num(c, "mul_e");
    uint32_t *v = malloc(*T * *E * sizeof *v);
    for (size_t t = 0; t < *T; t++)
        for (size_t e = 0; e < *E; e++)
            v[t * *E + e] = e < Z ? 0 : t < A ? (uint32_t)(e % K) : (uint32_t)((mt * t + me * e) % K);
    return v;
}

static void test_analyze_kat(void) {
    kat_file k;
    CHECK(kat_load(&k, "tests/vectors/dp/pate.kat") == 0);
    CHECK(k.n >= 5);
    for (size_t i = 0; i < k.n; i++) {
        const kat_case *c = &k.cases[i];
        size_t T, E;
        uint32_t *v = make_votes(c, &T, &E);
        const char *ind = kat_get(c, "indices");
        uint32_t *idx = NULL;
        size_t n_idx = 0;
        if (ind && !strncmp(ind, "mod ", 4)) {
            uint32_t mod = (uint32_t)atoi(ind + 4);
            idx = malloc(E * sizeof *idx);
            for (size_t e = 0; e < E; e++) idx[e] = (uint32_t)(e % mod);
            n_idx = E;
        }
        double dd = 0, di = 0;
        CHECK_OK(hush_pate_analyze(&dd, &di, v, T, E, idx, n_idx, num(c, "noise_eps"), num(c, "delta"),
                                   (uint32_t)num(c, "moments"), NULL));
        double tol = num(c, "tol");
        CHECK_MSG(fabs(dd - num(c, "dd")) <= tol, "%s: dd %.17g want %s", kat_get(c, "name"), dd, kat_get(c, "dd"));
        CHECK_MSG(fabs(di - num(c, "di")) <= tol, "%s: di %.17g want %s", kat_get(c, "name"), di, kat_get(c, "di"));
        free(v);
        free(idx);
    }
    kat_free(&k);
}

static void test_analyze_errors(void) {
    uint32_t v[6] = {0, 2, 2, 0, 2, 0}; /* labels {0, 2}: PySyft would index past its 2 columns */
    double dd, di;
    CHECK_RC(hush_pate_analyze(&dd, &di, v, 2, 3, NULL, 0, 0.1, 1e-5, 8, NULL), HUSH_EFORMAT);
    uint32_t ok[6] = {0, 1, 1, 0, 1, 0}, bad_idx[1] = {3};
    CHECK_OK(hush_pate_analyze(&dd, &di, ok, 2, 3, NULL, 0, 0.1, 1e-5, 8, NULL));
    CHECK_RC(hush_pate_analyze(&dd, &di, ok, 2, 3, bad_idx, 1, 0.1, 1e-5, 8, NULL), HUSH_ERANGE);
    CHECK_RC(hush_pate_analyze(&dd, &di, ok, 2, 3, NULL, 0, 0.0, 1e-5, 8, NULL), HUSH_EARG);
    CHECK_RC(hush_pate_analyze(&dd, &di, ok, 2, 3, NULL, 0, 0.1, 1e-5, 0, NULL), HUSH_ERANGE);
    /* an empty index list spends nothing data-dependently: eps = -log(delta) / moments */
    CHECK_OK(hush_pate_analyze(&dd, &di, ok, 2, 3, ok, 0, 0.1, 1e-5, 8, NULL));
    CHECK_NEAR(dd, -log(1e-5) / 8, 1e-12);
    for (long fail = 1; fail <= 2; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_pate_analyze(&dd, &di, ok, 2, 3, NULL, 0, 0.1, 1e-5, 8, &al);
        CHECK(rc == (fail == 1 ? HUSH_ENOMEM : HUSH_OK));
        CHECK(ca.live_blocks == 0);
    }
}

/* 30 teachers x 200 examples, example e's majority label e % 4 with 20 votes, others spread. */
static uint32_t *clear_votes(size_t T, size_t E) {
    uint32_t *v = malloc(T * E * sizeof *v);
    for (size_t t = 0; t < T; t++)
        for (size_t e = 0; e < E; e++) v[t * E + e] = t < 20 ? (uint32_t)(e % 4) : (uint32_t)((t + e) % 4);
    return v;
}

static void test_aggregate(void) {
    size_t T = 30, E = 200, ans;
    uint32_t *v = clear_votes(T, E);
    int32_t a[200], b[200];
    hush_rng r1, r2;
    /* negligible noise: the exact plurality */
    hush_pate_config lap = pcfg(HUSH_PATE_LNMAX, 1e4, 0, 0, 0);
    CHECK_OK(hush_rng_init_u64(&r1, 7));
    CHECK_OK(hush_pate_aggregate(&r1, a, &ans, v, T, E, 4, &lap, NULL));
    CHECK(ans == E);
    int exact = 1;
    for (size_t e = 0; e < E; e++) exact &= a[e] == (int32_t)(e % 4);
    CHECK(exact);
    /* same seed, same labels; GNMax too */
    hush_pate_config g = pcfg(HUSH_PATE_GNMAX, 0, 4.0, 0, 0);
    CHECK_OK(hush_rng_init_u64(&r1, 9));
    CHECK_OK(hush_rng_init_u64(&r2, 9));
    CHECK_OK(hush_pate_aggregate(&r1, a, NULL, v, T, E, 4, &g, NULL));
    CHECK_OK(hush_pate_aggregate(&r2, b, NULL, v, T, E, 4, &g, NULL));
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* a 20-vs-<=4 gap with sigma 4: flips are rare (union bound 3 Pr[N(0,32) > 16] < 0.7%) */
    int wrong = 0;
    for (size_t e = 0; e < E; e++) wrong += a[e] != (int32_t)(e % 4);
    CHECK(wrong <= 8);
    /* Confident-GNMax: a threshold far above T declines everything, far below answers all */
    hush_pate_config conf = pcfg(HUSH_PATE_CONFIDENT, 0, 4.0, 1000.0, 5.0);
    CHECK_OK(hush_pate_aggregate(&r1, a, &ans, v, T, E, 4, &conf, NULL));
    CHECK(ans == 0 && a[0] == -1 && a[E - 1] == -1);
    conf.threshold = -1000.0;
    CHECK_OK(hush_pate_aggregate(&r1, a, &ans, v, T, E, 4, &conf, NULL));
    CHECK(ans == E);
    /* threshold at the max count 23 (20 + the 3 spread teachers t = 0 mod 4) with sigma1 5:
     * Pr[z >= 0] = 0.54 for the discrete Gaussian, so about 108 of 200 are answered
     * (binomial; P(outside [70, 150]) < 1e-7) */
    conf.threshold = 23.0;
    CHECK_OK(hush_pate_aggregate(&r1, a, &ans, v, T, E, 4, &conf, NULL));
    CHECK_MSG(ans >= 70 && ans <= 150, "answered %zu", ans);
    /* LNMax flip rate on a 2-class tie broken by one vote (counts 6 vs 5), eps = 0.5: the flip
     * probability is 0.5 - small; over 4000 queries we require 0.3 < rate < 0.6 (false alarm
     * far below 1e-9); with the noise absent it would be 0. */
    enum { E2 = 4000 };
    uint32_t *w = malloc(11 * E2 * sizeof *w);
    for (size_t t = 0; t < 11; t++)
        for (size_t e = 0; e < E2; e++) w[t * E2 + e] = t < 6 ? 0 : 1;
    int32_t *lab = malloc(E2 * sizeof *lab);
    hush_pate_config l2 = pcfg(HUSH_PATE_LNMAX, 0.5, 0, 0, 0);
    CHECK_OK(hush_pate_aggregate(&r1, lab, NULL, w, 11, E2, 2, &l2, NULL));
    int flips = 0;
    for (size_t e = 0; e < E2; e++) flips += lab[e] == 1;
    CHECK_MSG(flips > 1200 && flips < 2400, "flips %d", flips);
    free(w);
    free(lab);
    /* errors */
    uint32_t badv[2] = {0, 5};
    CHECK_RC(hush_pate_aggregate(&r1, a, NULL, badv, 1, 2, 4, &lap, NULL), HUSH_ERANGE);
    hush_pate_config bad = pcfg(HUSH_PATE_LNMAX, 1, 1, 0, 0);
    bad.mechanism = 99;
    CHECK_RC(hush_pate_aggregate(&r1, a, NULL, v, T, E, 4, &bad, NULL), HUSH_EARG);
    bad = pcfg(HUSH_PATE_LNMAX, 1, 1, 0, 0);
    bad.version = 0; /* a config not from hush_pate_config_init */
    CHECK_RC(hush_pate_aggregate(&r1, a, NULL, v, T, E, 4, &bad, NULL), HUSH_EARG);
    for (long fail = 1; fail <= 2; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_pate_aggregate(&r1, a, NULL, v, T, E, 4, &lap, &al);
        CHECK(rc == (fail == 1 ? HUSH_ENOMEM : HUSH_OK));
        CHECK(ca.live_blocks == 0);
    }
    hush_rng_clear(&r1);
    hush_rng_clear(&r2);
    free(v);
}

static void test_gnmax_rdp(void) {
    /* two classes: q = Pr[N(0, 2 sigma^2) > gap] exactly */
    double c2[2] = {3, 10}, lq;
    CHECK_OK(hush_pate_logq_gnmax(&lq, c2, 2, 2.0));
    CHECK_NEAR(lq, log(0.5 * erfc(7.0 / (2.0 * 2.0))), 1e-12);
    /* ties: capped at log(1 - 1/K) */
    double c3[3] = {5, 5, 5};
    CHECK_OK(hush_pate_logq_gnmax(&lq, c3, 3, 1.0));
    CHECK_NEAR(lq, log(2.0 / 3.0), 1e-12);
    double orders[HUSH_RDP_DEFAULT_ORDERS_COUNT], r[HUSH_RDP_DEFAULT_ORDERS_COUNT];
    size_t no = hush_rdp_default_orders(orders, HUSH_RDP_DEFAULT_ORDERS_COUNT);
    /* never above alpha / sigma^2; far below it for a unanimous 100-teacher vote at sigma 10 */
    double un[10] = {100, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_OK(hush_pate_logq_gnmax(&lq, un, 10, 10.0));
    memset(r, 0, sizeof r);
    CHECK_OK(hush_pate_rdp_gnmax(r, orders, no, lq, 10.0));
    int below = 1, strictly = 0;
    for (size_t i = 0; i < no; i++) {
        below &= r[i] >= 0 && r[i] <= orders[i] / 100.0 + 1e-15;
        if (orders[i] == 2.0) strictly = r[i] < 1e-4 * orders[i] / 100.0;
    }
    CHECK(below);
    CHECK(strictly);
    /* logq = -inf adds nothing */
    memset(r, 0, sizeof r);
    CHECK_OK(hush_pate_rdp_gnmax(r, orders, no, -INFINITY, 1.0));
    CHECK(r[0] == 0.0 && r[no - 1] == 0.0);
    CHECK_RC(hush_pate_rdp_gnmax(r, orders, no, 0.5, 1.0), HUSH_EARG);
    /* threshold: Pr[answer] = Pr[N(0, s^2) >= T - max] */
    double lp;
    CHECK_OK(hush_pate_logpr_answered(&lp, un, 10, 120.0, 10.0));
    CHECK_NEAR(lp, log(0.5 * erfc(20.0 / (10.0 * sqrt(2.0)))), 1e-12);
    /* whole analysis: data-dependent <= data-independent; answered-only counts */
    size_t T = 30, E = 200;
    uint32_t *v = clear_votes(T, E);
    double dd, di, dd2, di2;
    CHECK_OK(hush_pate_analyze_gnmax(&dd, &di, v, T, E, 4, NULL, 0, 0, 4.0, 1e-5, HUSH_DP_CONVERSION_CLASSIC, NULL));
    CHECK(dd <= di && dd > 0);
    int32_t half[200];
    for (size_t e = 0; e < E; e++) half[e] = e % 2 ? -1 : 0;
    CHECK_OK(hush_pate_analyze_gnmax(&dd2, &di2, v, T, E, 4, half, 25.0, 6.0, 4.0, 1e-5, HUSH_DP_CONVERSION_CLASSIC, NULL));
    CHECK(dd2 <= di2);
    /* data-independent GNMax alone: 200 queries at sigma 4 = Gaussian RDP 200 alpha / 16, under
     * either conversion */
    double rr[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0}, want;
    CHECK_OK(hush_rdp_gaussian(rr, orders, no, 4.0 / sqrt(2.0), 200));
    CHECK_OK(hush_rdp_epsilon(&want, NULL, orders, rr, no, 1e-5, HUSH_DP_CONVERSION_CLASSIC));
    CHECK_NEAR(di, want, 1e-9 * want);
    double ddi, dii;
    CHECK_OK(hush_pate_analyze_gnmax(&ddi, &dii, v, T, E, 4, NULL, 0, 0, 4.0, 1e-5, HUSH_DP_CONVERSION_IMPROVED, NULL));
    CHECK_OK(hush_rdp_epsilon(&want, NULL, orders, rr, no, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    CHECK_NEAR(dii, want, 1e-9 * want);
    /* the data-dependent curve is the sum of the per-query bounds: rebuild it and convert */
    double cd[HUSH_RDP_DEFAULT_ORDERS_COUNT] = {0}, cnt[4];
    for (size_t e = 0; e < E; e++) {
        memset(cnt, 0, sizeof cnt);
        for (size_t t = 0; t < T; t++) cnt[v[t * E + e]] += 1;
        CHECK_OK(hush_pate_logq_gnmax(&lq, cnt, 4, 4.0));
        CHECK_OK(hush_pate_rdp_gnmax(cd, orders, no, lq, 4.0));
    }
    CHECK_OK(hush_rdp_epsilon(&want, NULL, orders, cd, no, 1e-5, HUSH_DP_CONVERSION_IMPROVED));
    CHECK_NEAR(ddi, want, 1e-9 * want);
    CHECK(ddi < dd && dii < di);
    CHECK_RC(hush_pate_analyze_gnmax(&ddi, &dii, v, T, E, 4, NULL, 0, 0, 4.0, 1e-5, 7, NULL), HUSH_EARG);
    free(v);
}

/* ---- smooth sensitivity (pate_ss.kat) ---- */

/* "x*n" repeats x n times; returns the count or (size_t)-1. */
static size_t ss_array(const char *s, double *out, size_t max) {
    size_t n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) return n;
        char *end;
        double v = strtod(s, &end);
        if (end == s) return (size_t)-1;
        long rep = 1;
        if (*end == '*') {
            s = end + 1;
            rep = strtol(s, &end, 10);
            if (end == s || rep < 1) return (size_t)-1;
        }
        for (long r = 0; r < rep; r++) {
            if (n == max) return (size_t)-1;
            out[n++] = v;
        }
        s = end;
    }
}

static int close_rel(double got, double want, double rtol, double scale) {
    return fabs(got - want) <= rtol * (fabs(want) > scale ? fabs(want) : scale);
}

static void test_ss_kat(void) {
    kat_file k;
    CHECK(kat_load(&k, "tests/vectors/dp/pate_ss.kat") == 0);
    size_t n_ls = 0, n_rel = 0, n_cond = 0;
    for (size_t i = 0; i < k.n; i++) {
        const kat_case *c = &k.cases[i];
        const char *kind = kat_get(c, "kind"), *name = kat_get(c, "name");
        if (!strcmp(kind, "conditions")) {
            int c5 = -1, c6 = -1;
            CHECK_OK(hush_pate_check_conditions_gnmax(&c5, &c6, num(c, "sigma"), (size_t)num(c, "classes"),
                                                      num(c, "order")));
            CHECK_MSG(c5 == (int)num(c, "c5") && c6 == (int)num(c, "c6"), "%s: c5 %d c6 %d", name, c5, c6);
            n_cond++;
            continue;
        }
        double rtol = num(c, "rtol");
        if (!strcmp(kind, "release")) {
            size_t T, E;
            uint32_t *v = make_votes(c, &T, &E);
            int even = !strcmp(kat_get(c, "answered"), "even");
            int32_t *lab = malloc(E * sizeof *lab);
            for (size_t e = 0; e < E; e++) lab[e] = even && e % 2 ? -1 : 0;
            hush_rng r;
            CHECK_OK(hush_rng_init_u64(&r, 3));
            hush_pate_ss_release o;
            CHECK_OK(hush_pate_release_gnmax(&r, &o, v, T, E, (uint32_t)num(c, "classes"), lab, num(c, "threshold"),
                                             num(c, "sigma1"), num(c, "sigma2"), num(c, "delta"), num(c, "order"),
                                             num(c, "beta"), num(c, "sigma_ss"), NULL));
            static const char *const keys[] = {"dd_rdp", "dd_eps", "di_eps", "ss", "release_rdp", "want_beta"};
            double got[6] = {o.data_dependent_rdp, o.data_dependent_eps, o.data_independent_eps, o.smooth_sensitivity,
                             o.release_rdp, o.beta};
            for (int j = 0; j < 6; j++)
                CHECK_MSG(close_rel(got[j], num(c, keys[j]), rtol, 0.0), "%s: %s %.17g want %s", name, keys[j], got[j],
                          kat_get(c, keys[j]));
            CHECK(o.order == num(c, "order"));
            hush_rng_clear(&r);
            free(v);
            free(lab);
            n_rel++;
            continue;
        }
        double counts[16], want[4096], got[4096];
        size_t K = ss_array(kat_get(c, "counts"), counts, 16), T = (size_t)num(c, "teachers");
        size_t n = ss_array(kat_get(c, "ls"), want, 4096);
        CHECK_MSG(K != (size_t)-1 && n == T, "%s: ls has %zu entries, teachers %zu", name, n, T);
        if (n != T) continue;
        if (!strcmp(kind, "ls_gnmax"))
            CHECK_OK(hush_pate_ls_gnmax(got, counts, K, T, num(c, "sigma"), num(c, "order"), NULL));
        else
            CHECK_OK(hush_pate_ls_threshold(got, counts, K, T, num(c, "threshold"), num(c, "sigma"), num(c, "order"),
                                            NULL));
        size_t bad = 0, first = 0;
        for (size_t d = 0; d < T; d++)
            if (!close_rel(got[d], want[d], rtol, 0.0) && bad++ == 0) first = d;
        CHECK_MSG(bad == 0, "%s: %zu entries off, first d = %zu: %.12g want %.12g", name, bad, first, got[first],
                  want[first]);
        n_ls++;
    }
    CHECK(n_ls >= 6 && n_rel >= 3 && n_cond >= 2);
    kat_free(&k);
}

static void test_ss_properties(void) {
    /* Where conditions C5-C6 hold, GNMax local sensitivity never decreases with the distance
     * (the walk goes towards the plateau, the maximum), and SS_beta >= LS(0), SS_0 = max LS, SS
     * decreasing in beta: every 3-class histogram of 30 teachers at two sigmas and two orders */
    double ls[30];
    int mono = 1, ss_ok = 1, nonzero = 0, c5, c6;
    const double sigmas[2] = {5.0, 10.0}, ords[2] = {3.0, 5.0};
    for (int si = 0; si < 2; si++)
        for (int oi = 0; oi < 2; oi++) {
            CHECK_OK(hush_pate_check_conditions_gnmax(&c5, &c6, sigmas[si], 3, ords[oi]));
            CHECK(c5 && c6);
            for (int a = 0; a <= 30; a++)
                for (int b = 0; a + b <= 30; b++) {
                    double c[3] = {a, b, 30 - a - b};
                    CHECK_OK(hush_pate_ls_gnmax(ls, c, 3, 30, sigmas[si], ords[oi], NULL));
                    double mx = 0, s0, s1, s2;
                    for (int d = 0; d < 30; d++) {
                        if (d && ls[d] < ls[d - 1]) mono = 0;
                        if (ls[d] > mx) mx = ls[d];
                    }
                    nonzero += mx > 0;
                    CHECK_OK(hush_pate_smooth_sensitivity(&s0, ls, 30, 0.0));
                    CHECK_OK(hush_pate_smooth_sensitivity(&s1, ls, 30, 0.05));
                    CHECK_OK(hush_pate_smooth_sensitivity(&s2, ls, 30, 0.2));
                    if (!(s0 == mx && s1 >= ls[0] && s2 >= ls[0] && s0 >= s1 && s1 >= s2)) ss_ok = 0;
                }
        }
    CHECK(mono);
    /* where C6 fails (sigma 2, order 3) the walk is visibly non-monotone: the check matters */
    CHECK_OK(hush_pate_check_conditions_gnmax(&c5, &c6, 2.0, 3, 3.0));
    CHECK(c5 && !c6);
    double c118[3] = {1, 1, 28};
    CHECK_OK(hush_pate_ls_gnmax(ls, c118, 3, 30, 2.0, 3.0, NULL));
    int dips = 0;
    for (int d = 1; d < 30; d++) dips += ls[d] < ls[d - 1];
    CHECK(dips > 0);
    CHECK(ss_ok);
    CHECK(nonzero > 100);
    /* the discounted max by hand */
    double l3[3] = {1.0, 2.0, 3.0}, s;
    CHECK_OK(hush_pate_smooth_sensitivity(&s, l3, 3, 0.5));
    CHECK_NEAR(s, fmax(2.0 * exp(-0.5), 3.0 * exp(-1.0)), 1e-15);
    /* Theorem 23 closed form; order must be below 1 / (2 beta) */
    double g;
    CHECK_OK(hush_pate_rdp_smooth_sensitivity_gaussian(&g, 0.05, 4.0, 5.0));
    CHECK_NEAR(g, 5.0 * exp(0.1) / 16.0 + (-0.5 * log(0.5) + 0.25) / 4.0, 1e-15);
    CHECK_RC(hush_pate_rdp_smooth_sensitivity_gaussian(&g, 0.1, 4.0, 5.0), HUSH_ERANGE);
    CHECK_RC(hush_pate_rdp_smooth_sensitivity_gaussian(&g, 0.05, 0.0, 5.0), HUSH_EARG);
    /* logq0: at the root the two bounds meet; below it the data-dependent one is smaller */
    double lq0;
    CHECK_OK(hush_pate_logq0_gnmax(&lq0, 0.5, 1.5));
    CHECK(lq0 == -9.0); /* the natural upper bound -(1 + 1/sigma)^2 already wins here */
    CHECK_OK(hush_pate_logq0_gnmax(&lq0, 10.0, 20.0));
    CHECK(lq0 < -(19.01 / 10.0) * (19.01 / 10.0));
    double r0[1] = {0}, o20[1] = {20.0};
    CHECK_OK(hush_pate_rdp_gnmax(r0, o20, 1, lq0 * 1.01, 10.0));
    CHECK(r0[0] < 20.0 / 100.0);
}

static void test_ss_release(void) {
    size_t T = 30, E = 40;
    uint32_t *v = clear_votes(T, E);
    hush_pate_ss_release o, o2;
    hush_rng r1, r2;
    /* the same seed gives the same release; the noise is hush_dp_gaussian_add_noise's draw on
     * that rng, with scale max(SS, 2^-30 di) * sigma_ss */
    CHECK_OK(hush_rng_init_u64(&r1, 5));
    CHECK_OK(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.0, 2.0, NULL));
    CHECK_OK(hush_rng_init_u64(&r1, 5));
    CHECK_OK(hush_pate_release_gnmax(&r1, &o2, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.0, 2.0, NULL));
    CHECK(memcmp(&o, &o2, sizeof o) == 0);
    CHECK(o.smooth_sensitivity > 0 && o.smooth_sensitivity > 1e-6 * o.data_dependent_rdp);
    double x = o.data_dependent_rdp, s = o.smooth_sensitivity;
    CHECK_OK(hush_rng_init_u64(&r2, 5));
    CHECK_OK(hush_dp_gaussian_add_noise(&r2, &x, 1, s, s * 2.0));
    CHECK(o.released_data_dependent_eps == x + o.release_rdp - log(1e-5) / 3.0);
    CHECK(o.released_data_dependent_eps != o.data_dependent_eps + o.release_rdp); /* noise was added */
    /* noise statistics over 600 seeds: mean 0 and sd SS sigma_ss (sd of the sample sd is
     * sd / sqrt(1200) ~ 2.9%: the 15% band is > 5 standard errors, false alarm < 1e-6) */
    double sum = 0, sq = 0, sd = s * 2.0, base = o.data_dependent_eps + o.release_rdp;
    for (uint64_t seed = 100; seed < 700; seed++) {
        CHECK_OK(hush_rng_init_u64(&r1, seed));
        CHECK_OK(hush_pate_release_gnmax(&r1, &o2, v, T, 8, 4, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.0, 2.0, NULL));
        if (seed == 100) {
            sd = o2.smooth_sensitivity * 2.0;
            base = o2.data_dependent_eps + o2.release_rdp;
        }
        double z = o2.released_data_dependent_eps - base;
        sum += z;
        sq += z * z;
    }
    double mean = sum / 600, var = sq / 600 - mean * mean;
    CHECK_MSG(fabs(mean) < 5.0 * sd / sqrt(600.0), "mean %g sd %g", mean, sd);
    CHECK_MSG(fabs(sqrt(var) / sd - 1.0) < 0.15, "sample sd %g want %g", sqrt(var), sd);
    /* order 0: the grid order minimising the data-dependent epsilon, equal to the 2018 analysis */
    double dd, di;
    CHECK_OK(hush_pate_analyze_gnmax(&dd, &di, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, HUSH_DP_CONVERSION_CLASSIC, NULL));
    CHECK_OK(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 0.0, 0.0, 2.0, NULL));
    CHECK_NEAR(o.data_dependent_eps, dd, 1e-12 * dd);
    CHECK_NEAR(o.beta, 0.49 / o.order, 1e-15);
    /* with beta given, only orders below 1 / (2 beta) qualify */
    CHECK_OK(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 0.0, 0.1, 2.0, NULL));
    CHECK(o.order < 5.0 && o.beta == 0.1);
    /* errors */
    CHECK_RC(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.2, 2.0, NULL), HUSH_ERANGE);
    CHECK_RC(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.0, 0.0, NULL), HUSH_EARG);
    CHECK_RC(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 0.5, 0.0, 2.0, NULL), HUSH_EARG);
    CHECK_RC(hush_pate_release_gnmax(&r1, &o, v, T, E, 3, NULL, 0, 0, 5.0, 1e-5, 4.0, 0.0, 2.0, NULL), HUSH_ERANGE);
    double c[3] = {40, 0, 0}, ls[30];
    CHECK_RC(hush_pate_ls_threshold(ls, c, 3, 30, 20.0, 2.0, 10.0, NULL), HUSH_ERANGE); /* max above T */
    /* conditions C5-C6 fail for sigma 5, 4 classes, order 8: no release */
    CHECK_RC(hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 0, 0, 5.0, 1e-5, 8.0, 0.0, 2.0, NULL),
             HUSH_EUNSUPPORTED);
    for (long fail = 1; fail <= 2; fail++) {
        check_alloc ca = {0, fail, 0, 0};
        hush_allocator al = CHECK_ALLOCATOR(ca);
        int rc = hush_pate_release_gnmax(&r1, &o, v, T, E, 4, NULL, 25.0, 6.0, 5.0, 1e-5, 4.0, 0.0, 2.0, &al);
        CHECK(rc == (fail == 1 ? HUSH_ENOMEM : HUSH_OK));
        CHECK(ca.live_blocks == 0);
        check_alloc cb = {0, fail, 0, 0};
        hush_allocator bl = CHECK_ALLOCATOR(cb);
        rc = hush_pate_ls_gnmax(ls, c, 3, 30, 2.0, 3.0, &bl);
        CHECK(rc == (fail == 1 ? HUSH_ENOMEM : HUSH_OK));
        CHECK(cb.live_blocks == 0);
    }
    hush_rng_clear(&r1);
    hush_rng_clear(&r2);
    free(v);
}

int main(void) {
    test_analyze_kat();
    test_analyze_errors();
    test_aggregate();
    test_gnmax_rdp();
    test_ss_kat();
    test_ss_properties();
    test_ss_release();
    CHECK_SUMMARY();
}
