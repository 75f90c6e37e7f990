/* Renyi DP of the Gaussian, Laplace and Poisson-subsampled Gaussian mechanisms, and the
 * conversions from an RDP curve to (epsilon, delta).
 *
 * Sampled Gaussian (Mironov, Talwar, Zhang 2019): with mu0 = N(0, s^2) and
 * mu = (1-q) N(0, s^2) + q N(1, s^2), the RDP at order a is log(A_a) / (a - 1) where
 * A_a = E_{z ~ mu0}[(mu(z)/mu0(z))^a] = E_{z ~ mu0}[(1 - q + q e^{(2z-1)/(2s^2)})^a].
 *  - integer a: the binomial expansion. We sum A_a - 1 = sum_{k>=2} C(a,k) (1-q)^{a-k} q^k
 *    (e^{(k^2-k)/(2s^2)} - 1) (the k = 0, 1 terms vanish because the binomial weights sum to
 *    one), whose terms are all positive, so A_a - 1 keeps full relative precision even when it
 *    is 1e-8 and the RDP is log1p of it.
 *  - fractional a: split the integral at z0 = s^2 log((1-q)/q) + 1/2, where the two mixture
 *    terms are equal, and expand the binomial in the convergent direction on each side:
 *    A_a = sum_i C(a,i) (1-q)^{a-i} q^i e^{(i^2-i)/(2s^2)} P[N(i,s^2) <= z0]
 *        + sum_i C(a,i) q^{a-i} (1-q)^i e^{((a-i)^2-(a-i))/(2s^2)} P[N(a-i,s^2) > z0].
 *    For i > a+1 the binomial coefficients alternate in sign. The terms are summed signed
 *    (hush__dp_logsum keeps a running scale and compensation): summing absolute values, a
 *    tempting shortcut in log space, overstates the RDP. We sum A_a - 1 (see log_a_frac) so
 *    that small RDP values keep their relative precision, and stop once past i = a+1 when both
 *    terms are below 2^-58 of the running sum; the magnitudes then decrease, so the alternating
 *    tail is smaller than that.
 */
#include <math.h>

#include "dp/dpmath.h"
#include "hush/dp.h"

size_t hush_rdp_default_orders(double *out, size_t cap) {
    if (!out) return HUSH_RDP_DEFAULT_ORDERS_COUNT;
    if (cap < HUSH_RDP_DEFAULT_ORDERS_COUNT) return 0;
    size_t n = 0;
    for (int x = 1; x < 100; x++) out[n++] = 1.0 + x / 10.0; /* as Python's 1 + x / 10.0 */
    for (int x = 11; x < 64; x++) out[n++] = x;
    out[n++] = 128;
    out[n++] = 256;
    out[n++] = 512;
    out[n++] = 1024;
    return n;
}

#define MAX_INT_ORDER 100000.0 /* binomial sums beyond this would be slow; see rdp_sgm */
#define MAX_SERIES_TERMS 2000000

static double log_expm1(double x) { return x > 40.0 ? x + log1p(-exp(-x)) : log(expm1(x)); }

static double log_a_int(double q, double sigma, uint64_t alpha) {
    hush__dp_logsum acc;
    hush__dp_logsum_init(&acc);
    const double lq = log(q), l1q = log1p(-q), inv2s2 = 1.0 / (2.0 * sigma * sigma);
    double lc = log((double)alpha); /* log C(alpha, 1) */
    for (uint64_t k = 2; k <= alpha; k++) {
        lc += log((double)(alpha - k + 1)) - log((double)k);
        double kk = (double)k;
        double x = (kk * kk - kk) * inv2s2;
        hush__dp_logsum_add(&acc, 1, lc + (double)(alpha - k) * l1q + kk * lq + log_expm1(x));
    }
    return hush__dp_log_add(0.0, hush__dp_logsum_log(&acc)); /* log(1 + (A - 1)) */
}

