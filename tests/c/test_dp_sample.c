/* Exact DP samplers and the grid release path: statistical tests with fixed seeds.
 *
 * Every statistical check has a threshold whose false-alarm rate for a correct sampler is stated
 * next to it (all at most about 1e-6); with fixed seeds the outcome is deterministic, so a pass
 * stays a pass, and a wrong distribution (an off-by-one scale, a wrong acceptance probability, a
 * biased sign) moves the statistic far beyond the threshold at these sample sizes. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "hush.h"

#define Z6 4.892 /* two-sided normal quantile for a 1e-6 false-alarm rate */

/* Upper 1e-6 quantile of chi-square with df degrees of freedom (Wilson-Hilferty). */
static double chi2_crit(int df) {
    double z = 4.753, k = 2.0 / (9.0 * df); /* one-sided 1e-6 */
    double t = 1.0 - k + z * sqrt(k);
    return df * t * t * t;
}

static void test_bernoulli_exp(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 11));
    static const uint64_t g[][2] = {{0, 1}, {1, 3}, {1, 1}, {7, 2}, {5, 1000000007}, {12, 5}};
    const int n = 200000;
    for (size_t c = 0; c < sizeof g / sizeof g[0]; c++) {
        double p = exp(-(double)g[c][0] / (double)g[c][1]);
        long ones = 0;
        for (int i = 0; i < n; i++) {
            int b = -1;
            CHECK_OK(hush_dp_bernoulli_exp(&r, &b, g[c][0], g[c][1]));
            ones += b;
        }
        double sd = sqrt(n * p * (1 - p));
        if (p == 1.0)
            CHECK(ones == n);
        else
            CHECK_MSG(fabs((double)ones - n * p) < Z6 * sd, "gamma %llu/%llu: %ld ones, expect %.1f +- %.1f",
                      (unsigned long long)g[c][0], (unsigned long long)g[c][1], ones, n * p, sd);
    }
    int b;
    CHECK_RC(hush_dp_bernoulli_exp(&r, &b, 1, 0), HUSH_EARG);
    hush_rng_clear(&r);
}

/* Chi-square of integer samples against a pmf on [-m, m], with the two tails beyond pooled. */
typedef double (*pmf_fn)(long k, const double *par);

static double chi2_stat(const long *hist, int m, long n, pmf_fn pmf, const double *par, int *df) {
    /* cells -m..m plus the pooled tails |k| > m */
    double stat = 0, inner = 0;
    for (int k = -m; k <= m; k++) {
        double e = (double)n * pmf(k, par), o = (double)hist[k + m];
        inner += pmf(k, par);
        stat += (o - e) * (o - e) / e;
    }
    double et = (double)n * (1.0 - inner);
    long ot = n;
    for (int k = 0; k <= 2 * m; k++) ot -= hist[k];
    if (et > 5) {
        stat += ((double)ot - et) * ((double)ot - et) / et;
        *df = 2 * m + 1;
    } else {
        *df = 2 * m;
    }
    return stat;
}

/* Discrete Laplace with scale t: p(k) = tanh(1/(2t)) e^{-|k|/t}. */
static double dlap_pmf(long k, const double *t) { return tanh(0.5 / t[0]) * exp(-fabs((double)k) / t[0]); }

/* Discrete Gaussian: p(k) = e^{-k^2/(2 s2)} / Z, Z by direct summation. */
static double dg_norm(double s2) {
    double z = 1.0;
    for (long k = 1; (double)k < 40 * sqrt(s2) + 40; k++) z += 2.0 * exp(-(double)(k * k) / (2.0 * s2));
    return z;
}
static double dg_pmf(long k, const double *par) { return exp(-(double)(k * k) / (2.0 * par[0])) / par[1]; }
/* Exact variance sum k^2 p(k): slightly below sigma^2 (CKS 2020, Proposition 19). */
static double dg_var(double s2) {
    double z = dg_norm(s2), v = 0;
    for (long k = 1; (double)k < 40 * sqrt(s2) + 40; k++)
        v += 2.0 * (double)(k * k) * exp(-(double)(k * k) / (2.0 * s2));
    return v / z;
}

static void sample_hist(hush_rng *r, int gaussian, uint64_t a, uint64_t b, long n, long *hist, int m, double *mean,
                        double *var, double *m4) {
    double s1 = 0, s2 = 0, s4 = 0;
    for (long i = 0; i < n; i++) {
        int64_t x = 0;
        if (gaussian)
            CHECK_OK(hush_dp_discrete_gaussian(r, &x, a, b));
        else
            CHECK_OK(hush_dp_discrete_laplace(r, &x, a, b));
        if (x >= -m && x <= m) hist[x + m]++;
        double d = (double)x;
        s1 += d;
        s2 += d * d;
        s4 += d * d * d * d;
    }
    *mean = s1 / (double)n;
    *var = s2 / (double)n; /* about the true mean 0 */
    *m4 = s4 / (double)n;
}

