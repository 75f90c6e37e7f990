/* Normal-distribution tails and log-space summation for the DP accountants. */
#include "dp/dpmath.h"

#include <math.h>

double hush__dp_log_erfc(double x) {
    if (x < 25.0) return log(erfc(x));
    /* erfc(x) = e^{-x^2} / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6) + ...); at x >= 25
     * the omitted terms are below 1e-13 relative. */
    double r = 1.0 / (2.0 * x * x);
    double series = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r)));
    return -x * x - log(x) - HUSH__DP_LOG_SQRT_PI + log(series);
}

double hush__dp_log_ndtr(double x) {
    /* Phi(x) = erfc(-x / sqrt 2) / 2 */
    if (x > 5.0) return log1p(-0.5 * erfc(x / HUSH__DP_SQRT2));
    return hush__dp_log_erfc(-x / HUSH__DP_SQRT2) - HUSH__DP_LN2;
}

double hush__dp_ndtr(double x) { return 0.5 * erfc(-x / HUSH__DP_SQRT2); }
double hush__dp_ndtr_upper(double x) { return 0.5 * erfc(x / HUSH__DP_SQRT2); }

double hush__dp_log_add(double a, double b) {
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}

void hush__dp_logsum_init(hush__dp_logsum *a) {
    a->m = -INFINITY;
    a->s = 0.0;
    a->c = 0.0;
}

void hush__dp_logsum_add(hush__dp_logsum *a, int sign, double logv) {
    if (logv == -INFINITY) return;
    if (logv > a->m) {
        /* rescale so the largest term seen is e^0: nothing overflows */
        double f = a->m == -INFINITY ? 0.0 : exp(a->m - logv);
        a->s *= f;
        a->c *= f;
        a->m = logv;
    }
    double v = (sign < 0 ? -1.0 : 1.0) * exp(logv - a->m);
    /* Neumaier compensated addition */
    double t = a->s + v;
    if (fabs(a->s) >= fabs(v))
        a->c += (a->s - t) + v;
    else
        a->c += (v - t) + a->s;
    a->s = t;
}

double hush__dp_logsum_log(const hush__dp_logsum *a) {
    double s = a->s + a->c;
    if (a->m == -INFINITY || s == 0.0) return -INFINITY;
    if (s < 0.0) return NAN;
    return a->m + log(s);
}