static double log_a_frac(double q, double sigma, double alpha) {
    hush__dp_logsum acc;
    hush__dp_logsum_init(&acc);
    const double lq = log(q), l1q = log1p(-q), s2 = sigma * sigma;
    const double z0 = s2 * (l1q - lq) + 0.5, rs = 1.0 / (HUSH__DP_SQRT2 * sigma);
    double lc = 0.0; /* log |C(alpha, i)| */
    int sign = 1;
    for (long i = 0; i < MAX_SERIES_TERMS; i++) {
        if (i > 0) {
            double f = alpha - (double)i + 1.0;
            lc += log(fabs(f)) - log((double)i);
            if (f < 0) sign = -sign;
        }
        double di = (double)i, j = alpha - di;
        double ls0 = lc + di * lq + j * l1q + (di * di - di) / (2.0 * s2) - HUSH__DP_LN2 +
                     hush__dp_log_erfc((di - z0) * rs);
        double ls1 = lc + j * lq + di * l1q + (j * j - j) / (2.0 * s2) - HUSH__DP_LN2 +
                     hush__dp_log_erfc((z0 - j) * rs);
        if (i == 0) {
            /* Sum A - 1 rather than A: 1 = P[z <= z0] + P[z > z0] under mu0, and the first term
             * minus P[z <= z0] is P[z <= z0] ((1-q)^a - 1), exact in log space. Without this, A - 1
             * (1e-8 for small q) would carry the rounding error of terms of size 1. */
            hush__dp_logsum_add(&acc, -1, hush__dp_log_ndtr(z0 / sigma) + log(-expm1(alpha * l1q)));
            hush__dp_logsum_add(&acc, -1, hush__dp_log_ndtr(-z0 / sigma));
        } else {
            hush__dp_logsum_add(&acc, sign, ls0);
        }
        hush__dp_logsum_add(&acc, sign, ls1);
        if (di > alpha + 1.0) {
            double lsum = hush__dp_logsum_log(&acc); /* log(A - 1) */
            if (lsum == lsum && (ls0 > ls1 ? ls0 : ls1) < lsum - 40.2) return hush__dp_log_add(0.0, lsum);
            /* NaN: A - 1 < 0 so far, which the partial sums can be before they converge */
        }
    }
    return INFINITY; /* did not converge: +inf is still a valid (useless) bound */
}

static double rdp_sgm(double q, double sigma, double alpha) {
    if (q == 0.0) return 0.0;
    if (sigma == 0.0) return INFINITY;
    if (isinf(alpha)) return INFINITY;
    if (q == 1.0) return alpha / (2.0 * sigma * sigma);
    double la;
    if (alpha == floor(alpha) && alpha <= MAX_INT_ORDER)
        la = log_a_int(q, sigma, (uint64_t)alpha);
    else if (alpha > MAX_INT_ORDER)
        return INFINITY; /* valid upper bound; such orders never matter for DP-SGD */
    else
        la = log_a_frac(q, sigma, alpha);
    return la / (alpha - 1.0);
}

static int check_orders(const double *orders, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(orders[i] > 1.0)) return HUSH_EARG; /* also NaN */
    return HUSH_OK;
}

int hush_rdp_sampled_gaussian(double *rdp, const double *orders, size_t n, double q, double sigma,
                              double count) {
    if ((!rdp || !orders) && n) return HUSH_EARG;
    if (!(q >= 0.0 && q <= 1.0) || !(sigma >= 0.0) || isinf(sigma) || !(count >= 0.0) || isinf(count))
        return HUSH_EARG;
    if (check_orders(orders, n) != HUSH_OK) return HUSH_EARG;
    for (size_t i = 0; i < n; i++) {
        double r = rdp_sgm(q, sigma, orders[i]);
        if (count > 0) rdp[i] += r * count;
    }
    return HUSH_OK;
}

int hush_rdp_gaussian(double *rdp, const double *orders, size_t n, double sigma, double count) {
    return hush_rdp_sampled_gaussian(rdp, orders, n, 1.0, sigma, count);
}

static double rdp_laplace(double b, double alpha) {
    if (b == 0.0) return INFINITY;
    if (isinf(alpha)) return 1.0 / b;
    /* log(alpha/(2a-1) e^{(a-1)/b} + (a-1)/(2a-1) e^{-a/b}) / (a-1), in log space */
    double t1 = log(alpha / (2.0 * alpha - 1.0)) + (alpha - 1.0) / b;
    double t2 = log((alpha - 1.0) / (2.0 * alpha - 1.0)) - alpha / b;
    return hush__dp_log_add(t1, t2) / (alpha - 1.0);
}