static void test_discrete_laplace(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 22));
    static const uint64_t sc[][2] = {{3, 1}, {5, 2}, {1, 4}, {40, 1}};
    const long n = 200000;
    for (size_t c = 0; c < sizeof sc / sizeof sc[0]; c++) {
        double t = (double)sc[c][0] / (double)sc[c][1];
        int m = (int)ceil(3 * t) + 1;
        if (m > 60) m = 60;
        long hist[121] = {0};
        double mean, var, m4;
        sample_hist(&r, 0, sc[c][0], sc[c][1], n, hist, m, &mean, &var, &m4);
        int df;
        double stat = chi2_stat(hist, m, n, dlap_pmf, &t, &df);
        CHECK_MSG(stat < chi2_crit(df), "dlap t=%g: chi2 %.1f df %d crit %.1f", t, stat, df, chi2_crit(df));
        /* exact variance 2 e^{-1/t} / (1 - e^{-1/t})^2 */
        double e = exp(-1.0 / t), v = 2 * e / ((1 - e) * (1 - e));
        CHECK_MSG(fabs(mean) < Z6 * sqrt(v / (double)n), "dlap t=%g mean %g", t, mean);
        /* sd of the sample second moment is sqrt((E x^4 - v^2)/n); the sample fourth moment
         * stands in for E x^4 */
        CHECK_MSG(fabs(var - v) < Z6 * sqrt((m4 - v * v) / (double)n), "dlap t=%g var %g want %g", t, var, v);
    }
    int64_t x;
    CHECK_RC(hush_dp_discrete_laplace(&r, &x, 0, 1), HUSH_EARG);
    CHECK_RC(hush_dp_discrete_laplace(&r, &x, HUSH_DP_SAMPLER_MAX + 1, 1), HUSH_ERANGE);
    hush_rng_clear(&r);
}

static void test_discrete_gaussian(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 33));
    static const uint64_t v2[][2] = {{4, 1}, {10, 3}, {1, 4}, {2500, 1}};
    const long n = 200000;
    for (size_t c = 0; c < sizeof v2 / sizeof v2[0]; c++) {
        double s2 = (double)v2[c][0] / (double)v2[c][1];
        int m = (int)ceil(3 * sqrt(s2)) + 1;
        long hist[401] = {0};
        if (m > 200) m = 200;
        double mean, var, m4;
        sample_hist(&r, 1, v2[c][0], v2[c][1], n, hist, m, &mean, &var, &m4);
        double par[2] = {s2, dg_norm(s2)};
        int df;
        double stat = chi2_stat(hist, m, n, dg_pmf, par, &df);
        CHECK_MSG(stat < chi2_crit(df), "dg s2=%g: chi2 %.1f df %d crit %.1f", s2, stat, df, chi2_crit(df));
        double v = dg_var(s2);
        CHECK(v <= s2 * (1 + 1e-12)); /* below sigma^2, by about e^{-2 pi^2 sigma^2} (invisible for large sigma) */
        CHECK_MSG(fabs(mean) < Z6 * sqrt(v / (double)n), "dg s2=%g mean %g", s2, mean);
        CHECK_MSG(fabs(var - v) < Z6 * sqrt((m4 - v * v) / (double)n), "dg s2=%g var %.5f want %.5f (sigma^2 %g)", s2,
                  var, v, s2);
        printf("  discrete Gaussian sigma^2 = %-8g exact variance %.6f, empirical %.6f (n = %ld)\n", s2, v, var, n);
    }
    /* For sigma^2 = 1/4 the gap to sigma^2 is large (0.2150 vs 0.25), so the variance check above
     * really distinguishes the discrete Gaussian from a rounded continuous one. */
    CHECK(dg_var(0.25) < 0.23);
    CHECK(dg_var(1.0) < 1.0 - 1e-8);
    /* a large sigma (2^20 grid units, as the release path uses): mean and variance */
    double s1 = 0, sq = 0;
    const long nb = 20000;
    const double sig = 1048576.0;
    for (long i = 0; i < nb; i++) {
        int64_t x = 0;
        CHECK_OK(hush_dp_discrete_gaussian(&r, &x, (uint64_t)sig * (uint64_t)sig, 1));
        s1 += (double)x;
        sq += (double)x * (double)x;
    }
    const double nd = (double)nb;
    CHECK(fabs(s1 / nd) < Z6 * sig / sqrt(nd));
    CHECK(fabs(sq / nd / (sig * sig) - 1.0) < Z6 * sqrt(2.0 / nd));
    int64_t x;
    CHECK_RC(hush_dp_discrete_gaussian(&r, &x, (uint64_t)1 << 62, 1), HUSH_ERANGE); /* sigma 2^31 */
    CHECK_RC(hush_dp_discrete_gaussian(&r, &x, 0, 1), HUSH_EARG);
    hush_rng_clear(&r);
}