int hush_rdp_laplace(double *rdp, const double *orders, size_t n, double noise_multiplier, double count) {
    if ((!rdp || !orders) && n) return HUSH_EARG;
    if (!(noise_multiplier >= 0.0) || isinf(noise_multiplier) || !(count >= 0.0) || isinf(count))
        return HUSH_EARG;
    if (check_orders(orders, n) != HUSH_OK) return HUSH_EARG;
    for (size_t i = 0; i < n; i++)
        if (count > 0) rdp[i] += rdp_laplace(noise_multiplier, orders[i]) * count;
    return HUSH_OK;
}

/* Improved conversion (Canonne, Kamath, Steinke 2020, Proposition 12; Balle et al. 2020,
 * Theorem 21): eps = rdp + log1p(-1/a) - (log delta + log a) / (a - 1). Like dp_accounting we
 * also use delta >= sqrt(1 - e^{-rdp}) => (0, delta)-DP, and skip orders <= 1.01 where the
 * formula is numerically unstable. */
static double eps_of(double a, double r, double delta, enum hush_dp_conversion conv) {
    if (isinf(r) || isnan(r)) return INFINITY;
    if (conv == HUSH_DP_CONVERSION_CLASSIC) {
        if (isinf(a)) return r;
        return r - log(delta) / (a - 1.0);
    }
    if (delta * delta + expm1(-r) >= 0.0) return 0.0;
    if (isinf(a)) return r;
    if (a <= 1.01) return INFINITY;
    return r + log1p(-1.0 / a) - (log(delta) + log(a)) / (a - 1.0);
}

int hush_rdp_epsilon(double *epsilon, double *order, const double *orders, const double *rdp, size_t n,
                     double delta, enum hush_dp_conversion conversion) {
    if (!epsilon || ((!orders || !rdp) && n)) return HUSH_EARG;
    if (!(delta > 0.0 && delta <= 1.0)) return HUSH_EARG;
    if (conversion != HUSH_DP_CONVERSION_IMPROVED && conversion != HUSH_DP_CONVERSION_CLASSIC) return HUSH_EARG;
    if (check_orders(orders, n) != HUSH_OK) return HUSH_EARG;
    double best = INFINITY, best_order = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(rdp[i] >= 0.0)) return HUSH_EARG;
        double e = eps_of(orders[i], rdp[i], delta, conversion);
        if (e < best) {
            best = e;
            best_order = orders[i];
        }
    }
    *epsilon = best < 0.0 ? 0.0 : best;
    if (order) *order = best_order;
    return HUSH_OK;
}

static double log_delta_of(double a, double r, double eps, enum hush_dp_conversion conv) {
    if (isinf(r) || isnan(r)) return 0.0;
    if (isinf(a)) return r <= eps ? -INFINITY : 0.0;
    if (conv == HUSH_DP_CONVERSION_CLASSIC) return (a - 1.0) * (r - eps);
    /* KL-based bound, useful for small orders: delta <= sqrt(1 - e^{-r}) */
    double ld = r == 0.0 ? -INFINITY : 0.5 * log1p(-exp(-r));
    if (a > 1.01) {
        double lr = (a - 1.0) * (r - eps + log1p(-1.0 / a)) - log(a);
        if (lr < ld) ld = lr;
    }
    return ld;
}

int hush_rdp_delta(double *delta, double *order, const double *orders, const double *rdp, size_t n,
                   double epsilon, enum hush_dp_conversion conversion) {
    if (!delta || ((!orders || !rdp) && n)) return HUSH_EARG;
    if (!(epsilon >= 0.0)) return HUSH_EARG;
    if (conversion != HUSH_DP_CONVERSION_IMPROVED && conversion != HUSH_DP_CONVERSION_CLASSIC) return HUSH_EARG;
    if (check_orders(orders, n) != HUSH_OK) return HUSH_EARG;
    double best = 0.0, best_order = 0.0; /* log delta; delta = 1 is always true */
    for (size_t i = 0; i < n; i++) {
        if (!(rdp[i] >= 0.0)) return HUSH_EARG;
        double ld = log_delta_of(orders[i], rdp[i], epsilon, conversion);
        if (ld < best) {
            best = ld;
            best_order = orders[i];
        }
    }
    *delta = exp(best);
    if (order) *order = best_order;
    return HUSH_OK;
}