/* Same seed, same integers; different seeds, different streams. */
static void test_determinism(void) {
    hush_rng a, b;
    CHECK_OK(hush_rng_init_u64(&a, 5));
    CHECK_OK(hush_rng_init_u64(&b, 5));
    int same = 1;
    for (int i = 0; i < 1000; i++) {
        int64_t x, y;
        CHECK_OK(hush_dp_discrete_gaussian(&a, &x, 1000, 7));
        CHECK_OK(hush_dp_discrete_gaussian(&b, &y, 1000, 7));
        same &= x == y;
    }
    CHECK(same);
    hush_rng_clear(&a);
    hush_rng_clear(&b);
}

static int cmp_double(const void *p, const void *q) {
    double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

/* Kolmogorov-Smirnov distance of sorted x against a CDF. */
static double ks(const double *x, size_t n, double (*cdf)(double, double), double s) {
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i], s);
        double a = fabs(f - (double)i / (double)n), b = fabs((double)(i + 1) / (double)n - f);
        if (a > d) d = a;
        if (b > d) d = b;
    }
    return d;
}
static double laplace_cdf(double x, double b) { return x < 0 ? 0.5 * exp(x / b) : 1.0 - 0.5 * exp(-x / b); }
static double normal_cdf(double x, double s) { return 0.5 * erfc(-x / (s * sqrt(2.0))); }

/* The grid release: output - input follows the continuous law up to the grid (2^-40 of the
 * scale for Laplace, 2^-20 of sigma for Gaussian, far below what KS can see at n = 50000).
 * KS critical value at 1e-6: sqrt(-ln(0.5e-6)/2) / sqrt(n) = 2.693 / sqrt(n). */
static void test_grid_release(void) {
    hush_rng r;
    CHECK_OK(hush_rng_init_u64(&r, 44));
    const size_t n = 50000;
    double *x = malloc(n * sizeof *x);
    float *xf = malloc(n * sizeof *xf);
    if (!x || !xf) {
        CHECK(0);
        return;
    }
    const double crit = 2.693 / sqrt((double)n);
    for (size_t i = 0; i < n; i++) x[i] = 0.3;
    CHECK_OK(hush_dp_laplace_add_noise(&r, x, n, 1.0, 2.0));
    for (size_t i = 0; i < n; i++) x[i] -= 0.3;
    qsort(x, n, sizeof *x, cmp_double);
    double d = ks(x, n, laplace_cdf, 2.0);
    CHECK_MSG(d < crit, "laplace KS %g crit %g", d, crit);
    /* a wrong scale is caught */
    CHECK(ks(x, n, laplace_cdf, 2.3) > crit);

    for (size_t i = 0; i < n; i++) x[i] = -7.25;
    CHECK_OK(hush_dp_gaussian_add_noise(&r, x, n, 1.0, 1.5));
    for (size_t i = 0; i < n; i++) x[i] += 7.25;
    qsort(x, n, sizeof *x, cmp_double);
    d = ks(x, n, normal_cdf, 1.5);
    CHECK_MSG(d < crit, "gaussian KS %g crit %g", d, crit);
    CHECK(ks(x, n, normal_cdf, 1.65) > crit);

    /* float variant; every output is a multiple of the grid: here sigma 0.5, one value, so
     * g = 2^-22 (sigma 2^-20 rounded down to a power of two) */
    for (size_t i = 0; i < n; i++) xf[i] = 1.0f;
    CHECK_OK(hush_dp_gaussian_add_noise_f32(&r, xf, 1, 1.0, 0.5));
    double u = (double)xf[0] * 0x1p22;
    CHECK(u == floor(u));
    for (size_t i = 0; i < 1000; i++) xf[i] = (float)i;
    CHECK_OK(hush_dp_laplace_add_noise_f32(&r, xf, 1000, 1.0, 0.25));
    double s = 0;
    for (size_t i = 0; i < 1000; i++) s += xf[i] - (float)i;
    CHECK(fabs(s / 1000) < Z6 * sqrt(2 * 0.0625 / 1000));

    /* errors */
    double bad[2] = {1.0, NAN};
    CHECK_RC(hush_dp_gaussian_add_noise(&r, bad, 2, 1.0, 1.0), HUSH_ENUMERIC);
    double huge = 1e300;
    CHECK_RC(hush_dp_laplace_add_noise(&r, &huge, 1, 1.0, 1.0), HUSH_ERANGE);
    CHECK_RC(hush_dp_laplace_add_noise(&r, x, 1, 0.0, 1.0), HUSH_EARG);
    CHECK_RC(hush_dp_gaussian_add_noise(&r, x, 1, 1.0, -1.0), HUSH_EARG);
    CHECK_OK(hush_dp_gaussian_add_noise(&r, NULL, 0, 1.0, 1.0));
    free(x);
    free(xf);
    hush_rng_clear(&r);
}

int main(void) {
    if (hush_init() != HUSH_OK) return 1;
    test_bernoulli_exp();
    test_discrete_laplace();
    test_discrete_gaussian();
    test_determinism();
    test_grid_release();
    CHECK_SUMMARY();
}
